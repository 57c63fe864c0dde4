"""The model catalog: its shipped data, fit marks for given machines, ``navllm models catalog``, and
pulling an entry's GGUF file from a local stand-in for the Hub (progress, checksum, resume)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest

from navllm.cli import main
from navllm.models import catalog
from navllm.models.catalog import Entry, Machine, judge
from navllm.models.convert import quants
from navllm.models.sources import hf
from navllm.models.store import NAME, ModelStore
from navllm.protocol.common import Sampling, text_message
from navllm.protocol.errors import NavError
from navllm.protocol.page import CoreOptions
from navllm.providers.base import Generation, Usage
from navllm.providers.local import LocalProvider
from tests.convert.tiny_gguf import write as write_gguf
from tests.models.servers import Behaviour, FileServer, HubRepo, hub
from tests.test_shared_constants import ROOT, js_const, js_strings

GB = 1_000_000_000
REPO = "navllm-test/tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"


def entry(**changes) -> Entry:
    fields = {
        "name": "tiny",
        "title": "Tiny",
        "family": "tiny",
        "architecture": "llama",
        "parameters": 1_000_000_000,
        "quant": "Q4_K_M",
        "layers": 16,
        "kv_heads": 8,
        "head_dim": 64,
        "context": 8192,
        "licence": "apache-2.0",
        "source": f"hf:{REPO}:{FILE}",
    }
    return Entry.model_validate({**fields, **changes})


def write_catalog(path: Path, *entries: Entry) -> Path:
    path.write_text(json.dumps({"format": 1, "entries": [e.model_dump(exclude_none=True) for e in entries]}))
    return path


# -- the shipped data --------------------------------------------------------------------------


def test_the_shipped_catalog_is_valid(monkeypatch):
    monkeypatch.delenv("NAVLLM_CATALOG", raising=False)
    entries = catalog.entries()
    assert len(entries) >= 15
    assert len({e.name for e in entries}) == len(entries)
    for e in entries:
        assert NAME.match(e.name), e.name  # installable under its own name
        repo, _revision, filename = hf.parse(e.source.removeprefix("hf:"))
        assert filename and filename.endswith(".gguf") and "/" in repo
        assert set(catalog.MIX[e.quant]) <= set(quants.SUPPORTED), e.quant  # the converter reads every tensor type
        assert 0 < e.file_bytes < e.weight_bytes < e.ram_bytes and e.kv_bytes > 0 and e.disk_bytes > e.file_bytes
        assert (e.sha256 is None) == (e.size_bytes is None), e.name  # a file is either known exactly or estimated
    families = {e.family for e in entries}
    assert {"smollm2", "qwen2.5", "qwen3", "llama3.2", "gemma2", "gemma3", "phi3", "mistral", "smollm3"} <= families


def test_sizes_and_ram_follow_the_documented_formulas():
    e = entry()
    # Q4_K_M: 85 % Q4_K (4.5 bits in the file, 6 converted) and 15 % Q6_K (6.5625 and 10).
    assert e.file_bytes == round(1e9 * (0.85 * 4.5 + 0.15 * 6.5625) / 8)
    assert e.weight_bytes == round(e.file_bytes * (0.85 * 6 + 0.15 * 10) / (0.85 * 4.5 + 0.15 * 6.5625))
    assert e.kv_bytes == 2 * 16 * 8 * 64 * 4 * 4096
    assert e.ram_bytes == e.weight_bytes + e.kv_bytes + catalog.RUNTIME_BYTES
    assert entry(context=1024).kv_bytes == 2 * 16 * 8 * 64 * 4 * 1024  # never more than the model's own context
    exact = entry(size_bytes=123_456_789)
    assert exact.file_bytes == 123_456_789 and not exact.wire()["sizeEstimated"] and e.wire()["sizeEstimated"]
    assert exact.weight_bytes == round(123_456_789 * e.weight_bytes / e.file_bytes)  # the known size, grown alike


@pytest.mark.parametrize(
    "changes",
    [
        {"source": "hf:org/repo"},  # a whole repository, not one file
        {"source": "hf:org/repo:model.bin"},
        {"source": "hf:org/repo:../x.gguf"},
        {"quant": "Q2_K"},
        {"parameters": 0},
        {"name": "Has Spaces"},
        {"sha256": "abc"},
    ],
)
def test_invalid_entries_are_refused(tmp_path, monkeypatch, changes):
    good = entry().model_dump(exclude_none=True)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"format": 1, "entries": [{**good, **changes}]}))
    monkeypatch.setenv("NAVLLM_CATALOG", str(path))
    with pytest.raises(NavError) as err:
        catalog.entries()
    assert err.value.name == "DataError" and str(path) in err.value.message


def test_a_name_twice_or_a_missing_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NAVLLM_CATALOG", str(write_catalog(tmp_path / "twice.json", entry(), entry())))
    with pytest.raises(NavError, match="names a model twice"):
        catalog.entries()
    monkeypatch.setenv("NAVLLM_CATALOG", str(tmp_path / "missing.json"))
    with pytest.raises(NavError, match="unset NAVLLM_CATALOG"):
        catalog.entries()


# -- fit marks -----------------------------------------------------------------------------------


def test_fit_marks_for_given_machines():
    e = entry()  # about 1.5 GB of RAM, 1.4 GB of disk, 0.83 GB of converted weights
    assert judge(e, Machine(ram_bytes=8 * GB, disk_bytes=100 * GB, cores=4)).fit == "recommended"
    # More than half the available memory: it fits, but is not recommended.
    tight = judge(e, Machine(ram_bytes=2 * GB, disk_bytes=100 * GB, cores=4))
    assert tight.fit == "fits" and "half" in tight.why
    # Weights beyond what one core reads briskly.
    slow = judge(e, Machine(ram_bytes=8 * GB, disk_bytes=100 * GB, cores=1))
    assert slow.fit == "fits" and "1 cores" in slow.why
    memory = judge(e, Machine(ram_bytes=1 * GB, disk_bytes=100 * GB, cores=8))
    assert memory.fit == "too big" and memory.why == f"needs {e.ram_bytes / GB:.1f} GB memory, 1.0 GB available"
    both = judge(e, Machine(ram_bytes=1 * GB, disk_bytes=1 * GB, cores=8))
    assert both.fit == "too big" and "memory" in both.why and "disk to install, 1.0 GB free" in both.why


def test_the_panel_knows_every_fit_mark():
    fits = js_const(ROOT / "extension/ui/panel/sections/models.js", "FITS")
    assert js_strings(fits) == list(typing.get_args(catalog.Fit)) == sorted(catalog.ORDER, key=catalog.ORDER.__getitem__)


def test_listing_puts_recommended_first_and_marks_installed(tmp_path, monkeypatch):
    big = entry(name="big", parameters=20_000_000_000)
    small = entry(name="small", parameters=100_000_000)
    medium = entry(name="medium", parameters=3_000_000_000)
    monkeypatch.setenv("NAVLLM_CATALOG", str(write_catalog(tmp_path / "c.json", big, medium, small)))
    rows = catalog.listing(Machine(ram_bytes=6 * GB, disk_bytes=50 * GB, cores=2), {"catalog:medium"})
    assert [(r["name"], r["fit"], r["installed"]) for r in rows] == [
        ("small", "recommended", False),
        ("medium", "fits", True),
        ("big", "too big", False),
    ]
    assert all(r["converts"] for r in rows)


def test_the_machine_figures_are_this_computers(tmp_path):
    machine = Machine.current(tmp_path)
    assert machine.ram_bytes > 0 and machine.cores >= 1
    assert abs(machine.disk_bytes - shutil.disk_usage(tmp_path).free) < GB


# -- navllm models catalog -----------------------------------------------------------------------


def test_catalog_command(tmp_path, monkeypatch, navllm_home, capsys):
    monkeypatch.setenv("NAVLLM_CATALOG", str(write_catalog(tmp_path / "c.json", entry(), entry(name="huge", parameters=900_000_000_000))))
    assert main(["models", "catalog"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "PARAMS", "QUANT", "SIZE", "RAM", "CONTEXT", "LICENCE", "FIT"]
    assert lines[1].split()[:8] == ["tiny", "1.00B", "Q4_K_M", "~0.60", "GB", "1.5", "GB", "8,192"]
    assert lines[2].startswith("huge") and "too big (needs" in lines[2]
    assert "memory available" in err and "cores" in err

    assert main(["models", "catalog", "--json"]) == 0
    data = json.loads(capsys.readouterr()[0])
    assert set(data["machine"]) == {"ramBytes", "diskBytes", "cores"}
    tiny = data["models"][0]
    assert tiny["name"] == "tiny" and tiny["ramBytes"] == entry().ram_bytes and tiny["sizeEstimated"] is True
    assert tiny["installed"] is False and tiny["fit"] in ("recommended", "fits")


# -- pulling an entry from a local hub -----------------------------------------------------------


@pytest.fixture
def tiny_hub(tmp_path, monkeypatch):
    """A Hub stand-in serving one tiny GGUF, and a catalog naming it; yields (server, repo, catalog path)."""
    gguf = write_gguf(tmp_path / FILE)
    repo = HubRepo(REPO, {FILE: gguf})
    with FileServer() as server:
        hub(server, [repo])
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        path = write_catalog(tmp_path / "catalog.json", entry())
        monkeypatch.setenv("NAVLLM_CATALOG", str(path))
        yield server, repo, path


async def _generate(name: str) -> tuple[str, int]:
    conversation = await LocalProvider(model=name).open(CoreOptions(), lambda _: None)
    text, tokens = [], 0
    generation = Generation(messages=[text_message("user", "Hello")], sampling=Sampling(temperature=0, max_tokens=4))
    async for chunk in conversation.generate(generation):
        if isinstance(chunk, Usage):
            tokens = chunk.output_tokens
        else:
            text.append(chunk)
    return "".join(text), tokens


async def test_a_catalog_entry_is_pulled_verified_converted_and_runs(tiny_hub, navllm_home):
    server, repo, _ = tiny_hub
    seen: list[tuple[float, str]] = []
    model = ModelStore().pull("catalog:tiny", lambda f, s: seen.append((f, s)))
    assert model.name == "tiny" and model.source == "catalog:tiny" and model.kind == "chat"
    assert model.sha256 == repo.sha256[FILE]  # the GGUF's hash, as the hub reported it
    downloads = [f for f, s in seen if s == f"downloading {FILE}"]
    assert len([f for f in downloads if 0 < f < downloads[-1]]) >= 2, seen  # the download moves the bar
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and seen[-1] == (1.0, "installed tiny")
    # Only the one file was fetched from the repository.
    assert {p for _, p, _ in server.requests if "/resolve/" in p} == {f"/{REPO}/resolve/{repo.commit}/{FILE}"}
    text, tokens = await _generate("tiny")
    assert tokens > 0 and isinstance(text, str)
    assert catalog.listing(Machine(8 * GB, 100 * GB, 4), {m.source for m in ModelStore().list()})[0]["installed"]


def test_a_bare_catalog_name_pulls_from_the_command_line(tiny_hub, navllm_home, capsys):
    assert main(["models", "pull", "tiny"]) == 0
    assert capsys.readouterr()[0].startswith("installed tiny (chat")
    assert ModelStore().get("tiny").source == "catalog:tiny"


def test_a_catalog_checksum_the_hub_file_does_not_have_is_refused_before_downloading(tiny_hub, navllm_home, tmp_path, monkeypatch):
    server, _, _ = tiny_hub
    monkeypatch.setenv("NAVLLM_CATALOG", str(write_catalog(tmp_path / "wrong.json", entry(sha256="0" * 64))))
    store = ModelStore()
    with pytest.raises(NavError) as err:
        store.pull("catalog:tiny")
    assert err.value.name == "DataError" and "not the file navllm expects" in err.value.message
    assert store.list() == [] and not [p for _, p, _ in server.requests if "/resolve/" in p]


def test_a_download_that_differs_from_the_hubs_sha256_is_not_installed(tiny_hub, navllm_home):
    _, repo, _ = tiny_hub
    repo.sha256[FILE] = hashlib.sha256(b"another file").hexdigest()  # the hub now vouches for other bytes
    store = ModelStore()
    with pytest.raises(NavError) as err:
        store.pull("catalog:tiny")
    assert err.value.name == "DataError" and "checksum mismatch" in err.value.message and FILE in err.value.message
    assert store.list() == []
    assert not list((store.root / ".downloads").iterdir()), "the bad download was discarded"


def test_a_dropped_connection_resumes(tiny_hub, navllm_home):
    server, repo, _ = tiny_hub
    server.behaviour = Behaviour(cut_after=64 * 1024, cuts_left=1)
    model = ModelStore().pull("catalog:tiny")
    assert model.sha256 == repo.sha256[FILE]
    ranges = [r for method, p, r in server.requests if method == "GET" and p.endswith(FILE)]
    assert len(ranges) == 2 and ranges[0] is None and ranges[1] == "bytes=65536-", ranges


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_pull_killed_mid_download_resumes_where_it_stopped(tiny_hub, navllm_home):
    server, repo, _ = tiny_hub
    server.behaviour = Behaviour(stall_after=64 * 1024)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "host")}  # NAVLLM_HOME, HF_ENDPOINT and NAVLLM_CATALOG are set
    proc = subprocess.Popen(
        [sys.executable, "-m", "navllm", "models", "pull", "tiny"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        assert server.behaviour.sent.wait(120), "the download never started"
        time.sleep(0.5)  # let the process write what it received
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        proc.stderr.close()
    store = ModelStore()
    assert store.list() == []
    (part,) = (store.root / ".downloads").iterdir()  # what the killed pull received, kept for the next one
    kept = part.stat().st_size
    assert 0 < kept < repo.files[FILE].size

    server.behaviour = Behaviour()
    server.requests.clear()
    model = store.pull("catalog:tiny")
    assert model.sha256 == repo.sha256[FILE]
    ranges = [r for method, p, r in server.requests if method == "GET" and p.endswith(FILE)]
    assert ranges == [f"bytes={kept}-"]
    assert not part.exists()
