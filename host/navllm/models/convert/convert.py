"""GGUF file → model folder (model.onnx, model.onnx.data, tokenizer.json, navllm-model.json), all or nothing.

The folder is assembled under a temporary name beside ``out_dir`` and renamed into place at the
end, so a failure or an interrupt leaves no half-written model behind.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...protocol.errors import ErrorName, NavError
from ..chat_template import ChatTemplate
from .gguf_source import GGUFSource
from .spec import ModelSpec

if TYPE_CHECKING:
    from onnx import ModelProto

FORMAT = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "navllm-model.json"
# The weights live beside the graph: onnxruntime memory-maps them instead of parsing a copy out of
# the protobuf, which loads faster and keeps less memory resident (and lifts protobuf's 2 GiB cap).
DATA_FILE = MODEL_FILE + ".data"
# int8 activations inside MatMulNBits: the fastest decode. Level 1 (fp32 activations for 4-bit
# weights) prefills faster and follows the fp32 reference more often on near-ties, but decodes
# slower; mixes per tensor or per layer followed it no more reliably than level 4 (issue 14).
# docs/converter.md has the measurements.
ACCURACY_LEVEL = 4

Progress = Callable[[float, str], None]


def convert_gguf(
    gguf_path: Path,
    out_dir: Path,
    progress: Progress | None = None,
    sha256: str | None = None,
    accuracy_level: int = ACCURACY_LEVEL,
    int8_for_8bit: bool = True,
) -> dict[str, Any]:
    """Convert ``gguf_path`` into ``out_dir`` (which must not exist or be empty); returns the metadata.

    ``progress(fraction, stage)`` is called as work advances; ``sha256`` skips re-hashing a file
    whose digest the caller has already verified. ``accuracy_level`` 4 (the default) quantizes
    MatMulNBits activations to int8 on the fly; 1 keeps them in fp32 (faster prefill, closer to
    the reference, slower decode). 8-bit weights stay at 4 unless ``int8_for_8bit`` is off (see
    GraphBuilder).
    """
    report = progress or (lambda fraction, stage: None)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise NavError(ErrorName.INVALID_STATE, f"{out_dir} already exists and is not an empty folder")

    report(0.0, "reading")
    src = GGUFSource(Path(gguf_path))
    spec = ModelSpec.from_gguf(src)
    _check_tensors(src, spec)
    digest = sha256 or _sha256(src.path, lambda f: report(0.1 * f, "hashing"))

    from .tokenizer import build_tokenizer, special_ids

    report(0.1, "tokenizer")
    tokenizer = build_tokenizer(src)
    special = special_ids(src)
    template = src.get("tokenizer.chat_template") or ""
    if template:
        ChatTemplate(template, special["bos"], special["eos"])  # fails now on a template that cannot parse

    from .graph import build

    report(0.15, "weights")
    model = build(src, spec, lambda f: report(0.15 + 0.7 * f, "weights"), accuracy_level, int8_for_8bit)
    meta = {
        "format": FORMAT,
        "name": spec.name,
        "architecture": spec.architecture,
        "layers": spec.layers,
        "heads": spec.heads,
        "kvHeads": spec.kv_heads,
        "headDim": spec.head_dim,
        "hidden": spec.hidden,
        "vocabSize": spec.vocab,
        "contextLength": spec.context,
        "ropeTheta": spec.rope_theta,
        "bosTokenId": special["bosTokenId"],
        "eosTokenIds": special["eosTokenIds"],
        "addBos": special["addBos"],
        "chatTemplate": template,
        "quant": _quant_name(src),
        "sourceSha256": digest,
    }

    report(0.85, "writing")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".converting"))
    try:
        _save_model(model, staging / MODEL_FILE)
        tokenizer.save(str(staging / TOKENIZER_FILE))
        (staging / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report(1.0, "done")
    return meta


def _check_tensors(src: GGUFSource, spec: ModelSpec) -> None:
    """Fail before any heavy work on a missing tensor or a format we cannot map exactly."""
    from . import quants

    experts = next((n for n in src.tensors if ".ffn_gate_inp." in n or "_exps." in n), None)
    if experts:
        raise NavError(
            ErrorName.NOT_SUPPORTED, f"{src.path.name} is a mixture-of-experts model (tensor {experts}); only dense models convert"
        )
    needed = ["token_embd.weight", "output_norm.weight"]
    for i in range(spec.layers):
        p = f"blk.{i}."
        fused_qkv = spec.architecture == "phi3" and p + "attn_qkv.weight" in src.tensors
        parts = ["attn_norm", "attn_output", "ffn_norm", "ffn_up", "ffn_down"]
        parts += ["attn_qkv"] if fused_qkv else ["attn_q", "attn_k", "attn_v"]
        parts += [] if spec.architecture == "phi3" else ["ffn_gate"]  # Phi-3 fuses gate and up into ffn_up
        parts += ["attn_q_norm", "attn_k_norm"] if spec.family.qk_norm else []
        parts += ["post_attention_norm", "post_ffw_norm"] if spec.family.post_norms else []
        needed += [f"{p}{t}.weight" for t in parts]
    missing = [n for n in needed if n not in src.tensors]
    if missing:
        raise NavError(ErrorName.DATA, f"{src.path.name} lacks tensor {missing[0]} for a {spec.architecture} model")
    for name in src.tensors:
        kind = src.tensor_type(name)
        if kind not in quants.SUPPORTED:
            raise quants.unsupported(name, kind)
    rows = src.shape("token_embd.weight")[0]
    if rows != spec.vocab:
        raise NavError(ErrorName.DATA, f"the embedding has {rows} rows but the vocabulary {spec.vocab} tokens")


def _sha256(path: Path, progress: Callable[[float], None]) -> str:
    h = hashlib.sha256()
    size = max(path.stat().st_size, 1)
    done = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
            done += len(chunk)
            progress(done / size)
    return h.hexdigest()


def _quant_name(src: GGUFSource) -> str:
    import gguf

    file_type = src.get("general.file_type")
    try:
        return gguf.LlamaFileType(int(file_type)).name.removeprefix("MOSTLY_")
    except (TypeError, ValueError):
        kinds = [src.tensor_type(n) for n in src.tensors if n.endswith("ffn_down.weight")]
        return max(set(kinds), key=kinds.count) if kinds else "unknown"


def _save_model(model: ModelProto, path: Path) -> None:
    import onnx

    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=DATA_FILE, size_threshold=1024)
