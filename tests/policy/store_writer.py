"""A process that writes grants and usage rows through the policy store, acknowledging each
committed write on stdout ("<n>"), so a test can kill it at any moment and check what survived."""

from __future__ import annotations

import sys
from pathlib import Path

from navllm.policy.db import connect
from navllm.policy.grants import Grants
from navllm.policy.usage import Entry, Usage


def main(path: str, start: int, stop: int) -> None:
    db = connect(Path(path))
    grants, usage = Grants(db), Usage(db)
    for n in range(start, stop):
        if n % 2 == 0:
            grants.set(f"https://site{n}.example", f"https://site{n}.example", "granted", ["local", f"p{n}"], None, float(n))
        else:
            usage.record(
                Entry(
                    ts=1_800_000_000.0 + n,
                    origin=f"https://site{n}.example",
                    top_origin=f"https://site{n}.example",
                    action="prompt",
                    provider="local",
                    model="m",
                    input_tokens=n,
                    output_tokens=1,
                    latency_ms=1.0,
                    outcome="ok",
                    prompt_text="p" * (n % 997),
                    reply_text=None,
                )
            )
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
