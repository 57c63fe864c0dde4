"""A remote server cannot make the host hold an unbounded reply or wait forever: reply, event and body
caps and the request deadline, for both SDKs, against real HTTP servers sending 200 MB lazily.

Each hostile reply must end in one clean error naming the provider and the limit, quickly, with
this process's resident memory (client and server both live here) growing by well under 100 MB,
the server seeing the connection close, and the same provider answering the next request."""

from __future__ import annotations

import asyncio
import time

import pytest
from fake_anthropic import MODEL as CLAUDE
from fake_anthropic import FakeAnthropic, event
from fake_http import Script
from fake_openai import MODEL, FakeOpenAI, chunk
from floods import (
    PeakRSS,
    anthropic_line,
    anthropic_text_flood,
    json_flood,
    openai_line,
    openai_text_flood,
    openai_tool_flood,
    trickle,
)
from provider_keys import FAST, built, collect

from navllm.protocol.common import ToolSpec, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.anthropic import AnthropicProvider
from navllm.providers.openai import OpenAIProvider
from navllm.settings import ProviderConfig

pytestmark = pytest.mark.usefixtures("close_providers")

HI = text_message("user", "hi")
TOOLS = [ToolSpec(name="f", description="Find", input_schema={"type": "object"})]
RSS_BOUND_MB = 100


@pytest.fixture
def openai_server():
    """Keyless (a server on this machine): the limits, not the keys, are under test here."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def anthropic_server():
    with FakeAnthropic() as server:
        yield server


def openai(server: FakeOpenAI, **fields) -> OpenAIProvider:
    return built(OpenAIProvider(ProviderConfig(name="acme", kind="openai", base_url=server.base_url, model=MODEL, **fields), retry=FAST))


def anthropic(server: FakeAnthropic, **fields) -> AnthropicProvider:
    return built(
        AnthropicProvider(ProviderConfig(name="claude", kind="anthropic", base_url=server.origin, model=CLAUDE, **fields), retry=FAST)
    )


async def refused(provider, server, script: Script, **generation) -> tuple[NavError, float, float]:
    """Run one generation against ``script``: (its error, seconds taken, RSS growth in MB)."""
    await collect(provider, HI)  # SDK imported, connections made: the baseline includes them
    server.then(script)
    started = time.monotonic()
    with PeakRSS() as rss, pytest.raises(NavError) as caught:
        await collect(provider, HI, **generation)
    elapsed = time.monotonic() - started
    assert await asyncio.to_thread(server.client_went_away.wait, 10), "the server kept sending to nobody"
    assert (await collect(provider, HI))[:2] == ["You said: ", "hi"], "the provider does not serve the next request"
    return caught.value, elapsed, rss.growth_mb


@pytest.mark.parametrize("flood", [openai_text_flood, openai_tool_flood], ids=["text", "tool-arguments"])
async def test_openai_reply_over_the_cap_is_stopped(openai_server, flood):
    error, elapsed, growth = await refused(openai(openai_server), openai_server, Script(events=flood()), tools=TOOLS)
    assert error.name == "OperationError" and "acme" in error.message and "1,048,576 characters" in error.message
    assert elapsed < 30 and growth < RSS_BOUND_MB, (elapsed, growth)


async def test_anthropic_reply_over_the_cap_is_stopped(anthropic_server):
    error, elapsed, growth = await refused(anthropic(anthropic_server), anthropic_server, Script(events=anthropic_text_flood()))
    assert error.name == "OperationError" and "claude" in error.message and "1,048,576 characters" in error.message
    assert elapsed < 30 and growth < RSS_BOUND_MB, (elapsed, growth)


async def test_a_smaller_configured_cap_applies(openai_server):
    error, _, _ = await refused(openai(openai_server, max_reply_chars=20_000), openai_server, Script(events=openai_text_flood()))
    assert "20,000 characters" in error.message


@pytest.mark.parametrize("newlines", [False, True], ids=["one-line", "many-lines"])
async def test_openai_event_of_200_mb_is_cut_off_while_it_arrives(openai_server, newlines):
    error, elapsed, growth = await refused(openai(openai_server), openai_server, Script(events=openai_line(newlines)))
    assert error.name == "OperationError" and "acme" in error.message and "4,259,840 bytes in one event" in error.message
    assert elapsed < 30 and growth < RSS_BOUND_MB, (elapsed, growth)


async def test_anthropic_event_of_200_mb_is_cut_off_while_it_arrives(anthropic_server):
    error, elapsed, growth = await refused(anthropic(anthropic_server), anthropic_server, Script(events=anthropic_line()))
    assert error.name == "OperationError" and "claude" in error.message and "bytes in one event" in error.message, error
    assert elapsed < 30 and growth < RSS_BOUND_MB, (elapsed, growth)


async def test_openai_trickle_meets_the_deadline(openai_server):
    slow = Script(events=trickle(chunk({"role": "assistant", "content": ""}), chunk({"content": "x"})), event_delay=0.05)
    error, elapsed, _ = await refused(openai(openai_server, deadline=1.5), openai_server, slow)
    assert error.name == "TimeoutError" and "acme" in error.message and "1.5 seconds" in error.message
    assert 1.4 < elapsed < 6, elapsed


async def test_anthropic_trickle_meets_the_deadline(anthropic_server):
    delta = event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x"}})
    slow = Script(events=trickle(next(anthropic_text_flood()), delta), event_delay=0.05)
    error, elapsed, _ = await refused(anthropic(anthropic_server, deadline=1.5), anthropic_server, slow)
    assert error.name == "TimeoutError" and "claude" in error.message
    assert 1.4 < elapsed < 6, elapsed


async def test_a_slow_first_byte_counts_against_the_deadline(openai_server):
    openai_server.then(Script(events=[chunk({"content": "late"})], first_byte_delay=10))
    started = time.monotonic()
    with pytest.raises(NavError) as caught:
        await collect(openai(openai_server, deadline=1), HI)
    assert caught.value.name == "TimeoutError" and time.monotonic() - started < 8  # not the 10 s the byte took


async def test_a_model_list_body_is_capped_too(openai_server):
    openai_server.other = lambda method, path, body: Script(events=json_flood(), content_type="application/json")
    provider = built(OpenAIProvider(ProviderConfig(name="acme", kind="openai", base_url=openai_server.base_url)))
    with PeakRSS() as rss, pytest.raises(NavError) as caught:
        await provider.open(CoreOptions(), lambda _: None)  # no model configured: it lists them
    assert caught.value.name == "OperationError" and "bytes in a response body" in caught.value.message
    assert rss.growth_mb < RSS_BOUND_MB, rss.growth_mb
    assert await provider.models() == []  # the failed listing gives nothing, and the host goes on


async def test_replies_are_asked_for_uncompressed_and_refused_compressed(openai_server):
    await collect(openai(openai_server), HI)
    assert openai_server.generations()[0].headers["accept-encoding"] == "identity"
    openai_server.then(Script(events=[b"\x1f\x8b"], headers={"content-encoding": "gzip"}))
    with pytest.raises(NavError) as caught:
        await collect(openai(openai_server), HI)
    assert caught.value.name == "OperationError" and "compressed" in caught.value.message


async def test_a_refusal_the_sdk_wraps_stays_ours(anthropic_server):
    """The Anthropic SDK wraps what our response hook raises as a connection error: the limit must still show."""
    anthropic_server.then(Script(events=[b"\x1f\x8b"], headers={"content-encoding": "gzip"}))
    with pytest.raises(NavError) as caught:
        await collect(anthropic(anthropic_server), HI)
    assert caught.value.name == "OperationError" and "compressed" in caught.value.message, caught.value
