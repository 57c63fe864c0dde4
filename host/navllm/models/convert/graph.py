"""The Llama-family decoder as an ONNX graph on onnxruntime's fused contrib ops, straight from GGUF tensors.

Per layer: SkipSimplifiedLayerNormalization → QKV MatMulNBits (fused when the three share a format)
→ [per-head Q/K norms] → GroupQueryAttention (KV cache, in-op rotary unless the layer has none,
sliding window, score scale and soft-cap as the spec says) → output MatMulNBits → [post-norm] →
skip-norm → gate+up fused MatMulNBits → SiLU·up or GELU·up → down MatMulNBits → [post-norm]. The embedding is GatherBlockQuantized over the same bytes
the (tied) lm_head reads, and the head only sees the last ``logits_to_keep`` positions; its best
RESCORED candidates are recomputed exactly in fp32 (``GraphBuilder.head``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import quants
from .gguf_source import GGUFSource
from .spec import ModelSpec

if TYPE_CHECKING:
    from onnx import ModelProto, ValueInfoProto

MS = "com.microsoft"
RESCORED = 8  # the head's best candidates recomputed exactly in fp32, per position
OPSET = 21


def load_weight(src: GGUFSource, name: str) -> quants.Blockwise | np.ndarray:
    """A [N, K] weight as exact MatMulNBits codes, or as float32 when the GGUF stores floats."""
    kind = src.tensor_type(name)
    n, k = src.shape(name)
    if kind in quants.DENSE:
        return quants.dense(kind, src.raw(name), n, k)
    if kind in quants.BLOCKS:
        return quants.blockwise(kind, src.raw(name), n, k)
    raise quants.unsupported(name, kind)


def _fusable(ws: list[quants.Blockwise | np.ndarray]) -> bool:
    if all(isinstance(w, np.ndarray) for w in ws):
        return True
    blocks = [w for w in ws if isinstance(w, quants.Blockwise)]
    if len(blocks) != len(ws):
        return False
    first = blocks[0]
    return all((w.bits, w.block, w.offsets is None) == (first.bits, first.block, first.offsets is None) for w in blocks)


def _concat(ws: list[quants.Blockwise | np.ndarray]) -> quants.Blockwise | np.ndarray:
    """The weights of ``ws`` stacked along N; they are ``_fusable``: all dense, or all blockwise in one format."""
    if len(ws) == 1:
        return ws[0]
    dense = [w for w in ws if isinstance(w, np.ndarray)]
    if dense:
        return np.concatenate(dense, axis=0)
    blocks = [w for w in ws if isinstance(w, quants.Blockwise)]
    first = blocks[0]
    offsets = None if first.offsets is None else np.concatenate([w.offsets for w in blocks if w.offsets is not None])
    return quants.Blockwise(
        first.bits,
        first.block,
        np.concatenate([w.codes for w in blocks]),
        np.concatenate([w.scales for w in blocks]),
        offsets,
    )


class GraphBuilder:
    def __init__(self, accuracy_level: int, int8_for_8bit: bool = True):
        """``accuracy_level``: MatMulNBits' activation precision, 1 (fp32) or 4 (int8).

        ``int8_for_8bit`` keeps 8-bit weights at level 4 whatever ``accuracy_level`` says:
        onnxruntime has no fp32-activation kernel for them and dequantizes the whole matrix on
        every call instead (a Q8_0 lm_head: 155 ms instead of 1.8 ms per token). Tests that check
        the 8-bit mapping to the last digit turn it off.
        """
        from onnx import ModelProto, helper

        self.helper = helper
        self.accuracy_level = accuracy_level
        self.int8_for_8bit = int8_for_8bit
        # Initializers are written straight into the model: no graph-to-model copy of the weights.
        self.model = ModelProto(ir_version=10, producer_name="navllm")  # the IR onnxruntime accepts
        self.model.opset_import.extend([helper.make_opsetid("", OPSET), helper.make_opsetid(MS, 1)])
        self.graph = self.model.graph
        self._names: set[str] = set()
        self._blocksums: dict[tuple[str, int], str] = {}
        self._consts: dict[tuple[Any, ...], str] = {}
        self._gathered: dict[str, tuple[str, str | None]] = {}  # codes → the scales and offsets its gathers read

    def name(self, base: str) -> str:
        unique, i = base, 1
        while unique in self._names:
            unique, i = f"{base}_{i}", i + 1
        self._names.add(unique)
        return unique

    def init(self, base: str, array: np.ndarray) -> str:
        name = self.name(base)
        tensor = self.graph.initializer.add()
        tensor.name = name
        tensor.data_type = self.helper.np_dtype_to_tensor_dtype(array.dtype)
        tensor.dims.extend(array.shape)
        tensor.raw_data = np.ascontiguousarray(array).tobytes()
        return name

    def finish(self, name: str, inputs: list[ValueInfoProto], outputs: list[ValueInfoProto]) -> ModelProto:
        """The ModelProto, once ``inputs`` and ``outputs`` (ValueInfoProtos) are declared."""
        self.graph.name = name
        self.graph.input.extend(inputs)
        self.graph.output.extend(outputs)
        return self.model

    def const(self, values: Any, dtype: Any = np.int64) -> str:
        """A small shared constant (shapes, axes, indices)."""
        key = (tuple(np.ravel(values).tolist()), np.shape(values), np.dtype(dtype).str)
        if key not in self._consts:
            self._consts[key] = self.init("const", np.asarray(values, dtype=dtype))
        return self._consts[key]

    def op(self, op_type: str, inputs: list[str], base: str, domain: str = "", **attrs: Any) -> str:
        """Add a node with one output; its name."""
        return self.ops(op_type, inputs, base, 1, domain, **attrs)[0]

    def ops(
        self, op_type: str, inputs: list[str], base: str, outputs: int, domain: str = "", fixed: Sequence[str | None] = (), **attrs: Any
    ) -> list[str]:
        """Add a node; ``fixed`` gives graph-output names for its first outputs (None: generated)."""
        names = [self.name(f"{base}/{op_type}" + (f"_{j}" if outputs > 1 else "")) for j in range(outputs)]
        names[: len(fixed)] = [f or n for f, n in zip(fixed, names, strict=False)]
        self.graph.node.append(
            self.helper.make_node(op_type, inputs, names, name=self.name(f"{base}/{op_type}_node"), domain=domain, **attrs)
        )
        return names

    def blocksum(self, x: str, k: int, block: int) -> str:
        """Sum of ``x`` over each K-block: [.., S, K] → [.., S, K/block], shared by all users of ``x``."""
        key = (x, block)
        if key not in self._blocksums:
            blocks = self.op("Reshape", [x, self.const([0, 0, k // block, block])], f"{x}/blocks")
            self._blocksums[key] = self.op("ReduceSum", [blocks, self.const([-1])], f"{x}/blocksum", keepdims=0)
        return self._blocksums[key]

    def linear(self, x: str, w: quants.Blockwise | np.ndarray, base: str, b_name: str | None = None) -> str:
        """x @ wᵀ. ``b_name`` reuses already-stored MatMulNBits bytes (the tied embedding)."""
        if isinstance(w, np.ndarray):
            return self.op("MatMul", [x, self.init(f"{base}.weight", w.T)], base)
        n, k = w.shape
        b = b_name or self.init(f"{base}.qweight", w.packed())
        y = self.op(
            "MatMulNBits",
            [x, b, self.init(f"{base}.scales", w.scales)],
            base,
            domain=MS,
            K=k,
            N=n,
            bits=w.bits,
            block_size=w.block,
            accuracy_level=4 if w.bits == 8 and self.int8_for_8bit else self.accuracy_level,
        )
        if w.offsets is None:
            return y
        # The per-block offsets contribute blocksum(x) @ offsetsᵀ exactly, in fp32.
        fix = self.op("MatMul", [self.blocksum(x, k, w.block), self.init(f"{base}.offsets", w.offsets.T)], f"{base}/offsets")
        return self.op("Add", [y, fix], f"{base}/corrected")

    def embedding(self, ids: str, w: quants.Blockwise | np.ndarray, hidden: int) -> tuple[str, str | None]:
        """Rows of ``w`` for ``ids`` → [.., S, hidden], and the name of the stored codes (None if dense)."""
        if isinstance(w, np.ndarray):
            return self.op("Gather", [self.init("embed.weight", w), ids], "embed"), None
        # Stored as [V, K/block, blob] rows, so the tied lm_head's MatMulNBits reads the same bytes.
        codes = self.init("embed.qweight", w.packed())
        return self.rows(ids, 2, w, codes, "embed"), codes

    def rows(self, ids: str, rank: int, w: quants.Blockwise, codes: str, base: str) -> str:
        """Rows ``ids`` (of ``rank`` dimensions) of the blockwise ``w`` stored as ``codes``,
        dequantised exactly in fp32 → [..ids, K]. The gather's own scales (and offsets) are
        stored once per ``codes``, however many gathers read them."""
        if codes not in self._gathered:
            offsets = None if w.offsets is None else self.init(f"{base}.offsets", w.offsets)
            self._gathered[codes] = (self.init(f"{base}.gather_scales", w.scales[..., None]), offsets)
        scales, offsets = self._gathered[codes]
        x = self.op(
            "GatherBlockQuantized",
            [codes, ids, scales],
            base,
            domain=MS,
            bits=w.bits,
            block_size=w.block,
            quantize_axis=2,  # of the stored [V, K/block, blob] codes
            gather_axis=0,
        )
        if offsets is not None:
            off = self.op("Gather", [offsets, ids], f"{base}/offsets")
            x = self.op("Add", [x, self.op("Unsqueeze", [off, self.const([-1])], f"{base}/offsets3")], f"{base}/shifted")
        return self.op("Reshape", [x, self.const([0] * rank + [w.shape[1]])], f"{base}/flat")

    def head(self, x: str, w: quants.Blockwise | np.ndarray, codes: str | None) -> str:
        """The logits of ``x`` [.., L, K]; ``codes``: the tied embedding's, else the head's own.

        MatMulNBits runs an 8-bit head on int8 activations (see ``__init__``), which can swap
        near-tied candidates; the best RESCORED candidates are computed again exactly in fp32
        from their dequantised rows (a few dot products a token), so the top of the distribution
        is the fp32 model's."""
        if isinstance(w, np.ndarray):
            return self.linear(x, w, "lm_head")  # a dense head is fp32 already
        codes = codes or self.init("lm_head.qweight", w.packed())
        logits = self.linear(x, w, "lm_head", b_name=codes)
        _, best = self.ops("TopK", [logits, self.const([RESCORED])], "lm_head/best", outputs=2, axis=-1)
        rows = self.rows(best, 3, w, codes, "lm_head/rows")  # [1, L, RESCORED, K]
        exact = self.op("MatMul", [rows, self.op("Unsqueeze", [x, self.const([-1])], "lm_head/column")], "lm_head/exact")
        exact = self.op("Squeeze", [exact, self.const([-1])], "lm_head/exact_flat")
        return self.op("ScatterElements", [logits, best, exact], "lm_head/rescored", axis=-1)

    def linears(self, x: str, ws: list[quants.Blockwise | np.ndarray], base: str) -> list[str]:
        """Several projections of one input: one fused MatMulNBits when their formats agree."""
        if _fusable(ws):
            return [self.linear(x, _concat(ws), base)]
        return [self.linear(x, w, f"{base}.{j}") for j, w in enumerate(ws)]


