"""Pulls running in this process, one per (store, source, name).

Every caller waiting on a pull hears its progress; the pull is cancelled when the last of
them gives up, so one impatient caller never stops a download others still want.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import InstalledModel

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Key = tuple[str, str, str | None]  # store root, source, requested name


class Job:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.last: tuple[float, str] = (0.0, "starting")
        self.result: InstalledModel | None = None
        self.error: Exception | None = None
        self._lock = threading.Lock()
        self._listeners: list[Progress | None] = []

    def detach(self, listener: Progress | None) -> None:
        with self._lock:
            self._listeners.remove(listener)
            if not self._listeners and not self.done.is_set():
                self.cancel.set()

    def report(self, fraction: float, stage: str) -> None:
        with self._lock:
            self.last = (fraction, stage)
            listeners = [listener for listener in self._listeners if listener is not None]
        for listener in listeners:
            _tell(listener, fraction, stage)

    def _attach(self, listener: Progress | None) -> None:
        with self._lock:
            self._listeners.append(listener)
            fraction, stage = self.last
        if listener is not None:
            _tell(listener, fraction, stage)


_running: dict[Key, Job] = {}
_lock = threading.Lock()


def join(key: Key, listener: Progress | None, start: Callable[[Job], None]) -> Job:
    """The running job for ``key`` (``start`` launches it when there is none), with ``listener`` attached."""
    with _lock:
        job = _running.get(key)
        if job is None:
            job = _running[key] = Job()
            start(job)
        job._attach(listener)
    return job


def finish(key: Key, job: Job) -> None:
    with _lock:
        _running.pop(key, None)
    job.done.set()


def running(root: str) -> dict[str, float]:
    """Sources being pulled into the store at ``root``, with their progress."""
    with _lock:
        return {key[1]: job.last[0] for key, job in _running.items() if key[0] == root}


def _tell(listener: Progress, fraction: float, stage: str) -> None:
    try:
        listener(fraction, stage)
    except Exception:  # one caller's broken display must not fail everyone's pull
        log.exception("a progress listener failed")
