"""``navllm install`` writing real files into a temporary HOME, and ``install.py``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from navllm.cli import main
from tests.support.host_process import ROOT

CHROME = "chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh/"
GECKO = "navllm@navllm.org"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    user = tmp_path / "user"
    user.mkdir()
    monkeypatch.setenv("HOME", str(user))
    for var in ("XDG_CONFIG_HOME", "CHROME_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    return user


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["install", *args])
    return code, capsys.readouterr().out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_installs_for_every_browser_found(home, navllm_home, capsys):
    (home / ".config" / "chromium").mkdir(parents=True)
    (home / ".mozilla").mkdir()
    code, out = run(capsys)
    assert code == 0
    launcher = navllm_home / "data" / "host" / "navllm-host"
    chromium = home / ".config/chromium/NativeMessagingHosts/org.navllm.host.json"
    firefox = home / ".mozilla/native-messaging-hosts/org.navllm.host.json"
    assert out.splitlines() == [
        f"wrote launcher {launcher}",
        f"wrote chromium manifest {chromium}",
        f"wrote firefox manifest {firefox}",
    ]
    assert json.loads(chromium.read_text()) == {
        "name": "org.navllm.host",
        "description": "navllm: AI for every web page, on your own terms",
        "path": str(launcher),
        "type": "stdio",
        "allowed_origins": [CHROME],
    }
    assert json.loads(firefox.read_text())["allowed_extensions"] == [GECKO]
    assert mode(chromium) == mode(firefox) == 0o644
    assert mode(launcher) == 0o755
    assert mode(chromium.parent) == 0o755
    assert launcher.read_text() == (
        "#!/bin/sh\n"
        "# navllm native-messaging host, written by `navllm install`.\n"
        f"NAVLLM_ALLOWED_CALLERS='{CHROME} {GECKO}'\n"
        "export NAVLLM_ALLOWED_CALLERS\n"
        f'exec {sys.executable} -m navllm.host "$@"\n'
    )
    assert not (home / ".config/google-chrome").exists()  # not found, not touched


def test_nothing_found_is_a_clear_error(home, capsys):
    code = main(["install"])
    assert code == 1
    assert "no supported browser found; name one with --browser" in capsys.readouterr().err


def test_idempotent_and_custom_home(home, tmp_path, capsys):
    custom = tmp_path / "portable"
    args = ("--browser", "vivaldi", "--home", str(custom))
    assert run(capsys, *args)[0] == 0
    manifest = home / ".config/vivaldi/NativeMessagingHosts/org.navllm.host.json"
    before = manifest.stat().st_mtime_ns, manifest.read_bytes()
    code, out = run(capsys, *args)
    assert code == 0 and out.count("unchanged") == 2 and "wrote" not in out
    assert (manifest.stat().st_mtime_ns, manifest.read_bytes()) == before
    launcher = custom / "data" / "host" / "navllm-host"
    assert json.loads(manifest.read_text())["path"] == str(launcher)
    assert f"NAVLLM_HOME={custom}\nexport NAVLLM_HOME\n" in launcher.read_text()


def test_user_data_dir_and_firefox_home(home, tmp_path, capsys):
    udd, ff = tmp_path / "udd", tmp_path / "ffhome"
    assert run(capsys, "--user-data-dir", str(udd), "--firefox-home", str(ff))[0] == 0
    assert json.loads((udd / "NativeMessagingHosts/org.navllm.host.json").read_text())["allowed_origins"] == [CHROME]
    assert json.loads((ff / ".mozilla/native-messaging-hosts/org.navllm.host.json").read_text())["allowed_extensions"] == [GECKO]
    assert not (home / ".config").exists()


def test_uninstall(home, navllm_home, capsys):
    run(capsys, "--browser", "chromium")
    run(capsys, "--browser", "firefox")
    code, out = run(capsys, "--uninstall", "--browser", "firefox")
    assert code == 0 and out.startswith("removed firefox manifest")
    assert (navllm_home / "data/host/navllm-host").exists()  # chromium still uses it
    code, out = run(capsys, "--uninstall")
    assert "removed chromium manifest" in out and "removed launcher" in out
    assert not (home / ".config/chromium/NativeMessagingHosts/org.navllm.host.json").exists()
    assert not (navllm_home / "data/host/navllm-host").exists()
    assert run(capsys, "--uninstall")[1] == "nothing to remove\n"


def test_refuses_a_manifest_folder_others_can_write(home, capsys):
    target = home / ".config/microsoft-edge/NativeMessagingHosts"
    target.mkdir(parents=True)
    os.chmod(target, 0o777)
    code = main(["install", "--browser", "edge"])
    assert code == 1 and "is writable by other users" in capsys.readouterr().err
    assert not (target / "org.navllm.host.json").exists()


def test_check_reports_health(home, capsys):
    code, out = run(capsys, "--check", "--browser", "chromium")
    assert code == 1 and "not registered" in out
    run(capsys, "--browser", "chromium")
    code, out = run(capsys, "--check", "--browser", "chromium")
    assert code == 0, out
    assert f"allows: {CHROME}" in out and "host starts and answers hello" in out
    manifest = home / ".config/chromium/NativeMessagingHosts/org.navllm.host.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "allowed_origins": [CHROME, "chrome-extension://other/"]}))
    code, out = run(capsys, "--check", "--browser", "chromium")
    assert code == 1 and "PROBLEM: allowed_origins should be exactly" in out


def test_install_py_uses_the_existing_environment(home, navllm_home):
    done = subprocess.run([sys.executable, str(ROOT / "install.py"), "--browser", "brave"], capture_output=True, text=True, cwd=home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [f"using the virtual environment {ROOT / '.venv'}", "navllm is already installed in it"]
    manifest = home / ".config/BraveSoftware/Brave-Browser/NativeMessagingHosts/org.navllm.host.json"
    assert json.loads(manifest.read_text())["path"] == str(navllm_home / "data/host/navllm-host")


def test_user_data_dir_is_for_chromium_family_only(home, tmp_path, capsys):
    assert main(["install", "--browser", "firefox", "--user-data-dir", str(tmp_path / "udd")]) == 1
    assert "--user-data-dir applies to Chromium-family browsers, not firefox" in capsys.readouterr().err
