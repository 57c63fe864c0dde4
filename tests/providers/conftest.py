"""Fixtures for provider tests: fake API servers on 127.0.0.1 and keys stored through the real key store.

Keys go to the encrypted vault here (no session bus is visible to these tests, so no OS
keychain is found); the Secret Service path is covered in ``tests/secrets``.
"""

from __future__ import annotations

import pytest
from fake_anthropic import FakeAnthropic
from fake_openai import FakeOpenAI
from provider_keys import KEY, PASSPHRASE, built_providers

from navllm.secrets.store import keystore
from tests.support.browsers import site  # noqa: F401 - pytest fixture, for this directory
from tests.support.secret_service import no_os_keychain, secret_service  # noqa: F401 - pytest fixtures (the first autouse), for this directory


@pytest.fixture
def store_key():
    """Store a key through the key store, as the admin path does."""

    def store(provider: str, secret: str = KEY) -> None:
        store = keystore()
        if not store.vault.unlocked:
            store.vault.unlock(PASSPHRASE)
        store.set(provider, secret)

    return store


@pytest.fixture
def openai_server():
    with FakeOpenAI(key=KEY) as server:
        yield server


@pytest.fixture
def anthropic_server():
    with FakeAnthropic(key=KEY) as server:
        yield server


@pytest.fixture
async def close_providers():
    """Close the clients of every ``built`` provider (async test modules use it via pytestmark)."""
    yield
    while built_providers:
        await built_providers.pop().aclose()
