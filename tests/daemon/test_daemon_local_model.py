"""End to end on the real local model (SmolLM2, converted once per session): an app with a token
streams a chat completion through ``navllm serve`` with the openai SDK, gets JSON that its schema
accepts, appears in the usage log as ``app:NAME``, stops the generation by going away, and is
refused once its token is revoked."""

from __future__ import annotations

import json
import time

import httpx2
import jsonschema
import openai
import pytest

from navllm.cli import main
from navllm.policy.db import connect
from navllm.policy.usage import Usage
from tests.daemon.conftest import DEADLINE, DaemonProcess, make_token
from tests.local.conftest import installed, smollm2_store  # noqa: F401 - the converted default model, for this module

pytestmark = pytest.mark.model

BOOK = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 40}, "year": {"type": "integer"}},
    "required": ["title", "year"],
    "additionalProperties": False,
}


def _prompt_rows() -> list[dict]:
    return [r for r in Usage(connect()).rows() if r["action"] == "prompt"]


@pytest.mark.timeout(600)
def test_an_app_on_the_local_model(installed):  # noqa: F811
    token = make_token("notes", ("local",))
    daemon = DaemonProcess(installed)
    try:
        client = daemon.client(token)
        assert "local" in [m.id for m in client.models.list().data]

        stream = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Name three colours."}],
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=24,
            temperature=0,
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text.strip()
        assert chunks[-1].usage is not None and 0 < chunks[-1].usage.completion_tokens <= 24
        rows = _prompt_rows()
        assert [(r["origin"], r["provider"], r["outcome"]) for r in rows] == [("app:notes", "local", "ok")]
        assert rows[0]["output_tokens"] == chunks[-1].usage.completion_tokens

        reply = client.chat.completions.create(
            model="local",
            messages=[{"role": "user", "content": "Give a famous book and the year it came out."}],
            response_format={"type": "json_schema", "json_schema": {"name": "book", "schema": BOOK}},
            max_tokens=64,
            temperature=0,
        )
        jsonschema.validate(json.loads(reply.choices[0].message.content), BOOK)

        _leave_mid_stream(daemon.port, token)

        assert main(["tokens", "revoke", "notes"]) == 0
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="local", messages=[{"role": "user", "content": "Hi"}], max_tokens=4)
    finally:
        status, _, err = daemon.stop()
    assert status == 0, err


def _leave_mid_stream(port: int, token: str) -> None:
    """An app that goes away after the first chunk: the host stops generating (the prompt ends
    AbortError in the usage log) long before the thousands of tokens asked for."""
    body = {
        "model": "local",
        "messages": [{"role": "user", "content": "Write a very long story about a lighthouse."}],
        "stream": True,
        "max_tokens": 4000,
    }
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx2.Client(timeout=DEADLINE) as http,
        http.stream("POST", f"http://127.0.0.1:{port}/v1/chat/completions", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        next(response.iter_lines())
    end = time.monotonic() + DEADLINE
    while not any(r["outcome"] == "AbortError" for r in _prompt_rows()):
        assert time.monotonic() < end, f"the generation went on after the app left: {_prompt_rows()}"
        time.sleep(0.1)
    aborted = next(r for r in _prompt_rows() if r["outcome"] == "AbortError")
    assert aborted["origin"] == "app:notes"
