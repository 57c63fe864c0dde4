"""Keep keys out of text: error messages from servers, log lines and tracebacks.

Servers sometimes echo a key, whole or masked (``sk-abc...wxyz``), so any run of
``FRAGMENT`` or more characters from a known key is replaced, not just the whole key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

FRAGMENT = 6
MASK = "[redacted]"

_known: set[str] = set()


def remember(secret: str) -> None:
    """Add a key to the set scrubbed from logs; the first call installs the log filter."""
    if not _known:
        _install_log_filter()
    _known.add(secret)


def scrub(text: str, also: Iterable[str] = ()) -> str:
    """``text`` without any known key (or ``also``), whole or in fragments."""
    for secret in {*_known, *also}:
        if secret in text:
            text = text.replace(secret, MASK)
        if len(secret) >= FRAGMENT * 2:
            for start in range(len(secret) - FRAGMENT + 1):
                piece = secret[start : start + FRAGMENT]
                if piece in text:
                    text = text.replace(piece, MASK)
    return text


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
