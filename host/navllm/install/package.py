"""Pack the extension for the stores: a ``.zip`` for the Chrome Web Store and an ``.xpi`` for
addons.mozilla.org, both from the one folder ``navllm.resources.extension_dir()``.

Each package gets the files the browsers load (not the TypeScript declarations, nor anything a
test driver adds) and a manifest without the keys the other browser uses, which the store's
checks would flag. The Chrome package also leaves out ``key``: the Chrome Web Store refuses an
upload that has it (the key pins the extension id for unpacked installs; see docs/packaging.md).
The zip members are sorted and dated 1980-01-01, so packing the same files twice gives the same bytes.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from ..resources import extension_dir

Store = Literal["chrome", "firefox"]
SUFFIX: dict[Store, str] = {"chrome": ".zip", "firefox": ".xpi"}
# Folders of extension/ that no browser loads: declarations for page authors, the page-side
# client (published for sites as its own npm package), test-driver pages.
NOT_SHIPPED = ("types", "client", "_test")
EPOCH = (1980, 1, 1, 0, 0, 0)


def shipped_files(source: Path) -> Iterator[PurePosixPath]:
    """The files of ``source`` that go into a package, relative and sorted."""
    found = []
    for path in source.rglob("*"):
        rel = PurePosixPath(path.relative_to(source).as_posix())
        if not path.is_file() or rel.parts[0] in NOT_SHIPPED:
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts) or rel.name.endswith(("~", ".swp")):
            continue
        found.append(rel)
    return iter(sorted(found))


def store_manifest(manifest: dict[str, Any], store: Store) -> dict[str, Any]:
    """``manifest`` with what only the other browser reads (and, for Chrome, ``key``) taken out."""
    out: dict[str, Any] = json.loads(json.dumps(manifest))
    out.pop("key", None)  # Chrome Web Store refuses it; Firefox ignores it
    background = out.get("background", {})
    if store == "chrome":
        for name in ("browser_specific_settings", "sidebar_action"):
            out.pop(name, None)
        background.pop("scripts", None)  # Chrome runs the service worker
    else:
        out.pop("side_panel", None)
        if "permissions" in out:
            out["permissions"] = [p for p in out["permissions"] if p != "sidePanel"]
        background.pop("service_worker", None)  # Firefox runs background.scripts
    return out


def pack(out_dir: Path, stores: tuple[Store, ...] = ("chrome", "firefox"), source: Path | None = None) -> list[Path]:
    """Write one package per store into ``out_dir``; returns their paths."""
    source = source or extension_dir()
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    files = [rel for rel in shipped_files(source) if str(rel) != "manifest.json"]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for store in stores:
        target = out_dir / f"navllm-{manifest['version']}-{store}{SUFFIX[store]}"
        partial = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "manifest.json", (json.dumps(store_manifest(manifest, store), indent=2) + "\n").encode())
            for rel in files:
                _add(zf, str(rel), (source / rel).read_bytes())
        partial.replace(target)
        written.append(target)
    return written


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