def build(
    src: GGUFSource, spec: ModelSpec, progress: Callable[[float], None], accuracy_level: int, int8_for_8bit: bool = True
) -> ModelProto:
    """The ModelProto for ``src``; ``progress`` receives the fraction of layers built."""
    from onnx import TensorProto, helper

    g = GraphBuilder(accuracy_level, int8_for_8bit)

    input_ids = "input_ids"
    mask = "attention_mask"
    inputs = [
        helper.make_tensor_value_info(input_ids, TensorProto.INT64, ["batch", "sequence_length"]),
        helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "total_sequence_length"]),
    ]
    # How many final positions get logits: 1 while decoding, more to verify drafted tokens.
    keep = "logits_to_keep"
    inputs.append(helper.make_tensor_value_info(keep, TensorProto.INT64, [1]))
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "logits_length", spec.vocab])]
    g._names.update([input_ids, mask, keep, "logits"])

    # GroupQueryAttention's lengths from the right-padded mask: seqlens_k[b] = (ones in row b) - 1,
    # total = T (the longest row), so conversations of different lengths can decode in one batch.
    total64 = g.op("ReduceSum", [mask, g.const([1])], "mask/sum", keepdims=0)
    seqlens_k = g.op("Cast", [g.op("Sub", [total64, g.const([1])], "mask/last")], "seqlens_k", to=TensorProto.INT32)
    total = g.op("Cast", [g.op("Shape", [mask], "mask/shape", start=1, end=2)], "total_len", to=TensorProto.INT32)
    total = g.op("Squeeze", [total], "total_sequence_length")
    temperature = _temperature(g, spec, input_ids, mask, total64) if spec.temperature else None
    tables = {False: spec.rope_tables(src)}
    if spec.local_rope_theta:
        tables[True] = spec.rope_tables(src, local=True)
    caches = {local: (g.init("cos_cache", cos), g.init("sin_cache", sin)) for local, (cos, sin) in tables.items()}

    # Embedding (and lm_head, which reuses the bytes when the embedding is tied).
    embd = load_weight(src, "token_embd.weight")
    x, embd_bytes = g.embedding(input_ids, embd, spec.hidden)
    if spec.family.embed_scaled:
        x = g.op("Mul", [x, g.const(np.sqrt(spec.hidden), np.float32)], "embed/scaled")

    def norm_weight(name: str) -> str:
        return g.init(name, quants.dense(src.tensor_type(name), src.raw(name), 1, src.shape(name)[-1]).reshape(-1))

    def rms(x: str, name: str, base: str) -> str:
        return g.op("SimplifiedLayerNormalization", [x, norm_weight(name)], base, epsilon=spec.rms_eps, axis=-1, stash_type=1)

    residual = x
    normed = rms(x, "blk.0.attn_norm.weight", "blk.0/attn_norm")
    for i in range(spec.layers):
        p = f"blk.{i}"
        # Attention.
        q, k, v = _qkv(g, src, spec, normed, p, rms)
        if temperature:
            q = g.op("Mul", [q, temperature], f"{p}/q_temperature")
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        present_k, present_v = f"present.{i}.key", f"present.{i}.value"
        for name in (past_k, past_v):
            inputs.append(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", spec.kv_heads, "past_sequence_length", spec.head_dim])
            )
        for name in (present_k, present_v):
            outputs.append(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", spec.kv_heads, "present_sequence_length", spec.head_dim])
            )
        g._names.update([past_k, past_v, present_k, present_v])
        rotary = spec.rotates(i)
        attrs: dict[str, Any] = {"do_rotary": int(rotary)}
        if rotary:
            attrs["rotary_interleaved"] = int(spec.rope_interleaved)
        if spec.local(i):  # the window's length in keys, the current one included, as in llama.cpp
            attrs["local_window_size"] = spec.window
        if spec.query_scale:
            attrs["scale"] = spec.query_scale
        if spec.attn_softcap:
            attrs["softcap"] = spec.attn_softcap
        cos, sin = caches[spec.local(i) and bool(spec.local_rope_theta)] if rotary else ("", "")
        attn = g.ops(
            "GroupQueryAttention",
            [q, k, v, past_k, past_v, seqlens_k, total, cos, sin],
            f"{p}/attn",
            outputs=3,
            domain=MS,
            num_heads=spec.heads,
            kv_num_heads=spec.kv_heads,
            fixed=(None, present_k, present_v),
            **attrs,
        )
        out = g.linear(attn[0], load_weight(src, f"{p}.attn_output.weight"), f"{p}.attn_output")
        if spec.family.post_norms:
            out = rms(out, f"{p}.post_attention_norm.weight", f"{p}/post_attention_norm")
        normed, _, _, residual = g.ops(
            "SkipSimplifiedLayerNormalization",
            [out, residual, norm_weight(f"{p}.ffn_norm.weight")],
            f"{p}/ffn_norm",
            outputs=4,
            domain=MS,
            epsilon=spec.rms_eps,
        )
        # Gated MLP: gate and up fused (Phi-3 stores them as one ffn_up).
        names = [f"{p}.ffn_up.weight"] if f"{p}.ffn_gate.weight" not in src.tensors else [f"{p}.ffn_{t}.weight" for t in ("gate", "up")]
        gate_up = g.linears(normed, [load_weight(src, n) for n in names], f"{p}.ffn_gate_up")
        if len(gate_up) == 1:
            gate_up = g.ops("Split", [gate_up[0], g.const([spec.ffn, spec.ffn])], f"{p}/ffn_split", outputs=2, axis=-1)
        gate, up = gate_up
        if spec.family.gelu:
            act = g.op("Gelu", [gate], f"{p}/ffn_gelu", approximate="tanh")
        else:
            act = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{p}/ffn_sigmoid")], f"{p}/ffn_silu")
        hidden = g.linear(g.op("Mul", [act, up], f"{p}/ffn_gated"), load_weight(src, f"{p}.ffn_down.weight"), f"{p}.ffn_down")
        if spec.family.post_norms:
            hidden = rms(hidden, f"{p}.post_ffw_norm.weight", f"{p}/post_ffw_norm")
        if i + 1 < spec.layers:
            normed, _, _, residual = g.ops(
                "SkipSimplifiedLayerNormalization",
                [hidden, residual, norm_weight(f"blk.{i + 1}.attn_norm.weight")],
                f"blk.{i + 1}/attn_norm",
                outputs=4,
                domain=MS,
                epsilon=spec.rms_eps,
            )
        progress((i + 1) / spec.layers)

    # Only the last ``logits_to_keep`` positions reach the final norm and the head.
    start, end, axis = g.op("Neg", [keep], "tail/start"), g.const([np.iinfo(np.int64).max]), g.const([1])
    final = g.op(
        "SkipSimplifiedLayerNormalization",
        [
            g.op("Slice", [hidden, start, end, axis], "tail/hidden"),
            g.op("Slice", [residual, start, end, axis], "tail/residual"),
            norm_weight("output_norm.weight"),
        ],
        "output_norm",
        domain=MS,
        epsilon=spec.rms_eps,
    )
    tied = "output.weight" not in src.tensors
    logits = g.head(final, embd if tied else load_weight(src, "output.weight"), embd_bytes if tied else None)
    if spec.final_softcap:  # Gemma 2: cap · tanh(logits / cap)
        cap = g.const(spec.final_softcap, np.float32)
        logits = g.op("Mul", [g.op("Tanh", [g.op("Div", [logits, cap], "softcap/div")], "softcap/tanh"), cap], "softcap")
    g.graph.node.append(helper.make_node("Identity", [logits], ["logits"], name="logits"))
    return g.finish("navllm-" + spec.architecture, inputs, outputs)


