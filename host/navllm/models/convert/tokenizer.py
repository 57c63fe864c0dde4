"""A ``tokenizers`` Tokenizer rebuilt from GGUF metadata, splitting text the way llama.cpp does.

Byte-level BPE (``tokenizer.ggml.model == "gpt2"``): the pre-tokenizer follows llama.cpp's regexes
for ``tokenizer.ggml.pre``, applied in sequence; the ``smollm`` split of every digit is what other
GGUF converters drop. SentencePiece (``"llama"``): scores become BPE merge ranks, with byte
fallback and the ``▁`` space marker. No post-processor: whether to prepend BOS is the ``addBos`` flag in
``navllm-model.json``, because chat templates often write the BOS token themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...protocol.errors import ErrorName, NavError
from .gguf_source import GGUFSource

if TYPE_CHECKING:
    from tokenizers import Tokenizer
    from tokenizers.normalizers import Normalizer
    from tokenizers.pre_tokenizers import PreTokenizer

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
_CONTRACTIONS = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
LLAMA3 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = _CONTRACTIONS + r"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
# The regexes of the models' own tokenizer.json, which llama.cpp transcribes for its engine.
_UPPER, _LOWER = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]", r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
_TAIL = r"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
TEKKEN = rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*|\p{{N}}{_TAIL}"  # Mistral Nemo
_CASELESS = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
GPT4O = (  # Phi-4-mini
    rf"[^\r\n\p{{L}}\p{{N}}]?{_UPPER}*{_LOWER}+{_CASELESS}|[^\r\n\p{{L}}\p{{N}}]?{_UPPER}+{_LOWER}*{_CASELESS}|\p{{N}}{{1,3}}{_TAIL}"
)

# tokenizer.ggml.pre → (regexes applied one after another, whole-word lookup before merging)
PRE_TOKENIZERS = {
    "smollm": ([r"\p{N}", GPT2], False),
    "starcoder": ([r"\p{N}", GPT2], False),
    "refact": ([r"\p{N}", GPT2], False),
    "gpt-2": ([GPT2], False),
    "llama-bpe": ([LLAMA3], True),
    "llama3": ([LLAMA3], True),
    "qwen2": ([QWEN2], False),
    "tekken": ([TEKKEN], True),
    "gpt-4o": ([GPT4O], False),
}

# llama.cpp token types
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, BYTE = 1, 2, 3, 4, 6
# Control tokens that end a turn or a document in the families we convert (ChatML, Llama 3, Gemma, Phi-3).
END_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|eom_id|>", "<end_of_turn>", "<|end|>")


def build_tokenizer(src: GGUFSource) -> Tokenizer:
    from tokenizers import AddedToken

    kind = src.require("tokenizer.ggml.model")
    if kind not in ("gpt2", "llama"):
        raise NavError(
            ErrorName.NOT_SUPPORTED,
            f"tokenizer model {kind!r} is not supported (supported: byte-level BPE 'gpt2', SentencePiece 'llama')",
        )
    tokens = src.require("tokenizer.ggml.tokens")
    types = src.get("tokenizer.ggml.token_type") or [NORMAL] * len(tokens)
    vocab: dict[str, int] = {}
    for i, tok in enumerate(tokens):
        vocab.setdefault(tok, i)  # the first id wins, as in llama.cpp's text_to_token
    tokenizer = _byte_level(src, vocab) if kind == "gpt2" else _sentencepiece(src, vocab, tokens, types)
    tokenizer.add_tokens(
        [
            AddedToken(tok, special=typ == CONTROL, normalized=False)
            for tok, typ in zip(tokens, types, strict=True)
            if typ in (CONTROL, USER_DEFINED)
        ]
    )
    return tokenizer


def _byte_level(src: GGUFSource, vocab: dict[str, int]) -> Tokenizer:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers

    pre = src.get("tokenizer.ggml.pre", "gpt-2")
    if pre not in PRE_TOKENIZERS:
        raise NavError(
            ErrorName.NOT_SUPPORTED,
            f"pre-tokenizer {pre!r} is not supported (supported: {', '.join(sorted(PRE_TOKENIZERS))})",
        )
    regexes, ignore_merges = PRE_TOKENIZERS[pre]
    merges = [tuple(m.split(" ", 1)) for m in src.require("tokenizer.ggml.merges")]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, ignore_merges=ignore_merges))
    steps: list[PreTokenizer] = [pre_tokenizers.Split(Regex(r), behavior="isolated") for r in regexes]
    steps.append(pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def _sentencepiece(src: GGUFSource, vocab: dict[str, int], tokens: list[str], types: list[int]) -> Tokenizer:
    """llama.cpp's SPM tokenizer as BPE: merging the adjacent pair whose union scores highest is
    merging by rank when every split of a piece into two pieces is a merge ranked by its score."""
    from tokenizers import Tokenizer, decoders, models, normalizers

    scores = src.require("tokenizer.ggml.scores")
    candidates = []
    for i, (piece, score, typ) in enumerate(zip(tokens, scores, types, strict=True)):
        if typ in (UNKNOWN, CONTROL, BYTE) or len(piece) < 2 or vocab[piece] != i:
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                candidates.append((-score, vocab[piece], cut, left, right))
    candidates.sort()
    unk = next((t for t, typ in zip(tokens, types, strict=True) if typ == UNKNOWN), None)
    model = models.BPE(vocab=vocab, merges=[(c[3], c[4]) for c in candidates], unk_token=unk, fuse_unk=True, byte_fallback=True)
    tokenizer = Tokenizer(model)
    steps: list[Normalizer] = [normalizers.Replace(" ", "\u2581")]
    if src.get("tokenizer.ggml.add_space_prefix", True):
        steps.insert(0, normalizers.Prepend("\u2581"))  # llama.cpp: a space before text that follows BOS/special
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.decoder = decoders.Sequence(
        [decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse()]
        + ([decoders.Strip(" ", 1, 0)] if src.get("tokenizer.ggml.add_space_prefix", True) else [])
    )
    return tokenizer


def special_ids(src: GGUFSource) -> dict[str, Any]:
    """BOS, EOS (plus end-of-turn tokens) and whether llama.cpp prepends BOS, from the metadata."""
    tokens = src.require("tokenizer.ggml.tokens")
    bos = src.get("tokenizer.ggml.bos_token_id")
    eos = [src.get(k) for k in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")]
    eos_ids = list(dict.fromkeys(int(i) for i in eos if i is not None))
    # Chat models end a turn with a control token the metadata may not name as EOS.
    types = src.get("tokenizer.ggml.token_type") or [CONTROL] * len(tokens)
    eos_ids += [i for i, (t, typ) in enumerate(zip(tokens, types, strict=True)) if t in END_TOKENS and typ == CONTROL and i not in eos_ids]
    add_bos = src.get("tokenizer.ggml.add_bos_token")
    if add_bos is None:  # llama.cpp's default per pre-tokenizer
        llama_default = src.require("tokenizer.ggml.model") == "llama" or src.get("tokenizer.ggml.pre") in ("llama-bpe", "llama3", "tekken")
        add_bos = bos is not None and llama_default
    return {
        "bosTokenId": None if bos is None else int(bos),
        "eosTokenIds": eos_ids,
        "addBos": bool(add_bos),
        "bos": None if bos is None else tokens[int(bos)],
        "eos": tokens[eos_ids[0]] if eos_ids else None,
    }
