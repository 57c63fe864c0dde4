"""``navllm install``: register the native-messaging host with the browsers (or check, or remove it)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from . import Commands


def register(commands: Commands) -> None:
    from ..install.locations import BROWSERS

    parser = commands.add_parser(
        "install",
        help="register the host with your browsers",
        description="Register navllm's native-messaging host with every browser found (or the one named).",
    )
    parser.add_argument("--browser", choices=sorted(BROWSERS), help="only this browser (installed even if not found)")
    parser.add_argument("--user-data-dir", type=Path, metavar="DIR", help="a Chromium-family profile folder started with --user-data-dir")
    parser.add_argument("--firefox-home", type=Path, metavar="DIR", help="the HOME Firefox runs with (test profiles)")
    parser.add_argument(
        "--home", type=Path, metavar="NAVLLM_HOME", help="keep navllm's data in this folder instead of the per-user default"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--uninstall", action="store_true", help="remove what install wrote")
    action.add_argument("--check", action="store_true", help="report what is registered where and whether the host starts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..install.register import Choice, chosen, current_os, install, uninstall

    if args.home:
        os.environ["NAVLLM_HOME"] = str(args.home.resolve())  # the launcher and manifests then live there
    choice = Choice(browser=args.browser, user_data_dir=args.user_data_dir, firefox_home=args.firefox_home, home=args.home)
    if args.check:
        from ..install.doctor import check

        healthy = True
        registered = 0
        for target in chosen(choice, current_os(), found_only=False):
            ok, lines = check(target)
            healthy &= ok
            registered += Path(target.manifest).exists()
            print("\n".join(lines))
        if not registered:
            print("navllm is not registered with any browser; run: navllm install")
        return 0 if healthy and registered else 1
    for line in (uninstall if args.uninstall else install)(choice):
        print(line)
    return 0
