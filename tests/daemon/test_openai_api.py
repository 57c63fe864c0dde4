"""The OpenAI-compatible API on the echo backend, through the official openai SDK: replies, streams,
tool calls, usage rows under ``app:NAME``, the token's scope, revocation, expiry and quotas."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from navllm.policy.db import connect
from navllm.policy.quotas import Limits, Quotas
from navllm.policy.usage import Usage
from navllm.providers.echo import PREAMBLE
from tests.daemon.conftest import DEADLINE, Server, make_token, write_settings


def test_models_are_those_of_the_tokens_scope(server: Server):
    listed = server.client(make_token("editor")).models.list()
    assert [m.id for m in listed.data] == ["echo"]
    both = server.client(make_token("script", ("echo", "local"))).models.list()
    assert {"echo", "local"} <= {m.id for m in both.data}


def test_chat_completion_is_logged_as_the_app(server: Server):
    client = server.client(make_token("editor"))
    reply = client.chat.completions.create(
        model="echo", messages=[{"role": "system", "content": "Be brief. "}, {"role": "user", "content": "Hello"}]
    )
    assert reply.choices[0].message.content == PREAMBLE + "Be brief. Hello"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    rows = Usage(connect()).rows()
    assert {(r["origin"], r["action"], r["provider"], r["outcome"]) for r in rows} == {
        ("app:editor", "create", "echo", "ok"),
        ("app:editor", "prompt", "echo", "ok"),
    }


def test_a_conversation_with_earlier_turns(server: Server):
    client = server.client(make_token("editor"))
    reply = client.chat.completions.create(
        model="echo",
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "an answer"},
            {"role": "user", "content": [{"type": "text", "text": "second"}]},
        ],
    )
    assert reply.choices[0].message.content == PREAMBLE + "second"  # echo repeats what came after the last reply


def test_streamed_chat_completion(server: Server):
    client = server.client(make_token("editor"))
    stream = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "Hello"}], stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == PREAMBLE + "Hello"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_tool_calls_and_their_results(server: Server):
    client = server.client(make_token("editor"))
    tools = [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": 'The weather in a city. Args: {"city": "Paris"}',
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    messages: list = [{"role": "user", "content": "<GenerateSimpleToolCalls>What is the weather?"}]
    reply = client.chat.completions.create(model="echo", messages=messages, tools=tools)
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    messages += [choice.message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "sunny"}]
    answer = client.chat.completions.create(model="echo", messages=messages, tools=tools)
    assert (
        '<tool-response>{"callID": "call_1", "name": "weather", "result": ["sunny"]}</tool-response>' in answer.choices[0].message.content
    )

    streamed = list(client.chat.completions.create(model="echo", messages=messages[:1], tools=tools, stream=True))
    deltas = [tc for c in streamed if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert [(d.index, d.function.name, json.loads(d.function.arguments)) for d in deltas] == [(0, "weather", {"city": "Paris"})]


def test_text_completion(server: Server):
    client = server.client(make_token("editor"))
    reply = client.completions.create(model="echo", prompt="Once upon a time")
    assert reply.choices[0].text == PREAMBLE + "Once upon a time"
    streamed = "".join(c.choices[0].text for c in client.completions.create(model="echo", prompt="Once", stream=True) if c.choices)
    assert streamed == PREAMBLE + "Once"


def test_unknown_model_and_models_outside_the_scope_are_not_found(server: Server):
    client = server.client(make_token("editor"))  # scoped to echo
    for model in ("local", "no-such-model"):
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert caught.value.code == "model_not_found"


def test_a_token_scoped_to_echo_cannot_reach_local(server: Server, echo_home):
    """Even with no model named, the chain is cut to the token's scope: echo answers, never local."""
    client = server.client(make_token("editor"))
    reply = client.chat.completions.create(model="", messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content.startswith(PREAMBLE)
    assert {r["provider"] for r in Usage(connect()).rows()} == {"echo"}


def test_revoked_token_is_refused_at_the_next_request(server: Server):
    token = make_token("editor")
    client = server.client(token)
    client.models.list()
    from navllm.cli import main

    assert main(["tokens", "revoke", "editor"]) == 0
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])


def test_expired_token_is_refused(server: Server):
    token = make_token("editor", expires_at=time.time() - 1)
    assert server.chat(token).status == 401
    with pytest.raises(openai.AuthenticationError):
        server.client(token).models.list()


def test_the_apps_quota_applies(server: Server):
    Quotas(connect()).set_limits("app:editor", Limits(requests_per_minute=2, daily_tokens=None))
    client = server.client(make_token("editor"))
    client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])  # create + prompt: 2 requests
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.response.headers.get("Retry-After")


def test_openai_errors_for_bad_fields(server: Server):
    client = server.client(make_token("editor"))
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}], temperature=5)
    assert caught.value.param == "temperature"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}, {"role": "system", "content": "late"}])
    with pytest.raises(openai.BadRequestError):  # echo computes no embeddings
        client.embeddings.create(model="echo", input="hi")


def test_embeddings_come_from_the_provider_the_model_names(server: Server, monkeypatch):
    """Echo computes none; given one here, the route's shape and the provider it asks are checked."""
    from navllm.providers.echo import EchoProvider

    asked: list = []

    async def embed(self, texts: list[str], model: str | None) -> list[list[float]]:
        asked.append((self.name, texts, model))
        return [[float(len(t)), 1.0] for t in texts]

    monkeypatch.setattr(EchoProvider, "embed", embed)
    token = make_token("editor")
    reply = server.client(token).embeddings.create(model="echo/tiny", input=["a", "bcd"])  # the SDK asks for base64
    assert [d.embedding for d in reply.data] == [[1.0, 1.0], [3.0, 1.0]]
    assert [d.index for d in reply.data] == [0, 1]
    assert asked == [("echo", ["a", "bcd"], "tiny")]
    plain = server.raw("POST", "/v1/embeddings", json.dumps({"model": "echo", "input": "ab"}).encode(), Authorization=f"Bearer {token}")
    assert plain.json()["data"][0]["embedding"] == [2.0, 1.0]
    assert [r["action"] for r in Usage(connect()).rows()] == ["embed", "embed"]


def test_one_apps_flood_costs_that_app_alone(navllm_home):
    # Each echo reply takes a while, so a flood piles up: the app gets at most 4 requests running
    # and 32 in flight (each completion is a create and a prompt on the dispatcher), the rest are
    # answered 429 at once, and another app is served meanwhile, not after the flood.
    write_settings(navllm_home, echoEnabled=True, echoDelayMs=400)
    server = Server().start()

    def chat(token: str) -> tuple[int, float]:
        reply = server.chat(token)
        return reply.status, time.monotonic()

    try:
        flooder, other = make_token("flooder"), make_token("other")
        with ThreadPoolExecutor(max_workers=64) as pool:
            flood = [pool.submit(chat, flooder) for _ in range(60)]
            time.sleep(0.5)  # the flood is queued
            status, served_at = chat(other)
            ended = [f.result(timeout=DEADLINE * 4) for f in flood]
        assert status == 200
        statuses = sorted(s for s, _ in ended)
        assert set(statuses) == {200, 429} and statuses.count(200) >= 4, statuses
        assert served_at < max(t for s, t in ended if s == 200)  # served while the flood was still being served
    finally:
        server.stop()
