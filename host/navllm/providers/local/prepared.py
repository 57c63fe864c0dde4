"""The model's graph as onnxruntime prepares it for this machine, kept beside the model.

onnxruntime repacks every MatMulNBits weight for this CPU's kernels when a session loads, into
anonymous memory: about 120 MiB for SmolLM2-135M, held privately by each process. Once per
folder, onnxruntime version and CPU, the optimised graph is written to ``prepared/<key>/`` with
those prepacked weights in its data file (``session.save_external_prepacked_constant_initializers``);
sessions opened on it memory-map them from there instead: page cache that processes share and the
kernel can reclaim, not private heap. onnxruntime still repacks each weight at load to find its
prepacked copy (so load time does not change, and the data file keeps the unpacked weights for
that; they are read once at load and released by ``mapped_pages``), and that fresh copy lives
until the mapped one replaces it: a weight whose prepacked form is large (the tied 49152×576
head: 35 MB) would raise the load's peak by its size, so such weights keep their heap copy.

The prepared graph is derived data: written under a temporary name and renamed into place (two
hosts preparing at once both succeed; one keeps its copy), rebuilt when damaged, skipped with a
log line when the folder is read-only or preparing fails. ``model.onnx`` itself is never written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ...models.store import DERIVED
from ...protocol.errors import ErrorName, NavError
from . import mapped_pages

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
DATA_FILE = MODEL_FILE + ".data"
PREPARED_DIR = DERIVED  # the store leaves it out of what it lists and verifies
MANIFEST = "prepared.json"
FAILED_SUFFIX = ".failed"  # prepared/<key>.failed: this key's prepared graph would not load; use the original
SCHEME = 2  # bump when what is written here changes
HEAP_ABOVE = 16 << 20  # bytes: a prepacked weight larger than this keeps its heap copy (see above)
PREPARE_TIMEOUT_S = 600  # minutes for a model of a few GB; a child stuck longer is given up
STALE_TEMP_S = 3600  # a temporary folder this old is a preparation that died, not one under way


def open_session(folder: Path, threads: int | None) -> ort.InferenceSession:
    """The session for the converted model in ``folder``: on the prepared graph when it can be had
    (preparing it first if needed), otherwise on ``model.onnx``."""
    key = cache_key(folder)
    for _ in range(2):  # a prepared graph that does not load is prepared again, once
        prepared = _prepared_graph(folder, key, threads)
        if prepared is None:
            break
        graph, fresh = prepared
        try:
            return _open(graph, threads)
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            if fresh:
                log.warning("the graph just prepared in %s does not load (%s); using %s from now on", graph.parent, exc, MODEL_FILE)
                _mark_failed(folder, key, str(exc))
                break
            log.warning("the prepared graph %s does not load (%s); preparing it again", graph.parent, exc)
            shutil.rmtree(graph.parent, ignore_errors=True)
    try:
        return _open(folder / MODEL_FILE, threads)
    except Exception as exc:
        raise NavError(ErrorName.OPERATION, f"cannot load {folder / MODEL_FILE}: {exc}") from None


def cache_key(folder: Path) -> str:
    """What the prepared graph depends on: the model's files, onnxruntime's version, the CPU."""
    import onnxruntime as ort

    files = [folder / MODEL_FILE, folder / DATA_FILE]
    stats = [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in files if p.exists()]
    parts = {"scheme": SCHEME, "onnxruntime": ort.__version__, "cpu": cpu_identity(), "model": stats}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cpu_identity() -> str:
    """The CPU's model name and feature flags (the kernels onnxruntime picks depend on them)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            lines = cpuinfo.read().split("\n\n", 1)[0].splitlines()  # the first processor
        wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
        return "\n".join(line for line in lines if line.split(":")[0].strip() in wanted)
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def _options(threads: int | None) -> ort.SessionOptions:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # 0 lets onnxruntime use one thread per physical core.
    options.intra_op_num_threads = threads or 0
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Prepacked weights are what makes MatMulNBits fast (6 tok/s without); keep them on.
    options.add_session_config_entry("session.disable_prepacking", "0")
    # No arena: it keeps its largest activations for good (SmolLM2 after a five-turn chat: 31 MiB
    # more anonymous memory with it, the same speed without it); freed ones go back with the heap.
    options.enable_cpu_mem_arena = False
    return options


def _open(graph: Path, threads: int | None) -> ort.InferenceSession:
    import onnxruntime as ort

    session = ort.InferenceSession(str(graph), _options(threads), providers=["CPUExecutionProvider"])
    released = mapped_pages.release(graph.parent / DATA_FILE)
    log.debug("loaded %s; released %.0f MiB of weight pages read only at load", graph, released / 2**20)
    return session


