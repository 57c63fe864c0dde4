"""One converted SmolLM2 per machine, cached under .cache/converted/ by GGUF and converter digest."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONVERTER = ROOT / "host" / "navllm" / "models" / "convert"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _converter_digest() -> str:
    """Changes whenever the converter's code does, so a stale cached model is never tested."""
    h = hashlib.sha256()
    for path in sorted(CONVERTER.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


@pytest.fixture(scope="session")
def smollm2_source(smollm2_gguf):
    from navllm.models.convert.gguf_source import GGUFSource

    return GGUFSource(smollm2_gguf)


def _converted(gguf: Path, variant: str, **options) -> Path:
    from navllm.models.convert import convert_gguf

    digest = _sha256(gguf)
    cache = Path(os.environ.get("NAVLLM_TEST_CACHE", ROOT / ".cache"))
    target = cache / "converted" / f"{digest[:16]}-{_converter_digest()}-{variant}"
    if not target.exists():
        convert_gguf(gguf, target, sha256=digest, **options)
    return target


@pytest.fixture(scope="session")
def smollm2_onnx(smollm2_gguf) -> Path:
    """SmolLM2 as shipped: the converter's defaults."""
    return _converted(smollm2_gguf, "shipped")


@pytest.fixture(scope="session")
def smollm2_onnx_level1(smollm2_gguf) -> Path:
    """SmolLM2 converted with ``--accuracy-level 1``: fp32 activations for the 4-bit weights."""
    return _converted(smollm2_gguf, "level1", accuracy_level=1)


@pytest.fixture(scope="session")
def smollm2_onnx_fp32(smollm2_gguf) -> Path:
    """SmolLM2 with fp32 activations everywhere, the 8-bit head included: isolates the weight
    mapping from int8 noise."""
    return _converted(smollm2_gguf, "fp32", accuracy_level=1, int8_for_8bit=False)
