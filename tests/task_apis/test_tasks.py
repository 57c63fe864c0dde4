"""The task APIs end to end on the echo backend, in Chromium and Firefox: availability, create
with its monitor, calls and their streaming variants, measureInputUsage and inputQuota, aborts,
destroy, QuotaExceededError, user activation, refused pages and cross-origin frames.

The echo backend answers as Chromium's test mocks do: the writing assistance APIs echo their
input after a preamble, the Translator returns it unchanged, the Proofreader gets the preamble
before its input back, as one correction, and the LanguageDetector detects for real. Usage is counted in characters."""

from __future__ import annotations

import pytest

from tests.task_apis.conftest import PAGE, activate

APIS = ["Summarizer", "Writer", "Rewriter", "Proofreader", "Translator", "LanguageDetector"]
WRITING = {"Summarizer", "Writer", "Rewriter"}
STREAMING = WRITING | {"Translator"}
UNCHANGED_WHEN_BLANK = {"Rewriter", "Translator"}
ECHO = "Model not available in Chromium\n"
TEXT = "The quick brown fox jumps over the lazy dog, and the dog does not mind at all."


def expected(name: str, text: str):
    if name in WRITING:
        return ECHO + text
    if name == "Translator":
        return text
    if name == "Proofreader":
        # Chromium's echo proofreader puts the preamble before the input: one correction, which
        # joins the first word (types asked for by the test page's options).
        word = text.split(" ")[0]
        return {
            "correctedInput": ECHO + text,
            "corrections": [{"startIndex": 0, "endIndex": len(word), "correction": ECHO + word, "types": ["missing-words"]}],
        }
    return None  # LanguageDetector: checked on its own


@pytest.fixture
def ready(page):
    """The test page after a click: creating from "downloadable" needs user activation."""
    activate(page)
    return page


@pytest.mark.parametrize("name", APIS)
def test_availability(page, name):
    got = page.run(
        """
        const name = ARGS[0];
        const api = window[name];
        const base = APIS[name].options;
        const unknown = name === "Translator" ? {targetLanguage: "unk"} : {expectedInputLanguages: ["unk"]};
        const canonical = name === "Translator" ? {sourceLanguage: "EN"} : {expectedInputLanguages: ["EN", "en"]};
        return {
          plain: await api.availability(base),
          canonical: await api.availability({...base, ...canonical}),
          unknownLanguage: await api.availability({...base, ...unknown}),
        };
    """,
        name,
    )
    assert got["plain"] in ("available", "downloadable")
    assert got["canonical"] == got["plain"]
    assert got["unknownLanguage"] == "unavailable"


