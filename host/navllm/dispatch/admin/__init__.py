"""Requests only extension pages and the CLI may make, one module per domain as in ``protocol/admin``.

The dispatcher refuses every ``AdminRequest`` from a page. Each domain gets the services it uses
from the composition root (``navllm.app``) and nothing else.
"""

from __future__ import annotations

from ...policy.gate import PolicyGate
from ...providers.router import Router
from ...settings import LiveSettings
from ..dispatcher import Handler
from ..sessions import SessionTable
from . import keys, models
from .grants import GrantsAdmin
from .providers import ProviderAdmin
from .status import StatusAdmin
from .storage import StorageAdmin
from .usage import UsageAdmin


def admin_handlers(settings: LiveSettings, gate: PolicyGate, router: Router, sessions: SessionTable) -> dict[type, Handler]:
    return {
        **StatusAdmin(settings, router, sessions).table(),
        **StorageAdmin(settings, gate).table(),
        **GrantsAdmin(gate, router).table(),
        **UsageAdmin(gate).table(),
        **ProviderAdmin(settings, router).table(),
        **keys.handlers(),
        **models.handlers(),
    }
