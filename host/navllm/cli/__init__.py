"""The ``navllm`` command. Each command group lives in its own module with a ``register(subparsers)``."""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that add a command group; each is imported only to build the parser.
GROUPS = (
    "navllm.cli.protocol",
    "navllm.cli.settings",
    "navllm.cli.install",
    "navllm.cli.extension",
    "navllm.cli.demo",
    "navllm.cli.models",
    "navllm.cli.convert",
    "navllm.cli.providers",
    "navllm.cli.keys",
    "navllm.cli.bench",
    "navllm.cli.grants",
    "navllm.cli.usage",
    "navllm.cli.doctor",
)


def parser() -> argparse.ArgumentParser:
    from .. import __version__

    root = argparse.ArgumentParser(prog="navllm", description="AI for every web page, on your own terms.")
    root.add_argument("--version", action="version", version=f"navllm {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    from ..protocol.errors import NavError

    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except NavError as err:
        print(f"navllm: {err.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("navllm: interrupted", file=sys.stderr)
        return 130
