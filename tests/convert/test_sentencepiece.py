"""SentencePiece ("llama") vocabularies against a transcription of llama.cpp's SPM tokenizer.

llama.cpp (``llm_tokenizer_spm``): split special tokens out; before text that starts the input or
follows a special token, add a space; spaces become ``▁``; start from single characters and
repeatedly merge the adjacent pair whose concatenation is a token of the highest score (leftmost
on ties); a final piece that is not a token is spelled with ``<0xXX>`` byte tokens.
"""

from __future__ import annotations

import heapq
import json
import random

import pytest

from navllm.models.convert import convert_gguf
from tests.convert import tiny_gguf


class SpmReference:
    def __init__(self):
        tokens, types, scores = tiny_gguf.spm_vocabulary()
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.scores = scores
        self.specials = sorted((t for t, k in zip(tokens, types, strict=True) if k == 3), key=len, reverse=True)

    def encode(self, text: str) -> list[int]:
        fragments = tiny_gguf.split_specials(text, self.specials) if text else []  # llama.cpp: empty input, no fragments, no space
        out, after_special = [], True
        for frag, is_special in fragments:
            if is_special:
                out.append(self.ids[frag])
            else:
                out += self._session(((" " if after_special else "") + frag).replace(" ", "▁"))
            after_special = is_special
        return out

    def _session(self, text: str) -> list[int]:
        syms = list(text)
        nxt = [*range(1, len(syms)), -1]
        prv = list(range(-1, len(syms) - 1))
        queue = []

        def bigram(left, right):
            if left < 0 or right < 0:
                return
            merged = syms[left] + syms[right]
            if merged in self.ids:
                heapq.heappush(queue, (-self.scores[self.ids[merged]], left, right, len(merged)))

        for i in range(1, len(syms)):
            bigram(i - 1, i)
        while queue:
            _, left, right, size = heapq.heappop(queue)
            if not syms[left] or not syms[right] or len(syms[left]) + len(syms[right]) != size:
                continue
            syms[left], syms[right] = syms[left] + syms[right], ""
            nxt[left] = nxt[right]
            if nxt[right] >= 0:
                prv[nxt[right]] = left
            bigram(prv[left], left)
            bigram(left, nxt[left])
        out, i = [], 0 if syms else -1
        while i != -1:
            piece = syms[i]
            out += [self.ids[piece]] if piece in self.ids else [self.ids[f"<0x{b:02X}>"] for b in piece.encode()]
            i = nxt[i]
        return out


def corpus(count: int = 300) -> list[str]:
    rng = random.Random(7)
    words = [
        "the",
        "world",
        "hello",
        "cat",
        "and",
        "is",
        "in",
        "abc",
        "thing",
        "wording",
        "Hello",
        "THE",
        "x",
        "café",
        "😀",
        "中文",
        "naïve",
        "42",
        "3.14",
        "don't",
        "!?",
        "a",
        "ab",
        "bca",
        "cab",
    ]
    seps = [" ", " ", "  ", "    ", "", "\n", "\t"]
    texts = ["", " ", "hello world", " hello", "  leading", "trailing  ", "<s>hello</s>", "a<s>b", "<s> the"]
    while len(texts) < count:
        texts.append("".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 7))))
    return texts


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spm")
    meta = convert_gguf(tiny_gguf.write(folder / "m.gguf", tokenizer="llama"), folder / "out")
    return folder / "out", meta


def test_identical_ids_to_llama_cpp_algorithm(converted):
    from tokenizers import Tokenizer

    tokenizer, reference = Tokenizer.from_file(str(converted[0] / "tokenizer.json")), SpmReference()
    texts = corpus()
    mismatches = [(t, tokenizer.encode(t).ids, reference.encode(t)) for t in texts]
    mismatches = [m for m in mismatches if m[1] != m[2]]
    assert not mismatches, f"{len(mismatches)}/{len(texts)} differ, e.g. {mismatches[:3]}"


def test_byte_fallback_and_decode_round_trip(converted):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(converted[0] / "tokenizer.json"))
    assert tokenizer.encode("é").tokens == ["▁", "<0xC3>", "<0xA9>"]
    for text in corpus():
        if "<s>" not in text and "</s>" not in text:
            assert tokenizer.decode(tokenizer.encode(text).ids) == text


def test_metadata_prepends_bos(converted):
    _, meta = converted
    assert (meta["bosTokenId"], meta["eosTokenIds"][0], meta["addBos"]) == (1, 2, True)
    assert json.loads((converted[0] / "navllm-model.json").read_text())["vocabSize"] == len(tiny_gguf.spm_vocabulary()[0])
