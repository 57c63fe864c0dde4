"""The provider chain from the side panel: list, add, edit, remove, reorder and check providers."""

from __future__ import annotations

import builtins
from typing import Any

from ...protocol.admin import providers as p
from ...providers.chain import add_provider, check_provider, describe, find, order_providers, remove_provider, update_provider
from ...providers.presets import PRESETS
from ...providers.router import Router
from ...settings import LiveSettings
from ..dispatcher import Handler
from ..responder import Responder


class ProviderAdmin:
    def __init__(self, settings: LiveSettings, router: Router):
        self.settings = settings
        self.router = router

    def table(self) -> dict[type, Handler]:
        return {
            p.ListProviders: self.list,
            p.ListPresets: self.presets,
            p.AddProvider: self.add,
            p.UpdateProvider: self.update,
            p.RemoveProvider: self.remove,
            p.OrderProviders: self.order,
            p.CheckProvider: self.check,
        }

    async def list(self, req: p.ListProviders, out: Responder) -> list[dict[str, Any]]:
        return [describe(c) for c in self.settings.get().providers]

    # builtins.list below: inside the class, ``list`` is the handler above
    async def presets(self, req: p.ListPresets, out: Responder) -> builtins.list[dict[str, Any]]:
        return [preset.wire() for preset in PRESETS.values()]

    async def add(self, req: p.AddProvider, out: Responder) -> dict[str, Any]:
        config = add_provider(req.provider, req.position)
        self.settings.reload()
        return describe(config)

    async def update(self, req: p.UpdateProvider, out: Responder) -> dict[str, Any]:
        config = update_provider(req.name, req.changes)
        self.settings.reload()
        return describe(config)

    async def remove(self, req: p.RemoveProvider, out: Responder) -> dict[str, Any]:
        remove_provider(req.name, req.delete_key)
        self.settings.reload()
        return {"removed": req.name}

    async def order(self, req: p.OrderProviders, out: Responder) -> builtins.list[str]:
        names = order_providers(req.names)
        self.settings.reload()
        return names

    async def check(self, req: p.CheckProvider, out: Responder) -> dict[str, Any]:
        return await check_provider(self.router.build(find(req.name, self.settings.get())))