def _qkv(g: GraphBuilder, src: GGUFSource, spec: ModelSpec, normed: str, p: str, rms: Callable[[str, str, str], str]) -> list[str]:
    """Q, K and V of layer ``p`` for GroupQueryAttention: packed as [q, "", ""] when one fused
    projection feeds it whole, else three tensors (biases added, per-head norms applied)."""
    if f"{p}.attn_qkv.weight" in src.tensors:  # Phi-3's fused projection
        qkv = [g.linear(normed, load_weight(src, f"{p}.attn_qkv.weight"), f"{p}.attn_qkv")]
    else:
        qkv = g.linears(normed, [load_weight(src, f"{p}.attn_{t}.weight") for t in "qkv"], f"{p}.attn_qkv")
        biases = [f"{p}.attn_{t}.bias" for t in "qkv"]
        if any(b in src.tensors for b in biases):
            qkv = _add_biases(g, src, qkv, biases, f"{p}.attn_qkv")
    if len(qkv) == 1 and (spec.family.qk_norm or spec.temperature):  # Q needs work of its own
        q_size, kv_size = spec.heads * spec.head_dim, spec.kv_heads * spec.head_dim
        qkv = g.ops("Split", [qkv[0], g.const([q_size, kv_size, kv_size])], f"{p}/qkv_split", outputs=3, axis=-1)
    if not spec.family.qk_norm:
        return qkv if len(qkv) == 3 else [qkv[0], "", ""]
    q, k, v = qkv
    # RMS norm over each head's vector: [1, S, H·D] → [1, S, H, D] → norm → back.
    heads_shape, flat = g.const([0, 0, -1, spec.head_dim]), g.const([0, 0, -1])
    normed_qk = []
    for y, t in ((q, "q"), (k, "k")):
        per_head = g.op("Reshape", [y, heads_shape], f"{p}/{t}_heads")
        y = rms(per_head, f"{p}.attn_{t}_norm.weight", f"{p}/attn_{t}_norm")
        normed_qk.append(g.op("Reshape", [y, flat], f"{p}/{t}_flat"))
    return [*normed_qk, v]


