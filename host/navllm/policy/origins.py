"""Origins as the browser serialises them, compared exactly (scheme + host + port).

Only secure origins may ever hold a grant: ``https:`` anywhere, and plain ``http:`` on
the loopback names browsers treat as potentially trustworthy. Opaque (``null``),
``file:``, ``data:`` and every other scheme are refused without asking the user.
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1"})


def normalise(origin: str | None) -> str | None:
    """The canonical ``scheme://host[:port]`` of a serialised origin, or None if it is not one.

    A value with a path, query, fragment or credentials is not an origin and is refused rather
    than trimmed, so nothing can smuggle a different site through the parser.
    """
    if not origin or origin == "null":
        return None
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username is not None or parts.password is not None:
        return None
    if "[" in parts.netloc:
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def eligible(origin: str | None) -> bool:
    """Whether ``origin`` could ever be granted access (before any user decision)."""
    canonical = normalise(origin)
    if canonical is None:
        return False
    parts = urlsplit(canonical)
    return parts.scheme == "https" or parts.hostname in LOOPBACK_HOSTS


def require(origin: str | None, what: str = "origin") -> str:
    """The canonical form of an origin a user or the CLI typed; a clear error otherwise."""
    from ..protocol.errors import ErrorName, NavError

    canonical = normalise(origin.strip() if origin else origin)
    if canonical is None:
        raise NavError(ErrorName.SYNTAX, f"{origin!r} is not a web origin (expected e.g. https://example.com)", field=what)
    return canonical
