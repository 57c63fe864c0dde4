"""``navllm protocol schema``: the JSON Schema of every message."""

from __future__ import annotations

import argparse
import json

from . import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("protocol", help="the host protocol")
    sub = group.add_subparsers(dest="action", required=True)
    schema = sub.add_parser("schema", help="print the JSON Schema of every request and reply")
    schema.set_defaults(run=run_schema)


def run_schema(args: argparse.Namespace) -> int:
    from ..protocol.schema import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return 0
