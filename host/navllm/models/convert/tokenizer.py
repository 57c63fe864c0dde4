"""A ``tokenizers`` Tokenizer rebuilt from GGUF metadata, splitting text the way llama.cpp does.

Byte-level BPE (``tokenizer.ggml.model == "gpt2"``) only. The pre-tokenizer follows llama.cpp's
regexes for ``tokenizer.ggml.pre``, applied in sequence; the ``smollm`` split of every digit is
what other GGUF converters drop. No post-processor: whether to prepend BOS is the ``addBos`` flag in
``navllm-model.json``, because chat templates often write the BOS token themselves.
"""

from __future__ import annotations

from ...protocol.errors import ErrorName, NavError
from .gguf_source import GGUFSource

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_CONTRACTIONS = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
LLAMA3 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

# tokenizer.ggml.pre → (regexes applied one after another, whole-word lookup before merging)
PRE_TOKENIZERS = {
    "smollm": ([r"\p{N}", GPT2], False),
    "starcoder": ([r"\p{N}", GPT2], False),
    "refact": ([r"\p{N}", GPT2], False),
    "gpt-2": ([GPT2], False),
    "llama-bpe": ([LLAMA3], True),
    "llama3": ([LLAMA3], True),
    "qwen2": ([QWEN2], False),
}

# llama.cpp token types
CONTROL, USER_DEFINED = 3, 4
# Control tokens that end a turn or a document in the families we convert (ChatML, Llama 3).
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>")


def build_tokenizer(src: GGUFSource):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    kind = src.require("tokenizer.ggml.model")
    if kind != "gpt2":
        raise NavError(
            ErrorName.NOT_SUPPORTED,
            f"tokenizer model {kind!r} is not supported (only byte-level BPE, 'gpt2')",
        )
    pre = src.get("tokenizer.ggml.pre", "gpt-2")
    if pre not in PRE_TOKENIZERS:
        raise NavError(
            ErrorName.NOT_SUPPORTED,
            f"pre-tokenizer {pre!r} is not supported (supported: {', '.join(sorted(PRE_TOKENIZERS))})",
        )
    regexes, ignore_merges = PRE_TOKENIZERS[pre]
    tokens = src.require("tokenizer.ggml.tokens")
    merges = [tuple(m.split(" ", 1)) for m in src.require("tokenizer.ggml.merges")]
    types = src.get("tokenizer.ggml.token_type") or [1] * len(tokens)

    vocab: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        vocab.setdefault(tok, i)  # the first id wins, as in llama.cpp's text_to_token
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=ignore_merges))
    steps = [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in regexes]
    steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_tokens(
        [
            AddedToken(tok, special=typ == CONTROL, normalized=False)
            for tok, typ in zip(tokens, types)
            if typ in (CONTROL, USER_DEFINED)
        ]
    )
    return tokenizer


def special_ids(src: GGUFSource) -> dict:
    """BOS, EOS (plus end-of-turn tokens) and whether llama.cpp prepends BOS, from the metadata."""
    tokens = src.require("tokenizer.ggml.tokens")
    bos = src.get("tokenizer.ggml.bos_token_id")
    eos = [src.get(k) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")]
    eos_ids = list(dict.fromkeys(int(i) for i in eos if i is not None))
    # Chat models end a turn with a control token the metadata may not name as EOS.
    types = src.get("tokenizer.ggml.token_type") or [CONTROL] * len(tokens)
    eos_ids += [
        i
        for i, (t, typ) in enumerate(zip(tokens, types))
        if t in END_TOKENS and typ == CONTROL and i not in eos_ids
    ]
    add_bos = src.get("tokenizer.ggml.add_bos_token")
    if add_bos is None:  # llama.cpp's default per pre-tokenizer
        add_bos = bos is not None and src.get("tokenizer.ggml.pre") in ("llama-bpe", "llama3")
    return {
        "bosTokenId": None if bos is None else int(bos),
        "eosTokenIds": eos_ids,
        "addBos": bool(add_bos),
        "bos": None if bos is None else tokens[int(bos)],
        "eos": tokens[eos_ids[0]] if eos_ids else None,
    }
