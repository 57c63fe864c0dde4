"""Fixtures for the local engine: a tiny random model (mechanics) and the real converted default."""

from __future__ import annotations

from pathlib import Path

import pytest

from navllm.providers.local import runtime
from tests.local import tiny_model


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory) -> Path:
    return tiny_model.build(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny(tiny_folder) -> runtime.LoadedModel:
    return runtime.load(tiny_folder, threads=1)


@pytest.fixture(scope="session")
def smollm2_store(smollm2_gguf, tmp_path_factory) -> Path:
    """A model store holding the default chat model, converted by our converter once per session."""
    from navllm.models.store import ModelStore

    root = tmp_path_factory.mktemp("store")
    ModelStore(root).import_gguf(smollm2_gguf)
    return root


@pytest.fixture(scope="session")
def smollm2_folder(smollm2_store) -> Path:
    from navllm.models.store import ModelStore

    return ModelStore(smollm2_store).default(kind="chat").path


@pytest.fixture
def installed(smollm2_store, navllm_home) -> Path:
    """This test's NAVLLM_HOME sees the session's store (the registry names folders relative to it)."""
    data = navllm_home / "data"
    data.mkdir(exist_ok=True)
    (data / "models").symlink_to(smollm2_store, target_is_directory=True)
    return navllm_home


@pytest.fixture(scope="session")
def smollm2(smollm2_folder) -> runtime.LoadedModel:
    return runtime.load(smollm2_folder, threads=None)  # as the provider loads it: one shared instance
