"""``navllm serve [--port N]``: the local HTTP API for apps (OpenAI-compatible), in the foreground."""

from __future__ import annotations

import argparse

from . import Commands


def register(commands: Commands) -> None:
    from ..daemon.state import DEFAULT_PORT

    cmd = commands.add_parser("serve", help="serve apps on 127.0.0.1 with an OpenAI-compatible API (see `navllm tokens`)")
    cmd.add_argument(
        "--port", type=int, default=DEFAULT_PORT, metavar="N", help=f"the port to listen on (default {DEFAULT_PORT}; 0: any free one)"
    )
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..daemon.server import run as serve

    return serve(args.port)
