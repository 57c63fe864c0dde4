"""The user's files (settings, the policy database, keys, the vault, the model list): which are
damaged, and the repair that moves each aside before starting it afresh."""

from typing import Literal

from pydantic import Field

from .base import AdminRequest

FileKey = Literal["settings", "policy", "keys", "vault", "models"]


class StorageCheck(AdminRequest):
    """Each file: its path, whether it is damaged (and why), and what repairing it does."""

    type: Literal["storage.check"] = "storage.check"


class StorageRepair(AdminRequest):
    """Move the damaged files among ``files`` (all damaged ones when omitted) aside and start them afresh."""

    type: Literal["storage.repair"] = "storage.repair"
    files: list[FileKey] | None = Field(default=None, max_length=5)


MESSAGES = (StorageCheck, StorageRepair)
