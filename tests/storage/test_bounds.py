"""JSON read from disk is bounded in size and depth: a huge or deeply nested file is damage, not a crash."""

from __future__ import annotations

import pytest

from navllm import settings
from navllm.atomic import MAX_JSON_DEPTH, read_json
from navllm.protocol.errors import NavError


@pytest.mark.parametrize("body", [b"[" * 100_000, b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), b" " * (2 << 20) + b"{}"])
def test_deep_or_huge_settings_are_damage(body):
    path = settings.settings_path()
    path.write_bytes(body)
    with pytest.raises(NavError) as caught:
        settings.read()
    assert caught.value.name == "DataError" and str(path) in caught.value.message
    assert settings.load() == settings.Settings()  # the host runs on the defaults meanwhile


def test_read_json_accepts_what_fits(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert read_json(path) is not None
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "missing.json")
