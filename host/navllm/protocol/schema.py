"""The JSON Schema of the whole protocol, for ``navllm protocol schema`` and the docs check."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from . import AnyRequest
from .replies import REPLIES


def json_schema() -> dict[str, Any]:
    replies: Any = Annotated[Union[REPLIES], Field(discriminator="type")]  # noqa: UP007
    return {
        "requests": TypeAdapter(AnyRequest).json_schema(by_alias=True),
        "replies": TypeAdapter(replies).json_schema(by_alias=True),
    }
