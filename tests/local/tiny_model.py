"""A tiny random-weight model folder with the converter's exact output contract.

Same graph inputs/outputs as a converted GGUF (GroupQueryAttention with rotary in shared-buffer
mode, logits for the last ``logits_to_keep`` positions), a byte-level BPE tokenizer with ChatML specials, and a
``navllm-model.json``; small enough to build in well under a second. The weights are random, so
tests on it check mechanics (caching, cloning, streaming), never what the text says.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LAYERS, HEADS, KV_HEADS, HEAD_DIM, CONTEXT = 2, 4, 2, 16, 512
HIDDEN = HEADS * HEAD_DIM
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
CORPUS = [
    "The quick brown fox jumps over the lazy dog. Paris is the capital of France.",
    "Héllo wörld, naïve café — 東京 is a city; emoji 😀🎉 are multi-byte.",
    "def f(x):\n    return x * 2  # code 0123456789",
]


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    return tok


def _graph(vocab: int, seed: int, logits_to_keep: bool, batch: str | int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def weight(name, shape, scale=0.3):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    inv = 1.0 / (10000 ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM))
    angles = np.outer(np.arange(CONTEXT), inv)
    const("cos_cache", np.cos(angles).astype(np.float32))
    const("sin_cache", np.sin(angles).astype(np.float32))
    const("one", np.array([1], dtype=np.int64))
    const("axes1", np.array([1], dtype=np.int64))
    const("idx1", np.array(1, dtype=np.int64))
    const("last", np.array([-1], dtype=np.int64))
    const("big", np.array([2**31], dtype=np.int64))
    nodes += [
        helper.make_node("ReduceSum", ["attention_mask", "axes1"], ["mask_sum"], keepdims=0),
        helper.make_node("Sub", ["mask_sum", "one"], ["seqlens64"]),
        helper.make_node("Cast", ["seqlens64"], ["seqlens_k"], to=TensorProto.INT32),
        helper.make_node("Shape", ["attention_mask"], ["mask_shape"]),
        helper.make_node("Gather", ["mask_shape", "idx1"], ["total64"], axis=0),
        helper.make_node("Cast", ["total64"], ["total_len"], to=TensorProto.INT32),
        helper.make_node("Gather", [weight("embed", (vocab, HIDDEN)), "input_ids"], ["h0"]),
    ]
    h = "h0"
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, [batch, "S"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [batch, "T"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, "L", vocab])]
    if logits_to_keep:
        inputs.append(helper.make_tensor_value_info("logits_to_keep", TensorProto.INT64, [1]))
        nodes.append(helper.make_node("Neg", ["logits_to_keep"], ["tail_start"]))
    for i in range(LAYERS):
        p = f"l{i}_"
        nodes += [
            helper.make_node("MatMul", [h, weight(p + "wq", (HIDDEN, HIDDEN))], [p + "q"]),
            helper.make_node("MatMul", [h, weight(p + "wk", (HIDDEN, KV_HEADS * HEAD_DIM))], [p + "k"]),
            helper.make_node("MatMul", [h, weight(p + "wv", (HIDDEN, KV_HEADS * HEAD_DIM))], [p + "v"]),
            helper.make_node(
                "GroupQueryAttention",
                [
                    p + "q",
                    p + "k",
                    p + "v",
                    f"past_key_values.{i}.key",
                    f"past_key_values.{i}.value",
                    "seqlens_k",
                    "total_len",
                    "cos_cache",
                    "sin_cache",
                ],
                [p + "attn", f"present.{i}.key", f"present.{i}.value"],
                domain="com.microsoft",
                num_heads=HEADS,
                kv_num_heads=KV_HEADS,
                do_rotary=1,
                rotary_interleaved=1,
            ),
            helper.make_node("MatMul", [p + "attn", weight(p + "wo", (HIDDEN, HIDDEN))], [p + "o"]),
            helper.make_node("Add", [h, p + "o"], [p + "res"]),
            helper.make_node("Tanh", [p + "res"], [p + "out"]),
        ]
        h = p + "out"
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", TensorProto.FLOAT, [batch, KV_HEADS, "P", HEAD_DIM]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", TensorProto.FLOAT, [batch, KV_HEADS, "T", HEAD_DIM]))
    nodes += [
        helper.make_node("Slice", [h, "tail_start" if logits_to_keep else "last", "big", "axes1"], ["h_last"]),
        helper.make_node("MatMul", ["h_last", weight("lm_head", (HIDDEN, vocab), scale=1.0)], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, ir_version=10)


def build(folder: Path, seed: int = 0, logits_to_keep: bool = True, batched: bool = True) -> Path:
    """``logits_to_keep=False`` builds the graph converters wrote before that input (last position only),
    ``batched=False`` the one they wrote before the named batch dimension (batch 1 declared)."""
    folder.mkdir(parents=True, exist_ok=True)
    tok = build_tokenizer()
    tok.save(str(folder / "tokenizer.json"))
    vocab = tok.get_vocab_size()
    onnx.save(_graph(vocab, seed, logits_to_keep, "batch" if batched else 1), str(folder / "model.onnx"))
    eos = tok.token_to_id("<|im_end|>")
    meta = {
        "format": 1,
        "name": "tiny-test",
        "architecture": "llama",
        "layers": LAYERS,
        "heads": HEADS,
        "kvHeads": KV_HEADS,
        "headDim": HEAD_DIM,
        "hidden": HIDDEN,
        "vocabSize": vocab,
        "contextLength": CONTEXT,
        "ropeTheta": 10000.0,
        "bosTokenId": tok.token_to_id("<|im_start|>"),
        "eosTokenIds": [eos],
        "addBos": False,
        "chatTemplate": TEMPLATE,
        "quant": "F32",
        "sourceSha256": "0" * 64,
    }
    (folder / "navllm-model.json").write_text(json.dumps(meta))
    return folder
