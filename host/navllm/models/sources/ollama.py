"""``ollama:<name>[:tag]``: a model already in Ollama's local store, resolved to its GGUF blob.

The manifest ``manifests/<registry>/<namespace>/<name>/<tag>`` lists layers; the one with media
type ``application/vnd.ollama.image.model`` is the GGUF, stored as ``blobs/sha256-<digest>``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ...protocol.errors import ErrorName, NavError
from ..download import sha256_file
from . import Context, Fetched, model_name

MODEL_LAYER = "application/vnd.ollama.image.model"
REGISTRY = "registry.ollama.ai"
NAMESPACE = "library"
PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def models_dir() -> Path:
    return Path(os.environ.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models")


def fetch(spec: str, ctx: Context) -> Fetched:
    path, tag = _reference(spec)
    root = models_dir()
    manifest_path = root / "manifests" / Path(*path) / tag
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        raise NavError(ErrorName.NOT_FOUND, f"Ollama has no model {spec!r} (looked for {manifest_path})") from None
    except (OSError, ValueError) as exc:
        raise NavError(ErrorName.DATA, f"the Ollama manifest {manifest_path} cannot be read: {exc}") from None
    layers = [layer for layer in manifest.get("layers", []) if isinstance(layer, dict) and layer.get("mediaType") == MODEL_LAYER]
    if len(layers) != 1:
        raise NavError(ErrorName.NOT_SUPPORTED, f"the Ollama model {spec!r} has {len(layers)} model layers; expected exactly one GGUF")
    algorithm, _, digest = str(layers[0].get("digest", "")).partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise NavError(ErrorName.DATA, f"the Ollama manifest {manifest_path} has an invalid model digest")
    blob = root / "blobs" / f"sha256-{digest}"
    if not blob.is_file():
        raise NavError(ErrorName.NOT_FOUND, f"the Ollama blob {blob} is missing")
    ctx.progress(0.0, f"verifying {spec}")
    actual = sha256_file(blob, ctx.cancel)
    if actual != digest:
        raise NavError(ErrorName.DATA, f"checksum mismatch for Ollama blob {blob.name}: its sha256 is {actual}")
    ctx.progress(1.0, f"verified {spec}")
    return Fetched(path=blob, format="gguf", sha256=digest, name=model_name(f"{path[-1]}:{tag}"))


def _reference(spec: str) -> tuple[list[str], str]:
    """``[registry/][namespace/]name[:tag]`` -> manifest path parts and tag (as Ollama resolves it)."""
    name, _, tag = spec.partition(":")
    parts = name.split("/")
    tag = tag or "latest"
    if not 1 <= len(parts) <= 3 or not all(PART.match(p) for p in (*parts, tag)):
        raise NavError(ErrorName.TYPE, f"invalid Ollama model name {spec[:200]!r}")
    parts = [REGISTRY, NAMESPACE][: 3 - len(parts)] + parts
    return parts, tag
