"""Prompt API rules the polyfill and the host keep together, in real browsers on the echo
backend: where a system message may go, what a new session's contextUsage is, and the
deprecated sampling parameters."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("kind", ["prompt", "append"])
def test_a_system_message_may_only_open_the_history(page, kind):
    got = page.run(
        """
        const kind = ARGS[0];
        const name = async (call) => {
          try { await call(); return "ok"; } catch (e) { return e instanceof DOMException ? e.name : e.constructor.name; }
        };
        const call = (s, input) => kind === "prompt" ? s.prompt(input) : s.append(input);
        const sys = (content) => ({role: "system", content});
        const fresh = await LanguageModel.create();
        const out = {
          afterUser: await name(() => call(fresh, [{role: "user", content: "u"}, sys("s")])),
          twoSystems: await name(() => call(fresh, [sys("a"), sys("b")])),
          firstOnFresh: await name(() => call(fresh, [sys("s"), {role: "user", content: "u"}])),
          afterHistory: await name(() => call(fresh, [sys("again")])),
        };
        // Refused at once, before anything is sent, when the session has initial prompts.
        const seeded = await LanguageModel.create({initialPrompts: [{role: "user", content: "initial"}]});
        let sync = "returned";
        try { call(seeded, [sys("s")]).catch(() => {}); } catch (e) { sync = "threw"; }
        out.afterInitialPrompts = await name(() => call(seeded, [sys("s")]));
        out.afterSystemInitial = await name(async () => call(await LanguageModel.create({initialPrompts: [sys("rules")]}), [sys("more")]));
        out.sync = sync;
        // A call still queued counts: by the time this one runs, the history holds the first.
        const queued = await LanguageModel.create();
        const first = call(queued, {role: "system", content: "an object, so a user message"});
        out.afterQueued = await name(() => call(queued, [sys("s")]));
        out.queuedItself = await name(() => first);
        out.streamed = kind === "prompt" ? await name(async () => {
          for await (const _ of queued.promptStreaming([sys("s")])) { /* nothing arrives */ }
        }) : "n/a";
        // measureContextUsage changes no history: a system message may open its input.
        out.measure = await name(() => queued.measureContextUsage([sys("s")]));
        out.stillUsable = await name(() => call(queued, "user text"));
        return out;
    """,
        kind,
    )
    assert got == {
        "afterUser": "TypeError",
        "twoSystems": "TypeError",
        "firstOnFresh": "ok",
        "afterHistory": "TypeError",
        "afterInitialPrompts": "TypeError",
        "afterSystemInitial": "TypeError",
        "sync": "returned",
        "afterQueued": "TypeError",
        "queuedItself": "ok",
        "streamed": "TypeError" if kind == "prompt" else "n/a",
        "measure": "ok",
        "stillUsable": "ok",
    }


def test_sampling_parameters_are_deprecated_on_web_pages(page):
    got = page.run("""
        const describe = (s) => [typeof s.topK, typeof s.temperature, s.samplingMode];
        const name = (p) => p.then(() => "created", (e) => e instanceof DOMException ? e.name : e.constructor.name);
        const warned = [];
        const warn = console.warn;
        console.warn = (...args) => warned.push(String(args[0]));
        try {
          return {
            params: "params" in LanguageModel,
            given: describe(await LanguageModel.create({topK: 3, temperature: 0.5})),
            // Checked and clamped only where they are honoured (extension contexts): here ignored.
            outOfRange: describe(await LanguageModel.create({topK: -1, temperature: -5})),
            warned: warned.some((w) => w.includes("topK and temperature are ignored")),
            // Beside samplingMode too they are ignored (refusing them is for extension contexts).
            withMode: describe(await LanguageModel.create({samplingMode: "creative", topK: 2, temperature: 0.1})),
            availabilityWithMode: await LanguageModel.availability({samplingMode: "creative", temperature: 1}),
            mode: describe(await LanguageModel.create({samplingMode: "most-predictable"})),
          };
        } finally {
          console.warn = warn;
        }
    """)
    assert got == {
        "params": False,
        "given": ["undefined", "undefined", "balanced"],
        "outOfRange": ["undefined", "undefined", "balanced"],
        "warned": True,
        "withMode": ["undefined", "undefined", "creative"],
        "availabilityWithMode": "available",
        "mode": ["undefined", "undefined", "most-predictable"],
    }


def test_context_usage_starts_at_zero_or_at_the_initial_prompts(page):
    got = page.run("""
        const fresh = await LanguageModel.create();
        const initialPrompts = [{role: "system", content: "rules"}, {role: "user", content: "hi"}];
        const seeded = await LanguageModel.create({initialPrompts});
        return {fresh: fresh.contextUsage, seeded: seeded.contextUsage, measured: await seeded.measureContextUsage(initialPrompts)};
    """)
    assert got == {"fresh": 0, "seeded": len("ruleshi"), "measured": len("ruleshi")}
