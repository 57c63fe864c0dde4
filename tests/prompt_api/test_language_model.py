"""The LanguageModel polyfill in real browsers, on the echo backend (exact expectations)."""

from __future__ import annotations

from tests.prompt_api.conftest import PAGE

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"


def test_surface(page):
    got = page.run("""
        const s = await LanguageModel.create();
        return {
          methods: ["prompt", "promptStreaming", "append", "measureContextUsage", "measureInputUsage", "clone", "destroy"]
            .map((m) => typeof s[m]),
          statics: [typeof LanguageModel.availability, typeof LanguageModel.create, typeof LanguageModel.params],
          isTarget: s instanceof EventTarget && s instanceof LanguageModel,
          usage: [s.contextUsage, s.contextWindow, s.inputUsage, s.inputQuota],
          sampling: [typeof s.topK, typeof s.temperature, s.samplingMode],
          handlers: [s.oncontextoverflow, s.onquotaoverflow],
          illegal: syncOutcome(() => new LanguageModel()).ctor,
          classes: [typeof LanguageModelToolSuccess, typeof LanguageModelToolError, typeof QuotaExceededError],
        };
    """)
    assert got == {
        "methods": ["function"] * 7,
        "statics": ["function", "function", "undefined"],  # params() is for extension contexts only
        "isTarget": True,
        "usage": [0, 1000, 0, 1000],
        "sampling": ["undefined", "undefined", "balanced"],
        "handlers": [None, None],
        "illegal": "TypeError",
        "classes": ["function"] * 3,
    }


def test_availability(page):
    got = page.run("""
        return {
          plain: await LanguageModel.availability(),
          english: await LanguageModel.availability({expectedInputs: [{type: "text", languages: ["EN-us"]}]}),
          unknownLanguage: await LanguageModel.availability({expectedInputs: [{type: "text", languages: ["unk"]}]}),
          imageOutput: await LanguageModel.availability({expectedOutputs: [{type: "image"}]}),
          badType: (await outcome(LanguageModel.availability({expectedInputs: [{type: "soup"}]}))).ctor,
          badTag: (await outcome(LanguageModel.availability({expectedInputs: [{type: "text", languages: ["en-abc-invalid"]}]}))).ctor,
          modeAndTopK: await LanguageModel.availability({samplingMode: "creative", topK: 3}),
          params: "params" in LanguageModel,
        };
    """)
    assert got == {
        "plain": "available",
        "english": "available",
        "unknownLanguage": "unavailable",
        "imageOutput": "unavailable",
        "badType": "TypeError",
        "badTag": "RangeError",
        "modeAndTopK": "available",  # topK is ignored on web pages (test_prompt_rules.py)
        "params": False,  # sampling limits are for extension contexts only
    }


