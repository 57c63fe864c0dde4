"""A tiny random translation model in CTranslate2's layout, built as an Opus-MT one is: SentencePiece
models trained here on a few sentences, a Marian transformer (.npz, random weights) over their
vocabulary, converted by CTranslate2's own MarianConverter. It translates into deterministic
gibberish in well under a second, which is all the tests need: the host must give back exactly
what CTranslate2 makes of the same input."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

SENTENCES = [
    "The cat sits on the mat.",
    "Good morning, how are you today?",
    "The weather is nice and the sun is shining.",
    "Please translate this short sentence for me.",
    "We walked to the station and took the train.",
    "Der Hund schläft im Garten.",
    "Guten Morgen, wie geht es dir heute?",
    "Das Wetter ist schön und die Sonne scheint.",
    "Bitte übersetze diesen kurzen Satz für mich.",
    "Wir gingen zum Bahnhof und nahmen den Zug.",
]
DIM, FFN, HEADS = 16, 32, 2
# Marian's options for a post-norm transformer, as Opus-MT models are trained.
MARIAN_CONFIG = """type: transformer
enc-depth: 1
dec-depth: 1
transformer-heads: 2
transformer-decoder-autoreg: self-attention
transformer-no-projection: false
transformer-ffn-activation: swish
transformer-preprocess: ""
transformer-postprocess: dan
transformer-postprocess-emb: d
transformer-guided-alignment-layer: last
"""


def build(out: Path, seed: int = 0, end_bias: float = 0.0) -> Path:
    """Write the model folder ``out`` (model.bin, config.json, vocabularies, source.spm, target.spm);
    ``end_bias`` raises the end-of-sentence token's logit, so that translations end early."""
    import sentencepiece as spm
    from ctranslate2.converters import MarianConverter

    work = out.parent / f"{out.name}-work"
    work.mkdir(parents=True)
    pieces: list[str] = []
    for side in ("source", "target"):
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(SENTENCES), model_writer=model, vocab_size=60, model_type="unigram", minloglevel=2
        )
        (work / f"{side}.spm").write_bytes(model.getvalue())
        processor = spm.SentencePieceProcessor(model_proto=model.getvalue())
        pieces += [processor.id_to_piece(i) for i in range(processor.get_piece_size()) if not processor.is_control(i)]
    # Opus-MT's vocabulary: </s> and <unk> first, the pieces of both sides, <pad> last.
    vocab = ["</s>", "<unk>", *dict.fromkeys(p for p in pieces if p != "<unk>"), "<pad>"]
    (work / "vocab.yml").write_text("".join(f'"{_escape(token)}": {i}\n' for i, token in enumerate(vocab)), encoding="utf-8")
    weights = _weights(len(vocab), np.random.default_rng(seed))
    weights["decoder_ff_logit_out_b"][0, vocab.index("</s>")] += end_bias
    np.savez(work / "model.npz", **weights)
    MarianConverter(str(work / "model.npz"), [str(work / "vocab.yml")]).convert(str(out))
    for side in ("source", "target"):
        (work / f"{side}.spm").replace(out / f"{side}.spm")
    return out


def _escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace('"', '\\"')


def _weights(vocab: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    def random(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.5, shape).astype(np.float32)

    # Large embeddings: smaller ones make a model that repeats one token whatever it reads.
    weights = {"Wemb": 4 * random(vocab, DIM), "decoder_ff_logit_out_b": random(1, vocab)}

    def attention(scope: str) -> None:
        for part in ("q", "k", "v", "o"):
            weights[f"{scope}_W{part}"] = random(DIM, DIM)
            weights[f"{scope}_b{part}"] = random(1, DIM)
        weights[f"{scope}_Wo_ln_scale"] = np.ones((1, DIM), np.float32)
        weights[f"{scope}_Wo_ln_bias"] = np.zeros((1, DIM), np.float32)

    def ffn(scope: str) -> None:
        weights.update({f"{scope}_W1": random(DIM, FFN), f"{scope}_b1": random(1, FFN)})
        weights.update({f"{scope}_W2": random(FFN, DIM), f"{scope}_b2": random(1, DIM)})
        weights[f"{scope}_ffn_ln_scale"] = np.ones((1, DIM), np.float32)
        weights[f"{scope}_ffn_ln_bias"] = np.zeros((1, DIM), np.float32)

    attention("encoder_l1_self")
    ffn("encoder_l1_ffn")
    attention("decoder_l1_self")
    attention("decoder_l1_context")
    ffn("decoder_l1_ffn")
    weights["special:model.yml"] = np.frombuffer(MARIAN_CONFIG.encode() + b"\0", dtype=np.int8)
    return weights
