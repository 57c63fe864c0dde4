"""Keys and the vault from the side panel. Replies describe keys (present, where, since when), never contain them."""

from __future__ import annotations

import asyncio
from typing import Any

from ...protocol.admin import keys as k
from ...protocol.errors import NavError
from ...secrets.store import keystore
from ..dispatcher import Handler
from ..responder import Responder


def handlers() -> dict[type, Handler]:
    return {
        k.SetKey: set_key,
        k.DeleteKey: delete_key,
        k.KeyStatus: key_status,
        k.UnlockVault: unlock_vault,
        k.LockVault: lock_vault,
        k.VaultStatus: vault_status,
    }


async def set_key(req: k.SetKey, out: Responder) -> dict[str, Any]:
    return keystore().set(req.provider, req.secret.get_secret_value())


async def delete_key(req: k.DeleteKey, out: Responder) -> dict[str, Any]:
    return {"provider": req.provider, "deleted": keystore().delete(req.provider)}


async def key_status(req: k.KeyStatus, out: Responder) -> dict[str, Any] | list[dict[str, Any]]:
    store = keystore()
    return store.status(req.provider) if req.provider else store.list()


async def unlock_vault(req: k.UnlockVault, out: Responder) -> dict[str, Any]:
    # Argon2id takes ~0.3 s and 64 MiB: off the event loop so other requests keep flowing.
    await asyncio.to_thread(keystore().vault.unlock, req.passphrase.get_secret_value())
    return vault_state()


async def lock_vault(req: k.LockVault, out: Responder) -> dict[str, Any]:
    keystore().vault.lock()
    return vault_state()


async def vault_status(req: k.VaultStatus, out: Responder) -> dict[str, Any]:
    return vault_state()


def vault_state() -> dict[str, Any]:
    store = keystore()
    state = {"exists": store.vault.exists(), "unlocked": store.vault.unlocked, "newKeysGoTo": store.where_new_keys_go()}
    try:
        store.vault.check()
    except NavError as err:
        state["error"] = err.message  # damaged: unlocking it fails until it is repaired
    return state
