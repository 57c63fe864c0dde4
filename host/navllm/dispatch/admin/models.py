"""The model store from the side panel. Pulls stream ``progress`` replies (``downloadprogress``)."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Callable
from typing import Any

from ...models import catalog
from ...models.store import InstalledModel, ModelStore, Progress
from ...protocol.admin.models import (
    ModelsCatalog,
    ModelsDefault,
    ModelsImport,
    ModelsInfo,
    ModelsList,
    ModelsPull,
    ModelsRemove,
    ModelsVerify,
)
from ...protocol.errors import ErrorName, NavError
from ..dispatcher import Handler
from ..responder import Responder


def handlers() -> dict[type, Handler]:
    return {
        ModelsList: list_models,
        ModelsCatalog: list_catalog,
        ModelsPull: pull,
        ModelsImport: import_file,
        ModelsInfo: info,
        ModelsVerify: verify,
        ModelsRemove: remove,
        ModelsDefault: set_default,
    }


async def list_models(req: ModelsList, out: Responder) -> dict[str, Any]:
    def listing() -> dict[str, Any]:
        store = ModelStore()
        usable = {"pulling": store.pulls(), "freeBytes": shutil.disk_usage(store.root).free}
        try:
            return {
                "models": [m.wire() for m in store.list()],
                "defaults": {kind: m.name for kind in ("chat", "embedding") if (m := store.default(kind))},
                **usable,
            }
        except NavError as err:
            if err.name != ErrorName.DATA:
                raise
            # The registry is damaged: the folders on disk, none usable until it is repaired.
            return {"models": [], "defaults": {}, "unavailable": store.found(), "error": err.to_wire(), **usable}

    return await asyncio.to_thread(listing)


async def list_catalog(req: ModelsCatalog, out: Responder) -> dict[str, Any]:
    def listing() -> dict[str, Any]:
        store = ModelStore()
        try:
            installed = {m.source for m in store.list()}
        except NavError as err:
            if err.name != ErrorName.DATA:
                raise
            installed = set()  # a damaged registry: models.list reports it; the catalog stays usable
        machine = catalog.Machine.current(store.root)
        return {"machine": catalog.machine_wire(machine), "models": catalog.listing(machine, installed)}

    return await asyncio.to_thread(listing)


async def pull(req: ModelsPull, out: Responder) -> dict[str, Any]:
    return (await _pulling(out, lambda store, report, cancel: store.pull(req.source, report, cancel, name=req.name))).wire()


async def import_file(req: ModelsImport, out: Responder) -> dict[str, Any]:
    return (await _pulling(out, lambda store, report, cancel: store.import_gguf(req.path, req.name, report, cancel))).wire()


async def info(req: ModelsInfo, out: Responder) -> dict[str, Any]:
    return (await asyncio.to_thread(lambda: ModelStore().get(req.name))).wire()


async def verify(req: ModelsVerify, out: Responder) -> dict[str, Any]:
    return (await asyncio.to_thread(lambda: ModelStore().verify(req.name))).wire()


async def remove(req: ModelsRemove, out: Responder) -> dict[str, Any]:
    return (await asyncio.to_thread(lambda: ModelStore().remove(req.name))).wire()


async def set_default(req: ModelsDefault, out: Responder) -> dict[str, Any]:
    return (await asyncio.to_thread(lambda: ModelStore().set_default(req.name))).wire()


async def _pulling(out: Responder, work: Callable[[ModelStore, Progress, threading.Event], InstalledModel]) -> InstalledModel:
    """Run a pull in a thread, relaying its progress; a cancelled request stops waiting for it."""
    loop = asyncio.get_running_loop()
    cancel = threading.Event()

    def report(fraction: float, stage: str) -> None:
        loop.call_soon_threadsafe(out.progress, fraction)

    try:
        return await asyncio.to_thread(lambda: work(ModelStore(), report, cancel))
    finally:
        cancel.set()  # when this waiter leaves, a pull nobody else waits for stops