def _temperature(g: GraphBuilder, spec: ModelSpec, input_ids: str, mask: str, lengths: str) -> str:
    """The query scale [B, S, 1] of the tokens being fed, at the positions GroupQueryAttention
    rotates them to: 0 … S - 1 for a first prompt, else lengths[b] - S … lengths[b] - 1
    (``lengths``: the ones in each right-padded mask row). Scaling before the rotation equals
    llama.cpp's scaling after it (rotation is linear)."""
    from onnx import TensorProto

    length = g.op("Shape", [input_ids], "temperature/length", start=1, end=2)
    past = g.op("Sub", [g.op("Shape", [mask], "temperature/total", start=1, end=2), length], "temperature/past")
    continued = g.op("Sub", [lengths, length], "temperature/continued")
    first = g.op("Where", [g.op("Greater", [past, g.const([0])], "temperature/has_past"), continued, g.const([0])], "temperature/first")
    first = g.op("Unsqueeze", [first, g.const([1])], "temperature/first_column")
    steps = g.op("Range", [g.const(0), g.op("Squeeze", [length], "temperature/count"), g.const(1)], "temperature/steps")
    positions = g.op("Add", [first, steps], "temperature/positions")  # [B, S]
    one = g.const(1.0, np.float32)
    floor = g.const(float(spec.temperature_floor), np.float32)
    div = g.op("Div", [g.op("Cast", [positions], "temperature/float", to=TensorProto.FLOAT), floor], "temperature/div")
    periods = g.op("Floor", [div], "temperature/periods")
    periods = g.op("Max", [periods, g.const(0.0, np.float32)], "temperature/periods_valid")  # padding rows may run negative
    log = g.op("Log", [g.op("Add", [periods, one], "temperature/periods_1")], "temperature/log")
    scale = g.op("Add", [g.op("Mul", [log, g.const(spec.temperature, np.float32)], "temperature/mul"), one], "temperature/scale")
    return g.op("Unsqueeze", [scale, g.const([-1])], "temperature/column")


def _add_biases(g: GraphBuilder, src: GGUFSource, qkv: list[str], biases: list[str], base: str) -> list[str]:
    """Qwen2's Q/K/V biases, concatenated to match a fused projection."""
    vectors = [quants.dense(src.tensor_type(b), src.raw(b), 1, src.shape(b)[-1]).reshape(-1) for b in biases]
    if len(qkv) == 1:
        return [g.op("Add", [qkv[0], g.init(f"{base}.bias", np.concatenate(vectors))], f"{base}/bias")]
    return [g.op("Add", [y, g.init(f"{b}", v)], f"{b}/add") for y, b, v in zip(qkv, biases, vectors, strict=True)]
