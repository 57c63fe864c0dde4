"""``navllm extension path | pack``: where the unpacked extension is, and store packages of it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from . import Commands

if TYPE_CHECKING:
    from ..install.package import Store


def register(commands: Commands) -> None:
    group = commands.add_parser(
        "extension",
        help="the browser extension: where it is, store packages",
        description="The navllm browser extension that ships with this copy of navllm.",
    )
    sub = group.add_subparsers(dest="action", required=True)
    path = sub.add_parser("path", help="print the folder to load as an unpacked extension")
    path.set_defaults(run=run_path)
    pack = sub.add_parser(
        "pack",
        help="build a Chrome Web Store .zip and a Firefox .xpi",
        description="Build navllm-VERSION-chrome.zip (Chrome Web Store) and navllm-VERSION-firefox.xpi (addons.mozilla.org) from the unpacked extension.",
    )
    pack.add_argument("--out", type=Path, default=Path("."), metavar="DIR", help="where to write them (default: the current folder)")
    pack.add_argument("--browser", choices=["chrome", "firefox"], help="only this package")
    pack.set_defaults(run=run_pack)


def run_path(args: argparse.Namespace) -> int:
    from ..resources import extension_dir

    print(extension_dir())
    return 0


def run_pack(args: argparse.Namespace) -> int:
    from ..install.package import pack

    stores: tuple[Store, ...] = (args.browser,) if args.browser else ("chrome", "firefox")
    for path in pack(args.out, stores):
        print(f"wrote {path}")
    return 0
