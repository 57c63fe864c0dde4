"""``gguf:<path>``: a GGUF file on this machine (also ``navllm models import FILE``)."""

from __future__ import annotations

from pathlib import Path

from ...protocol.errors import ErrorName, NavError
from ..download import sha256_file
from . import Context, Fetched, model_name


def fetch(spec: str, ctx: Context) -> Fetched:
    path = Path(spec).expanduser()
    if not path.is_file():
        raise NavError(ErrorName.NOT_FOUND, f"no GGUF file at {spec[:500]}")
    ctx.progress(0.0, f"hashing {path.name}")
    digest = sha256_file(path, ctx.cancel)
    ctx.progress(1.0, f"hashed {path.name}")
    return Fetched(path=path, format="gguf", sha256=digest, name=model_name(path.stem))