def test_create_validates_options_in_order(page):
    got = page.run("""
        const reject = async (options) => {
          const r = await outcome(LanguageModel.create(options));
          return r.ok ? "created" : r.ctor === "DOMException" ? r.name : r.ctor;
        };
        const schema = {type: "object", properties: {}};
        const tool = (over) => ({name: "t", description: "d", inputSchema: schema, ...over});
        const toolOut = {expectedOutputs: [{type: "tool-call"}]};
        const circular = {type: "object"}; circular.self = circular;
        const aborted = AbortSignal.abort(new Error("why"));
        return {
          systemNotFirst: await reject({initialPrompts: [{role: "user", content: "hi"}, {role: "system", content: "x"}]}),
          twoSystems: await reject({initialPrompts: [{role: "system", content: "a"}, {role: "system", content: "b"}]}),
          prefixInInitial: await reject({initialPrompts: [{role: "assistant", content: "a", prefix: true}]}),
          badRole: await reject({initialPrompts: [{role: "robot", content: "a"}]}),
          badTag: await reject({expectedInputs: [{type: "text", languages: ["en-abc-invalid"]}]}),
          canonicalTag: await reject({expectedInputs: [{type: "text", languages: ["EN"]}]}),
          unknownLanguage: await reject({expectedOutputs: [{type: "text", languages: ["unk"]}]}),
          badMode: await reject({samplingMode: "wild"}),
          modeAndTemperature: await reject({samplingMode: "creative", temperature: 0.5}),
          topKAndTemperatureIgnored: await reject({topK: 3, temperature: 0.6}),
          toolsWithoutToolCallOutput: await reject({tools: [tool()]}),
          toolNullSchema: await reject({...toolOut, tools: [tool({inputSchema: null})]}),
          toolSchemaNotObjectType: await reject({...toolOut, tools: [tool({inputSchema: {type: "string"}})]}),
          toolBadProperties: await reject({...toolOut, tools: [tool({inputSchema: {type: "object", properties: "x"}})]}),
          toolBadRequired: await reject({...toolOut, tools: [tool({inputSchema: {type: "object", required: "x"}})]}),
          toolEmptyName: await reject({...toolOut, tools: [tool({name: ""})]}),
          toolEmptyDescription: await reject({...toolOut, tools: [tool({description: ""})]}),
          toolDuplicate: await reject({...toolOut, tools: [tool(), tool()]}),
          toolCircular: await reject({...toolOut, tools: [tool({inputSchema: circular})]}),
          toolOk: await reject({...toolOut, tools: [tool()]}),
          preAborted: (await outcome(LanguageModel.create({signal: aborted}))).message,
          monitorNotFunction: await reject({monitor: 5}),
          monitorThrows: (await outcome(LanguageModel.create({monitor() { throw new Error("from monitor"); }}))).message,
        };
    """)
    assert got == {
        "systemNotFirst": "TypeError",
        "twoSystems": "TypeError",
        "prefixInInitial": "SyntaxError",
        "badRole": "TypeError",
        "badTag": "RangeError",
        "canonicalTag": "created",
        "unknownLanguage": "NotSupportedError",
        "badMode": "TypeError",
        "modeAndTemperature": "created",  # temperature is ignored on web pages, beside samplingMode too
        "topKAndTemperatureIgnored": "created",
        "toolsWithoutToolCallOutput": "TypeError",
        "toolNullSchema": "TypeError",
        "toolSchemaNotObjectType": "TypeError",
        "toolBadProperties": "TypeError",
        "toolBadRequired": "TypeError",
        "toolEmptyName": "TypeError",
        "toolEmptyDescription": "TypeError",
        "toolDuplicate": "TypeError",
        "toolCircular": "TypeError",
        "toolOk": "created",
        "preAborted": "why",
        "monitorNotFunction": "TypeError",
        "monitorThrows": "from monitor",
    }


def test_monitor_progress_events(page):
    got = page.run("""
        let created = false;
        const events = [];
        const session = await LanguageModel.create({monitor(m) {
          m.addEventListener("downloadprogress", (e) => events.push({
            loaded: e.loaded, total: e.total, computable: e.lengthComputable, late: created,
            isProgress: e instanceof ProgressEvent, step: e.loaded * 0x10000 === Math.floor(e.loaded * 0x10000),
          }));
        }});
        created = true;
        await new Promise((r) => setTimeout(r, 100));
        // Aborting when the last event arrives still rejects create() with the reason.
        const controller = new AbortController();
        const reason = new Error("stop at 1");
        const atOne = [];
        const late = LanguageModel.create({signal: controller.signal, monitor(m) {
          m.ondownloadprogress = (e) => { atOne.push(e.loaded); if (e.loaded === 1) controller.abort(reason); };
        }});
        const abortedAtOne = await outcome(late);
        return {events, sessionOk: session instanceof LanguageModel, atOne, abortedAtOne: abortedAtOne.message};
    """)
    events = got["events"]
    assert events[0]["loaded"] == 0 and events[-1]["loaded"] == 1
    assert all(e["total"] == 1 and e["computable"] and e["isProgress"] and e["step"] and not e["late"] for e in events)
    assert [e["loaded"] for e in events] == sorted({e["loaded"] for e in events})
    assert got["sessionOk"]
    assert got["atOne"] == [0, 1] and got["abortedAtOne"] == "stop at 1"


