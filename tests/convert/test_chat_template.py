"""Chat templates from GGUF files rendered with jinja2, in its sandbox."""

from __future__ import annotations

import pytest

from navllm.models.chat_template import ChatTemplate
from navllm.protocol.errors import ErrorName, NavError

SMOLLM_SYSTEM = "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"


@pytest.fixture(scope="module")
def smollm2_template(smollm2_source):
    return ChatTemplate(smollm2_source.require("tokenizer.chat_template"), "<|im_start|>", "<|im_end|>")


def test_system_user_assistant_turns(smollm2_template):
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hi!"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert smollm2_template.render(messages) == (
        "<|im_start|>system\nAnswer briefly.<|im_end|>\n"
        "<|im_start|>user\nHi!<|im_end|>\n"
        "<|im_start|>assistant\nHello.<|im_end|>\n"
        "<|im_start|>user\nCapital of France?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_default_system_prompt_and_no_generation_prompt(smollm2_template):
    text = smollm2_template.render([{"role": "user", "content": "Hi"}], add_generation_prompt=False)
    assert text == SMOLLM_SYSTEM + "<|im_start|>user\nHi<|im_end|>\n"


def test_bos_eos_and_raise_exception():
    template = ChatTemplate(
        "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'tool' %}{{ raise_exception('no tools') }}"
        "{% endif %}{{ m['content'] | tojson }}{{ eos_token }}{% endfor %}",
        "<s>",
        "</s>",
    )
    assert template.render([{"role": "user", "content": 'é "q"'}]) == '<s>"é \\"q\\""</s>'
    with pytest.raises(NavError) as caught:
        template.render([{"role": "tool", "content": "x"}])
    assert caught.value.name == ErrorName.NOT_SUPPORTED and "no tools" in caught.value.message


def test_sandbox_blocks_python_internals():
    template = ChatTemplate("{{ messages.__class__.__mro__[1].__subclasses__() }}", None, None)
    with pytest.raises(NavError) as caught:
        template.render([{"role": "user", "content": "x"}])
    assert caught.value.name == ErrorName.OPERATION


def test_sandbox_blocks_mutation():
    template = ChatTemplate("{% set _ = messages.append({'role': 'x'}) %}{{ messages | length }}", None, None)
    messages = [{"role": "user", "content": "x"}]
    with pytest.raises(NavError):
        template.render(messages)
    assert len(messages) == 1


def test_broken_template_is_a_data_error():
    with pytest.raises(NavError) as caught:
        ChatTemplate("{% for m in messages %}", None, None)
    assert caught.value.name == ErrorName.DATA
