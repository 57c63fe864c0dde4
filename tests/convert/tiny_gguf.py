"""Small random GGUF models written with the ``gguf`` package, one quant format per tensor as asked.

They run the whole converter on every supported tensor type and both architectures in a fraction
of a second; weights are random but valid blocks scaled to keep activations tame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.convert.tiny_blocks import tensor_bytes

HIDDEN, FFN, HEADS, KV_HEADS, LAYERS = 256, 512, 4, 2, 2
CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def byte_chars() -> list[str]:
    """GPT-2's byte → printable character table (the byte-level BPE alphabet)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def split_specials(text: str, specials: list[str]) -> list[tuple[str, bool]]:
    """llama.cpp's first tokenizer step: cut special tokens (in the order given) out of the text.

    Returns the pieces in order as ``(piece, is_special)``; empty text pieces are dropped, except an
    untouched input is returned whole, even when empty.
    """
    fragments = [(text, False)]
    for special in specials:
        split = []
        for frag, is_special in fragments:
            if is_special or special not in frag:
                split.append((frag, is_special))
                continue
            for j, part in enumerate(frag.split(special)):
                if j:
                    split.append((special, True))
                if part:
                    split.append((part, False))
        fragments = split
    return fragments


def vocabulary() -> tuple[list[str], list[int], list[str]]:
    base = byte_chars()
    merges = ["Ġ t", "h e", "Ġt he", "i n", "Ġ a", "e r", "o n", "Ġ s", "e n", "Ġa n"]
    tokens = base + [m.replace(" ", "") for m in merges] + ["<|im_start|>", "<|im_end|>"]
    types = [1] * (len(tokens) - 2) + [3, 3]
    return tokens, types, merges


# fmt: off
SPM_PIECES = [
    "▁", *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'",
    "▁t", "he", "▁the", "in", "▁a", "er", "an", "on", "▁s", "en", "re", "▁w", "ing", "▁th", "or", "▁wor",
    "ld", "▁world", "nd", "▁an", "▁and", "is", "▁is", "▁i", "▁in", "ll", "el", "lo", "llo", "▁he", "▁hello",
    "at", "ca", "cat", "▁c", "▁cat", "▁▁", "▁▁▁▁", "ab", "abc", "bc", "▁ab",
]
# fmt: on


