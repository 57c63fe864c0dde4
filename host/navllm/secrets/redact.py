"""Keep keys out of text: error messages from servers, log lines and tracebacks.

Servers sometimes echo a key, whole or masked, so more than the whole key is replaced: any
run of ``FRAGMENT`` or more characters from a known key, and any run of ``MASKED_FRAGMENT``
or more next to a mask (``sk-pr...6f2b``, ``sk-****6f2b``, ``sk-proj-ab…6f2b``), where the
mask tells us the run is a piece of a key even when it is short.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

FRAGMENT = 6
MASKED_FRAGMENT = 4
MASK = "[redacted]"
# Key-like characters on either side of dots, an ellipsis, asterisks or bullets.
# A match only starts where a run of key-like characters does: tried from inside a run, the
# head's backtracking made long runs without a mask cost quadratic time.
_MASKED = re.compile(r"(?<![\w-])([\w-]*)(\.{2,}|…|[*•]+)([\w-]*)")

_known: set[str] = set()


def remember(secret: str) -> None:
    """Add a key to the set scrubbed from logs; the first call installs the log filter."""
    if not _known:
        _install_log_filter()
    _known.add(secret)


def scrub(text: str, also: Iterable[str] = (), fragment: int = FRAGMENT) -> str:
    """``text`` without any known key (or ``also``): whole, masked, or any run of ``fragment``
    or more of its characters (the whole key only, for keys shorter than two fragments)."""
    secrets = {s for s in (*_known, *also) if s}
    if not secrets:
        return text

    def unmask(match: re.Match[str]) -> str:
        head, mask, tail = match.groups()
        return (
            (MASK if _in_key(head[-MASKED_FRAGMENT:], secrets) else head)
            + mask
            + (MASK if _in_key(tail[:MASKED_FRAGMENT], secrets) else tail)
        )

    text = _MASKED.sub(unmask, text)
    # Mark every character inside some run of the key, then replace each marked stretch whole,
    # so overlapping fragments leave no short remainder behind.
    covered = bytearray(len(text))
    for secret in secrets:
        size = fragment if len(secret) >= 2 * fragment else len(secret)
        for start in range(len(secret) - size + 1):
            piece = secret[start : start + size]
            at = text.find(piece)
            while at >= 0:
                covered[at : at + size] = b"\x01" * size
                at = text.find(piece, at + 1)
    for stretch in reversed(list(re.finditer(rb"\x01+", covered))):
        text = text[: stretch.start()] + MASK + text[stretch.end() :]
    return text


def _in_key(run: str, secrets: set[str]) -> bool:
    return len(run) >= MASKED_FRAGMENT and any(run in secret for secret in secrets)


class RedactingFilter(logging.Filter):
    """Render each record (message and traceback) and scrub it before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known:
            record.msg = scrub(record.getMessage())
            record.args = None
            if record.exc_info:
                record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
            if record.stack_info:
                record.stack_info = scrub(record.stack_info)
        return True


def _install_log_filter() -> None:
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
