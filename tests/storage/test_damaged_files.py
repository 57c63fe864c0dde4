"""Every file navllm keeps, damaged every way, under the real host: the host stays up, answers a
DataError naming the file, keeps serving what it can, leaves the file's bytes alone, and a repair
moves it to a backup and restores service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from damage import KEY, PASSPHRASE, Host, checkpoint, corrupt, data_error

from tests.support.host_process import PAGE, ROOT

SITE = PAGE["origin"]
HOW = ["empty", "half", "flipped", "garbage", "shape"]
ECHO = {"echoEnabled": True, "providers": [{"name": "echo", "kind": "echo"}]}


def write_settings(home: Path, values: dict) -> Path:
    path = home / "config" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return path


# -- settings.json ---------------------------------------------------------------------------


def settings_setup(home: Path) -> Path:
    host = Host(home)
    host.ok("settings.set", values={"echoEnabled": True, "historyEnabled": True})
    assert host.close() == 0
    return home / "config" / "settings.json"


def settings_probe(host: Host, path: Path) -> None:
    shown = host.ok("settings.get")  # the panel can still load them: the defaults, flagged
    assert shown["echoEnabled"] is False and shown["damaged"]["name"] == "DataError" and str(path) in shown["damaged"]["message"]
    data_error(host.admin("settings.set", values={"threads": 2}), path)  # never silently replaced
    assert host.call("availability", PAGE)["type"] == "done"


def settings_after(host: Host, path: Path) -> None:
    assert "damaged" not in host.ok("settings.get")
    assert host.ok("settings.set", values={"threads": 2})["threads"] == 2


# -- navllm.db ---------------------------------------------------------------------------------


def policy_setup(home: Path) -> Path:
    write_settings(home, ECHO)
    host = Host(home)
    host.ok("permission.decide", origin=SITE, tabId=1, decision="always", providers=["echo"])
    assert host.call("create", PAGE)["type"] == "done"
    host.ok("quotas.set", scope="default", requestsPerMinute=500)
    assert host.close() == 0
    path = home / "data" / "navllm.db"
    checkpoint(path)
    return path


def policy_probe(host: Host, path: Path) -> None:
    data_error(host.call("create", PAGE), path)  # refused: never an implicit grant, never "internal error"
    data_error(host.admin("grants.list"), path)
    data_error(host.admin("quotas.get"), path)
    assert host.ok("settings.get")["echoEnabled"] is True


def policy_after(host: Host, path: Path) -> None:
    assert host.call("create", PAGE)["type"] == "permission_required"  # a fresh database: the site is asked again
    assert host.ok("grants.list")["grants"] == []


# -- keys.json and the vault -------------------------------------------------------------------


def keys_setup(home: Path) -> None:
    host = Host(home)
    host.ok("vault.unlock", passphrase=PASSPHRASE)
    assert host.ok("keys.set", provider="work", secret=KEY)["backend"] == "vault"
    assert host.close() == 0


def keys_json_setup(home: Path) -> Path:
    keys_setup(home)
    return home / "config" / "keys.json"


def keys_probe(host: Host, path: Path) -> None:
    status = host.ok("keys.status", provider="work")  # that provider's key is unavailable, saying why
    assert status["present"] is False and str(path) in status["error"]
    data_error(host.admin("keys.status"), path)
    host.ok("vault.unlock", passphrase=PASSPHRASE)
    data_error(host.admin("keys.set", provider="work", secret=KEY), path)


def keys_after(host: Host, path: Path) -> None:
    assert host.ok("keys.status") == []
    host.ok("vault.unlock", passphrase=PASSPHRASE)
    assert host.ok("keys.set", provider="work", secret=KEY)["present"] is True


def vault_setup(home: Path) -> Path:
    keys_setup(home)
    return home / "data" / "vault" / "keys.vault"


def vault_probe(host: Host, path: Path) -> None:
    data_error(host.admin("vault.unlock", passphrase=PASSPHRASE), path)
    assert str(path) in host.ok("vault.status")["error"]
    assert host.ok("keys.status", provider="work")["present"] is True  # keys.json itself is sound


def vault_after(host: Host, path: Path) -> None:
    assert "error" not in host.ok("vault.status")
    host.ok("vault.unlock", passphrase=PASSPHRASE)  # creates a new vault
    assert host.ok("keys.set", provider="work", secret=KEY)["present"] is True


# -- the model registry ----------------------------------------------------------------------------


def models_setup(home: Path) -> Path:
    root = home / "data" / "models"
    folder = root / "tiny-0123abcd"
    folder.mkdir(parents=True)
    (folder / "navllm-model.json").write_text(json.dumps({"format": 1, "kind": "chat"}))
    (folder / "model.onnx").write_bytes(b"onnx")
    (folder / "tokenizer.json").write_text("{}")
    entry = {
        "kind": "chat",
        "folder": folder.name,
        "source": "gguf:/tiny.gguf",
        "sha256": "0" * 64,
        "files": {},
        "sizeBytes": 10,
        "created": "2025-01-01T00:00:00+00:00",
    }
    registry = root / "registry.json"
    registry.write_text(json.dumps({"format": 1, "defaults": {"chat": "tiny"}, "models": {"tiny": entry}}, indent=2))
    host = Host(home)
    assert [m["name"] for m in host.ok("models.list")["models"]] == ["tiny"]
    assert host.close() == 0
    return registry


def models_probe(host: Host, path: Path) -> None:
    listing = host.ok("models.list")  # listed as unavailable, with the error
    assert listing["models"] == [] and listing["error"]["name"] == "DataError" and str(path) in listing["error"]["message"]
    assert [m["name"] for m in listing["unavailable"]] == ["tiny"]
    data_error(host.admin("models.remove", name="tiny"), path)
    assert (path.parent / "tiny-0123abcd" / "model.onnx").exists()  # a damaged registry sweeps no folder


def models_after(host: Host, path: Path) -> None:
    listing = host.ok("models.list")
    assert [(m["name"], m["source"]) for m in listing["models"]] == [("tiny", "recovered")]
    assert listing["defaults"] == {"chat": "tiny"}


@dataclass(frozen=True)
class Spec:
    format: str
    setup: Callable[[Path], Path]
    probe: Callable[[Host, Path], None]
    after: Callable[[Host, Path], None]


SPECS = {
    "settings": Spec("json", settings_setup, settings_probe, settings_after),
    "policy": Spec("sqlite", policy_setup, policy_probe, policy_after),
    "keys": Spec("json", keys_json_setup, keys_probe, keys_after),
    "vault": Spec("vault", vault_setup, vault_probe, vault_after),
    "models": Spec("json", models_setup, models_probe, models_after),
}


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_damaged_file_is_reported_kept_and_repaired(kind, how, navllm_home):
    spec = SPECS[kind]
    path = spec.setup(navllm_home)
    bad = corrupt(path.read_bytes(), how, spec.format)
    path.write_bytes(bad)

    host = Host(navllm_home)
    try:
        spec.probe(host, path)
        assert host.ok("status")["host"]  # the host is still up and serving
        report = {f["file"]: f for f in host.ok("storage.check")["files"]}
        assert [k for k, f in report.items() if f["damaged"]] == [kind]
        assert str(path) in report[kind]["message"]
        assert path.read_bytes() == bad  # nothing rewrote it

        repaired = host.ok("storage.repair")
        [moved] = repaired["repaired"]
        backup = Path(moved["backup"])
        assert moved["file"] == kind and backup.parent == path.parent and backup.name.startswith(f"{path.name}.damaged-")
        assert backup.read_bytes() == bad
        assert not any(f["damaged"] for f in repaired["files"])
        spec.after(host, path)
    finally:
        assert host.close() == 0


def test_doctor_cli_lists_and_repairs_with_a_backup(navllm_home):
    settings = write_settings(navllm_home, ECHO)
    settings.write_bytes(b'{"echoEnabled": tr')
    database = navllm_home / "data" / "navllm.db"
    database.parent.mkdir(parents=True, exist_ok=True)
    database.write_bytes(b"")  # an empty existing database is damage, not a fresh install
    env = {**os.environ, "NAVLLM_HOME": str(navllm_home), "PYTHONPATH": str(ROOT / "host")}

    def doctor(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "navllm", "doctor", *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60
        )

    listed = doctor()
    assert listed.returncode == 1 and str(settings) in listed.stdout and str(database) in listed.stdout
    assert doctor("--repair").returncode == 1 and settings.exists()  # no terminal to confirm on: nothing moved
    done = doctor("--repair", "--yes")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name.split(".damaged-")[0] for p in navllm_home.rglob("*.damaged-*")) == ["navllm.db", "settings.json"]
    assert not settings.exists() and not database.exists()
    assert doctor().returncode == 0

    host = Host(navllm_home)
    try:
        assert host.call("create", PAGE)["type"] == "permission_required"
    finally:
        assert host.close() == 0
