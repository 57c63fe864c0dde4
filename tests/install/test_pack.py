"""``navllm extension path | pack``: the store packages hold what the browsers load and nothing a
test adds, each with a manifest for its own browser, and the Firefox one passes Mozilla's
``web-ext lint`` with no errors (``tests/run`` installs web-ext from npm; NAVLLM_WEB_EXT names it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from navllm.cli import main
from navllm.devtools.browsers import extension_copy
from navllm.install.package import pack, shipped_files

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "extension"


def packed(tmp_path: Path, capsys) -> dict[str, Path]:
    assert main(["extension", "pack", "--out", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    version = json.loads((SOURCE / "manifest.json").read_text())["version"]
    chrome, firefox = tmp_path / "out" / f"navllm-{version}-chrome.zip", tmp_path / "out" / f"navllm-{version}-firefox.xpi"
    assert lines == [f"wrote {chrome}", f"wrote {firefox}"]
    return {"chrome": chrome, "firefox": firefox}


def test_path_is_the_checkouts_extension_in_a_checkout(capsys):
    assert main(["extension", "path"]) == 0
    assert Path(capsys.readouterr().out.strip()) == SOURCE


def test_packages_hold_the_shipped_files_with_a_manifest_per_browser(tmp_path, capsys):
    packages = packed(tmp_path, capsys)
    expected = {str(rel) for rel in shipped_files(SOURCE)}
    assert "manifest.json" in expected and "background/main.js" in expected
    assert not any(name.startswith(("types/", "_test/")) for name in expected)
    source = json.loads((SOURCE / "manifest.json").read_text())
    manifests = {}
    for store, path in packages.items():
        with zipfile.ZipFile(path) as zf:
            assert set(zf.namelist()) == expected
            assert zf.testzip() is None
            manifests[store] = json.loads(zf.read("manifest.json"))
    chrome, firefox = manifests["chrome"], manifests["firefox"]
    for manifest in (chrome, firefox):
        assert "key" not in manifest
        assert {k: v for k, v in manifest.items() if k not in ("background", "permissions")}.items() <= source.items()
    assert chrome["background"] == {"service_worker": "background/main.js", "type": "module"}
    assert "browser_specific_settings" not in chrome and "sidebar_action" not in chrome and "sidePanel" in chrome["permissions"]
    assert firefox["background"] == {"scripts": ["background/main.js"], "type": "module"}
    assert firefox["browser_specific_settings"] == source["browser_specific_settings"]
    assert "side_panel" not in firefox and "sidePanel" not in firefox["permissions"]


def test_packing_twice_gives_the_same_bytes_and_no_test_files_from_a_driver_copy(tmp_path):
    first = pack(tmp_path / "a")
    again = pack(tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    # A test driver's copy has an admin page, its own background and placeholders; a package of it
    # still leaves _test/ out.
    copy = extension_copy(tmp_path / "driver")
    assert (copy / "_test" / "admin.html").exists() and (copy / "_test" / "background.js").exists()
    assert json.loads((copy / "manifest.json").read_text())["background"]["scripts"] == ["_test/background.js"]
    with zipfile.ZipFile(pack(tmp_path / "c", ("firefox",), source=copy)[0]) as zf:
        assert not any(name.startswith("_test/") for name in zf.namelist())


def web_ext() -> str:
    named = os.environ.get("NAVLLM_WEB_EXT")
    if named:
        assert Path(named).is_file(), f"NAVLLM_WEB_EXT={named} does not exist"
        return named
    found = ROOT / ".cache" / "npm" / "node_modules" / ".bin" / "web-ext"
    if found.is_file():
        return str(found)
    if shutil.which("web-ext"):
        return shutil.which("web-ext")
    # CI must lint what a store would receive; elsewhere a machine without Node may skip it.
    assert not os.environ.get("CI"), "web-ext is not installed: tests/run installs it from npm"
    pytest.skip("web-ext is not installed (tests/run installs it from npm)")


def lint(folder: Path) -> dict:
    done = subprocess.run(
        [web_ext(), "lint", "--source-dir", str(folder), "--output", "json", "--no-config-discovery"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "NO_UPDATE_NOTIFIER": "1"},
    )
    start = done.stdout.find("{")
    assert start >= 0, f"web-ext lint printed no report (exit {done.returncode}): {done.stdout}\n{done.stderr}"
    return json.loads(done.stdout[start:])


def test_the_firefox_package_passes_web_ext_lint(tmp_path, capsys):
    xpi = packed(tmp_path, capsys)["firefox"]
    unpacked = tmp_path / "xpi"
    with zipfile.ZipFile(xpi) as zf:
        zf.extractall(unpacked)
    report = lint(unpacked)
    assert report["summary"]["errors"] == 0, json.dumps(report["errors"], indent=2)
    # Known and accepted: data_collection_permissions is a product decision (docs/packaging.md).
    codes = {w["code"] for w in report["warnings"]}
    assert codes <= {"MISSING_DATA_COLLECTION_PERMISSIONS"}, json.dumps(report["warnings"], indent=2)
