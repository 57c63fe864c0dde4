"""BERT sentence-embedding models (all-MiniLM-L6-v2 and kin) from safetensors to ONNX, in fp32.

The graph is built directly with numpy + onnx (no torch): embeddings, the encoder layers with
exact erf GELU, then mean pooling over the attention mask and L2 normalisation, so the model's
one output is the finished sentence embedding. Input: ``input_ids`` and ``attention_mask``
[batch, tokens] int64 (single-segment text, token type 0). Output: ``sentence_embedding``
[batch, dimensions] float32.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ...atomic import write_atomic
from ...protocol.errors import ErrorName, NavError
from .. import safetensors

if TYPE_CHECKING:
    from numpy import ndarray
    from onnx import GraphProto, NodeProto, TensorProto

OPSET = 17  # LayerNormalization
IR_VERSION = 10  # what onnxruntime 1.2x loads


def convert_bert(src: Path, out_dir: Path, name: str, progress: Callable[[float, str], None]) -> None:
    """Convert the model folder ``src`` (config.json, model.safetensors, tokenizer.json) into ``out_dir``."""
    import numpy as np
    import onnx

    config = _config(src)
    progress(0.0, "reading weights")
    weights = {k.removeprefix("bert."): v for k, v in safetensors.read(src / "model.safetensors").items()}
    graph = _Graph(weights, np).build(config, lambda layer: progress(0.1 + 0.6 * layer / config["num_hidden_layers"], "building the graph"))
    model = onnx.helper.make_model(
        graph,
        opset_imports=[onnx.helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="navllm",
    )
    progress(0.7, "writing model.onnx")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        onnx.save_model(model, tmp / "model.onnx")
        shutil.copyfile(src / "tokenizer.json", tmp / "tokenizer.json")
        manifest = {
            "format": 1,
            "kind": "embedding",
            "name": name,
            "dimensions": config["hidden_size"],
            "maxTokens": _max_tokens(src, config),
        }
        write_atomic(tmp / "navllm-model.json", json.dumps(manifest, indent=2).encode(), mode=0o644)
        os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    progress(1.0, "converted")


def _config(src: Path) -> dict[str, Any]:
    missing = [f for f in ("config.json", "model.safetensors", "tokenizer.json") if not (src / f).is_file()]
    if missing:
        raise NavError(ErrorName.DATA, f"the embedding model folder lacks {', '.join(missing)}")
    try:
        config: dict[str, Any] = json.loads((src / "config.json").read_bytes())
    except ValueError as exc:
        raise NavError(ErrorName.DATA, f"config.json is not valid JSON: {exc}") from None
    if config.get("model_type") != "bert":
        raise NavError(ErrorName.NOT_SUPPORTED, f"embedding models of type {config.get('model_type')!r} are not supported (only bert)")
    if config.get("hidden_act", "gelu") != "gelu" or config.get("position_embedding_type", "absolute") != "absolute":
        raise NavError(ErrorName.NOT_SUPPORTED, "only BERT with gelu activation and absolute positions is supported")
    pooling = src / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_bytes()).get("pooling_mode_mean_tokens", False):
        raise NavError(ErrorName.NOT_SUPPORTED, "only mean-pooling sentence-embedding models are supported")
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings"):
        if not isinstance(config.get(key), int) or config[key] <= 0:
            raise NavError(ErrorName.DATA, f"config.json lacks a valid {key}")
    if config["hidden_size"] % config["num_attention_heads"]:
        raise NavError(ErrorName.DATA, "config.json: hidden_size is not a multiple of num_attention_heads")
    return config


def _max_tokens(src: Path, config: dict[str, Any]) -> int:
    """sentence-transformers' max_seq_length when given (what the model was trained for)."""
    limit: int = config["max_position_embeddings"]
    st_config = src / "sentence_bert_config.json"
    if st_config.is_file():
        limit = min(limit, int(json.loads(st_config.read_bytes()).get("max_seq_length", limit)))
    return limit