@pytest.mark.parametrize("name", APIS)
def test_create_monitor_and_attributes(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        let created = false;
        const events = [];
        const instance = await createApi(name, {monitor(m) {
          m.addEventListener("downloadprogress", (e) => events.push({
            loaded: e.loaded, total: e.total, computable: e.lengthComputable, late: created,
            isProgress: e instanceof ProgressEvent, step: e.loaded * 0x10000 === Math.floor(e.loaded * 0x10000),
          }));
          m.ondownloadprogress = () => {};
        }});
        created = true;
        await new Promise((r) => setTimeout(r, 100));
        const proto = Object.getPrototypeOf(instance);
        const attrs = Object.fromEntries(Object.getOwnPropertyNames(proto)
          .filter((k) => Object.getOwnPropertyDescriptor(proto, k).get)
          .map((k) => [k, instance[k]]));
        const langs = name === "Translator" ? {sourceLanguage: "EN", targetLanguage: "ja-jp"}
          : {expectedInputLanguages: ["EN", "en", "es-es"], ...(name in {Summarizer: 1, Writer: 1, Rewriter: 1}
              ? {expectedContextLanguages: ["en"], outputLanguage: "EN-us"} : {})};
        const withLangs = await createApi(name, langs);
        const list = withLangs[name === "Translator" ? "sourceLanguage" : "expectedInputLanguages"];
        // Aborting when the last event arrives still rejects create() with the reason.
        const controller = new AbortController();
        const atOne = [];
        const abortedAtOne = await outcome(createApi(name, {signal: controller.signal, monitor(m) {
          m.ondownloadprogress = (e) => { atOne.push(e.loaded); if (e.loaded === 1) controller.abort(new Error("stop at 1")); };
        }}));
        // ...and at the first: no event follows the abort.
        const atZeroController = new AbortController();
        const atZero = [];
        const abortedAtZero = await outcome(createApi(name, {signal: atZeroController.signal, monitor(m) {
          m.addEventListener("downloadprogress", (e) => { atZero.push(e.loaded); if (e.loaded === 0) atZeroController.abort(new Error("stop at 0")); });
        }}));
        await new Promise((r) => setTimeout(r, 300));
        return {events, attrs, isInstance: instance instanceof window[name], atZero, abortedAtZero: abortedAtZero.message,
                langs: name === "Translator" ? [withLangs.sourceLanguage, withLangs.targetLanguage] : list,
                frozen: name === "Translator" ? true : Object.isFrozen(list),
                context: name in {Summarizer: 1, Writer: 1, Rewriter: 1} ? [withLangs.expectedContextLanguages, withLangs.outputLanguage] : null,
                atOne, abortedAtOne: abortedAtOne.message};
    """,
        name,
    )
    events = got["events"]
    assert len(events) >= 2 and events[0]["loaded"] == 0 and events[-1]["loaded"] == 1
    assert all(e["total"] == 1 and e["computable"] and e["isProgress"] and e["step"] and not e["late"] for e in events)
    assert [e["loaded"] for e in events] == sorted({e["loaded"] for e in events})
    assert got["isInstance"]
    attrs = got["attrs"]
    assert isinstance(attrs.pop("inputQuota"), (int, float))
    assert (
        attrs
        == {
            "Summarizer": {
                "sharedContext": "",
                "type": "tldr",
                "format": "plain-text",
                "length": "medium",
                "preference": "speed",
                "expectedInputLanguages": None,
                "expectedContextLanguages": None,
                "outputLanguage": None,
            },
            "Writer": {
                "sharedContext": "",
                "tone": "formal",
                "format": "plain-text",
                "length": "long",
                "expectedInputLanguages": None,
                "expectedContextLanguages": None,
                "outputLanguage": None,
            },
            "Rewriter": {
                "sharedContext": "",
                "tone": "more-casual",
                "format": "markdown",
                "length": "shorter",
                "expectedInputLanguages": None,
                "expectedContextLanguages": None,
                "outputLanguage": None,
            },
            "Proofreader": {
                "includeCorrectionTypes": True,
                "includeCorrectionExplanations": False,
                "expectedInputLanguages": None,
                "correctionExplanationLanguage": None,
            },
            "Translator": {"sourceLanguage": "en", "targetLanguage": "es"},
            "LanguageDetector": {"expectedInputLanguages": None},
        }[name]
    )
    assert got["langs"] == (["en", "ja-JP"] if name == "Translator" else ["en", "es-ES"])
    assert got["frozen"]
    assert got["context"] == ([["en"], "en-US"] if name in WRITING else None)
    assert got["atOne"] == [0, 1] and got["abortedAtOne"] == "stop at 1"
    assert got["atZero"] == [0] and got["abortedAtZero"] == "stop at 0"


@pytest.mark.parametrize("name", APIS)
def test_defaults(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        const instance = await window[name].create(name === "Translator" ? {sourceLanguage: "en", targetLanguage: "es"} : undefined);
        return Object.fromEntries(["type", "tone", "format", "length", "preference", "includeCorrectionTypes", "expectedInputLanguages"]
          .filter((k) => k in instance).map((k) => [k, instance[k]]));
    """,
        name,
    )
    assert (
        got
        == {
            "Summarizer": {
                "type": "key-points",
                "format": "markdown",
                "length": "short",
                "preference": "auto",
                "expectedInputLanguages": None,
            },
            "Writer": {"tone": "neutral", "format": "markdown", "length": "short", "expectedInputLanguages": None},
            "Rewriter": {"tone": "as-is", "format": "as-is", "length": "as-is", "expectedInputLanguages": None},
            "Proofreader": {"includeCorrectionTypes": False, "expectedInputLanguages": None},
            "Translator": {},
            "LanguageDetector": {"expectedInputLanguages": None},
        }[name]
    )


