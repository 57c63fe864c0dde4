"""The relay's log records, written to host.log as the in-process host writes its own.

``logging`` is imported at the first record rather than at start: it costs every relaying host
about 1.2 MiB, and a relay that works writes nothing.
"""

from __future__ import annotations


def note(message: str, *args: object, warning: bool = True) -> None:
    import logging

    from ..paths import log_to

    if not logging.getLogger().handlers:
        log_to("host.log")
    logging.getLogger("navllm.host").log(logging.WARNING if warning else logging.INFO, message, *args)
