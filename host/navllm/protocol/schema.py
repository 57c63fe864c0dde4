"""The JSON Schema of the whole protocol, for ``navllm protocol schema`` and the docs check."""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from . import REQUESTS
from .replies import REPLIES


def json_schema() -> dict[str, Any]:
    requests = Annotated[Union[tuple(REQUESTS.values())], Field(discriminator="type")]  # noqa: UP007
    replies = Annotated[Union[REPLIES], Field(discriminator="type")]  # noqa: UP007
    return {
        "requests": TypeAdapter(requests).json_schema(by_alias=True),
        "replies": TypeAdapter(replies).json_schema(by_alias=True),
    }
