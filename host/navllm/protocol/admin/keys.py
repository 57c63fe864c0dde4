"""API keys and the vault. Secrets travel inward only: no reply ever carries one."""

from typing import Literal

from pydantic import Field, SecretStr

from .base import AdminRequest

ProviderName = str


class SetKey(AdminRequest):
    """Store the key for a provider in the OS keychain (or the vault); replies with its status."""

    type: Literal["keys.set"] = "keys.set"
    provider: ProviderName = Field(max_length=32)
    secret: SecretStr = Field(min_length=1, max_length=8192)


class DeleteKey(AdminRequest):
    type: Literal["keys.delete"] = "keys.delete"
    provider: ProviderName = Field(max_length=32)


class KeyStatus(AdminRequest):
    """Whether a key is set, where, and since when; every stored key when ``provider`` is omitted."""

    type: Literal["keys.status"] = "keys.status"
    provider: ProviderName | None = Field(default=None, max_length=32)


class UnlockVault(AdminRequest):
    """Unlock the vault for this host process (the first unlock creates it with this passphrase)."""

    type: Literal["vault.unlock"] = "vault.unlock"
    passphrase: SecretStr = Field(min_length=1, max_length=1024)


class LockVault(AdminRequest):
    type: Literal["vault.lock"] = "vault.lock"


class VaultStatus(AdminRequest):
    type: Literal["vault.status"] = "vault.status"


MESSAGES = (SetKey, DeleteKey, KeyStatus, UnlockVault, LockVault, VaultStatus)
