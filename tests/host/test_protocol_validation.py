"""Every request kind rejects malformed input with a readable TypeError, and every reply
model refuses what it does not declare."""

from __future__ import annotations

import copy
import json

import pytest
from protocol_doc import request_examples
from pydantic import ValidationError

from navllm.protocol import REQUESTS, parse_frame, parse_request
from navllm.protocol.errors import ErrorName, NavError
from navllm.protocol.replies import REPLIES

PAGE = {"kind": "page", "origin": "https://a.example"}


def minimal(kind: str) -> dict:
    """A valid message of ``kind``: its example in docs/protocol.md (checked by test_protocol_doc)."""
    return copy.deepcopy(request_examples()[kind])


KINDS = sorted(REQUESTS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("breakage", "mentions"),
    [
        (lambda m: m.pop("caller"), "caller"),
        (lambda m: m.update(caller={**PAGE, "kind": "robot"}), "caller.kind"),
        (lambda m: m.update(caller={**PAGE, "origin": "o" * 5000}), "caller.origin"),
        (lambda m: m.update(id=""), "id"),
        (lambda m: m.update(id="i" * 65), "id"),
        (lambda m: m.update(smuggled=1), "smuggled"),
    ],
    ids=["no-caller", "bad-kind", "huge-origin", "empty-id", "long-id", "unknown-field"],
)
def test_malformed_messages_are_type_errors(kind, breakage, mentions):
    message = minimal(kind)
    breakage(message)
    with pytest.raises(NavError) as caught:
        parse_request(message)
    assert caught.value.name == ErrorName.TYPE
    assert mentions in caught.value.message and kind in caught.value.message
    with pytest.raises(ValidationError):  # the one-pass frame path refuses it too
        parse_frame(json.dumps(message).encode())


@pytest.mark.parametrize("kind", KINDS)
def test_the_frame_path_reads_every_request_as_the_dict_path_does(kind):
    message = minimal(kind)
    assert parse_frame(json.dumps(message, ensure_ascii=False).encode()) == parse_request(message)


@pytest.mark.parametrize("raw", [None, [], "hello", 42, {"type": "nope", "id": "1"}, {"id": "1"}])
def test_not_a_request(raw):
    with pytest.raises(NavError) as caught:
        parse_request(raw)
    assert caught.value.name in (ErrorName.TYPE, ErrorName.NOT_SUPPORTED)
    with pytest.raises(ValidationError):
        parse_frame(json.dumps(raw).encode())


@pytest.mark.parametrize("reply", REPLIES, ids=lambda r: r.model_fields["type"].default)
def test_replies_refuse_undeclared_fields(reply):
    with pytest.raises(ValidationError):
        reply.model_validate({"id": "r", "type": reply.model_fields["type"].default, "smuggled": True})
