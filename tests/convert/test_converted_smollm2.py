"""The converted SmolLM2 against an independent fp32 reference of the same GGUF weights."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from navllm.bench.reference import logits
from navllm.models.chat_template import ChatTemplate
from tests.convert.reference import Runner

PASSAGE = (
    "The river wound through the valley for three hundred miles before it reached the sea. Farmers along its "
    "banks grew wheat, barley and apples, and every autumn the towns held markets where travellers traded wool, "
    "salt and iron tools. In 1842 a stone bridge was built at the narrowest crossing, and a small school opened "
    "beside it two years later. Children learned to read, to count and to draw maps of the hills they could see "
    "from the windows."
)


def _tokenizer(model_dir):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


def _prompt_ids(model_dir, messages) -> list[int]:
    meta = json.loads((model_dir / "navllm-model.json").read_text())
    text = ChatTemplate(meta["chatTemplate"], None, None).render(messages)
    return _tokenizer(model_dir).encode(text).ids


def test_answers_capital_of_france(smollm2_onnx):
    ids = _prompt_ids(smollm2_onnx, [{"role": "user", "content": "What is the capital of France?"}])
    meta = json.loads((smollm2_onnx / "navllm-model.json").read_text())
    runner = Runner(smollm2_onnx, shared=False)
    out, feed = [], ids
    for _ in range(24):
        token = int(np.argmax(runner.step(feed)))
        if token in meta["eosTokenIds"]:
            break
        out.append(token)
        feed = [token]
    answer = _tokenizer(smollm2_onnx).decode(out)
    assert "Paris" in answer, answer


def test_shared_kv_buffer_matches_fed_back_presents(smollm2_onnx):
    ids = _prompt_ids(smollm2_onnx, [{"role": "user", "content": "Name three colours."}])
    shared, copied = Runner(smollm2_onnx, shared=True), Runner(smollm2_onnx, shared=False)
    chunks = [ids[:-3], ids[-3:-1], ids[-1:], [42], [7]]  # prefill, a multi-token follow-up, then decode steps
    for chunk in chunks:
        a, b = shared.step(chunk), copied.step(chunk)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)


@pytest.fixture(scope="module")
def passage(smollm2_onnx, smollm2_gguf):
    """129 chat-prompt tokens and the fp32 reference's logits at each of them."""
    ids = _prompt_ids(smollm2_onnx, [{"role": "user", "content": "Summarise this passage.\n\n" + PASSAGE}])
    assert len(ids) >= 129, len(ids)
    ids = ids[:129]
    return ids, logits(smollm2_gguf, ids)


def test_weights_map_exactly_with_fp32_activations(smollm2_onnx_fp32, passage):
    ids, ref = passage
    runner = Runner(smollm2_onnx_fp32, shared=True)
    ends = list(range(8, len(ids) + 1, 8))  # prefill in chunks; each chunk's last position is checked
    ours = np.stack([runner.step(ids[a:b]) for a, b in itertools.pairwise([0, *ends])])
    diff = np.abs(ours - ref[[e - 1 for e in ends]])
    print(f"\nacc1: max |Δlogit| {diff.max():.2e}, mean {diff.mean():.2e} at {len(ends)} positions")
    assert diff.max() < 2e-3


# Per variant: (fixture, floor for top-1 agreement over all positions, ceilings for mean and max
# |Δlogit|). Every position where the reference's top token leads by half a logit or more must
# agree; the rest are near-ties (top-2 margins 0.004-0.13 logits) that int8 activations flip.
# Measured on this passage: shipped (int8 activations) 0.945, mean |Δ| 0.20, max 2.6; level 1
# (fp32 activations but in the 8-bit head) 0.969, mean 0.045, max 0.46.
VARIANTS = {"shipped": ("smollm2_onnx", 0.93, 0.3, 3.5), "level1": ("smollm2_onnx_level1", 0.95, 0.1, 1.0)}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_logits_and_next_token_agreement_with_fp32_reference(variant, passage, request):
    fixture, floor, mean_ceiling, max_ceiling = VARIANTS[variant]
    ids, ref = passage  # ref: [S, vocab]
    runner = Runner(request.getfixturevalue(fixture), shared=True)
    ours = np.stack([runner.step([t]) for t in ids])  # teacher-forced, one token at a time

    diff = np.abs(ours - ref)[1:]
    agree = (ours.argmax(-1) == ref.argmax(-1))[1:]  # 128 positions
    top2 = np.sort(ref, axis=-1)[1:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) >= 0.5
    print(
        f"\n{variant}: max |Δlogit| {diff.max():.3f}, mean {diff.mean():.4f}; top-1 agreement {agree.mean():.4f} "
        f"over {agree.size}, {agree[decided].mean():.4f} over the {decided.sum()} decided positions"
    )
    assert agree[decided].all()
    assert agree.mean() >= floor
    assert diff.mean() < mean_ceiling
    assert diff.max() < max_ceiling


