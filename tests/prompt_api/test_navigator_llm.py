"""navigator.llm in real browsers, on the same engine as LanguageModel (echo backend)."""

from __future__ import annotations

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"


def test_feature_detection_and_shape(page):
    got = page.run("""
        const d = Object.getOwnPropertyDescriptor(navigator, "llm");
        return {
          detected: "llm" in navigator,
          frozen: Object.isFrozen(navigator.llm), writable: d.writable, configurable: d.configurable,
          methods: ["availability", "createSession", "prompt", "embed", "models"].map((m) => typeof navigator.llm[m]),
          availability: await navigator.llm.availability(),
          // An unconfigured provider name falls back to the user's chain.
          unknownProvider: await navigator.llm.availability({provider: "nope"}),
          emptyProvider: (await outcome(navigator.llm.availability({provider: ""}))).ctor,
          models: Array.isArray(await navigator.llm.models()),
        };
    """)
    assert got == {
        "detected": True,
        "frozen": True,
        "writable": False,
        "configurable": False,
        "methods": ["function"] * 5,
        "availability": "available",
        "unknownProvider": "available",
        "emptyProvider": "TypeError",
        "models": True,
    }


def test_session_generate_stream_append_clone(page):
    got = page.run("""
        const s = await navigator.llm.createSession({systemPrompt: "sys ", temperature: 0.2, topK: 5, maxTokens: 64, provider: "echo"});
        const first = await s.generate({prompt: "hello"});
        const chunks = await readAll(s.generateStreaming({prompt: "stream"}));
        await s.append([{role: "user", content: "later "}]);
        const copy = await s.clone();
        const fromCopy = await copy.generate({prompt: "x"});
        const usage = [s.contextUsage, copy.contextUsage, s.contextWindow];
        s.destroy();
        return {first, chunks, fromCopy, usage, destroyed: (await outcome(s.generate({prompt: "y"}))).name,
                copyAlive: await copy.generate({prompt: "z"}), frozen: Object.isFrozen(s)};
    """)
    assert got["first"] == PREAMBLE + "sys hello"
    assert "".join(got["chunks"]) == PREAMBLE + "stream"
    assert got["fromCopy"] == PREAMBLE + "later x"
    s_usage, copy_usage, window = got["usage"]
    assert copy_usage > s_usage and window == 1000
    assert got["destroyed"] == "InvalidStateError" and got["copyAlive"] == PREAMBLE + "z" and got["frozen"]


def test_option_errors_abort_and_one_shot(page):
    got = page.run("""
        const name = async (p) => { const r = await outcome(p); return r.ctor === "DOMException" ? r.name : r.ctor; };
        const s = await navigator.llm.createSession();
        const controller = new AbortController();
        const pending = s.generate({prompt: "slow", signal: controller.signal});
        controller.abort(new Error("stop"));
        return {
          oneShot: await navigator.llm.prompt("once", {systemPrompt: "S:"}),
          badTemperature: await name(navigator.llm.createSession({temperature: 9})),
          nanTemperature: await name(navigator.llm.createSession({temperature: NaN})),
          badTopK: await name(navigator.llm.createSession({topK: 1.5})),
          badSystem: await name(navigator.llm.createSession({systemPrompt: 5})),
          badConstraint: await name(navigator.llm.createSession({responseConstraint: "x"})),
          badPrompt: await name(s.generate({prompt: 5})),
          aborted: (await outcome(pending)).message,
          embedNoTexts: await name(navigator.llm.embed([])),
          tools: toolCalls(await (await navigator.llm.createSession({tools: [
            {name: "lookup", description: 'Find. Args: {"q": "x"}', inputSchema: {type: "object"}}]})).generate({prompt: "<GenerateSimpleToolCalls>go"})),
        };
    """)
    assert got == {
        "oneShot": PREAMBLE + "S:once",
        "badTemperature": "RangeError",
        "nanTemperature": "TypeError",
        "badTopK": "TypeError",
        "badSystem": "TypeError",
        "badConstraint": "TypeError",
        "badPrompt": "TypeError",
        "aborted": "stop",
        "embedNoTexts": "TypeError",
        "tools": [{"callID": "call_1", "callId": "call_1", "name": "lookup", "arguments": {"q": "x"}, "isToolCall": True}],
    }