@pytest.mark.parametrize("name", APIS)
def test_call_and_stream(ready, name):
    got = ready.run(
        """
        const [name, text] = ARGS;
        const {call, stream} = APIS[name];
        const instance = await createApi(name);
        const out = {result: await instance[call](text)};
        out.empty = await instance[call]("");
        out.blank = await instance[call]("  \\n \\x01");
        out.blankStream = stream ? await readAll(instance[stream]("  \\n \\x01")) : null;
        out.noInput = await nameOf(instance[call]());
        out.coerced = name === "LanguageDetector" ? null : await instance[call](null);
        if (stream) {
          const s = instance[stream](text);
          out.streamType = Object.prototype.toString.call(s);
          out.chunks = await readAll(s);
          out.emptyStream = await readAll(instance[stream](""));
          out.streamNoInput = syncOutcome(() => instance[stream]()).ctor;
        }
        if (name in {Summarizer: 1, Writer: 1, Rewriter: 1}) {
          out.withContext = typeof await instance[call](text, {context: "Some context."});
          // The context counts against the quota with the input.
          out.contextMeasured = (await instance.measureInputUsage(text, {context: "Some context."})) - (await instance.measureInputUsage(text));
          out.symbolContext = await nameOf(instance[call](text, {context: Symbol("c")}));
        }
        return out;
    """,
        name,
        TEXT,
    )
    if name == "LanguageDetector":
        results = got["result"]
        assert results[0]["detectedLanguage"] == "en"
        assert results[-1]["detectedLanguage"] == "und" and results[-1]["confidence"] > 0
        confidences = [r["confidence"] for r in results]
        assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1 + 1e-9
        assert got["empty"] == got["blank"] == [{"detectedLanguage": "und", "confidence": 1}]
    else:
        assert got["result"] == expected(name, TEXT)
        # Blank input resolves without a corrections member, as in Chromium.
        empty = {"correctedInput": ""} if name == "Proofreader" else ""
        assert got["empty"] == empty
        # Whitespace alone: nothing to summarise or write from, and nothing to rewrite (the
        # Rewriter gives it back unchanged, as the Translator does).
        blank = "  \n \x01"
        assert got["blank"] == ({"correctedInput": blank} if name == "Proofreader" else blank if name in UNCHANGED_WHEN_BLANK else "")
        assert got["coerced"] == expected(name, "null")
    assert got["noInput"] == "TypeError"
    if name in STREAMING:
        assert got["streamType"] == "[object ReadableStream]"
        assert "".join(got["chunks"]) == expected(name, TEXT) and all(isinstance(c, str) and c for c in got["chunks"])
        assert got["emptyStream"] == [] and got["streamNoInput"] == "TypeError"
        assert got["blankStream"] == (["  \n \x01"] if name in UNCHANGED_WHEN_BLANK else [])
    if name in WRITING:
        assert got["withContext"] == "string" and got["contextMeasured"] > 0 and got["symbolContext"] == "TypeError"


