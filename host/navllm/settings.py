"""User settings, one JSON file written atomically. Only extension pages and the CLI change them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from .atomic import damaged, read_json, write_atomic
from .paths import config_dir
from .protocol.errors import ErrorName, NavError

log = logging.getLogger(__name__)
MAX_BYTES = 1 << 20


class _Stored(BaseModel):
    # camelCase like every other message on the wire; snake_case accepted from the CLI.
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ProviderConfig(_Stored):
    """One entry of the user's provider chain (the order is the fallback order)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    kind: Literal["local", "openai", "anthropic", "echo"]
    label: str = Field(default="", max_length=80)
    base_url: str | None = Field(default=None, max_length=2048)
    model: str | None = Field(default=None, max_length=256)
    preset: str | None = Field(default=None, max_length=64)
    enabled: bool = True
    # Remote providers: tokens the model accepts (else the preset's figure), and seconds to wait for a byte.
    context_window: int | None = Field(default=None, ge=256, le=10_000_000)
    timeout: float = Field(default=60.0, gt=0, le=600)
    # Remote providers: seconds one request may take in all, and characters of text and tool-call
    # arguments one reply may hold, so a server cannot trickle forever or fill the host's memory
    # (at most half the protocol's 4 MiB text limit).
    deadline: float = Field(default=300.0, gt=0, le=3600)
    max_reply_chars: int = Field(default=1_048_576, ge=1024, le=2_097_152)
    # Remote providers: what the model reads (else the preset's list); text is always among them.
    inputs: list[Literal["text", "image", "audio"]] | None = Field(default=None, min_length=1, max_length=3)

    @field_validator("inputs")
    @classmethod
    def _inputs_in_order(cls, inputs: list[str] | None) -> list[str] | None:
        """Text first, each type once: every chat model reads text, and one order compares equal."""
        return None if inputs is None else [t for t in ("text", "image", "audio") if t == "text" or t in inputs]


class Settings(_Stored):
    echo_enabled: bool = False
    echo_delay_ms: int = Field(default=0, ge=0, le=10_000)
    threads: int | None = Field(default=None, ge=1, le=256)
    history_enabled: bool = False
    history_retention_days: int = Field(default=30, ge=1, le=3650)
    replace_native_prompt_api: bool = False
    # Web origins whose pages may call ``navllm serve`` from a browser (CORS); every other Origin is refused.
    serve_allowed_origins: list[Annotated[str, Field(max_length=2048)]] = Field(default_factory=list, max_length=64)
    # Where ``navllm serve`` listens unless told (0: any free port), and whether the native host relays
    # to it: on-demand (start it when none runs), if-running, off. Read raw by ``link.connect``.
    serve_port: int = Field(default=11480, ge=0, le=65535)
    daemon: Literal["on-demand", "if-running", "off"] = "on-demand"
    providers: list[ProviderConfig] = Field(default_factory=lambda: [ProviderConfig(name="local", kind="local", label="On this device")])

    def provider_tuning(self) -> tuple[int | None, int]:
        """The settings providers are built with; a change rebuilds them (the chain is compared apart)."""
        return (self.threads, self.echo_delay_ms)


def settings_path() -> Path:
    return config_dir() / "settings.json"


def read() -> Settings:
    """The stored settings (the defaults when there is no file); DataError naming the file when it is damaged."""
    path = settings_path()
    try:
        data = read_json(path, MAX_BYTES)
    except FileNotFoundError:
        return Settings()
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise damaged(path, f"not navllm settings: {_first_error(exc)}") from None


def load() -> Settings:
    """The settings to run with: the defaults while the file is damaged (``problem`` says so,
    and ``update`` refuses to replace it until it is repaired)."""
    try:
        return read()
    except NavError as err:
        log.warning("using default settings: %s", err.message)
        return Settings()


def problem() -> NavError | None:
    """Why the settings file cannot be used, or None."""
    try:
        read()
    except NavError as err:
        return err
    return None


def save(settings: Settings) -> None:
    write_atomic(settings_path(), settings.model_dump_json(indent=2, by_alias=True).encode())


def update(values: dict[str, Any]) -> Settings:
    """Apply ``values`` to the stored settings; invalid input, or a damaged file, changes nothing."""
    current = read().model_dump(by_alias=True)
    known = {name for field in Settings.model_fields.items() for name in (field[0], field[1].alias)}
    unknown = set(values) - known
    if unknown:
        raise NavError(ErrorName.TYPE, f"unknown setting(s): {', '.join(sorted(unknown))}")
    try:
        # Every field has an alias (the camelCase alias generator), so ``or k`` never applies.
        values = {(Settings.model_fields[k].alias or k) if k in Settings.model_fields else k: v for k, v in values.items()}
        updated = Settings.model_validate({**current, **values})
    except ValidationError as exc:
        raise NavError(ErrorName.TYPE, f"invalid setting {_first_error(exc)}") from None
    save(updated)
    return updated


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False, include_input=False)[0]
    return f"{'.'.join(str(p) for p in first['loc']) or 'the whole file'}: {first['msg']}"


def public(settings: Settings) -> dict[str, Any]:
    wire: dict[str, Any] = json.loads(settings.model_dump_json(by_alias=True))
    return wire


class LiveSettings:
    """The settings the running host uses: loaded at start, reloaded after each change an admin
    request writes, and read by the router and the gate through ``get`` (so they see the reload)."""

    def __init__(self) -> None:
        self._value = load()

    def get(self) -> Settings:
        return self._value

    def reload(self) -> None:
        self._value = load()
