"""The task APIs' shape and the checks that need no model: what the IDL declares, WebIDL
conversions (TypeError), language tags (RangeError), in the specifications' order."""

from __future__ import annotations

import pytest

APIS = ["Summarizer", "Writer", "Rewriter", "Proofreader", "Translator", "LanguageDetector"]

METHODS = {
    "Summarizer": ["summarize", "summarizeStreaming", "measureInputUsage", "destroy"],
    "Writer": ["write", "writeStreaming", "measureInputUsage", "destroy"],
    "Rewriter": ["rewrite", "rewriteStreaming", "measureInputUsage", "destroy"],
    "Proofreader": ["proofread", "measureInputUsage", "destroy"],
    "Translator": ["translate", "translateStreaming", "measureInputUsage", "destroy"],
    "LanguageDetector": ["detect", "measureInputUsage", "destroy"],
}


def test_globals_are_navllms(page):
    got = page.run(
        """
        const names = ARGS[0];
        return Object.fromEntries(names.map((name) => {
          const api = window[name];
          const d = Object.getOwnPropertyDescriptor(window, name);
          return [name, {
            type: typeof api, ours: !Function.prototype.toString.call(api).includes("[native code]"),
            writable: d.writable, enumerable: d.enumerable, configurable: d.configurable,
            statics: [typeof api.create, typeof api.availability, api.create.length, api.availability.length],
            illegal: syncOutcome(() => new api()).ctor,
            tag: Object.prototype.toString.call(api.prototype),
            plainChain: Object.getPrototypeOf(api.prototype) === Object.getPrototypeOf(Object.getPrototypeOf(api)),
          }];
        }).concat([["CreateMonitor", {type: typeof CreateMonitor, illegal: syncOutcome(() => new CreateMonitor()).ctor}]]));
    """,
        APIS,
    )
    for name in APIS:
        required = 1 if name == "Translator" else 0
        assert got[name] == {
            "type": "function",
            "ours": True,
            "writable": True,
            "enumerable": False,
            "configurable": True,
            "statics": ["function", "function", required, required],
            "illegal": "TypeError",
            "tag": f"[object {name}]",
            "plainChain": True,
        }, name
    assert got["CreateMonitor"] == {"type": "function", "illegal": "TypeError"}


@pytest.mark.parametrize("name", APIS)
def test_prototype_members(page, name):
    got = page.run(
        """
        const proto = window[ARGS[0]].prototype;
        const members = Object.getOwnPropertyNames(proto).filter((k) => k !== "constructor");
        return {
          methods: members.filter((k) => typeof Object.getOwnPropertyDescriptor(proto, k).value === "function").sort(),
          attributes: members.filter((k) => Object.getOwnPropertyDescriptor(proto, k).get).sort(),
          lengths: Object.fromEntries(members.map((k) => [k, Object.getOwnPropertyDescriptor(proto, k).value])
            .filter(([, v]) => typeof v === "function").map(([k, v]) => [k, v.length])),
          brand: syncOutcome(() => Object.getOwnPropertyDescriptor(proto, "inputQuota").get.call({})).ctor,
        };
    """,
        name,
    )
    attributes = {
        "Summarizer": [
            "sharedContext",
            "type",
            "format",
            "length",
            "preference",
            "expectedInputLanguages",
            "expectedContextLanguages",
            "outputLanguage",
        ],
        "Writer": ["sharedContext", "tone", "format", "length", "expectedInputLanguages", "expectedContextLanguages", "outputLanguage"],
        "Rewriter": ["sharedContext", "tone", "format", "length", "expectedInputLanguages", "expectedContextLanguages", "outputLanguage"],
        "Proofreader": [
            "includeCorrectionTypes",
            "includeCorrectionExplanations",
            "expectedInputLanguages",
            "correctionExplanationLanguage",
        ],
        "Translator": ["sourceLanguage", "targetLanguage"],
        "LanguageDetector": ["expectedInputLanguages"],
    }[name]
    assert got["methods"] == sorted(METHODS[name])
    assert got["attributes"] == sorted([*attributes, "inputQuota"])
    assert got["lengths"] == {m: 0 if m == "destroy" else 1 for m in METHODS[name]}
    assert got["brand"] == "TypeError"


@pytest.mark.parametrize("name", APIS)
def test_option_errors_in_order(page, name):
    got = page.run(
        """
        const name = ARGS[0];
        const api = window[name];
        const base = APIS[name].options;
        const both = (extra) => Promise.all([nameOf(api.availability({...base, ...extra})), nameOf(api.create({...base, ...extra}))]);
        const aborted = AbortSignal.abort(new Error("why"));
        const tagKey = name === "Translator" ? "sourceLanguage" : "expectedInputLanguages";
        const badTag = name === "Translator" ? "en-abc-invalid" : ["en-abc-invalid"];
        return {
          notObject: await nameOf(api.create(5)),
          badEnum: APIS[name].badEnum ? await both(APIS[name].badEnum) : null,
          badTag: await both({[tagKey]: badTag}),
          // A bad enum is a conversion error: it wins over a bad tag.
          enumBeforeTag: APIS[name].badEnum ? await both({...APIS[name].badEnum, [tagKey]: badTag}) : null,
          notSequence: name === "Translator" ? null : await both({expectedInputLanguages: 5}),
          symbolTag: await both({[tagKey]: name === "Translator" ? Symbol("x") : [Symbol("x")]}),
          badSignal: await nameOf(api.create({...base, signal: "no"})),
          badMonitor: await nameOf(api.create({...base, monitor: 5})),
          // The tags are checked before the signal, the signal before the monitor runs.
          tagBeforeSignal: await nameOf(api.create({...base, [tagKey]: badTag, signal: aborted})),
          preAborted: (await outcome(api.create({...base, signal: aborted}))).message,
          abortedBeforeMonitor: await (async () => {
            let called = false;
            const r = await outcome(api.create({...base, signal: aborted, monitor() { called = true; }}));
            return [r.message, called];
          })(),
          monitorThrows: (await outcome(api.create({...base, monitor() { throw new Error("from monitor"); }}))).message,
          missingRequired: name === "Translator" ? [await nameOf(api.create({sourceLanguage: "en"})), await nameOf(api.availability())] : null,
        };
    """,
        name,
    )
    has_enum = name in ("Summarizer", "Writer", "Rewriter")
    assert got == {
        "notObject": "TypeError",
        "badEnum": ["TypeError", "TypeError"] if has_enum else None,
        "badTag": ["RangeError", "RangeError"],
        "enumBeforeTag": ["TypeError", "TypeError"] if has_enum else None,
        "notSequence": None if name == "Translator" else ["TypeError", "TypeError"],
        "symbolTag": ["TypeError", "TypeError"],
        "badSignal": "TypeError",
        "badMonitor": "TypeError",
        "tagBeforeSignal": "RangeError",
        "preAborted": "why",
        "abortedBeforeMonitor": ["why", False],
        "monitorThrows": "from monitor",
        "missingRequired": ["TypeError", "TypeError"] if name == "Translator" else None,
    }