def test_prompt_stream_and_usage(page):
    got = page.run("""
        const s = await LanguageModel.create({initialPrompts: [{role: "system", content: "Be brief. "}]});
        const initialUsage = s.contextUsage;
        const first = await s.prompt("hello");
        const afterFirst = s.contextUsage;
        const chunks = await readAll(s.promptStreaming("again"));
        const afterStream = s.contextUsage;
        const coerced = [await s.prompt(null), await s.prompt({}), typeof await s.prompt([])];
        const parts = await s.prompt([{role: "user", content: [{type: "text", value: "a"}, {type: "text", value: "b"}]}]);
        const measured = await s.measureContextUsage("four");
        return {initialUsage, first, afterFirst, chunks, afterStream, coerced, parts, measured, unchanged: s.contextUsage === afterStream + 0,
                noArgs: (await outcome(s.prompt())).ctor, stream: Object.prototype.toString.call(s.promptStreaming("x"))};
    """)
    assert got["initialUsage"] == len("Be brief. ")
    assert got["first"] == PREAMBLE + "Be brief. hello"
    assert got["afterFirst"] == len("Be brief. ") + len("hello") + len(got["first"])
    assert "".join(got["chunks"]) == PREAMBLE + "again" and len(got["chunks"]) >= 2
    assert got["afterStream"] == got["afterFirst"] + len("again") + len(PREAMBLE + "again")
    assert got["coerced"] == [PREAMBLE + "null", PREAMBLE + "[object Object]", "string"]
    assert got["parts"] == PREAMBLE + "ab"
    assert got["measured"] == 4
    assert got["noArgs"] == "TypeError" and got["stream"] == "[object ReadableStream]"


def test_input_validation(page):
    got = page.run(r"""
        const s = await LanguageModel.create();
        const name = async (p) => { const r = await outcome(p); return r.ok ? "ok" : r.ctor === "DOMException" ? r.name : r.ctor; };
        return {
          prefixNotLast: await name(s.prompt([{role: "assistant", content: "x", prefix: true}, {role: "user", content: "y"}])),
          prefixOnUser: await name(s.prompt([{role: "user", content: "x", prefix: true}])),
          systemAfterFirst: await name(s.prompt([{role: "user", content: "x"}, {role: "system", content: "y"}])),
          assistantImage: await name(s.prompt([{role: "assistant", content: [{type: "image", value: new Blob()}]}])),
          undeclaredImage: await name(s.prompt([{role: "user", content: [{type: "image", value: new Blob()}]}])),
          textNotString: await name(s.prompt([{role: "user", content: [{type: "text", value: 5}]}])),
          badConstraint: await name(s.prompt("x", {responseConstraint: "a string"})),
          omitWithoutConstraint: await name(s.prompt("x", {omitResponseConstraintInput: true})),
          regexConstraint: await name(s.prompt("x", {responseConstraint: /ab+c/i})),
          schemaConstraint: await name(s.prompt("x", {responseConstraint: {type: "object"}, omitResponseConstraintInput: true})),
          unsupportedFormat: await name(s.prompt("x", {responseConstraint: {type: "string", format: "no-such-format"}})),
          unsupportedRegex: await name(s.prompt("x", {responseConstraint: /[\p{L}--\p{Lu}]/v})),
          unsatisfiable: await name(s.prompt("x", {responseConstraint: {type: "integer", minimum: 5, maximum: 1}})),
          prefixFill: await s.prompt([{role: "user", content: "Q"}, {role: "assistant", content: "{", prefix: true}]),
          systemFirstOnFresh: await name((await LanguageModel.create()).prompt([{role: "system", content: "s"}, {role: "user", content: "u"}])),
        };
    """)
    assert got == {
        "prefixNotLast": "SyntaxError",
        "prefixOnUser": "SyntaxError",
        "systemAfterFirst": "TypeError",
        "assistantImage": "NotSupportedError",
        "undeclaredImage": "NotSupportedError",
        # The value is a union with DOMString, so a number converts (media as text: test_multimodal.py).
        "textNotString": "ok",
        "badConstraint": "TypeError",
        "omitWithoutConstraint": "TypeError",
        "regexConstraint": "ok",
        "schemaConstraint": "ok",
        # Refused whichever provider serves the session (here the echo backend), as the browser
        # checks a constraint before its model sees it.
        "unsupportedFormat": "NotSupportedError",
        "unsupportedRegex": "NotSupportedError",
        "unsatisfiable": "SyntaxError",
        "prefixFill": PREAMBLE + "Q",
        "systemFirstOnFresh": "ok",
    }


