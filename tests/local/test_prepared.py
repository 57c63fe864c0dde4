"""The graph prepared for this machine (providers/local/prepared.py): the same logits as the
converted graph, prepared again when what it depends on changes or when it is damaged, and never
in the way: a read-only folder, a failing preparation or two hosts at once still load the model."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from navllm.providers.local import prepared, runtime
from navllm.providers.local.kv_cache import KVCache

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def folder(tiny_folder, tmp_path) -> Path:
    """A private copy of the tiny model, unprepared (the session's ``tiny`` fixture may have prepared
    the shared one): each test prepares (or damages) its own."""
    return Path(shutil.copytree(tiny_folder, tmp_path / "tiny", ignore=shutil.ignore_patterns(prepared.PREPARED_DIR)))


def logits(folder: Path, ids: list[int], steps: int = 3) -> np.ndarray:
    """The logits after a prefill of ``ids`` and then after each of ``steps`` greedy decode steps."""
    model = runtime.LoadedModel(folder, threads=1)
    cache = KVCache(model.cache_shape(len(ids) + steps), capacity=len(ids) + steps)
    binding = model.new_binding()
    rows = [model.forward(ids, cache, binding).copy()]
    for _ in range(steps):
        rows.append(model.forward([int(rows[-1].argmax())], cache, binding).copy())
    return np.stack(rows)


def original_logits(folder: Path, ids: list[int], monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(prepared, "_prepared_graph", lambda *args: None)
        return logits(folder, ids)


def loaded_graph(folder: Path) -> Path:
    return Path(prepared.open_session(folder, threads=1)._model_path)


def prepared_keys(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / prepared.PREPARED_DIR).iterdir())


IDS = [5, 17, 42, 99, 7, 230, 3]


def test_the_prepared_graph_gives_the_original_logits(folder, monkeypatch):
    expected = original_logits(folder, IDS, monkeypatch)
    assert not (folder / prepared.PREPARED_DIR).exists()

    got = logits(folder, IDS)

    key = prepared.cache_key(folder)
    assert prepared_keys(folder) == [key]
    assert loaded_graph(folder) == folder / prepared.PREPARED_DIR / key / "model.onnx"
    np.testing.assert_array_equal(got, expected)


def test_another_cpu_or_onnxruntime_prepares_again_and_drops_the_old_graph(folder, monkeypatch):
    expected = original_logits(folder, IDS, monkeypatch)
    loaded_graph(folder)
    first = prepared.cache_key(folder)

    monkeypatch.setattr(prepared, "cpu_identity", lambda: "another CPU")
    second = prepared.cache_key(folder)
    assert second != first
    assert loaded_graph(folder).parent.name == second
    assert prepared_keys(folder) == [second]

    monkeypatch.setattr(onnxruntime, "__version__", "0.0.0-another")
    third = prepared.cache_key(folder)
    assert third not in (first, second)
    np.testing.assert_array_equal(logits(folder, IDS), expected)
    assert prepared_keys(folder) == [third]


@pytest.mark.parametrize("damage", ["truncated data", "garbled graph", "no manifest"])
def test_a_damaged_prepared_graph_is_prepared_again(folder, monkeypatch, caplog, damage):
    expected = original_logits(folder, IDS, monkeypatch)
    target = loaded_graph(folder).parent
    if damage == "truncated data":
        with (target / prepared.DATA_FILE).open("r+b") as data:
            data.truncate(data.seek(0, 2) // 2)
    elif damage == "garbled graph":  # same size, so only onnxruntime can tell
        graph = target / prepared.MODEL_FILE
        graph.write_bytes(b"\x07" * graph.stat().st_size)
    else:
        (target / prepared.MANIFEST).unlink()

    with caplog.at_level(logging.WARNING, logger=prepared.__name__):
        got = logits(folder, IDS)

    assert "prepar" in caplog.text and str(target) in caplog.text
    assert loaded_graph(folder) == target / prepared.MODEL_FILE
    np.testing.assert_array_equal(got, expected)


def read_only(*args, **kwargs):
    raise PermissionError(30, "Read-only file system")  # as root, chmod would not stop the write


def test_a_read_only_folder_loads_the_original_graph(folder, monkeypatch, caplog):
    expected = original_logits(folder, IDS, monkeypatch)
    monkeypatch.setattr(prepared.tempfile, "mkdtemp", read_only)
    with caplog.at_level(logging.INFO, logger=prepared.__name__):
        got = logits(folder, IDS)

    assert "Read-only" in caplog.text
    assert loaded_graph(folder) == folder / "model.onnx"
    np.testing.assert_array_equal(got, expected)


def test_a_read_only_folder_still_uses_a_graph_prepared_earlier(folder, monkeypatch):
    target = loaded_graph(folder)
    monkeypatch.setattr(prepared.tempfile, "mkdtemp", read_only)
    assert loaded_graph(folder) == target


def test_a_failing_preparation_loads_the_original_graph_and_leaves_nothing(folder, monkeypatch, caplog):
    expected = original_logits(folder, IDS, monkeypatch)

    def disk_full(model: Path, staging: Path, key: str, threads: int | None) -> None:
        (staging / prepared.MODEL_FILE).write_bytes(b"half a graph")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(prepared, "_write", disk_full)
    with caplog.at_level(logging.WARNING, logger=prepared.__name__):
        got = logits(folder, IDS)

    assert "could not prepare" in caplog.text and "No space" in caplog.text
    assert prepared_keys(folder) == []  # the temporary folder is gone
    np.testing.assert_array_equal(got, expected)


def test_a_prepared_graph_that_never_loads_is_given_up_for_the_original(folder, monkeypatch, caplog):
    expected = original_logits(folder, IDS, monkeypatch)
    real_open = prepared._open

    def prepared_fails(graph: Path, threads: int | None):
        if prepared.PREPARED_DIR in graph.parts:
            raise RuntimeError("onnxruntime refuses it")
        return real_open(graph, threads)

    monkeypatch.setattr(prepared, "_open", prepared_fails)
    with caplog.at_level(logging.WARNING, logger=prepared.__name__):
        got = logits(folder, IDS)
    key = prepared.cache_key(folder)

    assert (folder / prepared.PREPARED_DIR / (key + prepared.FAILED_SUFFIX)).exists()
    assert "refuses" in caplog.text
    np.testing.assert_array_equal(got, expected)
    caplog.clear()
    assert loaded_graph(folder) == folder / "model.onnx"  # later loads skip it without trying
    assert not caplog.text


def test_two_hosts_preparing_at_once_both_load(folder):
    with ThreadPoolExecutor(2) as pool:
        graphs = list(pool.map(lambda _: loaded_graph(folder), range(2)))

    key = prepared.cache_key(folder)
    assert graphs == [folder / prepared.PREPARED_DIR / key / "model.onnx"] * 2
    assert prepared_keys(folder) == [key]  # the loser's temporary folder is gone


@pytest.mark.model
@pytest.mark.timeout(300)
def test_the_real_model_gives_the_same_logits_prepared(smollm2_folder, tmp_path, monkeypatch):
    folder = Path(shutil.copytree(smollm2_folder, tmp_path / "smollm2", ignore=shutil.ignore_patterns(prepared.PREPARED_DIR)))
    ids = [1, 9690, 314, 253, 2470, 28, 4042, 1811, 30, 216, 198]
    expected = original_logits(folder, ids, monkeypatch)
    got = logits(folder, ids)
    assert prepared_keys(folder) == [prepared.cache_key(folder)]
    np.testing.assert_array_equal(got, expected)


ANON_MIB = """
import sys
from pathlib import Path
from navllm.providers.local import prepared
session = prepared.open_session(Path(sys.argv[1]), threads=1)
print(next(int(l.split()[1]) // 1024 for l in open("/proc/self/status") if l.startswith("RssAnon:")))
"""


@pytest.mark.model
@pytest.mark.timeout(300)
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RssAnon from /proc")
def test_the_prepared_graph_keeps_the_prepacked_weights_off_the_heap(smollm2_folder, tmp_path):
    """A process that loads the prepared graph holds far less anonymous memory: its ~120 MiB of
    prepacked weights are file pages. (A margin of half that, so allocator noise cannot flip it.)"""
    prepared_folder = Path(shutil.copytree(smollm2_folder, tmp_path / "prepared"))
    original_folder = Path(shutil.copytree(smollm2_folder, tmp_path / "original", ignore=shutil.ignore_patterns(prepared.PREPARED_DIR)))
    prepared.open_session(prepared_folder, threads=1)  # prepare it here, so the child only loads it
    (original_folder / prepared.PREPARED_DIR).mkdir()
    (original_folder / prepared.PREPARED_DIR / (prepared.cache_key(original_folder) + prepared.FAILED_SUFFIX)).write_text("skip")

    def anon_mib(folder: Path) -> int:
        out = subprocess.run([sys.executable, "-c", ANON_MIB, str(folder)], capture_output=True, text=True, check=True, timeout=240)
        return int(out.stdout.split()[-1])

    with_prepared, without = anon_mib(prepared_folder), anon_mib(original_folder)
    assert with_prepared < without - 60, (with_prepared, without)