def _prepared_graph(folder: Path, key: str, threads: int | None) -> tuple[Path, bool] | None:
    """``prepared/<key>/model.onnx`` and whether it was prepared just now (when missing or
    damaged); None to use the original."""
    root = folder / PREPARED_DIR
    target = root / key
    if (root / (key + FAILED_SUFFIX)).exists():
        return None
    if target.exists():
        if _intact(target, key):
            return target / MODEL_FILE, False
        log.warning("the prepared graph %s is damaged or incomplete; preparing it again", target)
        shutil.rmtree(target, ignore_errors=True)
        if target.exists():
            return None
    try:
        root.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{key}.", suffix=".preparing"))
    except OSError as exc:  # a read-only folder: no prepared graph, and no harm
        log.info("cannot prepare %s here (%s); loading %s", folder, exc, MODEL_FILE)
        return None
    try:
        started = time.perf_counter()
        _write(folder / MODEL_FILE, staging, key, threads)
        try:
            staging.rename(target)
        except OSError:
            if not _intact(target, key):
                raise
            shutil.rmtree(staging, ignore_errors=True)  # another host prepared it first: use theirs
        log.info("prepared %s for this machine in %.1f s", target, time.perf_counter() - started)
    except Exception as exc:  # any failure here only costs the memory saving
        shutil.rmtree(staging, ignore_errors=True)
        log.warning("could not prepare %s (%s); loading %s", folder, exc, MODEL_FILE)
        return None
    _remove_stale(root, key)
    return target / MODEL_FILE, True


def _write(model: Path, staging: Path, key: str, threads: int | None) -> None:
    """Prepare in a child process: the session that prepares holds every weight twice on the heap
    (which the allocator would keep after it closes), and a crash in it must not take the host down."""
    import onnxruntime as ort

    child = [sys.executable, "-m", __name__, str(model), str(staging / MODEL_FILE), str(threads or 0)]
    done = subprocess.run(child, capture_output=True, text=True, timeout=PREPARE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"exit status {done.returncode}: {done.stderr.strip()[-1000:]}")
    sizes = {name: (staging / name).stat().st_size for name in (MODEL_FILE, DATA_FILE)}
    manifest = {"key": key, "scheme": SCHEME, "onnxruntime": ort.__version__, "sizes": sizes}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _write_optimized(model: Path, out: Path, threads: int | None) -> None:
    """onnxruntime's optimised graph of ``model`` at ``out``, its weights, prepacked ones included, in ``DATA_FILE`` beside it."""
    import onnxruntime as ort

    options = _options(threads)
    options.log_severity_level = 3  # not the warning that the graph suits this machine only: it is keyed to it
    options.optimized_model_filepath = str(out)
    options.add_session_config_entry("session.optimized_model_external_initializers_file_name", DATA_FILE)
    options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
    options.add_session_config_entry("session.save_external_prepacked_constant_initializers", "1")
    ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    _keep_large_on_heap(out)


def _keep_large_on_heap(graph: Path) -> None:
    """Drop the mapped prepacked copy of weights whose copy exceeds ``HEAP_ABOVE``: onnxruntime then
    keeps the copy it packs at load instead of packing one only to free it (a peak of that size)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    changed = False
    for tensor in model.graph.initializer:
        # A prepacked entry reads "<kernel>+<hash>|<offset>;<length>;<checksum>[|…]", one buffer after each bar.
        packed = [e for e in tensor.external_data if e.key.startswith("prepacked")]
        large = [e for e in packed if sum(int(b.split(";")[1]) for b in e.value.split("|")[1:]) > HEAP_ABOVE]
        if large:
            kept = [e for e in tensor.external_data if e not in large]
            del tensor.external_data[:]
            tensor.external_data.extend(kept)
            changed = True
    if changed:
        onnx.save(model, str(graph))


def _intact(target: Path, key: str) -> bool:
    """The manifest is there and names this key, and every file has the size it was written with."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        sizes: dict[str, int] = manifest["sizes"]
        return bool(manifest["key"] == key and all((target / name).stat().st_size == size for name, size in sizes.items()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _mark_failed(folder: Path, key: str, reason: str) -> None:
    """Remember that this key's prepared graph does not load, so later starts skip it."""
    with contextlib.suppress(OSError):  # a read-only folder: the next start tries again, no harm
        (folder / PREPARED_DIR / (key + FAILED_SUFFIX)).write_text(reason, encoding="utf-8")


def _remove_stale(root: Path, key: str) -> None:
    """Graphs prepared for another onnxruntime, CPU or model file, and preparations that died."""
    for entry in root.iterdir():
        if entry.name.startswith((key, f".{key}.")):
            continue
        try:
            if entry.name.startswith(".") and time.time() - entry.stat().st_mtime < STALE_TEMP_S:
                continue  # another host may be preparing it right now
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:
            log.debug("could not remove %s: %s", entry, exc)


if __name__ == "__main__":
    _write_optimized(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
