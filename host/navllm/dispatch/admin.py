"""Handlers for requests from extension pages: status and settings here; each domain adds its own table."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from .. import PROTOCOL_VERSION, __version__
from .. import settings as settings_store
from ..paths import config_dir, data_dir
from ..protocol.admin.status import Doctor, GetSettings, SetSettings, Status
from ..protocol.admin.storage import StorageCheck, StorageRepair
from .responder import Responder

if TYPE_CHECKING:
    from ..app import App

# Domains that contribute admin handlers: "module:function(app) -> {MessageClass: handler}".
DOMAINS: tuple[str, ...] = ("navllm.policy.admin:handlers", "navllm.providers.admin:handlers", "navllm.secrets.admin:handlers", "navllm.models.admin:handlers")


class AdminHandlers:
    def __init__(self, app: App):
        self.app = app

    def table(self) -> dict[type, Any]:
        table: dict[type, Any] = {
            Status: self.status,
            Doctor: self.doctor,
            GetSettings: self.get_settings,
            SetSettings: self.set_settings,
            StorageCheck: self.storage_check,
            StorageRepair: self.storage_repair,
        }
        for spec in DOMAINS:
            module, _, attr = spec.partition(":")
            table.update(getattr(importlib.import_module(module), attr)(self.app))
        return table

    async def status(self, req: Status, out: Responder) -> dict:
        return {
            "host": __version__,
            "protocol": PROTOCOL_VERSION,
            "dataDir": str(data_dir()),
            "configDir": str(config_dir()),
            "providers": self.app.router.capabilities()["providers"],
            "sessions": len(self.app.sessions),
        }

    async def doctor(self, req: Doctor, out: Responder) -> list[dict]:
        return await asyncio.to_thread(_doctor_report)

    async def get_settings(self, req: GetSettings, out: Responder) -> dict:
        problem = settings_store.problem()
        # Damaged: the defaults the host runs with, flagged so the panel offers the repair.
        return {**settings_store.public(self.app.settings), **({"damaged": problem.to_wire()} if problem else {})}

    async def set_settings(self, req: SetSettings, out: Responder) -> dict:
        settings_store.update(req.values)
        self.app.reload_settings()
        return settings_store.public(self.app.settings)


    async def storage_check(self, req: StorageCheck, out: Responder) -> dict:
        from ..install.doctor import storage_report

        return {"files": await asyncio.to_thread(storage_report)}

    async def storage_repair(self, req: StorageRepair, out: Responder) -> dict:
        from ..install.doctor import repair, storage_report

        self.app.close_policy_db()
        moved = await asyncio.to_thread(repair, req.files)
        self.app.reload_settings()
        return {"repaired": moved, "files": await asyncio.to_thread(storage_report)}


def _doctor_report() -> list[dict]:
    """The installer's check of every browser's standard location (probing a launcher spawns a host)."""
    from ..install.doctor import check
    from ..install.register import Choice, chosen, current_os

    report = []
    for target in chosen(Choice(), current_os(), found_only=False):
        healthy, lines = check(target)
        report.append({"browser": target.browser, "manifest": str(target.manifest), "healthy": healthy, "lines": lines})
    return report