@pytest.mark.parametrize("name", APIS)
def test_measure_and_quota(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        const {call} = APIS[name];
        const instance = await createApi(name);
        const quota = instance.inputQuota;
        const measured = await instance.measureInputUsage("12345");
        // The LanguageDetector reads a bounded prefix: its quota is the largest input a request carries.
        const big = "y".repeat(name === "LanguageDetector" ? 2000 : quota + 1);
        const tooBig = name === "LanguageDetector" ? null : await instance[call](big).then((v) => ({ok: true}), (e) => ({
          name: e.name, code: e.code, requested: e.requested, quota: e.quota,
          isQuota: e instanceof QuotaExceededError, isDom: e instanceof DOMException, ctor: e.constructor === window.QuotaExceededError,
        }));
        const measuredBig = await instance.measureInputUsage(big);
        const shared = name in {Summarizer: 1, Writer: 1, Rewriter: 1}
          ? (await createApi(name, {sharedContext: "shared context"})) : null;
        return {quota, measured, tooBig, measuredBig, bigLength: big.length,
                sharedQuota: shared && shared.inputQuota, sharedContext: shared && shared.sharedContext,
                still: typeof await instance[call]("after")};
    """,
        name,
    )
    assert got["quota"] > 0 and got["measured"] >= 0
    if name == "LanguageDetector":
        assert got["tooBig"] is None and got["measuredBig"] <= got["quota"]
        return
    assert got["tooBig"] == {
        "name": "QuotaExceededError",
        "code": 22,
        "requested": got["measuredBig"],
        "quota": got["quota"],
        "isQuota": True,
        "isDom": True,
        "ctor": True,
    }
    assert got["measuredBig"] > got["quota"]
    if name in WRITING:
        assert got["sharedContext"] == "shared context" and got["sharedQuota"] < got["quota"]
    assert got["still"] in ("string", "object")


@pytest.mark.parametrize("name", APIS)
def test_abort_before_and_during(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        const {call, stream} = APIS[name];
        const instance = await createApi(name);
        const reason = new Error("mine");
        const pre = AbortSignal.abort(reason);
        const out = {};
        out.callPre = (await outcome(instance[call]("x", {signal: pre}))).message;
        out.measurePre = (await outcome(instance.measureInputUsage("x", {signal: pre}))).message;
        out.emptyPre = (await outcome(instance[call]("", {signal: pre}))).message;
        // Echo answers after 150 ms; language detection needs no model and answers at once,
        // so its calls are aborted as soon as they are sent.
        const later = (fn) => (name === "LanguageDetector" ? fn() : setTimeout(fn, 20));
        let c = new AbortController();
        const during = instance[call]("some words here", {signal: c.signal});
        later(() => c.abort(reason));
        out.callDuring = (await outcome(during)).message;
        c = new AbortController();
        const plain = instance[call]("some words here", {signal: c.signal});
        later(() => c.abort());
        out.defaultReason = (await outcome(plain)).name;
        out.badSignal = await nameOf(instance[call]("x", {signal: {}}));
        if (stream) {
          out.streamPreThrowsSync = syncOutcome(() => instance[stream]("x", {signal: pre})).message;
          c = new AbortController();
          const s = instance[stream]("some words here", {signal: c.signal});
          setTimeout(() => c.abort(reason), 20);
          out.streamDuring = (await outcome(readAll(s))).message;
          const cancelled = instance[stream]("some words here");
          await cancelled.getReader().cancel();
        }
        out.stillUsable = typeof await instance[call]("after");
        return out;
    """,
        name,
    )
    assert got["callPre"] == got["measurePre"] == got["emptyPre"] == "mine"
    assert got["callDuring"] == "mine" and got["defaultReason"] == "AbortError" and got["badSignal"] == "TypeError"
    if name in STREAMING:
        assert got["streamPreThrowsSync"] == "mine" and got["streamDuring"] == "mine"
    assert got["stillUsable"] in ("string", "object")


