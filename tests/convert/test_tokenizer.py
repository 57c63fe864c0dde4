"""The rebuilt tokenizer against a pure-Python transcription of llama.cpp's algorithm for SmolLM2.

llama.cpp (``src/llama-vocab.cpp``, pre-tokenizer ``smollm``): split special tokens out of the
text; split every ``\\p{N}`` code point into its own piece; split each piece with its hand-written
GPT-2 regex (``unicode_regex_split_custom_gpt2``); byte-encode each word and merge the adjacent pair
of lowest merge rank (leftmost first) until none applies.
"""

from __future__ import annotations

import itertools
import random
import unicodedata

import pytest

from tests.convert.tiny_gguf import byte_chars, split_specials

# llama.cpp's \s: the code points its unicode tables flag as whitespace.
WHITESPACE = {*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def _cat(ch: str | None) -> str:
    """'' outside the piece, 's' whitespace, 'L', 'N', '?' unassigned, 'o' anything else."""
    if ch is None:
        return ""
    if ord(ch) in WHITESPACE:
        return "s"
    c = unicodedata.category(ch)
    return {"L": "L", "N": "N"}.get(c[0], "?" if c == "Cn" else "o")


def gpt2_split(piece: str) -> list[str]:
    words, start, pos, n = [], 0, 0, len(piece)
    at = lambda i: piece[i] if 0 <= i < n else None  # noqa: E731
    cat = lambda i: _cat(at(i))  # noqa: E731

    def cut(end):
        nonlocal start
        if end > start:
            words.append(piece[start:end])
        start = end

    while pos < n:
        ch = piece[pos]
        if ch == "'" and pos + 1 < n:
            if at(pos + 1) in ("s", "t", "m", "d"):
                pos += 2
                cut(pos)
                continue
            if pos + 2 < n and at(pos + 1) + at(pos + 2) in ("re", "ve", "ll"):
                pos += 3
                cut(pos)
                continue
        c2 = cat(pos + 1) if ch == " " else cat(pos)
        if c2 in ("L", "N"):
            pos += ch == " "
            while cat(pos) == c2:
                pos += 1
            cut(pos)
            continue
        if c2 == "o":
            pos += ch == " "
            while cat(pos) == "o":
                pos += 1
            cut(pos)
            continue
        spaces = 0
        while cat(pos + spaces) == "s":
            spaces += 1
        if spaces > 1 and pos + spaces < n:  # \s+(?!\S): leave the last space to the next word
            pos += spaces - 1
            cut(pos)
            continue
        if spaces > 0:
            pos += spaces
            cut(pos)
            continue
        pos += 1
        cut(pos)
    return words


class Reference:
    def __init__(self, tokens: list[str], types: list[int], merges: list[str]):
        self.ids = {}
        for i, t in enumerate(tokens):
            self.ids.setdefault(t, i)
        self.ranks = {tuple(m.split(" ", 1)): r for r, m in enumerate(merges)}
        self.specials = sorted((t for t, k in zip(tokens, types, strict=True) if k in (3, 4)), key=len, reverse=True)
        self.bytes = byte_chars()

    def encode(self, text: str) -> list[int]:
        fragments = split_specials(text, self.specials)
        out = []
        for frag, is_special in fragments:
            if is_special:
                out.append(self.ids[frag])
                continue
            for piece in self._digit_pieces(frag):
                for word in gpt2_split(piece):
                    out += self._bpe("".join(self.bytes[b] for b in word.encode("utf-8")))
        return out

    @staticmethod
    def _digit_pieces(text: str) -> list[str]:
        pieces, run = [], ""
        for ch in text:
            if unicodedata.category(ch)[0] == "N":
                pieces += [run, ch] if run else [ch]
                run = ""
            else:
                run += ch
        return pieces + ([run] if run else [])

    def _bpe(self, word: str) -> list[int]:
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(itertools.pairwise(symbols))]
            rank, i = min(ranked)
            if rank == 1 << 30:
                break
            symbols[i : i + 2] = [symbols[i] + symbols[i + 1]]
        out = []
        for s in symbols:
            out += [self.ids[s]] if s in self.ids else [self.ids[c] for c in s if c in self.ids]
        return out


