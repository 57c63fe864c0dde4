"""The host's status, the installer's check of every browser, and the settings."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ... import PROTOCOL_VERSION, __version__
from ... import settings as settings_store
from ...paths import config_dir, data_dir
from ...protocol.admin.status import Doctor, GetSettings, SetSettings, Status
from ...providers.local import memory
from ...providers.router import Router
from ...settings import LiveSettings
from ..dispatcher import Handler
from ..responder import Responder
from ..sessions import SessionTable


class StatusAdmin:
    def __init__(self, settings: LiveSettings, router: Router, sessions: SessionTable):
        self.settings = settings
        self.router = router
        self.sessions = sessions

    def table(self) -> dict[type, Handler]:
        return {Status: self.status, Doctor: self.doctor, GetSettings: self.get_settings, SetSettings: self.set_settings}

    async def status(self, req: Status, out: Responder) -> dict[str, Any]:
        return {
            "host": __version__,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),  # the native host's own, or navllm serve's when the host relays to it
            "dataDir": str(data_dir()),
            "configDir": str(config_dir()),
            "providers": self.router.capabilities()["providers"],
            "sessions": len(self.sessions),
            "sessionMemory": {**self.sessions.memory(), "budget": memory.budget.limit},
        }

    async def doctor(self, req: Doctor, out: Responder) -> list[dict[str, Any]]:
        return await asyncio.to_thread(_doctor_report)

    async def get_settings(self, req: GetSettings, out: Responder) -> dict[str, Any]:
        problem = settings_store.problem()
        # Damaged: the defaults the host runs with, flagged so the panel offers the repair.
        return {**settings_store.public(self.settings.get()), **({"damaged": problem.to_wire()} if problem else {})}

    async def set_settings(self, req: SetSettings, out: Responder) -> dict[str, Any]:
        settings_store.update(req.values)
        self.settings.reload()
        return settings_store.public(self.settings.get())


def _doctor_report() -> list[dict[str, Any]]:
    """The installer's check of every browser's standard location (probing a launcher spawns a host)."""
    from ...install.doctor import check
    from ...install.register import Choice, chosen, current_os

    report = []
    for target in chosen(Choice(), current_os(), found_only=False):
        healthy, lines = check(target)
        report.append({"browser": target.browser, "manifest": str(target.manifest), "healthy": healthy, "lines": lines})
    return report
