"""``catalog:<name>``: a model from navllm's catalog (``navllm models catalog``): its one GGUF file
on the hub, checked against the catalog's sha256 when the catalog has one, else the hub's own."""

from __future__ import annotations

from .. import catalog
from . import Context, Fetched, hf


def fetch(spec: str, ctx: Context) -> Fetched:
    entry = catalog.find(spec)
    repo, revision, filename = hf.parse(entry.source.removeprefix("hf:"))
    assert filename is not None  # the catalog's validation requires a GGUF file
    return hf.fetch_gguf(repo, revision, filename, ctx, sha256=entry.sha256, name=entry.name)
