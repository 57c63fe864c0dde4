"""A page's responseConstraint and tools on the local model, through the real host process:
the wire carries the constraint in, and valid JSON text or tool-call chunks out."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.constrain.corpus import SCHEMAS, TOOLS
from tests.support.host_process import ADMIN, PAGE, HostProcess

pytestmark = pytest.mark.model

RATING = SCHEMAS["rating (as the Prompt API tests use)"]


def _user(text: str) -> dict:
    return {"role": "user", "content": [{"type": "text", "value": text}]}


def _check_calls(calls: list[dict]) -> None:
    schemas = {t.name: t.input_schema for t in TOOLS}
    for call in calls:
        jsonschema.validate(call["arguments"], schemas[call["name"]])
        assert call["callID"]


def test_constrained_prompt_and_tool_calls_through_the_host(home_with_model):
    host = HostProcess(home_with_model)
    try:
        decided = host.call(
            "permission.decide", ADMIN, origin=PAGE["origin"], incognito=False, tabId=PAGE["tabId"], decision="always", providers=["local"]
        )
        assert decided["type"] == "done", decided
        tools = [t.wire() for t in TOOLS]
        created = host.call("create", options={"sampling": {"temperature": 0}, "tools": tools})
        assert created["type"] == "done", created
        session = created["data"]["session"]

        rid = host.request(
            "prompt",
            session=session,
            input=[_user("Rate the movie Up from 0 to 5.")],
            responseConstraint={"kind": "json-schema", "schema": RATING},
            sampling={"temperature": 0, "maxTokens": 48},
        )
        replies = host.until_done(rid)
        assert replies[-1]["type"] == "done", replies[-1]
        chunks = [r for r in replies if r["type"] == "chunk"]
        calls = [c["toolCall"] for c in chunks if "toolCall" in c]
        _check_calls(calls)
        if not calls:  # with tools and a constraint, the reply is the constrained answer or calls
            jsonschema.validate(json.loads("".join(c["delta"] for c in chunks)), RATING)

        rid = host.request(
            "prompt",
            session=session,
            input=[
                _user("What is the weather in Paris?"),
                {"role": "assistant", "content": [{"type": "text", "value": "<tool_call>"}], "prefix": True},
            ],
            sampling={"temperature": 0, "maxTokens": 48},
        )
        replies = host.until_done(rid)
        assert replies[-1]["type"] == "done", replies[-1]
        calls = [r["toolCall"] for r in replies if r["type"] == "chunk" and "toolCall" in r]
        assert calls, replies
        _check_calls(calls)

        bad = host.call("prompt", session=session, input=[_user("Hi")], responseConstraint={"kind": "json-schema", "schema": {"not": {}}})
        assert bad["type"] == "error" and bad["error"]["name"] == "NotSupportedError", bad
    finally:
        host.close()
