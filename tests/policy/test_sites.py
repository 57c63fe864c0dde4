"""The site the permission window names (registrable domain from the Public Suffix List), and
the gate putting it in the ask for the frame and its top-level page."""

from __future__ import annotations

import pytest

from navllm.policy import PermissionNeeded
from navllm.policy.gate import PolicyGate
from navllm.policy.sites import site
from navllm.protocol.common import Caller
from navllm.providers.router import Router
from navllm.settings import Settings

CASES = [
    ("https://example.com", "example.com"),
    ("https://a.b.example.com:8443", "example.com"),
    ("https://www.bbc.co.uk", "bbc.co.uk"),  # multi-level ICANN suffix
    ("https://x.a.b.kawasaki.jp", "a.b.kawasaki.jp"),  # wildcard rule *.kawasaki.jp
    ("https://x.city.kawasaki.jp", "city.kawasaki.jp"),  # and its exception !city.kawasaki.jp
    ("https://alice.github.io", "alice.github.io"),  # private suffix: each user's own site
    ("https://deep.alice.github.io", "alice.github.io"),
    ("https://github.io", "github.io"),  # a public suffix itself: the host
    ("https://co.uk", "co.uk"),
    ("https://example.com.", "example.com"),
    ("https://" + "a" * 60 + "." + "b" * 60 + ".evil.example", "evil.example"),
    ("http://localhost:8080", "localhost"),
    ("https://app.localhost", "app.localhost"),
    ("http://127.0.0.1:9000", "127.0.0.1"),
    ("https://10.1.2.3", "10.1.2.3"),
    ("https://[::1]:8443", "[::1]"),
    ("https://www.xn--bcher-kva.de", "bücher.de"),  # accented Latin: readable as itself
    ("https://xn--strae-oqa.de", "straße.de"),
    ("https://xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),  # Cyrillic "аррӏе": could pass for apple
    ("https://xn--pple-43d.com", "xn--pple-43d.com"),  # Latin with one Cyrillic а
    ("https://xn--gogle-p4a.com", "xn--gogle-p4a.com"),  # "gogıle": dotless ı passes for i
    ("https://xn--abc-.com", "xn--abc-.com"),  # not the canonical form of an ASCII name
    ("https://xn--zz.com", "xn--zz.com"),  # not punycode at all
    ("https://xn--80ak6aa92e.xn--p1ai", "xn--80ak6aa92e.xn--p1ai"),  # Cyrillic TLD: all punycode
]


@pytest.mark.parametrize(("origin", "expected"), CASES)
def test_site(origin, expected):
    assert site(origin) == expected


async def test_the_ask_names_both_sites(tmp_path):
    settings = Settings(echo_enabled=True)
    gate = PolicyGate(lambda: settings, path=tmp_path / "p.db")
    top, frame = "https://news.example.co.uk", "https://w.widgets.github.io"
    gate.persistent.grants.delegate(top, frame, True)
    with pytest.raises(PermissionNeeded) as asked:
        await gate.admit(Caller(kind="page", origin=frame, top_origin=top), "create", Router(lambda: settings).chain())
    ask = asked.value.ask.wire()
    assert (ask["site"], ask["topSite"]) == ("widgets.github.io", "example.co.uk")