def test_abort_before_and_during(page):
    got = page.run("""
        const s = await LanguageModel.create();
        const reason = new Error("mine");
        const pre = AbortSignal.abort(reason);
        const out = {};
        out.promptPre = (await outcome(s.prompt("x", {signal: pre}))).message;
        out.streamPreThrowsSync = syncOutcome(() => s.promptStreaming("x", {signal: pre})).message;
        out.appendPre = (await outcome(s.append("x", {signal: pre}))).message;
        out.clonePre = (await outcome(s.clone({signal: pre}))).message;
        const usage = s.contextUsage;
        let c = new AbortController();
        const during = s.prompt("x", {signal: c.signal});
        setTimeout(() => c.abort(reason), 20);
        out.promptDuring = (await outcome(during)).message;
        c = new AbortController();
        const plain = s.prompt("x", {signal: c.signal});
        setTimeout(() => c.abort(), 20);
        out.defaultReason = (await outcome(plain)).name;
        c = new AbortController();
        const stream = s.promptStreaming("x", {signal: c.signal});
        setTimeout(() => c.abort(reason), 20);
        out.streamDuring = (await outcome(readAll(stream))).message;
        const cancelled = s.promptStreaming("x");
        const reader = cancelled.getReader();
        await reader.cancel();
        out.usageKept = s.contextUsage === usage;
        out.stillUsable = await s.prompt("after");
        return out;
    """)
    assert got == {
        "promptPre": "mine",
        "streamPreThrowsSync": "mine",
        "appendPre": "mine",
        "clonePre": "mine",
        "promptDuring": "mine",
        "defaultReason": "AbortError",
        "streamDuring": "mine",
        "usageKept": True,
        "stillUsable": PREAMBLE + "after",
    }


def test_append_measure_and_clone(page):
    got = page.run("""
        const s = await LanguageModel.create({initialPrompts: [{role: "system", content: "sys"}]});
        const appended = await s.append([{role: "user", content: "more "}]);
        const afterAppend = s.contextUsage;
        const measured = await s.measureContextUsage("12345");
        const unchanged = s.contextUsage === afterAppend;
        const first = await s.prompt("go");
        const copy = await s.clone();
        const same = [copy.contextUsage === s.contextUsage, copy.contextWindow];
        const fromCopy = await copy.prompt("copy it");
        const original = await s.prompt("orig");
        return {appended, afterAppend, measured, unchanged, first, same, fromCopy, original,
                diverged: copy.contextUsage !== s.contextUsage, isModel: copy instanceof LanguageModel};
    """)
    assert got["appended"] is None
    assert got["afterAppend"] == len("sys") + len("more ")
    assert got["measured"] == 5 and got["unchanged"]
    assert got["first"] == PREAMBLE + "sysmore go"
    assert got["same"] == [True, 1000]
    # The clone has the history, so it echoes only what is new to it; both then grow apart.
    assert got["fromCopy"] == PREAMBLE + "copy it" and got["original"] == PREAMBLE + "orig"
    assert got["diverged"] and got["isModel"]


def test_overflow_evicts_and_quota_exceeded(page):
    got = page.run("""
        const s = await LanguageModel.create({initialPrompts: [{role: "system", content: "keep me"}]});
        let events = 0, legacy = 0, listened = 0;
        s.oncontextoverflow = () => events++;
        s.onquotaoverflow = () => legacy++;
        s.addEventListener("contextoverflow", () => listened++);
        const chunk = "x".repeat(300);
        const replies = [];
        for (let i = 0; i < 3; i++) replies.push((await s.prompt(chunk)).length);
        const usage = s.contextUsage;
        const tooBig = await s.prompt("y".repeat(1001)).catch((e) => ({
          name: e.name, code: e.code, requested: e.requested, quota: e.quota,
          isQuota: e instanceof QuotaExceededError, isDom: e instanceof DOMException,
        }));
        const measuredBig = await s.measureContextUsage("y".repeat(1001));
        return {events, legacy, listened, usage, window: s.contextWindow, tooBig, measuredBig, usageAfter: s.contextUsage,
                keepsSystem: (await s.clone()) instanceof LanguageModel};
    """)
    assert got["events"] >= 1 and got["legacy"] == got["events"] and got["listened"] == got["events"]
    assert len("keep me") < got["usage"] <= got["window"] == 1000
    assert got["tooBig"] == {
        "name": "QuotaExceededError",
        "code": 22,
        "requested": 1001 + len("keep me"),
        "quota": 1000,
        "isQuota": True,
        "isDom": True,
    }
    assert got["measuredBig"] == 1001 and got["usageAfter"] == got["usage"]


