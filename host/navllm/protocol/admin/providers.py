"""The user's provider chain: add, edit, remove, reorder and test providers.

Provider entries are validated by the settings model when applied, so an invalid change is
refused with a readable reason and nothing stored changes.
"""

from typing import Any, Literal

from pydantic import Field

from .base import AdminRequest

ProviderName = str


class ListProviders(AdminRequest):
    """The chain in order, each with whether its key is set."""

    type: Literal["providers.list"] = "providers.list"


class ListPresets(AdminRequest):
    """Known endpoints (base URL, whether a key is needed, context window, what the model reads) to start from."""

    type: Literal["providers.presets"] = "providers.presets"


class AddProvider(AdminRequest):
    """Append a provider (or insert it at ``position``); preset values fill what is not given
    (``inputs`` too: the types its model reads, from text, image and audio)."""

    type: Literal["providers.add"] = "providers.add"
    provider: dict[str, Any] = Field(max_length=32)
    position: int | None = Field(default=None, ge=0, le=64)


class UpdateProvider(AdminRequest):
    type: Literal["providers.update"] = "providers.update"
    name: ProviderName = Field(max_length=32)
    changes: dict[str, Any] = Field(max_length=32)


class RemoveProvider(AdminRequest):
    type: Literal["providers.remove"] = "providers.remove"
    name: ProviderName = Field(max_length=32)
    delete_key: bool = False


class OrderProviders(AdminRequest):
    """Set the fallback order: every configured provider name, each once."""

    type: Literal["providers.order"] = "providers.order"
    names: list[ProviderName] = Field(max_length=64)


class CheckProvider(AdminRequest):
    """Ask the provider for one token and report the latency, or the error it gave."""

    type: Literal["providers.test"] = "providers.test"
    name: ProviderName = Field(max_length=32)


MESSAGES = (ListProviders, ListPresets, AddProvider, UpdateProvider, RemoveProvider, OrderProviders, CheckProvider)
