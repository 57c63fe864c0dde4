"""Key scrubbing: masked forms servers echo (OpenAI-style), and no short remainder left by overlapping fragments."""

from __future__ import annotations

import pytest

from navllm.secrets.redact import MASK, MASKED_FRAGMENT, scrub

KEY = "sk-proj-Hq7ZtW2xV9kL4rB8nF3dQz5Y"


def runs(text: str) -> list[str]:
    return [KEY[i : i + MASKED_FRAGMENT] for i in range(len(KEY) - MASKED_FRAGMENT + 1) if KEY[i : i + MASKED_FRAGMENT] in text]


@pytest.mark.parametrize(
    "text",
    [
        "Incorrect API key provided: sk-pr...Qz5Y.",
        "key sk-****Qz5Y refused",
        "key sk-proj-Hq…Qz5Y refused",
        f"{KEY[:8]}{'*' * 36}{KEY[-4:]}",
        "sk-proj-Hq7Z•••••Qz5Y",
        f"the key {KEY[:17]} and {KEY[10:]}",  # unmasked fragments, overlapping
        f"{KEY}{KEY}",
    ],
)
def test_masked_and_partial_keys_leave_no_run_of_four(text):
    scrubbed = scrub(text, [KEY])
    assert MASK in scrubbed and runs(scrubbed) == [], scrubbed


def test_unmasked_short_runs_go_only_where_asked_and_innocent_text_stays():
    assert scrub("key ending in Qz5Y", [KEY]) == "key ending in Qz5Y"  # four loose characters: too common to scrub from logs
    assert scrub("key ending in Qz5Y", [KEY], fragment=MASKED_FRAGMENT) == f"key ending in {MASK}"  # server text: scrubbed
    for text in ("wait... done", "2*3 = 6", "sk-... is how keys start", "…and more"):
        assert scrub(text, [KEY]) == text
    assert scrub("my abc key", ["abc"]) == f"my {MASK} key"  # short keys: whole only


@pytest.mark.parametrize("filler", ["a", "a-", "a."])
def test_scrubbing_a_long_server_message_takes_linear_time(filler):
    """A server's error text (up to a body's byte limit) and every log line pass through scrub on the
    host's loop: 10,000 key-like characters without a mask took 8 s, 40,000 took 66 s."""
    import time

    long = filler * (200_000 // len(filler))
    started = time.monotonic()
    scrubbed = scrub(f"{long} sk-pr...Qz5Y {long}", [KEY], fragment=MASKED_FRAGMENT)
    assert time.monotonic() - started < 10  # linear: a fraction of a second; quadratic: hours
    assert runs(scrubbed) == [] and MASK in scrubbed
