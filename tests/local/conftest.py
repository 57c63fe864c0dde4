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
def smollm2_folder(smollm2_gguf, tmp_path_factory) -> Path:
    """The default chat model converted by our converter, once per test session."""
    from navllm.models.convert import convert_gguf

    out = tmp_path_factory.mktemp("smollm2") / "model"
    convert_gguf(smollm2_gguf, out)
    return out


@pytest.fixture(scope="session")
def smollm2(smollm2_folder) -> runtime.LoadedModel:
    return runtime.load(smollm2_folder, threads=2)
