"""Each family's converted tiny model in the local engine, as a user's chat reaches it: the chat
template renders the prompt, the engine prefills and decodes greedily, and its reply is the one
the numpy reference's own greedy decoding gives for the same prompt ids."""

from __future__ import annotations

import numpy as np
import pytest

from navllm.bench.reference import logits
from navllm.models.convert import convert_gguf
from navllm.protocol.common import Sampling, text_message
from navllm.providers.base import Generation, Usage
from navllm.providers.local import runtime
from navllm.providers.local.conversation import LocalConversation
from navllm.providers.local.sampler import SamplerConfig
from tests.convert import family_templates, tiny_gguf
from tests.convert.test_tiny_models import VARIANTS

FAMILIES = {"qwen3": "qwen3", "smollm3": "smollm3", "phi3": "phi3", "gemma2": "gemma2", "gemma3": "gemma3", "mistral3": "mistral3"}
TEMPLATES = {**family_templates.BY_ARCH, "mistral3": family_templates.MISTRAL}
REPLY_TOKENS = 4


@pytest.mark.parametrize("variant", sorted(FAMILIES))
async def test_engine_replies_as_the_reference_decodes(tmp_path, variant):
    options = VARIANTS[variant]
    source = tiny_gguf.write(tmp_path / "m.gguf", **options, chat_template=TEMPLATES[options["arch"]])
    convert_gguf(source, tmp_path / "out", accuracy_level=1, int8_for_8bit=False)
    model = runtime.load(tmp_path / "out", threads=1)
    conversation = LocalConversation(model, 256, SamplerConfig())
    messages = [text_message("user", "hello world, the cat is in the hat")]

    pieces = []
    async for chunk in conversation.generate(Generation(messages=messages, sampling=Sampling(max_tokens=REPLY_TOKENS))):
        if not isinstance(chunk, Usage):
            pieces.append(chunk)

    ids = conversation.encode(messages)
    expected: list[int] = []
    for _ in range(REPLY_TOKENS):
        best = int(np.argmax(logits(source, ids + expected)[-1]))
        if best in model.info.eos_token_ids:
            break
        expected.append(best)
    assert len(expected) == REPLY_TOKENS  # the reference ran on past the prompt: a reply to compare
    assert "".join(pieces) == model.tokenizer.decode(expected)
