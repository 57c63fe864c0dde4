"""The host's files from the side panel: check each one, and move damaged ones aside so navllm starts fresh."""

from __future__ import annotations

import asyncio
from typing import Any

from ...policy.gate import PolicyGate
from ...protocol.admin.storage import StorageCheck, StorageRepair
from ...settings import LiveSettings
from ..dispatcher import Handler
from ..responder import Responder


class StorageAdmin:
    def __init__(self, settings: LiveSettings, gate: PolicyGate):
        self.settings = settings
        self.gate = gate

    def table(self) -> dict[type, Handler]:
        return {StorageCheck: self.check, StorageRepair: self.repair}

    async def check(self, req: StorageCheck, out: Responder) -> dict[str, Any]:
        from ...install.doctor import storage_report

        return {"files": await asyncio.to_thread(storage_report)}

    async def repair(self, req: StorageRepair, out: Responder) -> dict[str, Any]:
        from ...install.doctor import repair, storage_report

        self.gate.close()  # the repair may move navllm.db, which Windows cannot do while it is open
        moved = await asyncio.to_thread(repair, req.files)
        self.settings.reload()
        return {"repaired": moved, "files": await asyncio.to_thread(storage_report)}
