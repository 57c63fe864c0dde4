"""Each family's chat template renders through ChatTemplate, and a converted model carries it."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from navllm.models.chat_template import ChatTemplate
from navllm.models.convert import convert_gguf
from navllm.protocol.errors import ErrorName, NavError
from tests.convert import family_templates, tiny_gguf

CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "<think>\ngreeting\n</think>\n\nHello."},
    {"role": "user", "content": "Capital of France?"},
]


def test_qwen3_drops_old_reasoning_and_opens_the_answer():
    text = ChatTemplate(family_templates.QWEN3, None, "<|im_end|>").render(CHAT)
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello.<|im_end|>\n"
        "<|im_start|>user\nCapital of France?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_llama3_dates_the_system_header():
    text = ChatTemplate(family_templates.LLAMA3, "<|begin_of_text|>", "<|eot_id|>").render(CHAT[:2])
    today = datetime.now().strftime("%d %b %Y")
    assert text == (
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
        f"Cutting Knowledge Date: December 2023\nToday Date: {today}\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def test_gemma2_refuses_a_system_turn_and_names_the_model_role():
    template = ChatTemplate(family_templates.GEMMA2, "<bos>", "<eos>")
    turns = [{"role": "user", "content": " Hi "}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}]
    assert template.render(turns) == (
        "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
        "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n"
    )
    with pytest.raises(NavError) as caught:
        template.render(CHAT)
    assert caught.value.name == ErrorName.NOT_SUPPORTED and "System role not supported" in caught.value.message


def test_gemma3_folds_the_system_prompt_into_the_first_turn():
    text = ChatTemplate(family_templates.GEMMA3, "<bos>", "<eos>").render(
        [CHAT[0], {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    )
    assert text == "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"


def test_phi3_and_mistral():
    phi = ChatTemplate(family_templates.PHI3, "<s>", "<|endoftext|>")
    assert phi.render(CHAT[:2]) == "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n"
    assert phi.render(CHAT[:2], add_generation_prompt=False).endswith("<|end|>\n<|endoftext|>")
    mistral = ChatTemplate(family_templates.MISTRAL, "<s>", "</s>")
    assert mistral.render(CHAT[:2]) == "<s>[INST] Be brief.\n\nHi[/INST]"
    with pytest.raises(NavError):
        mistral.render([{"role": "assistant", "content": "x"}])


def test_smollm3_generation_blocks_and_think_switch():
    text = ChatTemplate(family_templates.SMOLLM3, None, "<|im_end|>").render(
        [{"role": "system", "content": "Be brief. /no_think"}, *CHAT[1:]]
    )
    assert "Reasoning Mode: /no_think\n\n## Custom Instructions\n\nBe brief.\n\n<|im_end|>\n" in text
    assert "<|im_start|>assistant\nHello.<|im_end|>\n" in text
    assert text.endswith("<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n")
    assert "generation" not in text


def test_loop_controls():
    template = ChatTemplate(
        "{% for m in messages %}{% if m['role'] == 'system' %}{% continue %}{% endif %}"
        "{{ m['content'] }}{% if loop.index > 2 %}{% break %}{% endif %}{% endfor %}",
        None,
        None,
    )
    assert template.render(CHAT) == "Hi" + CHAT[2]["content"]


@pytest.mark.parametrize("arch", sorted(family_templates.BY_ARCH))
def test_converted_model_carries_its_template(tmp_path, arch):
    options = {"tokenizer": "llama"} if arch.startswith("gemma") or arch == "phi3" else {}
    if arch.startswith("gemma"):
        options["metadata"] = {"attention.sliding_window": 4}
    template = family_templates.BY_ARCH[arch]
    layers = 4 if arch == "smollm3" else 2
    source = tiny_gguf.write(tmp_path / "m.gguf", arch=arch, layers=layers, chat_template=template, **options)
    meta = convert_gguf(source, tmp_path / "out")
    assert json.loads((tmp_path / "out" / "navllm-model.json").read_text())["chatTemplate"] == template == meta["chatTemplate"]