EDGE_CASES = [
    "",
    " ",
    "  ",
    "\n",
    "    0",
    "0",
    "00",
    "123456789",
    "3.14159",
    "1,000,000",
    "2024-01-05T10:30:00Z",
    "Hello world",
    " Hello",
    "Hello  world",
    "Hello   ",
    "   Hello",
    "a\n\nb",
    "a \n b",
    "\t\tindent",
    "I'm",
    "don't",
    "they've",
    "we'll",
    "it's",
    "I'M",
    "'s'",
    "x'S",
    "rock'n'roll",
    "''",
    "'",
    "naïve café",
    "Straße",
    "Ελληνικά γράμματα",
    "русский текст",
    "हिन्दी",
    "עברית",
    "العربية",
    "你好，世界",
    "日本語のテキスト",
    "한국어 문장",
    "😀",
    "👍🏽",
    "🇫🇷",
    "👨‍👩‍👧",
    "emoji😀in😀text",
    "def f(x):\n    return x ** 2\n",
    "if (a && b) { c++; }",
    "SELECT * FROM users WHERE id = 42;",
    '<div class="x">½ ¾ Ⅻ</div>',
    "x² + y³ = z⁴",
    "١٢٣ ٤٥٦",
    "①②③",
    "	tab\tseparated\tvalues",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "<|im_end|><|im_end|>",
    "a<|im_start|>b",
    "    spaces before\n    and after    ",
    "end with newline\n",
    "\r\nwindows\r\nlines",
    "\u00a0nbsp\u3000ideo",
]
POOLS = [
    ["the", "quick", "brown", "fox", "jumps", "Over", "LAZY", "dogs", "résumé", "coöperate"],
    ["0", "7", "42", "1999", "3.5", "-12", "1e10", "0x1F", "65536", "٣"],
    ["naïve", "Straße", "Ελληνικά", "русский", "हिन्दी", "עברית", "العربية", "Ñandú", "İstanbul"],
    [" ", "  ", "\t", "\n", "\n\n", "   \n  ", " \t ", "\r\n", "\u2003"],
    ["def", "return", "x=1;", "f(a, b)", "{", "}", "[]", "->", "==", "!=", "**", "#include <stdio.h>", "//", "/* c */"],
    ["😀", "👍🏽", "🇫🇷", "👨‍👩‍👧", "🎉", "❤️", "🙂"],
    ["你好", "世界", "日本語", "テキスト", "한국어", "中文，标点。", "「引用」"],
    ["I'm", "don't", "they've", "we'll", "it's", "'re", "O'Brien"],
    ["!", "?", "...", "—", "«»", "$", "%", "@", "&", "\\", "|"],
]
SEPARATORS = ["", " ", "  ", "\n", "\t", "   "]


def corpus(count: int = 300) -> list[str]:
    rng = random.Random(20240531)
    texts = list(EDGE_CASES)
    while len(texts) < len(EDGE_CASES) + count:
        parts = [rng.choice(rng.choice(POOLS)) for _ in range(rng.randint(1, 8))]
        texts.append("".join(p + rng.choice(SEPARATORS) for p in parts))
    return texts


@pytest.fixture(scope="module")
def pair(smollm2_onnx, smollm2_source):
    from tokenizers import Tokenizer

    src = smollm2_source
    reference = Reference(
        src.require("tokenizer.ggml.tokens"), src.require("tokenizer.ggml.token_type"), src.require("tokenizer.ggml.merges")
    )
    return Tokenizer.from_file(str(smollm2_onnx / "tokenizer.json")), reference


def test_identical_ids_to_llama_cpp_algorithm(pair):
    tokenizer, reference = pair
    texts = corpus()
    assert len(texts) >= 300
    mismatches = [(t, tokenizer.encode(t).ids, reference.encode(t)) for t in texts]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, f"{len(mismatches)}/{len(texts)} differ, e.g. {mismatches[:3]}"


def test_digits_are_split_one_by_one(pair):
    tokenizer, _ = pair
    assert tokenizer.encode("    12345").tokens[-5:] == list("12345")


