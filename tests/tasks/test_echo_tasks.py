"""Every task kind end to end on the echo backend: the replies Chromium's echo mocks give,
validation, quotas, destroy, cancel, policy and the usage log."""

from __future__ import annotations

import asyncio

import pytest

from tests.tasks.conftest import ADMIN, PAGE, TaskHost, write_settings

PREFIX = "Model not available in Chromium\n"
OTHER = {"kind": "page", "origin": "https://other.example", "tabId": 2, "frameId": 0}


@pytest.mark.parametrize(
    ("options", "action"),
    [
        ({"kind": "summarizer", "type": "tldr", "length": "long"}, "summarize"),
        ({"kind": "writer", "tone": "casual", "format": "plain-text"}, "write"),
        ({"kind": "rewriter", "tone": "more-formal", "length": "shorter", "format": "as-is"}, "rewrite"),
    ],
)
async def test_writing_tasks_echo_with_the_mock_notice(echo_host: TaskHost, options, action):
    created = await echo_host.create(**options, sharedContext="about cats")
    assert created["provider"] == "echo" and created["model"] == "echo"
    assert created["inputQuota"] == 1000 - len(b"about cats")
    result, text = await echo_host.run(created["task"], "Hello, café")
    assert (result, text) == ({}, PREFIX + "Hello, café")
    rows = [r for r in await echo_host.usage() if r["action"] == action]
    assert len(rows) == 1 and rows[0]["outcome"] == "ok" and rows[0]["provider"] == "echo"
    assert [r["action"] for r in await echo_host.usage()].count("create") == 1


async def test_translator_and_proofreader_echo_their_input(echo_host: TaskHost):
    translator = await echo_host.create(kind="translator", sourceLanguage="en", targetLanguage="ja")
    assert await echo_host.run(translator["task"], "hello") == ({}, "hello")
    proofreader = await echo_host.create(kind="proofreader", includeCorrectionTypes=True)
    result, text = await echo_host.run(proofreader["task"], "teh cat")
    # As Chromium's echo proofreader: the notice before the input, found as one correction.
    assert text == "" and result["correctedInput"] == PREFIX + "teh cat"
    assert result["corrections"] == [{"startIndex": 0, "endIndex": 3, "correction": PREFIX + "teh", "type": "missing-words"}]
    actions = [r["action"] for r in await echo_host.usage()]
    assert actions.count("translate") == 1 and actions.count("proofread") == 1


async def test_language_detector_uses_the_real_library(echo_host: TaskHost):
    detector = await echo_host.create(kind="language-detector", expectedInputLanguages=["en", "fr"])
    result, text = await echo_host.run(detector["task"], "Le chat dort sur le canapé depuis ce matin.")
    assert text == ""
    assert result[0]["detectedLanguage"] == "fr" and result[-1]["detectedLanguage"] == "und"
    assert await echo_host.ok("task-measure", task=detector["task"], input="12345") == 5
    assert [r["action"] for r in await echo_host.usage()].count("detect-language") == 1


async def test_blank_input_answers_without_a_model(echo_host: TaskHost):
    summarizer = await echo_host.create(kind="summarizer")
    assert await echo_host.run(summarizer["task"], "  \n") == ({}, "")
    translator = await echo_host.create(kind="translator", sourceLanguage="en", targetLanguage="es")
    assert await echo_host.run(translator["task"], " \r\n\t\x01") == ({}, " \r\n\t\x01")  # browsers give untranslatable text back
    detector = await echo_host.create(kind="language-detector")
    assert await echo_host.run(detector["task"], "") == ([{"detectedLanguage": "und", "confidence": 1.0}], "")


@pytest.mark.parametrize(
    "options",
    [
        {"kind": "summarizer", "tone": "formal"},  # a field of another kind
        {"kind": "writer", "tone": "more-formal"},  # a value of another kind's enum
        {"kind": "summarizer", "type": "bullet-points"},
        {"kind": "rewriter", "length": "short"},
        {"kind": "translator", "sourceLanguage": "en"},
        {"kind": "language-detector", "sharedContext": "x"},
        {"kind": "proofreader", "outputLanguage": "en"},
        {"kind": "summarizer", "unknown": True},
        {"kind": "summarizer", "expectedInputLanguages": ["en"] * 65},
        {"kind": "summarizer", "outputLanguage": "not a tag"},
        {"kind": "poet"},
    ],
)
async def test_invalid_options_are_type_errors(echo_host: TaskHost, options):
    for kind in ("task-create", "task-availability"):
        reply = await echo_host.call(kind, options=options)
        assert reply["type"] == "error" and reply["error"]["name"] == "TypeError", reply


async def test_availability_by_language_and_download_state(echo_host: TaskHost):
    async def availability(**options) -> str:
        state: str = await echo_host.ok("task-availability", options=options)
        return state

    assert await availability(kind="summarizer", expectedInputLanguages=["en-US"], outputLanguage="es") == "available"
    assert await availability(kind="writer", outputLanguage="de") == "unavailable"
    assert await availability(kind="language-detector", expectedInputLanguages=["xx"]) == "unavailable"
    # Like Chromium's mocks: downloadable until created once, then available.
    pair = {"kind": "translator", "sourceLanguage": "en", "targetLanguage": "ja"}
    assert await availability(**pair) == "downloadable"
    assert await availability(kind="language-detector") == "downloadable"
    await echo_host.create(**pair)
    await echo_host.create(kind="language-detector")
    assert await availability(**pair) == "available"
    assert await availability(kind="language-detector") == "available"
    assert await availability(kind="translator", sourceLanguage="ja", targetLanguage="en") == "downloadable"
    assert await availability(kind="translator", sourceLanguage="en", targetLanguage="de") == "unavailable"


