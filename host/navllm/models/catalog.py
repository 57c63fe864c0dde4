"""The model catalog shipped with navllm: chat models people run locally, each one GGUF file on
the Hugging Face Hub, with what it needs from this computer and whether it fits.

Sizes and RAM are computed here from each entry's parameters, quantisation and attention shape,
never typed into the data twice; docs/models.md gives the formulas. A file size the data does not
state exactly is an estimate (parameters × the quantisation's bits per weight) and says so.
``NAVLLM_CATALOG`` names another catalog file (a mirror's own list, or a test's).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..protocol.errors import ErrorName, NavError

BUILTIN = Path(__file__).with_name("catalog.json")
MAX_CATALOG = 1 << 20

# The GGML tensor types a file of each quantisation holds, with their share of the weights.
# llama.cpp's Q4_K_M keeps about a sixth of the weights (attn_v, half the ffn_down, the output
# head) in Q6_K, and its Q5_K_M likewise beside Q5_K; norms and biases (F32) are too few to count.
MIX: dict[str, dict[str, float]] = {
    "Q4_K_M": {"Q4_K": 0.85, "Q6_K": 0.15},
    "Q5_K_M": {"Q5_K": 0.85, "Q6_K": 0.15},
    "Q8_0": {"Q8_0": 1.0},
}
# Bits per weight of each tensor type in the GGUF file (its block bytes × 8 / block elements).
GGUF_BITS = {"Q4_K": 144 * 8 / 256, "Q5_K": 176 * 8 / 256, "Q6_K": 210 * 8 / 256, "Q8_0": 34 * 8 / 32}
# ...and once converted (convert/quants.py): the codes plus a float32 scale per block, and a
# float32 offset per block where the type has one: Q4_K → 4 + 32/32 + 32/32, Q5_K → 8 + 32/32 + 32/32
# (5-bit codes are stored in 8), Q6_K → 8 + 32/16, Q8_0 → 8 + 32/32.
CONVERTED_BITS = {"Q4_K": 6.0, "Q5_K": 10.0, "Q6_K": 10.0, "Q8_0": 9.0}

DEFAULT_CONTEXT = 4096  # tokens of KV cache the RAM figure allows for: a long chat or a page of text
KV_BYTES = 4  # the local engine keeps keys and values in float32
RUNTIME_BYTES = 400_000_000  # onnxruntime, the tokenizer and the host process around the weights (an allowance)
# The disk a pull needs: the GGUF download, then the conversion's output (store.CONVERT_SPACE_FACTOR × source).
DISK_FACTOR = 1 + 1.3
# "Recommended" leaves half the available memory to everything else, and keeps the weights each
# token reads within what a core streams briskly (a heuristic, not a measured speed).
COMFORT_SHARE = 0.5
WEIGHT_BYTES_PER_CORE = 500_000_000

Fit = Literal["recommended", "fits", "too big"]


class Entry(BaseModel):
    """One catalog model: a GGUF file on the hub and the figures needed to size it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    title: str = Field(min_length=1, max_length=80)
    family: str = Field(min_length=1, max_length=40)
    architecture: str = Field(min_length=1, max_length=40)  # GGUF general.architecture
    parameters: int = Field(gt=0, lt=10**12)
    quant: Literal["Q4_K_M", "Q5_K_M", "Q8_0"]
    layers: int = Field(gt=0, le=512)
    kv_heads: int = Field(gt=0, le=512)
    head_dim: int = Field(gt=0, le=1024)
    context: int = Field(gt=0, le=1 << 21)
    licence: str = Field(min_length=1, max_length=40)
    source: str = Field(pattern=r"^hf:", max_length=400)  # hf:ORG/REPO[@REVISION]:FILE.gguf
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")  # when known; else the hub's LFS sha256 is used
    size_bytes: int | None = Field(default=None, gt=0)  # the exact file size, when known

    @field_validator("source")
    @classmethod
    def _one_gguf_file(cls, source: str) -> str:
        from .sources import hf

        try:
            _repo, _revision, filename = hf.parse(source.removeprefix("hf:"))
        except NavError as err:
            raise ValueError(err.message) from None
        if filename is None:
            raise ValueError("a catalog source names one GGUF file: hf:ORG/REPO[@REVISION]:FILE.gguf")
        return source

    @property
    def file_bytes(self) -> int:
        if self.size_bytes is not None:
            return self.size_bytes
        return round(self.parameters * _bits(self.quant, GGUF_BITS) / 8)

    @property
    def weight_bytes(self) -> int:
        """The converted model's weights, all of which the engine keeps in memory: the file grown
        by the ratio of converted to GGUF bits (the file's exact size, when known, carries what
        the parameter count misses, such as embeddings kept at higher precision)."""
        return round(self.file_bytes * _bits(self.quant, CONVERTED_BITS) / _bits(self.quant, GGUF_BITS))

    @property
    def kv_bytes(self) -> int:
        """Keys and values for ``DEFAULT_CONTEXT`` tokens (or the model's whole context, if shorter)."""
        return 2 * self.layers * self.kv_heads * self.head_dim * KV_BYTES * min(self.context, DEFAULT_CONTEXT)

    @property
    def ram_bytes(self) -> int:
        return self.weight_bytes + self.kv_bytes + RUNTIME_BYTES

    @property
    def disk_bytes(self) -> int:
        return round(self.file_bytes * DISK_FACTOR)

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "family": self.family,
            "architecture": self.architecture,
            "parameters": self.parameters,
            "quant": self.quant,
            "context": self.context,
            "licence": self.licence,
            "source": self.source,
            "sha256": self.sha256,
            "sizeBytes": self.file_bytes,
            "sizeEstimated": self.size_bytes is None,
            "ramBytes": self.ram_bytes,
            "diskBytes": self.disk_bytes,
        }


