"""Origin parsing and eligibility: one pure function, table-tested (T3, T18)."""

from __future__ import annotations

import pytest

from navllm.policy.origins import eligible, normalise

CASES = [
    ("https://example.com", "https://example.com", True),
    ("https://Example.COM:443", "https://example.com", True),
    ("https://example.com/", "https://example.com", True),
    ("https://example.com:8443", "https://example.com:8443", True),
    ("http://localhost:8765", "http://localhost:8765", True),
    ("http://127.0.0.1", "http://127.0.0.1", True),
    ("http://LOCALHOST:80", "http://localhost", True),
    ("https://[::1]:8443", "https://[::1]:8443", True),
    ("http://example.com", "http://example.com", False),
    ("http://localhost.evil.example", "http://localhost.evil.example", False),
    ("http://127.0.0.2", "http://127.0.0.2", False),
    ("http://[::1]", "http://[::1]", False),
    ("null", None, False),
    ("", None, False),
    (None, None, False),
    ("file://", None, False),
    ("file:///etc/passwd", None, False),
    ("data:text/html,hi", None, False),
    ("about:blank", None, False),
    ("javascript:alert(1)", None, False),
    ("chrome-extension://abcdef", None, False),
    ("moz-extension://1234", None, False),
    ("ws://localhost", None, False),
    ("https://", None, False),
    ("https://example.com/path", None, False),
    ("https://example.com?q", None, False),
    ("https://example.com#f", None, False),
    ("https://user:pw@example.com", None, False),
    ("https://example.com:99999", None, False),
    ("https://example.com:x", None, False),
]


@pytest.mark.parametrize(("raw", "canonical", "ok"), CASES)
def test_normalise_and_eligible(raw, canonical, ok):
    assert normalise(raw) == canonical
    assert eligible(raw) is ok
