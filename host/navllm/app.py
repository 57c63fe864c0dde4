"""Assemble the host's services and the handler table the dispatcher routes to."""

from __future__ import annotations

from typing import Any

from . import settings as settings_store
from .dispatch.admin import AdminHandlers
from .dispatch.page import PageHandlers
from .dispatch.sessions import SessionTable
from .policy import Gate
from .providers.router import Router


class App:
    def __init__(self, gate: Gate | None = None):
        from .install.doctor import sweep_temps

        sweep_temps()
        self._settings = settings_store.load()
        self.router = Router(lambda: self._settings)
        self.sessions = SessionTable()
        if gate is None:
            from .policy.gate import open_gate

            gate = open_gate(lambda: self._settings)
        self.gate = gate

    @property
    def settings(self) -> settings_store.Settings:
        return self._settings

    def reload_settings(self) -> None:
        self._settings = settings_store.load()

    def close_policy_db(self) -> None:
        """Before a repair: the gate keeps navllm.db open (Windows cannot move an open file); it reopens on next use."""
        from .policy.gate import PolicyGate

        if isinstance(self.gate, PolicyGate) and self.gate._persistent is not None:  # gate.py has no public way yet
            self.gate._persistent.db.close()
            self.gate._persistent = None

    def handlers(self) -> dict[type, Any]:
        return {**PageHandlers(self.gate, self.router, self.sessions).table(), **AdminHandlers(self).table()}
