"""Assertions shared by the model-store tests."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from navllm.protocol.errors import ErrorName, NavError


def sha256(path) -> str:
    """A file's SHA-256, computed here rather than by the code under test."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def store_state(root: Path) -> tuple[bytes | None, list[str]]:
    """What must not change when a pull fails: the registry bytes and the folders in the store."""
    registry = root / "registry.json"
    folders = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in (".staging", ".downloads"))
    staging = sorted(p.name for p in (root / ".staging").glob("*"))
    return (registry.read_bytes() if registry.exists() else None), folders + [f".staging/{s}" for s in staging]


def wait_for_pulls():
    """Pull threads finish their clean-up just after the waiting caller returns."""
    for thread in threading.enumerate():
        if thread.name.startswith("pull "):
            thread.join(30)


def pull_and_cancel(store, source: str, when: Callable[[float, str], bool]) -> None:
    """Pull ``source`` and cancel at the first progress report ``when`` picks: the pull must end in AbortError."""
    cancel = threading.Event()

    def progress(fraction, stage):
        if when(fraction, stage):
            cancel.set()

    with pytest.raises(NavError) as err:
        store.pull(source, progress, cancel)
    assert err.value.name == ErrorName.ABORT
    wait_for_pulls()
