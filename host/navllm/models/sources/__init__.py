"""Where models come from. A source string ``scheme:rest`` names one; each scheme is one module.

A source's ``fetch(rest, ctx)`` leaves the files ready to convert in ``ctx.workdir`` (or points
at a verified local file) and says what they are; the store converts and installs them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ...protocol.errors import ErrorName, NavError

Progress = Callable[[float, str], None]
Format = Literal["gguf", "bert", "onnx", "ct2"]

SCHEMES = ("pypi", "gguf", "ollama", "hf", "folder", "catalog")


@dataclass(frozen=True)
class Fetched:
    """A model file (GGUF), a BERT safetensors folder, an ONNX folder in our contract, or a CTranslate2 translation folder."""

    path: Path
    format: Format
    sha256: str  # of the source file (the GGUF, the safetensors, the model.onnx)
    name: str  # suggested model name


@dataclass(frozen=True)
class Context:
    workdir: Path  # scratch space of this pull, removed when it ends
    downloads: Path  # partial downloads a killed process left; resumed by the next pull
    progress: Progress
    cancel: threading.Event


def parse(source: str) -> tuple[str, str]:
    scheme, sep, rest = source.strip().partition(":")
    if not sep or scheme not in SCHEMES or not rest:
        known = ", ".join(f"{s}:…" for s in SCHEMES)
        raise NavError(ErrorName.TYPE, f"unknown model source {source[:200]!r}; use one of {known}")
    return scheme, rest


def fetch(source: str, ctx: Context) -> Fetched:
    scheme, rest = parse(source)
    from . import catalog, folder, gguf, hf, ollama, pypi  # on use: each brings its own libraries, and they import this module

    fetchers: dict[str, Callable[[str, Context], Fetched]] = {
        "pypi": pypi.fetch,
        "gguf": gguf.fetch,
        "ollama": ollama.fetch,
        "hf": hf.fetch,
        "folder": folder.fetch,
        "catalog": catalog.fetch,
    }
    return fetchers[scheme](rest, ctx)


def model_name(raw: str) -> str:
    """A model name from a file or repository name: lower case, filesystem-safe characters."""
    name = re.sub(r"[^a-z0-9._:-]+", "-", raw.lower()).strip("-.:_")
    if not name:
        raise NavError(ErrorName.TYPE, f"cannot make a model name from {raw[:200]!r}")
    return name[:128]
