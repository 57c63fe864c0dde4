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


def _converted(gguf: Path, accuracy_level: int) -> Path:
    from navllm.models.convert import convert_gguf

    digest = _sha256(gguf)
    cache = Path(os.environ.get("NAVLLM_TEST_CACHE", ROOT / ".cache"))
    target = cache / "converted" / f"{digest[:16]}-{_converter_digest()}-acc{accuracy_level}"
    if not target.exists():
        # Level 1 means fp32 activations for the 8-bit head too: the fixture isolates the weight mapping.
        convert_gguf(gguf, target, sha256=digest, accuracy_level=accuracy_level, int8_for_8bit=False)
    return target


@pytest.fixture(scope="session")
def smollm2_onnx(smollm2_gguf) -> Path:
    """SmolLM2 as shipped: MatMulNBits with int8 activations (accuracy_level 4)."""
    return _converted(smollm2_gguf, 4)


@pytest.fixture(scope="session")
def smollm2_onnx_fp32(smollm2_gguf) -> Path:
    """SmolLM2 with fp32 activations (accuracy_level 1): isolates the weight mapping from int8 noise."""
    return _converted(smollm2_gguf, 1)
