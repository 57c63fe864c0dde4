"""The composition root: builds the host's services once and hands each handler table what it uses."""

from __future__ import annotations

from .dispatch.admin import admin_handlers
from .dispatch.dispatcher import Handler
from .dispatch.page import PageHandlers
from .dispatch.sessions import SessionTable
from .dispatch.tasks import TaskHandlers
from .install.doctor import sweep_temps
from .policy.gate import open_gate
from .providers.router import Router
from .settings import LiveSettings


def handlers() -> dict[type, Handler]:
    """Every request type the host answers, mapped to its handler."""
    sweep_temps()  # temp files a killed write left behind
    settings = LiveSettings()
    router = Router(settings.get)
    sessions = SessionTable()
    gate = open_gate(settings.get)
    return {
        **PageHandlers(gate, router, sessions).table(),
        **TaskHandlers(gate, router, sessions).table(),
        **admin_handlers(settings, gate, router, sessions),
    }
