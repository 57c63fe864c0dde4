"""``navllm tokens create NAME [--expires DAYS] [--providers P1,P2] | list [--json] | revoke NAME``: the apps
that may use ``navllm serve``. A token is printed once, when it is made; navllm keeps only its hash."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING

from . import Commands

if TYPE_CHECKING:
    from ..policy.apps import Apps

DAY = 86400


def register(commands: Commands) -> None:
    group = commands.add_parser("tokens", help="tokens for apps that use `navllm serve`")
    sub = group.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="make app NAME's token and print it (once)")
    create.add_argument("name")
    create.add_argument("--expires", type=float, metavar="DAYS", help="days until the token stops working (default: never)")
    create.add_argument("--providers", default="", metavar="P1,P2", help="providers it may use (default: local, on this device only)")
    create.set_defaults(run=run_create)
    listing = sub.add_parser("list", help="the apps with a token: created, expires, last used, scope (never the token)")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    revoke = sub.add_parser("revoke", help="stop app NAME's (or paired browser:NAME's) token working, from its next request")
    revoke.add_argument("name")
    revoke.set_defaults(run=run_revoke)


def _apps() -> Apps:
    from ..policy.apps import Apps
    from ..policy.db import connect

    return Apps(connect())


def run_create(args: argparse.Namespace) -> int:
    if args.expires is not None and args.expires <= 0:
        print("navllm: --expires takes a number of days above 0", file=sys.stderr)
        return 2
    now = time.time()
    providers = [p.strip() for p in args.providers.split(",") if p.strip()]
    token = _apps().create(args.name, providers, now + args.expires * DAY if args.expires else None, now)
    print(token)
    print(f"navllm: this is app:{args.name}'s token; it is not shown again. Give it to the app as its API key.", file=sys.stderr)
    return 0


def run_list(args: argparse.Namespace) -> int:
    apps = _apps().all()
    if args.json:
        print(json.dumps([a.wire() for a in apps], indent=1))
        return 0
    rows = [["App", "Created", "Expires", "Last used", "Providers"]]
    rows += [
        [a.name, _when(a.created_at), _when(a.expires_at, "never"), _when(a.last_used_at, "never"), ",".join(a.providers)] for a in apps
    ]
    if not apps:
        rows.append(["(no tokens)", "-", "-", "-", "-"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    if not _apps().revoke(args.name):
        print(f"navllm: no app named {args.name!r} has a token", file=sys.stderr)
        return 1
    from ..policy.apps import BROWSER_PREFIX

    who = args.name if args.name.startswith(BROWSER_PREFIX) else f"app:{args.name}"  # a paired browser is named browser:NAME already
    print(f"revoked {who}'s token")
    return 0


def _when(ts: float | None, missing: str = "-") -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts is not None else missing
