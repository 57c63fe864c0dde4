"""What a token mask costs: it runs before every decoded token, whose forward pass takes ~6 ms
on the default model, so it must stay well below that. Printed with ``-s`` for the record."""

from __future__ import annotations

import numpy as np

from navllm.protocol.common import JsonSchemaConstraint, RegexConstraint, text_message
from navllm.providers.base import Generation
from navllm.providers.local.constrain import build_constraint
from tests.constrain.corpus import REGEXES, SCHEMAS, TOOLS

ASK = [text_message("user", "Answer.")]


def test_mask_cost_per_token(vocabulary, driver):
    requests = {
        "json": [Generation(messages=ASK, constraint=JsonSchemaConstraint(schema=s)) for s in list(SCHEMAS.values())[:12]],
        "regex": [Generation(messages=ASK, constraint=RegexConstraint(pattern=p, flags=f)) for p, f, _, _ in list(REGEXES.values())[:6]],
        "tools": [Generation(messages=ASK, tools=TOOLS)] * 3,
    }
    report, everything = [], []
    for kind, batch in requests.items():
        timings = (
            np.array([t for i, r in enumerate(batch) for t in driver.run(build_constraint(r, vocabulary), 100 + i).mask_seconds]) * 1e3
        )
        everything.append(timings)
        report.append(
            f"{kind}: {timings.size} masks, median {np.median(timings):.3f} ms, p99 {np.percentile(timings, 99):.3f} ms, max {timings.max():.3f} ms"
        )
    print("\nmask CPU time per token (incl. bitmask -> bool):\n  " + "\n  ".join(report))
    timings = np.concatenate(everything)
    assert np.median(timings) < 1.0 and np.percentile(timings, 99) < 6.0, report
