"""``navllm bench …``: benchmarks, each in its own module under ``navllm.bench``."""

from __future__ import annotations

import argparse

from . import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("bench", help="measure navllm against its baselines")
    sub = group.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    local = sub.add_parser("local", help="the local engine against llama.cpp on the same GGUF and thread count")
    from ..bench.local import add_arguments

    add_arguments(local)
    local.set_defaults(run=run_local)
    from ..bench.batched import register as register_batched
    from ..bench.relay import register as register_relay
    from ..bench.speculative import register as register_speculative
    from ..bench.tasks import register as register_tasks

    register_relay(sub)
    register_tasks(sub)
    register_speculative(sub)
    register_batched(sub)


def run_local(args: argparse.Namespace) -> int:
    from ..bench.local import command

    return command(args)
