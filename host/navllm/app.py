"""The composition root: builds the host's services once and hands each handler table what it uses."""

from __future__ import annotations

from dataclasses import dataclass

from .dispatch.admin import admin_handlers
from .dispatch.dispatcher import Handler
from .dispatch.page import PageHandlers
from .dispatch.sessions import SessionTable
from .dispatch.tasks import TaskHandlers
from .install.doctor import sweep_temps
from .policy.gate import PolicyGate, open_gate
from .providers.router import Router
from .settings import LiveSettings


@dataclass(frozen=True)
class Core:
    """The services one process runs with: the native host and ``navllm serve`` each build one."""

    settings: LiveSettings
    gate: PolicyGate
    router: Router
    sessions: SessionTable

    def handlers(self) -> dict[type, Handler]:
        """Every request type the host answers, mapped to its handler."""
        return {
            **PageHandlers(self.gate, self.router, self.sessions).table(),
            **TaskHandlers(self.gate, self.router, self.sessions).table(),
            **admin_handlers(self.settings, self.gate, self.router, self.sessions),
        }


def core() -> Core:
    sweep_temps()  # temp files a killed write left behind
    settings = LiveSettings()
    return Core(settings, open_gate(settings.get), Router(settings.get), SessionTable())


def handlers() -> dict[type, Handler]:
    return core().handlers()
