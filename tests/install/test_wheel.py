"""navllm as a new user gets it: the sdist and the wheel built as a release would build them
(``python -m build``: the sdist, then the wheel from the sdist), the wheel installed into a fresh
venv outside the checkout, and that copy registering the host and answering a page in Chromium.

Nothing here imports navllm from the checkout into the installed copy: its commands run with
the venv's own interpreter, from a folder outside the repository, with no PYTHONPATH. Building
and installing needs the package index pip is configured with (pip's cache makes reruns fast)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.devtools.browsers import CHROMIUM, StaticSite, _wrap
from navllm.install import CHROME_EXTENSION_ID
from navllm.install.package import shipped_files
from navllm.providers.echo import PREAMBLE

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ASK = """
const session = await navigator.llm.createSession();
let text = "";
for await (const delta of session.generateStreaming({ prompt: ARGS[0] })) text += delta;
session.destroy();
return text;
"""


def _run(cmd: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}"
    return done


class Installed:
    def __init__(self, work: Path, dist: Path, venv: Path):
        self.work = work
        self.dist = dist
        self.venv = venv
        self.navllm = venv / "bin" / "navllm"
        self.python = venv / "bin" / "python"

    def run(self, *args: str, env: dict[str, str], timeout: float = 120) -> str:
        return _run([str(self.navllm), *args], timeout, env=env, cwd=self.work).stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("wheel")
    assert not work.resolve().is_relative_to(ROOT)
    dist, venv = work / "dist", work / "venv"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)], 300)
    wheel = next(dist.glob("navllm-*.whl"))
    _run([sys.executable, "-m", "venv", str(venv)], 120)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{wheel}[demo]"],
        480,
        env=env,
        cwd=work,
    )
    yield Installed(work, dist, venv)


def _clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NAVLLM_HOME")}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {**env, "HOME": str(home), **extra}


def test_sdist_and_wheel_carry_the_extension_and_templates(installed):
    source = ROOT / "extension"
    extension = {path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()}
    wheel = next(installed.dist.glob("navllm-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assets = {n.removeprefix("navllm/_assets/extension/") for n in names if n.startswith("navllm/_assets/extension/")}
    assert assets == extension
    assert {"navllm/_assets/manifest/chrome.json.in", "navllm/_assets/manifest/firefox.json.in", "navllm/py.typed"} <= names
    # The driver's test build (navllm demo, navllm bench relay) is package data of navllm.devtools.
    testbuild = ROOT / "host" / "navllm" / "devtools" / "testbuild"
    assert {f"navllm/devtools/testbuild/{p.name}" for p in testbuild.iterdir() if p.is_file()} <= names
    assert not any(n.startswith(("tests/", "extension/", "manifest/", "host/")) for n in names)
    sdist = next(installed.dist.glob("navllm-*.tar.gz"))
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {
        "setup.py",
        "MANIFEST.in",
        "pyproject.toml",
        "extension/manifest.json",
        "manifest/chrome.json.in",
        "manifest/firefox.json.in",
    } <= members


def test_installed_copy_registers_the_host_and_answers_a_page(installed, tmp_path):
    from playwright.sync_api import sync_playwright

    navllm_home, udd = tmp_path / "navllm-home", tmp_path / "udd"
    env = _clean_env(tmp_path, NAVLLM_HOME=str(navllm_home))

    extension = Path(installed.run("extension", "path", env=env).strip())
    assert extension.is_relative_to(installed.venv) and (extension / "manifest.json").is_file()
    assert {str(p) for p in shipped_files(extension)} == {str(p) for p in shipped_files(ROOT / "extension")}

    out = installed.run("install", "--browser", "chromium", "--user-data-dir", str(udd), "--home", str(navllm_home), env=env)
    manifest = udd / "NativeMessagingHosts" / "org.navllm.host.json"
    assert f"chromium manifest {manifest}" in out
    launcher = Path(json.loads(manifest.read_text())["path"])
    assert f"exec {installed.python} -m navllm.host" in launcher.read_text()
    check = installed.run("install", "--check", "--browser", "chromium", "--user-data-dir", str(udd), env=env)
    assert "host starts and answers hello" in check

    site = StaticSite(tmp_path)
    page = site.add("ask.html", "<!doctype html><meta charset=utf-8><title>ask</title>\n")
    installed.run("settings", "set", "echoEnabled", "true", env=env)
    installed.run("grants", "allow", site.origin(), env=env)
    playwright = sync_playwright().start()
    try:
        args = [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--disable-extensions-except={extension}",
            f"--load-extension={extension}",
        ]
        context = playwright.chromium.launch_persistent_context(str(udd), executable_path=CHROMIUM, headless=True, args=args, env=env)
        try:
            worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
            assert worker.url.startswith(f"chrome-extension://{CHROME_EXTENSION_ID}/")
            tab = context.new_page()
            tab.goto(site.url(page))
            answer = tab.evaluate(_wrap(ASK), ["from the wheel?"])
            assert answer == PREAMBLE + "from the wheel?", answer
        finally:
            context.close()
    finally:
        playwright.stop()
        site.close()


def test_installed_copy_runs_the_demo(installed, tmp_path):
    env = _clean_env(tmp_path, NAVLLM_HOME=str(tmp_path / "navllm-home"))
    installed.run("settings", "set", "echoEnabled", "true", env=env)
    out = installed.run("demo", "--prompt", "is the wheel complete?", env=env, timeout=240)
    assert PREAMBLE + "is the wheel complete?" in out, out
