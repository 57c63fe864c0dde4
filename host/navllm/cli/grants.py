"""``navllm grants list | allow ORIGIN [--provider P ...] [--expires WHEN] [--in TOP] | deny ORIGIN | revoke ORIGIN | lift ORIGIN
| delegate FRAME --in TOP [--stop]``.

Changes apply to the grant store the host reads on every request, so a running browser sees
them on its next call ("allow once" grants live in the host's memory and are not listed here).
"""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING

from . import Commands

if TYPE_CHECKING:
    from ..policy.gate import PolicyGate


def register(commands: Commands) -> None:
    group = commands.add_parser("grants", help="which sites may use navllm")
    sub = group.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="grants, denials, embargoes and frame delegations")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    allow = sub.add_parser("allow", help="let ORIGIN use navllm on every visit")
    allow.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="P",
        help="a provider it may use; repeat for more (default: local, on this device only)",
    )
    allow.add_argument("--expires", metavar="WHEN", help="an ISO date/time, or a duration such as 12h, 30d")
    for name, helptext in (
        ("allow", None),
        ("deny", "refuse ORIGIN without asking"),
        ("revoke", "forget ORIGIN's decisions: it is asked again"),
        ("lift", "lift ORIGIN's embargo"),
    ):
        cmd = allow if name == "allow" else sub.add_parser(name, help=helptext)
        cmd.add_argument("origin")
        cmd.add_argument("--in", dest="top", metavar="TOP", help="the decision for ORIGIN as a frame inside the site TOP")
        cmd.set_defaults(run=RUNS[name])
    delegate = sub.add_parser("delegate", help="let frames from FRAME ask for navllm inside the site TOP (they are refused until then)")
    delegate.add_argument("frame", metavar="FRAME")
    delegate.add_argument("--in", dest="top", metavar="TOP", required=True, help="the site embedding those frames")
    delegate.add_argument("--stop", action="store_true", help="take the delegation back")
    delegate.set_defaults(run=run_delegate)


def _gate() -> PolicyGate:
    from .. import settings
    from ..policy.gate import PolicyGate

    current = settings.load()
    return PolicyGate(lambda: current)


def _pair(args: argparse.Namespace) -> tuple[str, str | None]:
    from ..policy.origins import require

    return require(args.origin), require(args.top, "top") if args.top else None


def run_list(args: argparse.Namespace) -> int:
    import time

    gate = _gate()
    grants = gate.persistent.grants
    now = time.time()
    data = {"grants": [g.wire() for g in grants.all()], "embargoes": grants.embargoes(now), "delegations": grants.delegations()}
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    if not any(data.values()):
        print("no decisions yet: every site is asked on its first call")
    for g in data["grants"]:
        where = "" if g["topOrigin"] == g["origin"] else f" (inside {g['topOrigin']})"
        scope = f" providers: {', '.join(g['providers'])}" if g["state"] == "granted" else ""
        expiry = f" until {_when(g['expiresAt'])}" if g["expiresAt"] else ""
        print(f"{g['state']:8} {g['origin']}{where}{scope}{expiry}")
    for e in data["embargoes"]:
        print(f"blocked  {e['origin']} until {_when(e['until'])} (prompt dismissed 3 times)")
    for d in data["delegations"]:
        print(f"frames   {d['frameOrigin']} may ask inside {d['topOrigin']}")
    return 0


def run_allow(args: argparse.Namespace) -> int:
    from .. import settings
    from ..policy.gate import consent_scope
    from ..providers.router import Router

    origin, top = _pair(args)
    _check_eligible(origin, top)
    gate = _gate()
    current = settings.load()
    providers = consent_scope(args.provider or ["local"], Router(lambda: current).chain())
    grant = gate.persistent.grants.set(origin, top or origin, "granted", providers, _expiry(args.expires), gate.now())
    print(f"allowed {origin} to use: {', '.join(grant.providers)}" + (f" until {_when(grant.expires_at)}" if grant.expires_at else ""))
    return 0


def run_deny(args: argparse.Namespace) -> int:
    origin, top = _pair(args)
    _check_eligible(origin, top)
    gate = _gate()
    gate.persistent.grants.set(origin, top or origin, "denied", [], None, gate.now())
    print(f"denied {origin}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    origin, top = _pair(args)
    count = _gate().persistent.grants.revoke(origin, top)
    print(f"revoked {count} decision(s) for {origin}")
    return 0


def run_lift(args: argparse.Namespace) -> int:
    origin, top = _pair(args)
    count = _gate().persistent.grants.lift(origin, top)
    print(f"lifted the embargo on {origin}" if count else f"{origin} was not blocked")
    return 0


def run_delegate(args: argparse.Namespace) -> int:
    from ..policy.origins import require

    frame, top = require(args.frame, "frame"), require(args.top, "top")
    _check_eligible(frame, top)
    _gate().persistent.grants.delegate(top, frame, not args.stop)
    print(f"frames from {frame} {'may no longer' if args.stop else 'may now'} ask inside {top}")
    return 0


RUNS = {"allow": run_allow, "deny": run_deny, "revoke": run_revoke, "lift": run_lift}


def _check_eligible(*origins: str | None) -> None:
    from ..policy.origins import eligible
    from ..protocol.errors import not_allowed

    for origin in origins:
        if origin and not eligible(origin):
            raise not_allowed(f"{origin} can never be granted: only https: sites and http://localhost can")


def _expiry(text: str | None) -> float | None:
    import time
    from datetime import datetime

    from ..protocol.errors import ErrorName, NavError

    if not text:
        return None
    match = re.fullmatch(r"(\d+)([mhdw])", text.strip())
    if match:
        return time.time() + int(match[1]) * {"m": 60, "h": 3600, "d": 86400, "w": 604800}[match[2]]
    try:
        when = datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise NavError(ErrorName.SYNTAX, f"--expires {text!r}: give an ISO date/time or a duration such as 12h or 30d") from None
    if when <= time.time():
        raise NavError(ErrorName.RANGE, f"--expires {text!r} is in the past")
    return when


def _when(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).isoformat(timespec="minutes")