def test_special_tokens_are_single_ids(pair):
    tokenizer, reference = pair
    ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>").ids
    assert ids[0] == reference.ids["<|im_start|>"] and ids[-1] == reference.ids["<|im_end|>"]


def test_decode_round_trips(pair):
    tokenizer, _ = pair
    for text in corpus():
        assert tokenizer.decode(tokenizer.encode(text).ids, skip_special_tokens=False) == text


@pytest.mark.parametrize(
    "pre, pieces",
    [
        # Digits one by one before the GPT-2 regex, whose contractions are lower-case only.
        ("smollm", ["abc", "Ġ", "1", "2", "3", "4", "5", "ĠI", "'", "M", "Ġ", "Ġ!?"]),
        # Llama 3: digits in threes, contractions in either case, one non-letter may lead a word.
        ("llama-bpe", ["abc", "Ġ", "123", "45", "ĠI", "'M", "Ġ", "Ġ!?"]),
        ("qwen2", ["abc", "Ġ", "1", "2", "3", "4", "5", "ĠI", "'M", "Ġ", "Ġ!?"]),
        # Mistral Nemo: case-aware words, no contractions, digits one by one.
        ("tekken", ["abc", "Ġ", "1", "2", "3", "4", "5", "ĠI", "'M", "Ġ", "Ġ!?"]),
        # Phi-4-mini (o200k): case-aware words keep their contraction (any case), digits in threes.
        ("gpt-4o", ["abc", "Ġ", "123", "45", "ĠI'M", "Ġ", "Ġ!?"]),
    ],
)
def test_pre_tokenizer_follows_llama_cpp_regexes(tmp_path, pre, pieces):
    from navllm.models.convert.gguf_source import GGUFSource
    from navllm.models.convert.tokenizer import build_tokenizer
    from tests.convert import tiny_gguf

    tokenizer = build_tokenizer(GGUFSource(tiny_gguf.write(tmp_path / "m.gguf", pre=pre)))
    assert [p for p, _ in tokenizer.pre_tokenizer.pre_tokenize_str("abc 12345 I'M  !?")] == pieces


def test_unknown_pre_tokenizer_is_named(tmp_path):
    from navllm.models.convert.gguf_source import GGUFSource
    from navllm.models.convert.tokenizer import build_tokenizer
    from navllm.protocol.errors import ErrorName, NavError
    from tests.convert import tiny_gguf

    with pytest.raises(NavError) as caught:
        build_tokenizer(GGUFSource(tiny_gguf.write(tmp_path / "m.gguf", pre="deepseek-llm")))
    assert caught.value.name == ErrorName.NOT_SUPPORTED and "'deepseek-llm'" in caught.value.message


@pytest.mark.parametrize(
    "options",
    [{"pre": p} for p in ("smollm", "llama-bpe", "qwen2", "tekken", "gpt-4o")]
    + [{"tokenizer": "llama"}, {"tokenizer": "llama", "space_prefix": False}],  # SentencePiece; Gemma's has no space prefix
    ids=["smollm", "llama-bpe", "qwen2", "tekken", "gpt-4o", "spm", "spm-gemma"],
)
def test_same_ids_as_llama_cpp(tmp_path, options):
    """Every pre-tokenizer (and SentencePiece) against llama.cpp's own tokenizer, on the tiny vocabularies."""
    llama_cpp = pytest.importorskip("llama_cpp")
    from navllm.models.convert.gguf_source import GGUFSource
    from navllm.models.convert.tokenizer import build_tokenizer
    from tests.convert import tiny_gguf

    path = tiny_gguf.write(tmp_path / "m.gguf", name="tiny", **options)
    ours = build_tokenizer(GGUFSource(path))
    theirs = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        texts = corpus()
        mismatches = [
            (t, ours.encode(t, add_special_tokens=False).ids, theirs.tokenize(t.encode(), add_bos=False, special=True)) for t in texts
        ]
    finally:
        theirs.close()
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, f"{len(mismatches)}/{len(texts)} differ, e.g. {mismatches[:2]}"
