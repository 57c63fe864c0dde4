"""Our GGUF header parser against the ``gguf`` package's reader: same metadata, same tensor bytes."""

from __future__ import annotations

import numpy as np
import pytest

from navllm.models.convert.gguf_source import GGUFSource
from tests.convert import tiny_gguf


def _assert_same_as_gguf_reader(path):
    import gguf

    ours, theirs = GGUFSource(path), gguf.GGUFReader(path)
    expected = {k: f.contents() for k, f in theirs.fields.items() if not k.startswith("GGUF.")}
    assert ours.metadata == expected
    assert list(ours.tensors) == [t.name for t in theirs.tensors]
    for t in theirs.tensors:
        assert ours.tensor_type(t.name) == t.tensor_type.name
        assert ours.shape(t.name) == tuple(reversed(t.shape.tolist()))
        assert np.array_equal(ours.raw(t.name).reshape(-1), np.asarray(t.data).reshape(-1).view(np.uint8)), t.name


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_tiny_models(tmp_path, arch):
    types = {"token_embd": "Q6_K", "attn_q": "BF16", "ffn_up": "Q4_K", "attn_output": "F16"}
    _assert_same_as_gguf_reader(tiny_gguf.write(tmp_path / "m.gguf", arch=arch, types=types, tied=False))
