"""docs/protocol.md and the pydantic models must not drift apart: every message type has a
section whose example validates, every field name is documented, nothing stale remains."""

from __future__ import annotations

import pytest
from protocol_doc import examples, request_examples, sections, text

from navllm.protocol import REQUESTS, parse_request
from navllm.protocol.replies import REPLIES
from navllm.protocol.schema import json_schema

REPLY_TYPES = {cls.model_fields["type"].default: cls for cls in REPLIES}


def documented_requests() -> set[str]:
    parts = sections()
    return set(parts.get("Page requests", {})) | set(parts.get("Admin requests", {}))


def test_every_request_type_is_documented_and_nothing_stale():
    documented = documented_requests()
    assert sorted(set(REQUESTS) - documented) == [], "document these requests in docs/protocol.md"
    assert sorted(documented - set(REQUESTS)) == [], "these documented requests no longer exist"


def test_every_reply_type_is_documented_and_nothing_stale():
    assert set(sections().get("Replies", {})) == set(REPLY_TYPES)


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_request_example_validates(kind):
    example = request_examples().get(kind)
    assert example is not None, f"the section of {kind!r} needs a JSON example"
    assert parse_request(example).type == kind


@pytest.mark.parametrize("kind", sorted(REPLY_TYPES))
def test_reply_examples_validate(kind):
    blocks = examples(sections()["Replies"][kind])
    assert blocks, f"the section of {kind!r} needs a JSON example"
    for block in blocks:
        assert REPLY_TYPES[kind].model_validate(block).type == kind


def _field_names(schema, found: set[str]) -> set[str]:
    if isinstance(schema, dict):
        found.update(schema.get("properties", {}))
        for value in schema.values():
            _field_names(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _field_names(value, found)
    return found


def test_every_field_name_is_documented():
    doc = text()
    names = _field_names(json_schema(), set())
    missing = sorted(n for n in names if f"`{n}`" not in doc and f'"{n}"' not in doc)
    assert missing == [], "document these fields in docs/protocol.md"


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_each_request_field_is_named_in_its_own_section(kind):
    parts = sections()
    section = parts.get("Page requests", {}).get(kind) or parts.get("Admin requests", {}).get(kind, "")
    fields = REQUESTS[kind].model_json_schema(by_alias=True)["properties"]
    missing = sorted(f for f in fields if f not in ("id", "type", "caller") and f'"{f}"' not in section and f"`{f}`" not in section)
    assert missing == []