@pytest.mark.parametrize("name", APIS)
def test_destroy(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        const {call, stream} = APIS[name];
        const instance = await createApi(name);
        const quota = instance.inputQuota;
        const inflight = instance[call]("some words here");
        const measuring = instance.measureInputUsage("some words here");
        instance.destroy();
        const err = async (p) => { const r = await outcome(p); return [r.ctor, r.name]; };
        return {
          inflight: await err(inflight),
          measuring: await err(measuring),
          later: await err(instance[call]("again")),
          empty: await err(instance[call]("")),
          measure: await err(instance.measureInputUsage("again")),
          stream: stream ? (({ctor, name}) => [ctor, name])(syncOutcome(() => instance[stream]("x"))) : null,
          readable: instance.inputQuota === quota,
          again: syncOutcome(() => instance.destroy()).ok,
        };
    """,
        name,
    )
    abort = ["DOMException", "AbortError"]
    assert got == {
        "inflight": abort,
        "measuring": abort,
        "later": abort,
        "empty": abort,
        "measure": abort,
        "stream": abort if name in STREAMING else None,
        "readable": True,
        "again": True,
    }


@pytest.mark.parametrize("name", APIS)
def test_create_signal_later_destroys(ready, name):
    got = ready.run(
        """
        const name = ARGS[0];
        const {call} = APIS[name];
        const controller = new AbortController();
        const instance = await createApi(name, {signal: controller.signal});
        const reason = new Error("create aborted");
        const inflight = instance[call]("some words here");
        controller.abort(reason);
        return {inflight: (await outcome(inflight)).message, later: (await outcome(instance[call]("b"))).message,
                measure: (await outcome(instance.measureInputUsage("b"))).message};
    """,
        name,
    )
    assert got == {"inflight": "create aborted", "later": "create aborted", "measure": "create aborted"}


PROBE = """
    const [api, options] = ARGS;
    const frame = document.createElement("iframe");
    frame.src = location.origin + "/task-apis/frame.html";
    await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
    const win = frame.contentWindow;
    // A new frame has no user activation of its own.
    const before = await win[api].availability(options);
    const r = await outcome(win[api].create(options));
    return {before, create: r.ok ? "ok" : r.name, active: win.navigator.userActivation?.isActive ?? null};
"""


@pytest.mark.parametrize("name", APIS)
def test_activation_needed_only_to_download(page, name):
    got = page.run(PROBE, name, {"sourceLanguage": "en", "targetLanguage": "ja"} if name == "Translator" else {})
    assert got["active"] in (False, None)
    if got["before"] == "downloadable":
        assert got["create"] == "NotAllowedError"
        activate(page)
        created = page.run(
            "return await nameOf(createApi(ARGS[0], ARGS[1]));", name, {"targetLanguage": "ja"} if name == "Translator" else {}
        )
        assert created == "ok"
        got = page.run(PROBE, name, {"sourceLanguage": "en", "targetLanguage": "ja"} if name == "Translator" else {})
    # Once downloaded, nothing needs activation.
    assert got["before"] == "available" and got["create"] == "ok"


# What a page outside the user's grants sees: availability(), then create() after a click.
AVAILABILITY_AND_CREATE = """
    const name = ARGS[0];
    return {availability: await window[name].availability(APIS[name].options), create: await nameOf(createApi(name))};
"""


@pytest.mark.parametrize("name", ["Summarizer", "Translator", "LanguageDetector"])
def test_refused_page(browser, site, name):
    browser.admin("grants.set", origin=site.origin("localhost"), state="denied", providers=[])
    tab = browser.tab(site.url(PAGE, host="localhost"))
    try:
        activate(tab)
        got = tab.run(AVAILABILITY_AND_CREATE, name)
    finally:
        tab.close()
        browser.grant(site.origin("localhost"))
    # availability() reports the models, not the grant (it depends on what this module created before).
    assert got["create"] == "NotAllowedError"


@pytest.mark.parametrize("name", ["Summarizer", "Translator"])
def test_never_admitted_origin(browser, site, name):
    # 127.0.0.2 is a loopback origin navllm never admits: the host refuses it outright.
    tab = browser.tab(site.url(PAGE, host="127.0.0.2"))
    try:
        activate(tab)
        got = tab.run(AVAILABILITY_AND_CREATE, name)
    finally:
        tab.close()
    assert got == {"availability": "unavailable", "create": "NotAllowedError"}


CROSS_ORIGIN = """
    const [api, options] = ARGS;
    const frame = document.createElement("iframe");
    frame.src = location.origin.replace("127.0.0.1", "localhost") + "/task-apis/frame.html";
    await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
    const answer = new Promise((resolve) => window.addEventListener("message", (e) => {
        if (e.source === frame.contentWindow && e.data?.report) resolve(e.data.report);
    }));
    frame.contentWindow.postMessage({probe: "task-api", api, options}, "*");
    return await answer;
"""


@pytest.mark.parametrize("name", APIS)
def test_cross_origin_frame(page, browser, site, name):
    options = {"sourceLanguage": "en", "targetLanguage": "es"} if name == "Translator" else {}
    # Without the user's delegation the host refuses a frame of another origin than the top page's.
    denied = page.run(CROSS_ORIGIN, name, options)
    assert denied["create"] == "NotAllowedError"
    # With it, what remains is the permissions policy, which these browsers (without built-in
    # task APIs, so without their policy features) cannot report: permissions-policy.js lets
    # the user's delegation stand in for the embedder's allow attribute.
    browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"))
    browser.grant(site.origin("localhost"), top_origin=site.origin())
    try:
        allowed = page.goto(site.url(PAGE)).run(CROSS_ORIGIN, name, options)
    finally:
        browser.admin("grants.delegate", topOrigin=site.origin(), frameOrigin=site.origin("localhost"), allowed=False)
    # A frame has no user activation of its own: from "downloadable" its create() is refused.
    assert allowed in ({"availability": "available", "create": "ok"}, {"availability": "downloadable", "create": "NotAllowedError"})


def test_navigator_llm_tasks(ready):
    got = ready.run("""
        const llm = navigator.llm;
        const s = await llm.createSummarizer({provider: "echo", type: "tldr"});
        const t = await llm.createTranslator({sourceLanguage: "en", targetLanguage: "es"});
        const d = await llm.createLanguageDetector();
        return {
          methods: ["taskAvailability", "createSummarizer", "createWriter", "createRewriter", "createProofreader",
                    "createTranslator", "createLanguageDetector"].map((m) => typeof llm[m]),
          availability: await llm.taskAvailability("summarizer", {type: "headline"}),
          badKind: await nameOf(llm.taskAvailability("poetry")),
          badEnum: await nameOf(llm.createWriter({tone: "grumpy"})),
          badProvider: await nameOf(llm.createSummarizer({provider: ""})),
          summary: await s.summarize("hello"),
          isSummarizer: s instanceof Summarizer && s.type === "tldr",
          translated: await t.translate("hallo"),
          detected: (await d.detect("Das ist ein deutscher Satz, ganz ohne Zweifel."))[0].detectedLanguage,
        };
    """)
    assert got == {
        "methods": ["function"] * 7,
        "availability": got["availability"],
        "badKind": "TypeError",
        "badEnum": "TypeError",
        "badProvider": "TypeError",
        "summary": ECHO + "hello",
        "isSummarizer": True,
        "translated": "hallo",
        "detected": "de",
    }
    assert got["availability"] in ("available", "downloadable")


def test_language_detector_expected_languages(ready):
    got = ready.run("""
        const a = await LanguageDetector.create({expectedInputLanguages: []});
        const b = await LanguageDetector.create({expectedInputLanguages: ["EN", "fr", "en"]});
        return [a.expectedInputLanguages, b.expectedInputLanguages];
    """)
    assert got == [None, ["en", "fr"]]


def test_many_calls_at_once_wait_their_turn(ready, site):
    """A page that starts more calls at once than the host lets one origin have in flight (it
    answers QuotaExceededError past its bound) gets every answer: the frame sends a few at a time
    and the rest wait, in order; one aborted or destroyed while waiting leaves with its reason."""
    # Room for these calls beside the module's others under the per-minute limit (600 by default).
    origin = site.origin()
    ready.browser.admin("quotas.set", scope="site", origin=origin, requestsPerMinute=10_000, dailyTokens=None)
    try:
        got = _many_calls(ready)
    finally:
        ready.browser.admin("quotas.set", scope="site", origin=origin, reset=True)
    assert got == {"all": True, "measured": True, "busy": 70, "stopped": "stop waiting", "destroyed": ["AbortError"]}


def _many_calls(ready):
    return ready.run(
        """
        const translator = await createApi("Translator");
        const texts = Array.from({length: 70}, (_, i) => `Hello ${i} world`);
        const all = await Promise.all(texts.map((t) => translator.translate(t)));
        const measured = await Promise.all(texts.map((t) => translator.measureInputUsage(t)));
        // Fill the slots, then abort and destroy calls that are still waiting.
        const busy = texts.map((t) => translator.translate(t));
        const controller = new AbortController();
        const reason = new Error("stop waiting");
        const waitingCall = translator.translate("late one", {signal: controller.signal});
        controller.abort(reason);
        const stopped = await outcome(waitingCall);
        const other = await createApi("Translator");
        const queued = Array.from({length: 40}, (_, i) => other.translate(`queued ${i}`));
        other.destroy();
        const destroyed = await Promise.all(queued.map(async (p) => (await outcome(p)).name));
        return {
          all: all.every((r, i) => r === texts[i]),
          measured: measured.every((m) => m > 0),
          busy: (await Promise.all(busy)).length,
          stopped: stopped.message,
          destroyed: [...new Set(destroyed)],
        };
    """
    )


def test_detected_languages_are_canonical_tags(ready):
    """detect() names languages by canonical BCP 47 tags, though the model's labels include
    deprecated ones (Tagalog is "tl" to the model, "fil" canonically)."""
    got = ready.run(
        """
        const detector = await createApi("LanguageDetector");
        const results = await detector.detect("Magandang umaga po. Kumusta ka na? Salamat sa iyong tulong kahapon.");
        return {first: results[0].detectedLanguage,
                nonCanonical: results.map((r) => r.detectedLanguage).filter((t) => Intl.getCanonicalLocales(t)[0] !== t)};
    """
    )
    assert got == {"first": "fil", "nonCanonical": []}
