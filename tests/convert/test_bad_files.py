"""Damaged or unsupported GGUF files: a clear error naming the problem, and nothing left behind."""

from __future__ import annotations

import pytest

from navllm.models.convert import convert_gguf
from navllm.protocol.errors import ErrorName, NavError
from tests.convert import tiny_gguf


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return tiny_gguf.write(tmp_path_factory.mktemp("good") / "model.gguf").read_bytes()


def _convert_fails(tmp_path, data: bytes | None = None, source=None) -> NavError:
    source = source or tmp_path / "model.gguf"
    if data is not None:
        source.write_bytes(data)
    out = tmp_path / "out"
    with pytest.raises(NavError) as caught:
        convert_gguf(source, out)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [source.name]  # no staging folder left
    return caught.value


def _type_offset(path, tensor: str) -> int:
    """Byte offset of a tensor's GGML type id in the GGUF header."""
    import gguf

    t = next(t for t in gguf.GGUFReader(path).tensors if t.name == tensor)
    return t.field.offset + 8 + len(t.name.encode()) + 4 + 8 * len(t.shape)


def test_wrong_magic(tmp_path, good):
    err = _convert_fails(tmp_path, b"GGUX" + good[4:])
    assert err.name == ErrorName.DATA and "not a GGUF file" in err.message


def test_not_a_model_at_all(tmp_path):
    err = _convert_fails(tmp_path, b"<html>404</html>")
    assert err.name == ErrorName.DATA


@pytest.mark.parametrize("keep", [0.6, 0.999, 0.01])
def test_truncated(tmp_path, good, keep):
    err = _convert_fails(tmp_path, good[: int(len(good) * keep)])
    assert err.name == ErrorName.DATA
    assert "truncated" in err.message or "damaged" in err.message


def test_unknown_tensor_type_id(tmp_path, good):
    path = tmp_path / "model.gguf"
    path.write_bytes(good)
    offset = _type_offset(path, "blk.0.ffn_up.weight")
    data = bytearray(good)
    data[offset : offset + 4] = (99).to_bytes(4, "little")
    err = _convert_fails(tmp_path, bytes(data))
    assert err.name == ErrorName.NOT_SUPPORTED and "99" in err.message


def test_unsupported_tensor_format(tmp_path):
    source = tiny_gguf.write(tmp_path / "model.gguf", types={"ffn_down": "IQ3_S"})
    err = _convert_fails(tmp_path, source=source)
    assert err.name == ErrorName.NOT_SUPPORTED
    assert "blk.0.ffn_down.weight" in err.message and "IQ3_S" in err.message and "IQ4_XS" in err.message


def test_unsupported_architecture(tmp_path):
    source = tiny_gguf.write(tmp_path / "model.gguf", arch="gemma")
    err = _convert_fails(tmp_path, source=source)
    assert err.name == ErrorName.NOT_SUPPORTED and "'gemma'" in err.message


def test_unsupported_tokenizer(tmp_path):
    source = tiny_gguf.write(tmp_path / "model.gguf", tokenizer="bert")
    err = _convert_fails(tmp_path, source=source)
    assert err.name == ErrorName.NOT_SUPPORTED and "'bert'" in err.message


def test_refuses_to_overwrite(tmp_path, good):
    source = tmp_path / "model.gguf"
    source.write_bytes(good)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(NavError) as caught:
        convert_gguf(source, out)
    assert caught.value.name == ErrorName.INVALID_STATE
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_missing_file(tmp_path):
    with pytest.raises(NavError) as caught:
        convert_gguf(tmp_path / "absent.gguf", tmp_path / "out")
    assert caught.value.name == ErrorName.NOT_FOUND
