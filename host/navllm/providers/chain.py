"""The stored provider chain: describe, validate, add, change, reorder and check entries.

Extension pages (through ``dispatch/admin/providers.py``) and the CLI share these functions.

Every change is validated in full (the settings model, the preset, the URL) before anything
is written, and written with one atomic settings update, so a bad change loses nothing.
"""

from __future__ import annotations

import time
from typing import Any

from .. import settings as settings_store
from ..protocol.common import Sampling, text_message
from ..protocol.errors import ErrorName, NavError
from ..protocol.page import CoreOptions
from ..settings import ProviderConfig, Settings
from .base import Generation, Provider
from .echo import EchoProvider
from .presets import PRESETS
from .remote import Endpoint

REMOTE_KINDS = ("openai", "anthropic")
# What the other kinds read: the local engine text only (the base default), the test echo everything.
FIXED_INPUTS = {"local": list(Provider.inputs), "echo": list(EchoProvider.inputs)}


def describe(config: ProviderConfig) -> dict[str, Any]:
    """One entry as shown to the user, with where it points, what it reads and whether its key is set."""
    entry: dict[str, Any] = settings_store.public(Settings(providers=[config]))["providers"][0]
    if config.kind in REMOTE_KINDS:
        from ..secrets.store import keystore

        endpoint = Endpoint.of(config)
        entry.update(
            resolvedBaseUrl=endpoint.base_url,
            keyNeeded=endpoint.key_needed,
            contextWindow=endpoint.context_window,
            resolvedInputs=list(endpoint.inputs),
            key=keystore().status(config.name),
        )
    else:
        entry.update(resolvedInputs=FIXED_INPUTS[config.kind])
    return entry


def find(name: str, settings: Settings | None = None) -> ProviderConfig:
    for config in (settings or settings_store.load()).providers:
        if config.name == name:
            return config
    raise NavError(ErrorName.NOT_FOUND, f"no provider named {name!r}; see `navllm providers list`")


def validated(entry: dict[str, Any]) -> ProviderConfig:
    """A complete entry, its kind taken from its preset when not given."""
    entry = dict(entry)
    preset = PRESETS.get(entry.get("preset") or "")
    if preset is not None:
        entry.setdefault("kind", preset.kind)
        entry.setdefault("label", preset.label)
    try:
        config = ProviderConfig.model_validate(entry)
    except ValueError as exc:
        errors = getattr(exc, "errors", None)
        first = errors(include_url=False, include_input=False)[0] if errors else {"loc": (), "msg": str(exc)}
        where = ".".join(str(x) for x in first["loc"]) or "provider"
        raise NavError(ErrorName.TYPE, f"invalid provider {where}: {first['msg']}") from None
    if config.kind in REMOTE_KINDS:
        Endpoint.of(config)  # checks the preset, the URL and the inputs
    elif config.preset or config.base_url:
        raise NavError(ErrorName.TYPE, f"{config.kind} providers take no preset or base URL")
    elif config.inputs is not None:
        raise NavError(ErrorName.TYPE, f"{config.kind} providers read {', '.join(FIXED_INPUTS[config.kind])}; their inputs cannot be set")
    return config


def _save(configs: list[ProviderConfig]) -> Settings:
    return settings_store.update({"providers": [c.model_dump(by_alias=True) for c in configs]})


def add_provider(entry: dict[str, Any], position: int | None = None) -> ProviderConfig:
    config = validated(entry)
    current = settings_store.load().providers
    if any(c.name == config.name for c in current):
        raise NavError(ErrorName.INVALID_STATE, f"a provider named {config.name!r} already exists; edit it or pick another name")
    configs = list(current)
    configs.insert(len(configs) if position is None else position, config)
    _save(configs)
    return config


def update_provider(name: str, changes: dict[str, Any]) -> ProviderConfig:
    current = find(name)
    if changes.get("name", name) != name:
        raise NavError(ErrorName.TYPE, "a provider cannot be renamed (its key is stored under its name); add a new one")
    # Changes come camelCase from extension pages and snake_case from the CLI: one spelling, or
    # the stored value (camelCase) and the change would both arrive and be refused as a duplicate.
    fields = ProviderConfig.model_fields
    changes = {(fields[k].alias or k) if k in fields else k: v for k, v in changes.items()}
    merged = validated({**current.model_dump(by_alias=True), **changes})
    _save([merged if c.name == name else c for c in settings_store.load().providers])
    return merged


def remove_provider(name: str, delete_key: bool = False) -> None:
    find(name)
    _save([c for c in settings_store.load().providers if c.name != name])
    if delete_key:
        from ..secrets.store import keystore

        keystore().delete(name)


def order_providers(names: list[str]) -> list[str]:
    current = settings_store.load().providers
    if sorted(names) != sorted(c.name for c in current) or len(set(names)) != len(names):
        raise NavError(ErrorName.TYPE, f"the order must name every provider once: {', '.join(c.name for c in current)}")
    by_name = {c.name: c for c in current}
    _save([by_name[n] for n in names])
    return names


async def check_provider(provider: Provider) -> dict[str, Any]:
    """A one-token request: how long the provider took, or the error it gave."""
    started = time.monotonic()
    try:
        conversation = await provider.open(CoreOptions(), lambda _loaded: None)
        try:
            request = Generation(messages=[text_message("user", "Reply with the single word OK.")], sampling=Sampling(max_tokens=1))
            async for _ in conversation.generate(request):
                pass
        finally:
            await conversation.close()
    except NavError as err:
        return {"ok": False, "provider": provider.name, "error": err.to_wire()}
    latency = round((time.monotonic() - started) * 1000, 1)
    return {"ok": True, "provider": provider.name, "model": conversation.model, "latencyMs": latency}
