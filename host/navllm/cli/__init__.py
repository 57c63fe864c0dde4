"""The ``navllm`` command. Each command group lives in its own module with a ``register(subparsers)``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeAlias

# What ``add_subparsers()`` returns: each group's ``register`` adds its commands to it.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def parser() -> argparse.ArgumentParser:
    from .. import __version__

    root = argparse.ArgumentParser(prog="navllm", description="AI for every web page, on your own terms.")
    root.add_argument("--version", action="version", version=f"navllm {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Each group module imports what its commands need only when they run, so this stays quick.
    from . import (
        bench,
        convert,
        demo,
        doctor,
        extension,
        grants,
        install,
        keys,
        models,
        protocol,
        providers,
        serve,
        settings,
        tokens,
        usage,
    )

    for group in (
        protocol,
        settings,
        install,
        extension,
        demo,
        models,
        convert,
        providers,
        keys,
        bench,
        grants,
        usage,
        serve,
        tokens,
        doctor,
    ):
        group.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    from ..protocol.errors import NavError

    args = parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int | None] = args.run
    try:
        return run(args) or 0
    except NavError as err:
        print(f"navllm: {err.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("navllm: interrupted", file=sys.stderr)
        return 130
