"""INTERIM gate (to be replaced by the grant store): eligibility rules only, every eligible origin admitted."""

from __future__ import annotations

from . import Action, UsageRecord
from ..protocol.common import Caller
from ..protocol.errors import not_allowed


def open_gate(settings):
    return _InterimGate()


class _InterimGate:
    def eligible(self, caller: Caller) -> bool:
        o = caller.origin
        return caller.kind == "extension" or o.startswith("https://") or o.startswith(("http://localhost", "http://127.0.0.1"))

    async def admit(self, caller: Caller, action: Action, candidates):
        if not self.eligible(caller):
            raise not_allowed(f"{caller.origin} may not use navllm")
        return candidates

    def record(self, record: UsageRecord) -> None:
        pass
