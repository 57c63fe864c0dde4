"""Fixtures for constrained decoding: the default model's vocabulary as llguidance sees it, and the
loaded model, both from the converter's output cached per machine (``tests/convert``)."""

from __future__ import annotations

import pytest

from tests.convert.conftest import smollm2_onnx  # noqa: F401 - the converted default model, a shared fixture


@pytest.fixture(scope="session")
def vocabulary(smollm2_onnx):  # noqa: F811
    from navllm.providers.local.constrain import Vocabulary
    from navllm.providers.local.runtime import ModelInfo

    info = ModelInfo.read(smollm2_onnx)
    return Vocabulary.load(smollm2_onnx / "tokenizer.json", info.vocab_size, info.eos_token_ids)


@pytest.fixture(scope="session")
def smollm2(smollm2_onnx):  # noqa: F811
    from navllm.providers.local import runtime

    return runtime.load(smollm2_onnx, threads=2)


@pytest.fixture(scope="session")
def driver(vocabulary):
    from tests.constrain.driver import RandomDriver

    return RandomDriver(vocabulary)


@pytest.fixture(scope="session")
def constrain_store(smollm2_gguf, tmp_path_factory):
    """A model store holding the default chat model (imported, so converted, once per session)."""
    from navllm.models.store import ModelStore

    root = tmp_path_factory.mktemp("store")
    ModelStore(root).import_gguf(smollm2_gguf)
    return root


@pytest.fixture
def home_with_model(constrain_store, navllm_home):
    """This test's NAVLLM_HOME, seeing the session's store (the registry names folders relative to it)."""
    data = navllm_home / "data"
    data.mkdir(exist_ok=True)
    (data / "models").symlink_to(constrain_store, target_is_directory=True)
    return navllm_home
