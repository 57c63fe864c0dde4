"""``navllm convert`` as a user runs it: a real process, progress on stderr, exit status."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.convert import tiny_gguf


def _navllm(*args):
    return subprocess.run([sys.executable, "-m", "navllm", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_converts_with_progress(tmp_path):
    source = tiny_gguf.write(tmp_path / "tiny.gguf")
    result = _navllm("convert", source, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "converted tiny-llama (llama, 2 layers" in result.stdout
    assert "weights" in result.stderr and "100%" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.onnx", "model.onnx.data", "navllm-model.json", "tokenizer.json"]
    assert json.loads((tmp_path / "out" / "navllm-model.json").read_text())["format"] == 1


def test_bad_file_exits_nonzero_with_message(tmp_path):
    source = tmp_path / "bad.gguf"
    source.write_bytes(b"not a model")
    result = _navllm("convert", source, tmp_path / "out")
    assert result.returncode == 1
    assert "navllm: bad.gguf is not a GGUF file" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