class _Graph:
    """Accumulates nodes and initializers; each helper returns its output's name."""

    def __init__(self, weights: dict[str, ndarray], np: ModuleType) -> None:
        self.weights = weights
        self.np = np
        self.nodes: list[NodeProto] = []
        self.inits: dict[str, TensorProto] = {}
        self._n = 0

    def build(self, config: dict[str, Any], on_layer: Callable[[int], None]) -> GraphProto:
        from onnx import TensorProto, helper

        np = self.np
        size = config["hidden_size"]
        heads = config["num_attention_heads"]
        eps = float(config.get("layer_norm_eps", 1e-12))

        # Embeddings: word + (position + token-type-0), then LayerNorm.
        words = self.op("Gather", self.const("word_embeddings", self.w("embeddings.word_embeddings.weight")), "input_ids")
        positions = self.w("embeddings.position_embeddings.weight") + self.w("embeddings.token_type_embeddings.weight")[0]
        length = self.op("Gather", self.op("Shape", "input_ids"), self.const("axis1", np.array([1], np.int64)))
        zero = self.const("zero", np.array([0], np.int64))
        pos = self.op("Slice", self.const("position_embeddings", positions), zero, length, zero)
        x = self.layer_norm(self.op("Add", words, pos), "embeddings.LayerNorm", eps)

        # Additive attention mask [batch, 1, 1, tokens]: 0 where attended, float32 min where padded.
        mask = self.op("Cast", "attention_mask", to=TensorProto.FLOAT)
        unattended = self.op("Sub", self.const("ones", np.array(1.0, np.float32)), mask)
        bias = self.op("Mul", unattended, self.const("mask_min", np.array(np.finfo(np.float32).min, np.float32)))
        bias = self.op("Unsqueeze", bias, self.const("axes12", np.array([1, 2], np.int64)))

        split_heads = self.const("split_heads", np.array([0, 0, heads, size // heads], np.int64))
        merge_heads = self.const("merge_heads", np.array([0, 0, size], np.int64))
        scale = self.const("scale", np.array(1.0 / math.sqrt(size // heads), np.float32))
        for i in range(config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = self.op("Transpose", self.op("Reshape", self.linear(x, p + "attention.self.query"), split_heads), perm=[0, 2, 1, 3])
            k = self.op("Transpose", self.op("Reshape", self.linear(x, p + "attention.self.key"), split_heads), perm=[0, 2, 3, 1])
            v = self.op("Transpose", self.op("Reshape", self.linear(x, p + "attention.self.value"), split_heads), perm=[0, 2, 1, 3])
            scores = self.op("Add", self.op("Mul", self.op("MatMul", q, k), scale), bias)
            context = self.op("MatMul", self.op("Softmax", scores, axis=-1), v)
            context = self.op("Reshape", self.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
            attended = self.op("Add", self.linear(context, p + "attention.output.dense"), x)
            x = self.layer_norm(attended, p + "attention.output.LayerNorm", eps)
            inner = self.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.layer_norm(self.op("Add", self.linear(inner, p + "output.dense"), x), p + "output.LayerNorm", eps)
            on_layer(i + 1)

        # Mean over attended tokens, then L2 normalisation (sentence-transformers' Normalize).
        axis1 = self.const("axis1", np.array([1], np.int64))
        weights = self.op("Unsqueeze", mask, self.const("axis2", np.array([2], np.int64)))
        summed = self.op("ReduceSum", self.op("Mul", x, weights), axis1, keepdims=0)
        count = self.op("Max", self.op("ReduceSum", weights, axis1, keepdims=0), self.const("tiny_count", np.array(1e-9, np.float32)))
        mean = self.op("Div", summed, count)
        norm = self.op("Sqrt", self.op("ReduceSum", self.op("Mul", mean, mean), axis1, keepdims=1))
        norm = self.op("Max", norm, self.const("tiny_norm", np.array(1e-12, np.float32)))
        self.nodes.append(helper.make_node("Div", [mean, norm], ["sentence_embedding"]))

        inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in ("input_ids", "attention_mask")]
        output = helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", size])
        return helper.make_graph(self.nodes, "navllm-embedding", inputs, [output], list(self.inits.values()))

    def w(self, name: str) -> ndarray:
        if name not in self.weights:
            raise NavError(ErrorName.DATA, f"model.safetensors lacks the tensor {name}")
        weight: ndarray = self.np.asarray(self.weights[name], dtype=self.np.float32)
        return weight

    def const(self, name: str, value: ndarray) -> str:
        from onnx import numpy_helper

        if name not in self.inits:  # shared constants are added once
            self.inits[name] = numpy_helper.from_array(self.np.ascontiguousarray(value), name)
        return name

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        from onnx import helper

        self._n += 1
        out = f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def linear(self, x: str, prefix: str) -> str:
        weight = self.const(prefix + ".weight", self.w(prefix + ".weight").T)  # torch Linear stores [out, in]
        return self.op("Add", self.op("MatMul", x, weight), self.const(prefix + ".bias", self.w(prefix + ".bias")))

    def layer_norm(self, x: str, prefix: str, eps: float) -> str:
        scale = self.const(prefix + ".weight", self.w(prefix + ".weight"))
        bias = self.const(prefix + ".bias", self.w(prefix + ".bias"))
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=eps)

    def gelu(self, x: str) -> str:
        """Exact GELU: 0.5 · x · (1 + erf(x / √2)), as BERT defines it."""
        np = self.np
        scaled = self.op("Mul", x, self.const("rsqrt2", np.array(1 / math.sqrt(2), np.float32)))
        plus_one = self.op("Add", self.op("Erf", scaled), self.const("ones", np.array(1.0, np.float32)))
        return self.op("Mul", self.op("Mul", x, plus_one), self.const("half", np.array(0.5, np.float32)))
