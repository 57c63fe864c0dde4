"""A translation model folder: CTranslate2's layout (an Opus-MT/Marian conversion), plus our manifest.

``model.bin`` (weights), ``config.json``, the vocabularies (``shared_vocabulary.json``/``.txt``,
or ``source_vocabulary.*`` and ``target_vocabulary.*``), and Opus-MT's SentencePiece models
``source.spm`` and ``target.spm``. The language pair comes from a ``navllm-model.json`` the
folder brings (``{"format": 1, "kind": "translation", "languages": {"source": "en", "target": "de"}}``)
or else from its name, as Opus-MT names its models (``opus-mt-en-de``, ``opus-mt-tc-big-en-fr-ct2``).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..protocol.errors import ErrorName, NavError

FILES = ("model.bin", "config.json", "source.spm", "target.spm")
# Every file a CTranslate2 translation folder may hold: what a pull fetches and an import copies.
PATTERNS = [*FILES, "*vocabulary.json", "*vocabulary.txt", "navllm-model.json"]
MANIFEST = "navllm-model.json"
MAX_CONFIG = 1 << 20
CODE = re.compile(r"^[a-z]{2,3}$")  # an ISO 639 language code, as Opus-MT names its pairs

Pair = tuple[str, str]


def runtime_missing() -> str | None:
    """Why translation models cannot run here (the optional extra is not installed), or None."""
    missing = [m for m in ("ctranslate2", "sentencepiece") if importlib.util.find_spec(m) is None]
    if not missing:
        return None
    return f"translation models run on CTranslate2 and SentencePiece, and {' and '.join(missing)} is not installed: pip install 'navllm[translation]'"


def pair(value: Any) -> Pair | None:
    """``{"source": code, "target": code}`` as a pair, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    source, target = value.get("source"), value.get("target")
    if isinstance(source, str) and isinstance(target, str) and CODE.match(source) and CODE.match(target) and source != target:
        return source, target
    return None


def pair_from_name(name: str) -> Pair | None:
    """The last two adjacent language codes in a name: ``opus-mt-en-de`` translates English into German."""
    parts = re.split(r"[-_.:]", name.lower())
    for source, target in reversed(list(itertools.pairwise(parts))):
        found = pair({"source": source, "target": target})
        if found:
            return found
    return None


def install(folder: Path, out: Path, names: Sequence[str]) -> None:
    """Check ``folder`` is a CTranslate2 translation model, write its manifest with the language
    pair (its own manifest's, else the first of ``names`` that says one), and move it to ``out``."""
    check(folder)
    brought = _read_manifest(folder)
    languages = pair(brought.get("languages")) or next((p for n in names if (p := pair_from_name(n))), None)
    if languages is None:
        raise NavError(
            ErrorName.DATA,
            f"cannot tell which languages {names[0]} translates: name it after its pair as Opus-MT does (opus-mt-en-de) "
            f'or give it a {MANIFEST} like {{"format": 1, "kind": "translation", "languages": {{"source": "en", "target": "de"}}}}',
        )
    manifest = {"format": 1, "kind": "translation", "languages": {"source": languages[0], "target": languages[1]}}
    write_atomic(folder / MANIFEST, json.dumps(manifest, indent=2).encode())
    os.replace(folder, out)


def check(folder: Path) -> None:
    """DataError naming the folder and what it lacks unless it holds a CTranslate2 translation model
    (NotSupportedError when this machine cannot run one)."""
    if missing_runtime := runtime_missing():
        raise NavError(ErrorName.NOT_SUPPORTED, missing_runtime)
    missing = [f for f in FILES if not (folder / f).is_file()]
    shared = any((folder / f"shared_vocabulary.{ext}").is_file() for ext in ("json", "txt"))
    sided = all(any((folder / f"{side}_vocabulary.{ext}").is_file() for ext in ("json", "txt")) for side in ("source", "target"))
    if not (shared or sided):
        missing.append("shared_vocabulary.json (or source_vocabulary.json and target_vocabulary.json)")
    if missing:
        raise NavError(
            ErrorName.DATA,
            f"{folder} is not a CTranslate2 translation model: it lacks {', '.join(missing)}; "
            "convert the model with ct2-transformers-converter or ct2-marian-converter and copy the SentencePiece models beside it",
        )
    try:
        with open(folder / "config.json", "rb") as f:
            config = json.loads(f.read(MAX_CONFIG + 1))
    except (OSError, ValueError) as exc:
        raise NavError(ErrorName.DATA, f"{folder / 'config.json'} is unreadable ({exc}); convert the model again") from None
    if not isinstance(config, dict):
        raise NavError(ErrorName.DATA, f"{folder / 'config.json'} is not a CTranslate2 model configuration; convert the model again")


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NavError(ErrorName.DATA, f"{folder / MANIFEST} is unreadable ({exc}); fix or delete it") from None
    return manifest if isinstance(manifest, dict) else {}
