"""``navllm serve [--port N] [--idle-exit MINUTES] | --install-autostart | --remove-autostart``: the
local API for apps (OpenAI-compatible) and browsers, in the foreground; ``navllm pair``: the code
a browser being paired is waiting for."""

from __future__ import annotations

import argparse
import sys
import time

from . import Commands


def register(commands: Commands) -> None:
    cmd = commands.add_parser("serve", help="serve apps and browsers on 127.0.0.1 (see `navllm tokens` and docs/daemon.md)")
    cmd.add_argument("--port", type=int, metavar="N", help="the port to listen on (default: the setting servePort, 11480; 0: any free one)")
    cmd.add_argument("--idle-exit", type=float, metavar="MINUTES", help="stop after this long with no connection and no request")
    start = cmd.add_mutually_exclusive_group()
    start.add_argument(
        "--install-autostart", action="store_true", help="start navllm serve at every login (systemd, launchd, Task Scheduler)"
    )
    start.add_argument("--remove-autostart", action="store_true", help="undo --install-autostart")
    cmd.set_defaults(run=run)
    pair = commands.add_parser("pair", help="show the code a browser being paired with navllm serve waits for")
    pair.set_defaults(run=run_pair)


def run(args: argparse.Namespace) -> int:
    if args.install_autostart or args.remove_autostart:
        from ..daemon import autostart

        print(autostart.install() if args.install_autostart else autostart.remove())
        return 0
    if args.idle_exit is not None and args.idle_exit <= 0:
        print("navllm: --idle-exit takes a number of minutes above 0", file=sys.stderr)
        return 2
    from ..daemon.state import DaemonLock
    from ..link.state import ALREADY_RUNNING
    from ..protocol.errors import NavError

    lock = DaemonLock()
    try:
        lock.acquire()
    except NavError as err:
        print(f"navllm: {err.message}", file=sys.stderr)
        return ALREADY_RUNNING  # a host that started us on demand waits for that one instead
    # The server's imports take most of a second: the lock comes first, so of two daemons started
    # at once the loser learns it at once, rather than winning after the first one has stopped.
    from ..daemon.server import run as serve
    from ..settings import load

    return serve(lock, load().serve_port if args.port is None else args.port, args.idle_exit)


def run_pair(args: argparse.Namespace) -> int:
    from ..daemon.pairing import read_pending

    now = time.time()
    pending = read_pending(now)
    if pending is None:
        print("no browser is waiting to pair: start pairing from the navllm side panel of the browser first")
        return 1
    print(f"browser: {pending.get('browser')}\ncode: {pending.get('code')}  (good for {pending['expiresAt'] - now:.0f} more seconds)")
    return 0
