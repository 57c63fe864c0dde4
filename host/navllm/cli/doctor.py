"""``navllm doctor [--repair [--yes]]``: which of navllm's files are damaged, and the repair that
keeps a copy of each (``NAME.damaged-<time>``) before starting it afresh."""

from __future__ import annotations

import argparse
import sys

from . import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("doctor", help="check navllm's files; repair damaged ones (keeping a copy)")
    parser.add_argument("--repair", action="store_true", help="move each damaged file aside and start it afresh")
    parser.add_argument("--yes", action="store_true", help="repair without asking")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..install.doctor import repair, storage_report, sweep_temps

    for tmp in sweep_temps():
        print(f"removed {tmp}, left by an interrupted write")
    damaged = [entry for entry in storage_report() if entry["damaged"]]
    if not damaged:
        print("every file is sound")
        return 0
    for entry in damaged:
        print(f"DAMAGED {entry['label']}: {entry['message']}\n  repair {entry['repair']}")
    if not args.repair:
        print("run `navllm doctor --repair` to move these aside and start them afresh")
        return 1
    if not args.yes:
        if not sys.stdin.isatty():
            print("navllm: add --yes to repair without a terminal to confirm on", file=sys.stderr)
            return 1
        if input("Move these aside and start them afresh? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing changed")
            return 1
    for moved in repair([entry["file"] for entry in damaged]):
        print(f"moved {moved['path']} to {moved['backup']}")
    print("restart your browser so every running navllm host starts afresh too")
    return 0
