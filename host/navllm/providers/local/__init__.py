"""The local engine: converted models on onnxruntime with our own generation loop."""

from __future__ import annotations

from .provider import LocalProvider


def from_config(config, settings) -> LocalProvider:
    return LocalProvider(name=config.name, model=config.model, threads=settings.threads, context_window=config.context_window)
