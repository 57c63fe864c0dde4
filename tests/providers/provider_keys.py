"""Shared by the provider tests: the test API key, provider tracking and generation helpers (conftest names
collide across folders)."""

from __future__ import annotations

import asyncio

import pytest

from navllm.protocol.common import Message, text_message
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation
from navllm.providers.remote import RetryPolicy

KEY = "sk-navllm-Zq8XwV3tPq9LmN2rKs7Yb4"
PASSPHRASE = "a long enough passphrase"
FAST = RetryPolicy(base_delay=0.05, max_delay=0.2)

built_providers: list = []


def built(provider):
    """Track a provider so its HTTP clients are closed before the test's event loop ends."""
    built_providers.append(provider)
    return provider


async def collect(provider, *messages: Message, **generation) -> list:
    conversation = await provider.open(CoreOptions(), lambda _: None)
    return [c async for c in conversation.generate(Generation(messages=list(messages), **generation))]


async def cancel_after_the_first_chunk(provider, server) -> None:
    """Cancel a long streamed generation once it has started; the fake server must see the client go away."""
    conversation = await provider.open(CoreOptions(), lambda _: None)
    first = asyncio.Event()

    async def consume():
        async for _ in conversation.generate(Generation(messages=[text_message("user", "hi")])):
            first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 60)  # the first call imports the SDK: seconds on a busy machine
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(server.client_went_away.wait, 5), "the server kept streaming to nobody"
