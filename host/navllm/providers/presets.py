"""Known endpoints a user can start from. A preset fills what the user's entry leaves out.

Model names are suggestions current when written; the user can pick any model the account
offers (``providers.list`` / ``navllm providers test`` show what the endpoint lists).
Local servers need no key and their context window depends on how they were started, so
they get a conservative default the user can raise.

``inputs`` is what the preset's suggested model reads (text, images, audio); an entry's
own ``inputs`` (the user's, for another model) wins over its preset's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import urlparse

LOCAL_CONTEXT = 8192

Input = Literal["text", "image", "audio"]
# What each remote API can carry at all (Anthropic's Messages API has no audio input).
KIND_INPUTS: dict[str, tuple[Input, ...]] = {"openai": ("text", "image", "audio"), "anthropic": ("text", "image")}
# What a preset's model reads unless the preset says otherwise: most chat models today see images.
DEFAULT_INPUTS: tuple[Input, ...] = ("text", "image")
TEXT_ONLY: tuple[Input, ...] = ("text",)


@dataclass(frozen=True)
class Preset:
    id: str
    label: str
    kind: Literal["openai", "anthropic"]
    base_url: str
    key_needed: bool
    context_window: int
    model: str | None = None
    signup_url: str | None = None
    inputs: tuple[Input, ...] = DEFAULT_INPUTS

    def wire(self) -> dict[str, Any]:
        return {to_camel(k): list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


PRESETS: dict[str, Preset] = {
    p.id: p
    for p in (
        Preset(
            "openai", "OpenAI", "openai", "https://api.openai.com/v1", True, 128_000, "gpt-4.1-mini", "https://platform.openai.com/api-keys"
        ),
        Preset(
            "anthropic",
            "Anthropic",
            "anthropic",
            "https://api.anthropic.com",
            True,
            200_000,
            "claude-sonnet-4-5",
            "https://console.anthropic.com/settings/keys",
        ),
        Preset(
            "openrouter",
            "OpenRouter",
            "openai",
            "https://openrouter.ai/api/v1",
            True,
            128_000,
            "openrouter/auto",
            "https://openrouter.ai/keys",
        ),
        Preset(
            "groq",
            "Groq",
            "openai",
            "https://api.groq.com/openai/v1",
            True,
            131_072,
            "llama-3.3-70b-versatile",
            "https://console.groq.com/keys",
            inputs=TEXT_ONLY,
        ),
        Preset(
            "together",
            "Together AI",
            "openai",
            "https://api.together.xyz/v1",
            True,
            131_072,
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "https://api.together.ai/settings/api-keys",
            inputs=TEXT_ONLY,
        ),
        Preset(
            "mistral",
            "Mistral",
            "openai",
            "https://api.mistral.ai/v1",
            True,
            128_000,
            "mistral-small-latest",
            "https://console.mistral.ai/api-keys",
        ),
        Preset(
            "deepseek",
            "DeepSeek",
            "openai",
            "https://api.deepseek.com/v1",
            True,
            64_000,
            "deepseek-chat",
            "https://platform.deepseek.com/api_keys",
            inputs=TEXT_ONLY,
        ),
        Preset(
            "gemini",
            "Google Gemini (OpenAI-compatible)",
            "openai",
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            True,
            1_048_576,
            "gemini-2.5-flash",
            "https://aistudio.google.com/apikey",
            inputs=("text", "image", "audio"),
        ),
        Preset("ollama", "Ollama (this computer)", "openai", "http://localhost:11434/v1", False, LOCAL_CONTEXT),
        Preset("lmstudio", "LM Studio (this computer)", "openai", "http://localhost:1234/v1", False, LOCAL_CONTEXT),
        Preset("vllm", "vLLM server", "openai", "http://localhost:8000/v1", False, LOCAL_CONTEXT),
        Preset("llamacpp", "llama.cpp server", "openai", "http://localhost:8080/v1", False, LOCAL_CONTEXT),
    )
}

# Used when an entry names no preset: the vendor's own endpoint.
DEFAULT_PRESET = {"openai": "openai", "anthropic": "anthropic"}


def preset_for(kind: str, preset: str | None) -> Preset:
    from ..protocol.errors import ErrorName, NavError

    found = PRESETS.get(preset or DEFAULT_PRESET[kind])
    if found is None:
        raise NavError(ErrorName.NOT_FOUND, f"unknown preset {preset!r}; see `navllm providers presets`")
    if found.kind != kind:
        raise NavError(ErrorName.TYPE, f"preset {preset!r} is for {found.kind} providers, not {kind}")
    return found


def is_local(base_url: str) -> bool:
    """Servers on this machine need no key."""
    host = urlparse(base_url).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
