"""``navllm settings show | set NAME VALUE``."""

from __future__ import annotations

import argparse
import json

from . import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("settings", help="show or change settings")
    sub = group.add_subparsers(dest="action", required=True)
    sub.add_parser("show", help="print the settings as JSON").set_defaults(run=run_show)
    setter = sub.add_parser("set", help="change one setting (VALUE is JSON, or a plain string)")
    setter.add_argument("name")
    setter.add_argument("value")
    setter.set_defaults(run=run_set)


def run_show(args: argparse.Namespace) -> int:
    import sys

    from .. import settings

    print(json.dumps(settings.public(settings.load()), indent=2))
    if problem := settings.problem():
        print(f"navllm: these are the defaults: {problem.message}", file=sys.stderr)
        return 1
    return 0


def run_set(args: argparse.Namespace) -> int:
    from .. import settings

    try:
        value = json.loads(args.value)
    except json.JSONDecodeError:
        value = args.value
    settings.update({args.name: value})
    return 0
