"""The key store: a write-only face over the OS keychain and the vault.

Callers can set, delete and ask about a provider's key; none can read it. Providers get it
through ``provider_secret``, which reads each key once per process and keeps it in memory
(Secret Service reads take ~13 ms and may prompt on other platforms). A small JSON file
records where each key went and when, never the key itself, so status needs no keychain call.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from ..atomic import damaged, read_json, write_atomic
from ..paths import config_dir
from ..protocol.errors import ErrorName, NavError
from . import redact
from .vault import Vault

log = logging.getLogger(__name__)

T = TypeVar("T")

SERVICE = "navllm"
VAULT = "vault"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
MAX_SECRET = 8192
MAX_METADATA = 1 << 20


def metadata_path() -> Path:
    return config_dir() / "keys.json"


def read_metadata(path: Path) -> dict[str, dict[str, str]]:
    """Where each key went and when; {} without a file, DataError naming it when damaged."""
    try:
        data = read_json(path, MAX_METADATA)
    except FileNotFoundError:
        return {}
    sound = isinstance(data, dict) and all(
        isinstance(name, str)
        and NAME.match(name)
        and isinstance(entry, dict)
        and isinstance(entry.get("backend"), str)
        and isinstance(entry.get("setAt"), str)
        for name, entry in data.items()
    )
    if not sound:
        raise damaged(path, "it is JSON, but not navllm's record of where keys are kept")
    return cast("dict[str, dict[str, str]]", data)  # checked just above


def _check_name(provider: str) -> str:
    if not NAME.match(provider):
        raise NavError(ErrorName.TYPE, "a provider name is 1-32 lowercase letters, digits, '-' or '_'")
    return provider


class KeyStore:
    def __init__(self, vault: Vault | None = None, metadata: Path | None = None):
        self.vault = vault or Vault()
        self._metadata = metadata or metadata_path()
        self._keychain: Any = None
        self._keychain_probed = False
        self._cache: dict[str, str] = {}

    # -- the write-only API -------------------------------------------------------------

    def set(self, provider: str, secret: str) -> dict[str, Any]:
        _check_name(provider)
        secret = secret.strip()
        if not secret or len(secret) > MAX_SECRET or any(c in secret for c in "\r\n\0"):
            raise NavError(ErrorName.TYPE, f"a key is one line of 1-{MAX_SECRET} characters")
        redact.remember(secret)  # before any keychain call, so nothing it logs can carry the key
        backend = self._store(provider, secret)
        previous = self._read_metadata().get(provider)
        if previous and previous["backend"] != backend:
            self._remove_from(previous["backend"], provider, strict=False)
        self._write_metadata({**self._read_metadata(), provider: {"backend": backend, "setAt": _now()}})
        self._cache[provider] = secret
        return self.status(provider)

    def delete(self, provider: str) -> bool:
        _check_name(provider)
        entries = self._read_metadata()
        entry = entries.pop(provider, None)
        if entry is None:
            return False
        self._remove_from(entry["backend"], provider)
        self._write_metadata(entries)
        self._cache.pop(provider, None)
        return True

    def status(self, provider: str) -> dict[str, Any]:
        """Whether the key is set; with a damaged ``keys.json`` it counts as unset and ``error`` says why."""
        _check_name(provider)
        try:
            entry = self._read_metadata().get(provider)
        except NavError as err:
            return {"provider": provider, "present": False, "backend": None, "setAt": None, "error": err.message}
        if entry is None:
            return {"provider": provider, "present": False, "backend": None, "setAt": None}
        return {"provider": provider, "present": True, "backend": entry["backend"], "setAt": entry["setAt"]}

    def list(self) -> list[dict[str, Any]]:
        return [self.status(name) for name in sorted(self._read_metadata())]

    def where_new_keys_go(self) -> str:
        keychain = self._os_keychain()
        if keychain is None:
            return VAULT
        from .backends import backend_label

        return backend_label(keychain)

    # -- the one reader, for providers ---------------------------------------------------

    def provider_secret(self, provider: str) -> str | None:
        """The key for ``provider``, read once per process; None if none is set."""
        if provider in self._cache:
            return self._cache[provider]
        entry = self._read_metadata().get(provider)
        if entry is None:
            return None
        if entry["backend"] == VAULT:
            secret = self.vault.get(provider)
        else:
            secret = self._keychain_call(lambda k: k.get_password(SERVICE, provider), entry["backend"])
        if secret is None:
            raise NavError(ErrorName.NOT_FOUND, f"the key for {provider!r} is missing from the {entry['backend']}; set it again")
        self._cache[provider] = secret
        redact.remember(secret)
        return secret

    # -- internals ----------------------------------------------------------------------

    def _os_keychain(self) -> Any:
        if not self._keychain_probed:
            from .backends import os_keychain

            self._keychain = os_keychain()
            self._keychain_probed = True
        return self._keychain

    def _store(self, provider: str, secret: str) -> str:
        """Put the secret in the OS keychain if it works now, else in the vault; return where."""
        keychain = self._os_keychain()
        if keychain is not None:
            from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

            from .backends import backend_label

            try:
                keychain.set_password(SERVICE, provider, secret)
                return backend_label(keychain)
            except (NoKeyringError, InitError, KeyringLocked) as exc:
                log.warning("the OS keychain is unavailable (%s); storing the key in the vault", type(exc).__name__)
            except KeyringError as exc:
                raise NavError(
                    ErrorName.OPERATION, f"the {backend_label(keychain)} refused to store the key ({type(exc).__name__})"
                ) from None
        self.vault.set(provider, secret)
        return VAULT

    def _remove_from(self, backend: str, provider: str, strict: bool = True) -> None:
        """Erase the stored secret; a locked vault refuses a delete but only delays a move's cleanup."""
        if backend == VAULT:
            if strict or self.vault.unlocked:
                self.vault.delete(provider)
            else:
                log.warning("the vault is locked; the old key for %s stays in it, encrypted, until overwritten", provider)
            return
        from keyring.errors import PasswordDeleteError

        def delete(k: Any) -> None:
            with contextlib.suppress(PasswordDeleteError):  # already gone
                k.delete_password(SERVICE, provider)

        self._keychain_call(delete, backend)

    def _keychain_call(self, call: Callable[[Any], T], backend: str) -> T:
        keychain = self._os_keychain()
        from .backends import backend_label

        if keychain is None or backend_label(keychain) != backend:
            raise NavError(ErrorName.INVALID_STATE, f"the key is in the {backend}, which is not available now")
        from keyring.errors import KeyringError

        try:
            return call(keychain)
        except KeyringError as exc:
            raise NavError(ErrorName.INVALID_STATE, f"the {backend} refused access ({type(exc).__name__}); unlock it and retry") from None

    def _read_metadata(self) -> dict[str, dict[str, str]]:
        return read_metadata(self._metadata)

    def _write_metadata(self, entries: dict[str, dict[str, str]]) -> None:
        write_atomic(self._metadata, json.dumps(entries, indent=2, sort_keys=True).encode())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


_stores: dict[Path, KeyStore] = {}


def keystore() -> KeyStore:
    """The process-wide store for the current ``NAVLLM_HOME`` (so the read-once cache is shared)."""
    where = config_dir()
    if where not in _stores:
        _stores[where] = KeyStore()
    return _stores[where]