def test_destroy(page):
    got = page.run("""
        const s = await LanguageModel.create();
        await s.prompt("a");
        const usage = s.contextUsage;
        const inflight = s.prompt("b");
        s.destroy();
        const name = async (p) => (await outcome(p)).name;
        return {
          inflight: await name(inflight),
          prompt: await name(s.prompt("c")),
          append: await name(s.append("c")),
          measure: await name(s.measureContextUsage("c")),
          clone: await name(s.clone()),
          stream: syncOutcome(() => s.promptStreaming("c")).name,
          readable: [s.contextUsage === usage, s.contextWindow],
          again: syncOutcome(() => s.destroy()).ok,
        };
    """)
    assert got == {
        "inflight": "InvalidStateError",
        "prompt": "InvalidStateError",
        "append": "InvalidStateError",
        "measure": "InvalidStateError",
        "clone": "InvalidStateError",
        "stream": "InvalidStateError",
        "readable": [True, 1000],
        "again": True,
    }


def test_create_signal_later_destroys_session(page):
    got = page.run("""
        const controller = new AbortController();
        const s = await LanguageModel.create({signal: controller.signal});
        const reason = new Error("create aborted");
        const inflight = s.prompt("a");
        controller.abort(reason);
        return {inflight: (await outcome(inflight)).message, later: (await outcome(s.prompt("b"))).message};
    """)
    assert got == {"inflight": "create aborted", "later": "create aborted"}


def test_tools_open_loop(page):
    got = page.run("""
        const s = await LanguageModel.create({
          expectedInputs: [{type: "tool-response"}],
          expectedOutputs: [{type: "tool-call"}],
          tools: [
            {name: "get_weather", description: 'Weather. Args: {"location": "Seattle"}', inputSchema: {type: "object", properties: {location: {type: "string"}}}},
            {name: "clock", description: "Time. Args: {}", inputSchema: {type: "object"}},
          ],
        });
        const result = await s.prompt("<GenerateSimpleToolCalls>Weather and time?");
        const calls = toolCalls(result);
        const streamed = await readAll(s.promptStreaming("<GenerateMultipleToolCalls>again"));
        const success = await s.prompt([{role: "user", content: [{type: "tool-response",
          value: new LanguageModelToolSuccess({callID: calls[0].callID, name: "get_weather", result: [{type: "text", value: "rainy"}, {type: "text", value: {temp: 52}}]})}]}]);
        const failure = await s.prompt([{role: "user", content: [{type: "tool-response",
          value: new LanguageModelToolError({callID: calls[1].callID, name: "clock", errorMessage: "no clock"})}]}]);
        const name = async (p) => { const r = await outcome(p); return r.ctor === "DOMException" ? r.name : r.ctor; };
        const respond = (value) => s.prompt([{role: "user", content: [{type: "tool-response", value}]}]);
        const cloned = toolCalls(await (await s.clone()).prompt("<GenerateSimpleToolCalls>x")).length;
        return {
          first: result[0], calls,
          streamedTypes: streamed.map((c) => typeof c === "string" ? "text" : c.type),
          success, failure, cloned,
          plainObject: await name(respond({callID: "1", name: "clock", result: []})),
          functionValue: await name(respond(new LanguageModelToolSuccess({callID: "1", name: "clock", result: [{type: "text", value() {}}]}))),
          bigint: await name(respond(new LanguageModelToolSuccess({callID: "1", name: "clock", result: [{type: "text", value: 1n}]}))),
          imageResult: await name(respond(new LanguageModelToolSuccess({callID: "1", name: "clock", result: [{type: "image", value: new Blob()}]}))),
          undeclared: await name((await LanguageModel.create()).prompt([{role: "user", content: [{type: "tool-response", value: new LanguageModelToolError({callID: "1", name: "x", errorMessage: "e"})}]}])),
          noTools: typeof await (await LanguageModel.create({expectedOutputs: [{type: "tool-call"}]})).prompt("<GenerateSimpleToolCalls>hi"),
        };
    """)
    assert got["first"] == {"type": "text", "value": PREAMBLE + "Weather and time?"}
    assert got["calls"] == [
        {"callID": "call_1", "callId": "call_1", "name": "get_weather", "arguments": {"location": "Seattle"}, "isToolCall": True},
        {"callID": "call_2", "callId": "call_2", "name": "clock", "arguments": {}, "isToolCall": True},
    ]
    assert got["streamedTypes"] == ["text", "text", "tool-call", "tool-call"]
    assert (
        got["success"]
        == PREAMBLE + '<tool-response>{"callID": "call_1", "name": "get_weather", "result": ["rainy", "{\\"temp\\":52}"]}</tool-response>'
    )
    assert got["failure"] == PREAMBLE + '<tool-response>{"callID": "call_2", "name": "clock", "errorMessage": "no clock"}</tool-response>'
    assert got["cloned"] == 2
    assert got["plainObject"] == "TypeError" and got["functionValue"] == "DataError" and got["bigint"] == "DataError"
    assert got["imageResult"] == "NotSupportedError" and got["undeclared"] == "NotSupportedError"
    assert got["noTools"] == "string"


