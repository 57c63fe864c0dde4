"""Shared by the provider tests: the test API key and provider tracking (conftest names collide across folders)."""

from __future__ import annotations

KEY = "sk-navllm-Zq8XwV3tPq9LmN2rKs7Yb4"
PASSPHRASE = "a long enough passphrase"

built_providers: list = []


def built(provider):
    """Track a provider so its HTTP clients are closed before the test's event loop ends."""
    built_providers.append(provider)
    return provider
