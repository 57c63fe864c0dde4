"""The site the permission window names: the registrable domain ("eTLD+1") of an origin.

Computed from the Public Suffix List shipped by ``publicsuffixlist``, private section included:
``alice.github.io`` and ``bob.github.io`` belong to different people, and browsers keep them
apart for cookies and site isolation too. Loopback names and IP addresses, and a host that is
itself a public suffix (``github.io``, ``localhost``), are their own site.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# Lowercase accented Latin letters (ü, é, ñ, ß, ø…) read as what they are. ı, ĸ and ſ pass
# for i, k and f; every other script could imitate Latin letters (Cyrillic а for a).
_LOOKALIKES = frozenset("ıĸſ")


@cache
def _list() -> PublicSuffixList:
    # Loaded on the first prompt, not at host start-up.
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def site(origin: str) -> str:
    """``https://www.bbc.co.uk:8443`` → ``bbc.co.uk``, ``https://foo.github.io`` → ``foo.github.io``,
    ``http://localhost:8080`` → ``localhost``, ``https://[::1]`` → ``[::1]``."""
    host = urlsplit(origin).hostname or ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return readable(_list().privatesuffix(host) or host.rstrip("."))
    return f"[{ip}]" if ip.version == 6 else str(ip)


def readable(domain: str) -> str:
    """``domain`` in Unicode if every label is safe to read so, else as it is (punycode)."""
    labels = [_unicode(label) for label in domain.split(".")]
    safe = [label for label in labels if label is not None]
    return ".".join(safe) if len(safe) == len(labels) else domain


def _unicode(label: str) -> str | None:
    if not label.startswith("xn--"):
        return label
    try:
        text = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        return None
    # Only the one canonical encoding of a name with accents decodes: "xn--abc-" is not "abc".
    if text.isascii() or text.encode("punycode").decode("ascii") != label[4:]:
        return None
    safe = all(c.isascii() or ("\u00df" <= c <= "\u017f" and c.islower() and c not in _LOOKALIKES) for c in text)
    return text if safe else None
