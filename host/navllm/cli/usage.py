"""``navllm usage [--days N] [--json|--csv] [--clear [ORIGIN]]``: who used what, from the usage log."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from . import Commands

ALL = object()


def register(commands: Commands) -> None:
    cmd = commands.add_parser("usage", help="show, export or clear the usage log")
    cmd.add_argument("--days", type=int, metavar="N", help="export only the last N days")
    form = cmd.add_mutually_exclusive_group()
    form.add_argument("--json", dest="format", action="store_const", const="json", help="export every request as JSON")
    form.add_argument("--csv", dest="format", action="store_const", const="csv", help="export every request as CSV")
    form.add_argument("--clear", nargs="?", const=ALL, metavar="ORIGIN", help="delete the log of ORIGIN, or all of it")
    cmd.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import time

    from ..policy.db import connect
    from ..policy.origins import require
    from ..policy.usage import DAY, WINDOWS, Usage

    if args.days is not None and args.days < 1:
        print("navllm: --days must be 1 or more", file=sys.stderr)
        return 2
    usage = Usage(connect())
    now = time.time()
    if args.clear is not None:
        origin = None if args.clear is ALL else require(args.clear)
        deleted = usage.clear(origin)
        print(f"deleted {deleted} request(s) from the usage log" + (f" of {origin}" if origin else ""))
        return 0
    if args.format:
        sys.stdout.write(usage.export(args.format, now - args.days * DAY if args.days else 0.0))
        return 0
    summary = usage.summary(now)
    for title, key in (("Origin", "byOrigin"), ("Provider", "byProvider")):
        print(_table(title, summary[key], list(WINDOWS)))
        print()
    return 0


def _table(title: str, rows: Mapping[str, Mapping[str, Mapping[str, int | None]]], windows: list[str]) -> str:
    """One line per origin or provider: requests and tokens for each window, busiest first."""
    header = [title, *(f"{w}: requests / tokens" for w in windows)]
    body = [
        [name, *(f"{stats.get(w, {}).get('requests', 0)} / {stats.get(w, {}).get('tokens', 0) or 0}" for w in windows)]
        for name, stats in sorted(rows.items(), key=lambda item: -(item[1].get("30 days", {}).get("requests") or 0))
    ] or [["(no requests)", *("-" for _ in windows)]]
    widths = [max(len(r[i]) for r in (header, *body)) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in (header, *body))
