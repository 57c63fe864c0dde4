"""The local engine: converted models on onnxruntime with our own generation loop."""

from __future__ import annotations

from ...settings import ProviderConfig, Settings
from .provider import LocalProvider


def from_config(config: ProviderConfig, settings: Settings) -> LocalProvider:
    return LocalProvider(name=config.name, model=config.model, threads=settings.threads, context_window=config.context_window)
