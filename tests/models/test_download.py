"""The HTTP download helper against a real server on 127.0.0.1: resume, checksum, space, cancel."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import namedtuple

import pytest

from navllm.models import download as dl
from navllm.protocol.errors import ErrorName, NavError
from tests.models.servers import Behaviour, Blob, FileServer

DATA = os.urandom(3 * 1024 * 1024 + 12345)
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "out" / "file.bin", tmp_path / "downloads" / "file.part"


def test_a_dropped_connection_resumes_with_range(paths):
    dest, part = paths
    behaviour = Behaviour(cut_after=1024 * 1024, cuts_left=2)
    seen = []
    with FileServer({"/f": Blob(data=DATA)}, behaviour) as server:
        digest = dl.download(f"{server.url}/f", dest, part=part, sha256=DIGEST, progress=lambda f, s: seen.append(f))
        ranges = [r for _, _, r in server.requests]
    assert digest == DIGEST and dest.read_bytes() == DATA
    assert ranges == [None, "bytes=1048576-", "bytes=2097152-"]
    assert not part.exists()
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_a_part_left_by_a_killed_process_is_resumed(paths):
    dest, part = paths
    part.parent.mkdir(parents=True)
    part.write_bytes(DATA[:1_000_000])
    with FileServer({"/f": Blob(data=DATA)}) as server:
        dl.download(f"{server.url}/f", dest, part=part, sha256=DIGEST)
        assert [r for _, _, r in server.requests] == ["bytes=1000000-"]
    assert dest.read_bytes() == DATA


def test_a_server_ignoring_range_restarts_cleanly(paths, monkeypatch):
    dest, part = paths
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes from another file")

    def no_ranges(handler, path, head):  # answer as a server without Range support
        del handler.headers["Range"]
        return False

    with FileServer({"/f": Blob(data=DATA)}, extra=no_ranges) as server:
        assert dl.download(f"{server.url}/f", dest, part=part, sha256=DIGEST) == DIGEST
    assert dest.read_bytes() == DATA


def test_checksum_mismatch_leaves_nothing(paths):
    dest, part = paths
    with FileServer({"/f": Blob(data=DATA)}) as server, pytest.raises(NavError) as err:
        dl.download(f"{server.url}/f", dest, part=part, sha256="0" * 64)
    assert err.value.name == ErrorName.DATA
    assert "checksum mismatch" in err.value.message and DIGEST in err.value.message
    assert not dest.exists() and not part.exists()


def test_not_enough_disk_space_is_refused_before_writing(paths, monkeypatch):
    dest, part = paths
    Usage = namedtuple("Usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10**9, 10**9 - 1_000_000, 1_000_000))
    with FileServer({"/f": Blob(data=DATA)}) as server, pytest.raises(NavError) as err:
        dl.download(f"{server.url}/f", dest, part=part)
    assert err.value.name == ErrorName.QUOTA_EXCEEDED
    assert err.value.details == {"needed": len(DATA), "free": 1_000_000}
    assert "3 MB needed, 1 MB free" in err.value.message
    assert not dest.exists() and not part.exists()


def test_cancel_stops_the_download_and_removes_the_part(paths):
    dest, part = paths
    cancel = threading.Event()

    def progress(fraction, stage):
        if fraction > 0.3:
            cancel.set()

    with FileServer({"/f": Blob(data=DATA)}, Behaviour(bytes_per_second=8 * 1024 * 1024)) as server, pytest.raises(NavError) as err:
        dl.download(f"{server.url}/f", dest, part=part, progress=progress, cancel=cancel)
    assert err.value.name == ErrorName.ABORT
    assert not dest.exists() and not part.exists()


def test_http_errors_are_network_errors(paths):
    dest, part = paths
    with FileServer({}) as server, pytest.raises(NavError) as err:
        dl.download(f"{server.url}/missing.bin", dest, part=part)
    assert err.value.name == ErrorName.NETWORK and "HTTP 404" in err.value.message and "missing.bin" in err.value.message
    assert not part.exists()
