"""The retry policy and Retry-After parsing, as pure functions."""

from __future__ import annotations

import email.utils
import time

from navllm.providers.remote import RetryPolicy, retry_after_of


def test_retry_after_in_seconds_milliseconds_or_an_http_date():
    assert retry_after_of({"retry-after": "7"}) == 7.0
    assert retry_after_of({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5  # the finer one wins
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= retry_after_of({"retry-after": in_a_minute}) <= 60
    assert retry_after_of({"retry-after": email.utils.formatdate(time.time() - 60, usegmt=True)}) == 0.0
    assert retry_after_of({"retry-after": "soon"}) is None
    assert retry_after_of({}) is None and retry_after_of(None) is None


def test_backoff_grows_with_jitter_up_to_a_cap_and_honours_the_server():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    for attempt, ceiling in ((0, 0.5), (1, 1.0), (2, 2.0), (5, 4.0)):
        delays = [policy.delay(attempt, None) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert policy.delay(3, 12.0) == 12.0