def test_folder_metadata_and_graph_io_follow_the_contract(smollm2_onnx, smollm2_gguf):
    import hashlib

    import onnxruntime as ort

    # prepared/ is the graph onnxruntime prepares for this machine at first load (providers/local/prepared.py).
    written = sorted(p.name for p in smollm2_onnx.iterdir() if p.name != "prepared")
    assert written == ["model.onnx", "model.onnx.data", "navllm-model.json", "tokenizer.json"]
    meta = json.loads((smollm2_onnx / "navllm-model.json").read_text())
    chat_template = meta.pop("chatTemplate")
    assert chat_template.startswith("{% for message in messages %}")
    assert meta == {
        "format": 1,
        "name": "Smollm2 135M 8k Lc100K Mix1 Ep2",
        "architecture": "llama",
        "layers": 30,
        "heads": 9,
        "kvHeads": 3,
        "headDim": 64,
        "hidden": 576,
        "vocabSize": 49152,
        "contextLength": 8192,
        "ropeTheta": 100000.0,
        "bosTokenId": 1,
        "eosTokenIds": [2, 0],  # <|im_end|>, then <|endoftext|>
        "addBos": False,
        "quant": "Q4_1",
        "sourceSha256": hashlib.sha256(smollm2_gguf.read_bytes()).hexdigest(),
    }
    session = ort.InferenceSession(str(smollm2_onnx / "model.onnx"), providers=["CPUExecutionProvider"])
    inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
    outputs = {o.name: (o.type, o.shape) for o in session.get_outputs()}
    assert inputs.pop("input_ids") == ("tensor(int64)", ["batch", "sequence_length"])
    assert inputs.pop("attention_mask") == ("tensor(int64)", ["batch", "total_sequence_length"])
    assert inputs.pop("logits_to_keep") == ("tensor(int64)", [1])
    assert outputs.pop("logits") == ("tensor(float)", ["batch", "logits_length", 49152])
    for i in range(30):
        for kv in ("key", "value"):
            assert inputs.pop(f"past_key_values.{i}.{kv}") == ("tensor(float)", ["batch", 3, "past_sequence_length", 64])
            assert outputs.pop(f"present.{i}.{kv}") == ("tensor(float)", ["batch", 3, "present_sequence_length", 64])
    assert not inputs and not outputs


def _activation_levels(model_dir) -> dict[str, tuple[int, ...]]:
    """Every MatMulNBits node's (weight bits, accuracy_level)."""
    import onnx
    from onnx import helper

    model = onnx.load(str(model_dir / "model.onnx"), load_external_data=False)
    return {
        node.name: tuple(helper.get_attribute_value(a) for name in ("bits", "accuracy_level") for a in node.attribute if a.name == name)
        for node in model.graph.node
        if node.op_type == "MatMulNBits"
    }


def test_activation_precision_policy(smollm2_onnx, smollm2_onnx_level1):
    # The default keeps int8 activations in every projection: no per-tensor mix of fp32 ones was
    # robustly closer to the reference without decoding slower (docs/benchmarks.md, issue 14).
    shipped = _activation_levels(smollm2_onnx)
    assert len(shipped) == 30 * 4 + 1  # QKV, output, gate+up, down per layer; the head
    assert set(shipped.values()) == {(4, 4), (8, 4)}
    # --accuracy-level 1: fp32 activations for the 4-bit weights; the 8-bit head stays int8.
    level1 = _activation_levels(smollm2_onnx_level1)
    assert level1.keys() == shipped.keys()
    assert {n: lv for n, lv in level1.items() if lv[0] == 8} == {"lm_head/MatMulNBits_node": (8, 4)}
    assert {lv for lv in level1.values() if lv[0] == 4} == {(4, 1)}
