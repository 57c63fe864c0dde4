"""Streaming detokenization never splits a character: byte-level BPE pieces and byte-fallback tokens."""

from __future__ import annotations

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

from navllm.providers.local.detokenizer import Detokenizer
from tests.local.tiny_model import build_tokenizer

TEXTS = ["naïve café", "東京 and 😀🎉!", "mixed: é😀x東", "plain ascii text", "💡" * 3]


def stream(tokenizer, ids):
    detok = Detokenizer(tokenizer)
    deltas = [detok.push(i) for i in ids]
    return deltas, detok.flush()


def test_byte_level_pieces_of_one_character_are_held_until_complete():
    tok = build_tokenizer()
    for text in TEXTS:
        ids = tok.encode(text).ids
        deltas, tail = stream(tok, ids)
        assert "".join(deltas) + tail == text
        assert tail == ""
        assert not any("\ufffd" in d for d in deltas)
    # The test is meaningful only if some token really is a partial character.
    emoji_ids = tok.encode("😀").ids
    assert len(emoji_ids) > 1 and "\ufffd" in tok.decode(emoji_ids[:1])


def _byte_fallback_tokenizer() -> Tokenizer:
    vocab = {"<unk>": 0, **{f"<0x{b:02X}>": 1 + b for b in range(256)}}
    for piece in ("▁", "h", "e", "l", "o", "he", "ll", "hell", "hello", "▁hello"):
        vocab[piece] = len(vocab)
    merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("▁", "hello")]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    return tok


def test_byte_fallback_tokens_make_whole_characters():
    tok = _byte_fallback_tokenizer()
    text = "hello 😀 héllo 東"
    ids = tok.encode(text).ids
    assert tok.id_to_token(ids[2]).startswith("<0x")  # the emoji really is spelled in bytes
    deltas, tail = stream(tok, ids)
    assert "".join(deltas) + tail == tok.decode(ids) == text
    assert not any("\ufffd" in d for d in deltas)
    assert "😀" in deltas  # emitted whole, once its fourth byte arrived


def test_an_unfinished_character_is_flushed_as_replacement():
    tok = build_tokenizer()
    ids = tok.encode("a😀").ids
    deltas, tail = stream(tok, ids[:-1])
    assert "".join(deltas) == "a" and tail.endswith("\ufffd")
