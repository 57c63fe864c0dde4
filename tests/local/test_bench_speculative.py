"""``navllm bench speculative`` end to end on the real default model. Speed is never asserted;
with fp32 activations the replies with and without drafts must be the same text."""

from __future__ import annotations

import pytest

from navllm.bench import speculative

pytestmark = pytest.mark.model


def test_bench_speculative_reports_each_prompt_side_by_side(smollm2_gguf):
    result = speculative.run(smollm2_gguf, threads=2, rounds=1, accuracy_level=1, log=lambda message: None)

    prompts = result["prompts"]
    assert set(prompts) == set(speculative.PROMPTS)
    for figures in prompts.values():
        assert figures["offTps"] > 0 and figures["onTps"] > 0 and figures["sameReply"]
    assert prompts["copy"]["accepted"] > 10 and 0 < prompts["copy"]["acceptance"] <= 1
    table = speculative.table(result).splitlines()
    assert table[1].split()[0] == "prompt" and [row.split()[0] for row in table[2:]] == list(speculative.PROMPTS)