def spm_vocabulary() -> tuple[list[str], list[int], list[float]]:
    """A SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte pieces, then pieces scored by rank."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + SPM_PIECES
    types = [2, 3, 3] + [6] * 256 + [1] * len(SPM_PIECES)
    scores = [0.0] * 259 + [-float(i) for i in range(len(SPM_PIECES))]
    return tokens, types, scores


# What each family's GGUF carries beyond the Llama layout (llama.cpp's tensor names and keys).
QK_NORM = ("qwen3", "gemma3")
POST_NORMS = ("gemma2", "gemma3")


def write(
    path: Path,
    arch: str = "llama",
    types: dict[str, str] | None = None,
    tied: bool = True,
    seed: int = 0,
    tokenizer: str = "gpt2",
    pre: str = "smollm",
    rope_freqs: bool = False,
    layers: int = LAYERS,
    metadata: dict[str, int | float | str | list[int]] | None = None,
    rope_dim: int | None = None,
    chat_template: str = CHATML,
    attn_gain: float = 1.0,
    head_dim: int | None = None,
    name: str | None = None,
    space_prefix: bool = True,
) -> Path:
    """Write a tiny model. ``types`` maps tensor-name suffixes (``attn_q``, ``token_embd``…) to formats;
    ``metadata`` adds keys under the architecture's prefix (``rope.scaling.type``…); ``rope_dim``
    rotates only that many dimensions of each head; ``head_dim`` sets the heads' size apart from
    hidden / heads (Gemma, Mistral Nemo); ``name`` is general.name; ``space_prefix``: SentencePiece's
    add_space_prefix (Gemma's is off); ``attn_gain`` scales the attention norms, so
    scores grow with its square and attention (and with it position) weighs more in the logits."""
    import gguf

    types = types or {}
    rng = np.random.default_rng(seed)
    if tokenizer == "llama":
        tokens, token_types, scores = spm_vocabulary()
    else:
        tokens, token_types, merges = vocabulary()
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name or f"tiny-{arch}")
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(FFN)
    writer.add_block_count(layers)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    metadata = metadata or {}
    if "rope.freq_base" not in metadata:
        writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    if head_dim is not None:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    head_dim = head_dim or HIDDEN // HEADS
    if rope_dim is not None:
        writer.add_rope_dimension_count(rope_dim)
    for key, value in metadata.items():
        name = f"{arch}.{key}"
        if isinstance(value, str):
            writer.add_string(name, value)
        elif isinstance(value, list):
            writer.add_array(name, value)
        elif isinstance(value, int):
            writer.add_uint32(name, value)
        else:
            writer.add_float32(name, value)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model(tokenizer)
    writer.add_token_list(tokens)
    writer.add_token_types(token_types)
    if tokenizer == "llama":
        writer.add_token_scores(scores)
        if not space_prefix:
            writer.add_add_space_prefix(False)
        writer.add_bos_token_id(1)
        writer.add_eos_token_id(2)
    else:
        writer.add_tokenizer_pre(pre)
        writer.add_token_merges(merges)
        writer.add_bos_token_id(len(tokens) - 2)
        writer.add_eos_token_id(len(tokens) - 1)
        writer.add_add_bos_token(False)
    writer.add_chat_template(chat_template)

    def add(name: str, n: int, k: int, default: str):
        kind = types.get(name.split(".")[-2] if name.startswith("blk.") else name.split(".")[0], default)
        data = tensor_bytes(kind, n, k, rng)
        writer.add_tensor(name, data, raw_dtype=getattr(gguf.GGMLQuantizationType, kind))

    def norm(name: str, size: int, gain: float = 1.0):
        writer.add_tensor(name, (gain * rng.uniform(0.8, 1.2, size)).astype(np.float32))

    rotated = rope_dim or head_dim
    if rope_freqs:  # Llama 3.1-style per-frequency divisors
        writer.add_tensor("rope_freqs.weight", np.linspace(1.0, 8.0, rotated // 2, dtype=np.float32))
    if arch == "phi3":  # longrope: per-frequency divisors for long and short contexts
        writer.add_tensor("rope_factors_long.weight", np.linspace(1.0, 6.0, rotated // 2, dtype=np.float32))
        writer.add_tensor("rope_factors_short.weight", np.linspace(1.0, 1.5, rotated // 2, dtype=np.float32))
    add("token_embd.weight", len(tokens), HIDDEN, "Q8_0")
    q, kv = HEADS * head_dim, KV_HEADS * head_dim
    for i in range(layers):
        p = f"blk.{i}."
        norm(p + "attn_norm.weight", HIDDEN, attn_gain)
        if arch == "phi3":
            add(p + "attn_qkv.weight", q + 2 * kv, HIDDEN, "Q4_1")
        else:
            add(p + "attn_q.weight", q, HIDDEN, "Q4_1")
            add(p + "attn_k.weight", kv, HIDDEN, "Q4_1")
            add(p + "attn_v.weight", kv, HIDDEN, "Q4_1")
        if arch == "qwen2":
            for t, size in (("q", q), ("k", kv), ("v", kv)):
                writer.add_tensor(p + f"attn_{t}.bias", rng.normal(0, 0.1, size).astype(np.float32))
        if arch in QK_NORM:
            norm(p + "attn_q_norm.weight", head_dim)
            norm(p + "attn_k_norm.weight", head_dim)
        add(p + "attn_output.weight", HIDDEN, q, "Q4_1")
        if arch in POST_NORMS:
            norm(p + "post_attention_norm.weight", HIDDEN)
            norm(p + "post_ffw_norm.weight", HIDDEN)
        norm(p + "ffn_norm.weight", HIDDEN)
        if arch == "phi3":  # gate and up stacked
            add(p + "ffn_up.weight", 2 * FFN, HIDDEN, "Q4_1")
        else:
            add(p + "ffn_gate.weight", FFN, HIDDEN, "Q4_1")
            add(p + "ffn_up.weight", FFN, HIDDEN, "Q4_1")
        add(p + "ffn_down.weight", HIDDEN, FFN, "Q4_1")
    norm("output_norm.weight", HIDDEN)
    if not tied:
        add("output.weight", len(tokens), HIDDEN, "Q8_0")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
