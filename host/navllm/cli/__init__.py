"""The ``navllm`` command. Each command group lives in its own module with a ``register(subparsers)``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib import import_module
from typing import TypeAlias

# What ``add_subparsers()`` returns: each group's ``register`` adds its commands to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


# Each command and the module under navllm.cli that registers it, in the order ``--help`` lists them.
GROUPS = {
    "protocol": "protocol",
    "settings": "settings",
    "install": "install",
    "extension": "extension",
    "demo": "demo",
    "models": "models",
    "convert": "convert",
    "providers": "providers",
    "keys": "keys",
    "bench": "bench",
    "grants": "grants",
    "usage": "usage",
    "serve": "serve",
    "pair": "serve",
    "tokens": "tokens",
    "doctor": "doctor",
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; or, for a known ``command``, the root and that command's group only:
    a long-running ``navllm serve`` need not hold every benchmark's code (about 2 MiB)."""
    from .. import __version__

    root = argparse.ArgumentParser(prog="navllm", description="AI for every web page, on your own terms.")
    root.add_argument("--version", action="version", version=f"navllm {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Each group module imports what its commands need only when they run, so this stays quick.
    modules = [GROUPS[command]] if command in GROUPS else dict.fromkeys(GROUPS.values())
    for name in modules:
        import_module(f"{__name__}.{name}").register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    from ..protocol.errors import NavError

    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv[0] if argv else None).parse_args(argv)
    run: Callable[[argparse.Namespace], int | None] = args.run
    try:
        return run(args) or 0
    except NavError as err:
        print(f"navllm: {err.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("navllm: interrupted", file=sys.stderr)
        return 130
