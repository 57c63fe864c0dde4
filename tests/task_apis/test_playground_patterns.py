"""A page used the way published playgrounds for the built-in AI APIs use them (pages/playground.html,
written for this project), driven like a user: typing into the text area, choosing, clicking.

Google's Translator and Language Detector playground showed "100% sure that this is root" for its
own default text, "Hello, world!": a short text spreads the detector's confidence thinly over many
languages, and navllm gave "und" everything it did not return. A request no model can serve must
say what was asked for; an input over the quota must say by how much, in words a person follows.
"""

from __future__ import annotations

import time

from navllm.devtools.browsers import Chromium, Firefox, Tab
from tests.task_apis.conftest import PAGE, PAGES, activate

PLAYGROUND = "task-apis/playground.html"


def _element(page: Tab, selector: str):
    browser = page.browser
    assert isinstance(browser, Firefox)
    browser._focus(page)
    return browser.client.find_element("css selector", selector)


def type_text(page: Tab, selector: str, text: str) -> None:
    if isinstance(page.browser, Chromium):
        page.handle.fill(selector, text)
    else:
        element = _element(page, selector)
        element.clear()
        element.send_keys(text)


def click(page: Tab, selector: str) -> None:
    if isinstance(page.browser, Chromium):
        page.handle.click(selector)
    else:
        _element(page, selector).click()


def choose(page: Tab, selector: str, value: str) -> None:
    if isinstance(page.browser, Chromium):
        page.handle.select_option(selector, value)
    else:
        _element(page, f"{selector} option[value='{value}']").click()


def wait_text(page: Tab, selector: str, unlike: str = "", deadline: float = 20.0, prefix: str = "") -> str:
    """The element's text once it is not empty, not ``unlike`` and starts with ``prefix``."""
    end = time.monotonic() + deadline
    while True:
        text = page.run("return document.querySelector(ARGS[0]).textContent", selector)
        if text and text != unlike and text.startswith(prefix):
            return str(text)
        assert time.monotonic() < end, f"{selector} still shows {text!r}"
        time.sleep(0.1)


def test_a_playground_page_works_and_says_what_it_cannot_do(tab, site):
    # The playground creates its detector at load, as published ones do: that needs the detector
    # "available" (with the echo backend, "downloadable" until created once, with a user's click).
    first = tab.goto(site.url(PAGE))
    activate(first)
    assert first.run("return (await LanguageDetector.create()) instanceof LanguageDetector")
    assert first.run("return await LanguageDetector.availability()") == "available"
    site.add(PLAYGROUND, (PAGES / "playground.html").read_text())
    page = tab.goto(site.url(PLAYGROUND))
    wait_text(page, "body", deadline=10)
    started = page.run(
        "const end = performance.now() + 20000;"
        "while (!document.body.dataset.ready && !window.errors.length && performance.now() < end) await new Promise((r) => setTimeout(r, 20));"
        "return {ready: Boolean(document.body.dataset.ready), errors: window.errors};"
    )
    assert started == {"ready": True, "errors": []}

    # The detector labels the default greeting as English, not "und" (it used to be "und 1.000").
    language, confidence = wait_text(page, "#detected", unlike="not sure").split()
    assert language == "en" and 0 < float(confidence) < 1
    # Typed key by key (Firefox), the page labels each partial text on its way: the label must come
    # to French once the whole sentence is in.
    type_text(page, "#text", "Bonjour à tous, comment allez-vous aujourd'hui ?")
    wait_text(page, "#detected", prefix="fr ")

    # French to English: the echo backend has no French, so availability says so and create()
    # names the pair.
    choose(page, "#target", "en")
    click(page, "#translate")
    assert (
        wait_text(page, "#translation") == 'unavailable NotSupportedError: No model configured in navllm can translate from "fr" to "en".'
    )

    # A text over the summarizer's quota: the numbers the page showed, and a message that says so.
    page.run("const t = document.querySelector('#text'); t.value = 'A long report. '.repeat(200);")
    click(page, "#summarize")
    summary = wait_text(page, "#summary")
    used, quota = (int(n) for n in wait_text(page, "#usage").split(" of "))
    assert used > quota
    assert summary == (
        f"QuotaExceededError: the input is {used} tokens long, more than the {quota} this summarizer can take"
        f" (its inputQuota): shorten it ({used}/{quota})"
    )

    # A Prompt API session asking for what no model serves says what was asked for.
    click(page, "#look")
    assert wait_text(page, "#image") == (
        'NotSupportedError: No model configured in navllm can serve these options (asked for: language "fr" (input), audio input).'
    )
    assert page.run("return window.errors") == []