async def test_input_over_the_quota_is_refused(echo_host: TaskHost):
    created = await echo_host.create(kind="summarizer", sharedContext="x" * 100)
    assert created["inputQuota"] == 900
    task = created["task"]
    assert await echo_host.ok("task-measure", task=task, input="é" * 10, context="abc") == 23  # UTF-8 bytes, like the echo model
    await echo_host.run(task, "a" * 900)
    reply = await echo_host.call("task-run", task=task, input="a" * 890, context="b" * 11)
    assert reply["error"]["name"] == "QuotaExceededError"
    assert reply["error"]["details"] == {"requested": 901, "quota": 900}
    too_big = await echo_host.call("task-create", options={"kind": "writer", "sharedContext": "x" * 1000})
    assert too_big["error"]["name"] == "QuotaExceededError"
    assert too_big["error"]["details"] == {"requested": 1000, "quota": 1000}


async def test_destroy_ends_a_task_like_a_session(echo_host: TaskHost):
    task = (await echo_host.create(kind="rewriter"))["task"]
    other = await echo_host.call("task-run", OTHER, task=task, input="hi")
    assert other["error"]["name"] == "NotFoundError"  # another origin's task does not exist for it
    await echo_host.ok("destroy", session=task)
    for kind in ("task-run", "task-measure"):
        reply = await echo_host.call(kind, task=task, input="hi")
        assert reply["error"]["name"] == "InvalidStateError", reply


async def test_task_and_session_ids_do_not_mix(echo_host: TaskHost):
    task = (await echo_host.create(kind="summarizer"))["task"]
    prompt = await echo_host.call("prompt", session=task, input=[{"role": "user", "content": [{"type": "text", "value": "hi"}]}])
    assert prompt["error"]["name"] == "NotFoundError"
    assert (await echo_host.call("clone", session=task))["error"]["name"] == "NotFoundError"
    session = (await echo_host.ok("create"))["session"]
    assert (await echo_host.call("task-run", task=session, input="hi"))["error"]["name"] == "NotFoundError"


async def test_cancel_aborts_a_run(navllm_home):
    write_settings(navllm_home, echoEnabled=True, echoDelayMs=2000, providers=[])
    host = TaskHost()
    try:
        await host.grant()
        task = (await host.create(kind="writer"))["task"]
        rid = host.send("task-run", task=task, input="a poem")
        await asyncio.sleep(0.1)
        assert (await host.ok("cancel", target=rid)) == {"cancelled": True}
        reply = await host.wait(rid, deadline=1.0)
        assert reply["error"]["name"] == "AbortError"
        assert [r["outcome"] for r in await host.usage() if r["action"] == "write"] == ["AbortError"]
    finally:
        await host.close()


async def test_a_page_without_a_grant_is_asked_like_for_prompts(navllm_home):
    write_settings(navllm_home, echoEnabled=True, providers=[])
    host = TaskHost()
    try:
        asked = await host.call("task-create", options={"kind": "summarizer"})
        assert asked["type"] == "permission_required" and asked["ask"]["providers"] == ["echo"]
        await host.ok("permission.decide", ADMIN, origin=PAGE["origin"], decision="deny", providers=["echo"])
        refused = await host.call("task-create", options={"kind": "language-detector"})
        assert refused["error"]["name"] == "NotAllowedError"
        never = await host.call("task-availability", {**PAGE, "origin": "http://plain.example"}, options={"kind": "writer"})
        assert never["error"]["name"] == "NotAllowedError"
    finally:
        await host.close()


async def test_revoking_a_grant_stops_later_runs(echo_host: TaskHost):
    task = (await echo_host.create(kind="summarizer"))["task"]
    await echo_host.ok("grants.revoke", ADMIN, origin=PAGE["origin"])
    assert (await echo_host.call("task-run", task=task, input="hi"))["type"] == "permission_required"


async def test_tasks_are_evicted_with_the_sessions_of_their_origin(echo_host: TaskHost):
    first = (await echo_host.create(kind="summarizer"))["task"]
    for _ in range(64):  # the session table keeps 64 per origin; the least recently used idle one goes
        await echo_host.create(kind="language-detector")
    assert (await echo_host.call("task-run", task=first, input="hi"))["error"]["name"] == "InvalidStateError"


async def test_the_detectors_availability_is_that_of_the_provider_create_takes(navllm_home):
    """With the echo backend leading a chain that also has the local model, the detector is
    "downloadable" until created, as echo's is: another provider's "available" does not hide the
    user activation create() will need (create() takes the first provider that fits)."""
    write_settings(navllm_home, echoEnabled=True, providers=[{"name": "local", "kind": "local"}])
    host = TaskHost()
    try:
        await host.grant(providers=("echo", "local"))
        assert await host.ok("task-availability", options={"kind": "language-detector"}) == "downloadable"
        assert (await host.create(kind="language-detector"))["provider"] == "echo"
        assert await host.ok("task-availability", options={"kind": "language-detector"}) == "available"
    finally:
        await host.close()
