"""The Prompt API surfaces on the real local model: behaviour that must hold for any model."""

from __future__ import annotations

import json

LOCAL_MODEL = True


def test_streamed_deltas_make_the_full_reply_and_clones_are_independent(page):
    got = page.run("""
        const s = await navigator.llm.createSession({systemPrompt: "You are terse.", temperature: 0, topK: 1, maxTokens: 24});
        const copy = await s.clone();
        const usageBefore = s.contextUsage;
        const whole = await s.generate({prompt: "Name three colours."});
        const afterWhole = s.contextUsage;
        const chunks = await readAll(copy.generateStreaming({prompt: "Name three colours."}));
        return {whole, chunks, usageBefore, afterWhole, originalUntouched: s.contextUsage === afterWhole,
                copyGrew: copy.contextUsage > usageBefore, provider: (await navigator.llm.models()).map((m) => m.provider)};
    """)
    # Greedy decoding from the same history: the streamed deltas join to the same reply.
    assert got["whole"] and "".join(got["chunks"]) == got["whole"]
    assert len(got["chunks"]) > 1
    assert got["afterWhole"] > got["usageBefore"] and got["originalUntouched"] and got["copyGrew"]


def test_abort_mid_stream_keeps_the_session(page):
    got = page.run("""
        const s = await LanguageModel.create({samplingMode: "most-predictable"});
        const usage = s.contextUsage;
        const controller = new AbortController();
        const reason = new Error("enough");
        const reader = s.promptStreaming("Count from 1 to 500, one number per line.", {signal: controller.signal}).getReader();
        const first = await reader.read();
        const second = await reader.read();
        controller.abort(reason);
        const after = await outcome(reader.read());
        return {first: typeof first.value, second: typeof second.value, after: after.message,
                usageKept: s.contextUsage === usage, measured: await s.measureContextUsage("hello"),
                window: s.contextWindow};
    """)
    assert got["first"] == "string" and got["second"] == "string"
    assert got["after"] == "enough" and got["usageKept"]
    assert got["measured"] > 0 and got["window"] > 1000


def test_structured_output_through_the_prompt_api(page):
    got = page.run("""
        const s = await LanguageModel.create();
        const schema = {type: "object", required: ["Rating"], additionalProperties: false,
                        properties: {Rating: {type: "number", minimum: 0, maximum: 5}}};
        const json = await s.prompt("Rate 'the food was great' from 0 to 5.", {responseConstraint: schema});
        const word = await s.prompt("Is Paris in France? Answer yes or no.", {responseConstraint: /^(yes|no)$/});
        return {json, word};
    """)
    rating = json.loads(got["json"])
    assert list(rating) == ["Rating"] and 0 <= rating["Rating"] <= 5
    assert got["word"] in ("yes", "no")


def test_context_usage_is_zero_until_something_is_given(page):
    got = page.run("""
        const fresh = await LanguageModel.create();
        const initialPrompts = [{role: "system", content: "You are terse."}, {role: "user", content: "Hi."}];
        const seeded = await LanguageModel.create({initialPrompts});
        const before = fresh.contextUsage;
        await fresh.append("Hello there.");
        return {before, after: fresh.contextUsage, measured: await fresh.measureContextUsage("Hello there."),
                seeded: seeded.contextUsage, seededMeasured: await seeded.measureContextUsage(initialPrompts)};
    """)
    # An empty history renders a few template tokens, but nothing has been given yet.
    assert got["before"] == 0
    # Once given, usage is the history as the model renders it, which measureContextUsage gives too.
    assert got["after"] == got["measured"] > 0
    assert got["seeded"] == got["seededMeasured"] > 0