def _bits(quant: str, table: dict[str, float]) -> float:
    return sum(share * table[kind] for kind, share in MIX[quant].items())


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal[1]
    entries: list[Entry] = Field(min_length=1, max_length=1000)


def path() -> Path:
    return Path(os.environ.get("NAVLLM_CATALOG") or BUILTIN)


def entries() -> list[Entry]:
    """The catalog's entries; NavError naming the file when it is missing or invalid."""
    where = path()
    try:
        stat = where.stat()
    except OSError as exc:
        raise NavError(
            ErrorName.NOT_FOUND, f"the model catalog {where} cannot be read: {exc.strerror}; reinstall navllm or unset NAVLLM_CATALOG"
        ) from None
    return list(_load(str(where), stat.st_mtime_ns, stat.st_size))


@cache
def _load(where: str, mtime: int, size: int) -> tuple[Entry, ...]:
    """Parsed once per version of the file (its path, time and size key the cache)."""
    if size > MAX_CATALOG:
        raise NavError(ErrorName.DATA, f"the model catalog {where} is larger than {MAX_CATALOG} bytes")
    try:
        data = CatalogFile.model_validate(json.loads(Path(where).read_bytes()))
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).strip().splitlines()[:3]
        raise NavError(ErrorName.DATA, f"the model catalog {where} is invalid: {' '.join(first)}") from None
    names = [e.name for e in data.entries]
    if len(names) != len(set(names)):
        raise NavError(ErrorName.DATA, f"the model catalog {where} names a model twice")
    return tuple(data.entries)


def find(name: str) -> Entry:
    for entry in entries():
        if entry.name == name:
            return entry
    raise NavError(ErrorName.NOT_FOUND, f"the model catalog has no model {name[:128]!r}; `navllm models catalog` lists them")


# -- this computer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """The figures a fit is judged on: available memory, free disk for models, usable cores."""

    ram_bytes: int
    disk_bytes: int
    cores: int

    @classmethod
    def current(cls, models: Path) -> Machine:
        import psutil

        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # macOS and Windows have no affinity call
            cores = os.cpu_count() or 1
        return cls(ram_bytes=psutil.virtual_memory().available, disk_bytes=shutil.disk_usage(models).free, cores=cores)


@dataclass(frozen=True)
class Verdict:
    fit: Fit
    why: str  # for "too big": what is short; otherwise what the mark rests on


def judge(entry: Entry, machine: Machine) -> Verdict:
    short = []
    if entry.ram_bytes > machine.ram_bytes:
        short.append(f"needs {_gb(entry.ram_bytes)} memory, {_gb(machine.ram_bytes)} available")
    if entry.disk_bytes > machine.disk_bytes:
        short.append(f"needs {_gb(entry.disk_bytes)} disk to install, {_gb(machine.disk_bytes)} free")
    if short:
        return Verdict("too big", "; ".join(short))
    roomy = entry.ram_bytes <= machine.ram_bytes * COMFORT_SHARE
    brisk = entry.weight_bytes <= machine.cores * WEIGHT_BYTES_PER_CORE
    if roomy and brisk:
        return Verdict("recommended", f"uses at most half the available memory and suits {machine.cores} cores")
    if not roomy:
        return Verdict("fits", f"takes more than half of the {_gb(machine.ram_bytes)} available memory")
    return Verdict("fits", f"large for {machine.cores} cores: replies will come slowly")


ORDER: dict[Fit, int] = {"recommended": 0, "fits": 1, "too big": 2}


def converts(entry: Entry) -> bool:
    """Whether this navllm's converter reads the entry's architecture and tensor types (it grows; the catalog need not)."""
    from .convert import quants, spec

    return entry.architecture in spec.ARCHITECTURES and set(MIX[entry.quant]) <= set(quants.SUPPORTED)


def listing(machine: Machine, installed_sources: set[str]) -> list[dict[str, Any]]:
    """Every entry with its fit mark, whether it is installed and whether it converts, recommended ones first."""
    rows = []
    for entry in entries():
        verdict = judge(entry, machine)
        installed = f"catalog:{entry.name}" in installed_sources or entry.source in installed_sources
        rows.append({**entry.wire(), "fit": verdict.fit, "why": verdict.why, "installed": installed, "converts": converts(entry)})
    return sorted(rows, key=lambda row: (ORDER[row["fit"]], row["ramBytes"]))


def machine_wire(machine: Machine) -> dict[str, int]:
    return {"ramBytes": machine.ram_bytes, "diskBytes": machine.disk_bytes, "cores": machine.cores}


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"