def test_calls_on_one_session_all_resolve_in_order(page):
    got = page.run("""
        const s = await LanguageModel.create();
        return await Promise.all([s.prompt("one"), s.prompt("two"), s.append("three"), s.prompt("four")]);
    """)
    assert got == [PREAMBLE + "one", PREAMBLE + "two", None, PREAMBLE + "threefour"]


FRAME = """
    const frame = document.createElement("iframe");
    frame.allow = ARGS[0];
    frame.src = location.origin.replace("127.0.0.1", "localhost") + "/prompt-api/frame.html";
    await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
    const answer = new Promise((resolve) => window.addEventListener("message", (e) => {
        if (e.source === frame.contentWindow && e.data?.report) resolve(e.data.report);
    }));
    frame.contentWindow.postMessage({probe: "prompt-api"}, "*");
    return await answer;
"""


def test_cross_origin_frame_needs_its_embedders_allow_or_the_users_delegation(page, browser, site):
    # Neither browser here can tell a page script a frame's policy for 'language-model' (Chromium
    # without its own Prompt API knows no such feature; Firefox has no policy interface), so a
    # cross-origin frame is the host's to refuse: it does, unless its embedder's <iframe allow>
    # delegates the feature (the extension reads the attribute) or the user lets this top-level
    # site delegate navllm to the frame's origin (permissions-policy.js says why).
    denied = {"availability": "unavailable", "create": "NotAllowedError"}
    allowed = {"availability": "available", "create": "ok"}
    policy = {"knows": False, "allows": False} if browser.kind == "chromium" else None
    browser.grant(site.origin("localhost"), top_origin=site.origin())  # the user allowed the frame when asked
    for allow, expected in (("", denied), ("summarizer", denied), ("language-model", allowed)):
        assert page.goto(site.url(PAGE)).run(FRAME, allow) == {**expected, "policy": policy}, allow
    browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"))
    try:
        for allow in ("language-model", ""):
            assert page.goto(site.url(PAGE)).run(FRAME, allow) == {**allowed, "policy": policy}
    finally:
        browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"), allowed=False)


def test_calls_keep_their_order_even_when_one_carries_an_image(page):
    got = page.run("""
        const s = await LanguageModel.create({expectedInputs: [{type: "image"}]});
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 256;
        canvas.getContext("2d").fillRect(0, 0, 256, 256);
        const image = [{role: "user", content: [{type: "text", value: "pic"}, {type: "image", value: canvas}]}];
        // Echo replies with everything since its last reply, so the order shows in the text.
        return await Promise.all([s.append(image), s.prompt("text")]);
    """)
    assert got == [None, PREAMBLE + "pic<image>text"]
