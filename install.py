#!/usr/bin/env python3
"""Install navllm for this user: a virtual environment next to this file, the navllm package
in it, then ``navllm install`` with the arguments given here (see ``install.py --help``).
A checkout installs editable, so the extension and the manifest templates are read from here.
(Without a checkout: ``pipx install`` the wheel, see docs/packaging.md.)
With ``--demo``, then run ``navllm demo``: a web page in headless Chromium asks a question
through the extension and the host, and the answer streams into the terminal.

Safe to run again: each step is skipped when already done, and every step is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def installed_here(python: Path, demo: bool) -> bool:
    """True when the venv imports navllm from this checkout (an editable install), and Playwright for the demo."""
    check = "import navllm, pathlib; print(pathlib.Path(navllm.__file__).resolve())" + ("; import playwright" if demo else "")
    probe = subprocess.run([str(python), "-c", check], capture_output=True, text=True)
    return probe.returncode == 0 and Path(probe.stdout.strip()).is_relative_to(ROOT / "host")


def ensure_chromium() -> None:
    """The demo drives the system's Chromium; on Debian as root, install it when missing."""
    if shutil.which("chromium"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing chromium with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], check=True, env=env)
    else:
        print("install.py: the demo needs Chromium; install it (e.g. sudo apt-get install chromium) and run again", file=sys.stderr)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print(f"install.py: navllm needs Python 3.11 or newer (this is {sys.version.split()[0]})", file=sys.stderr)
        return 1
    python = venv_python()
    if python.exists():
        print(f"using the virtual environment {VENV}")
    else:
        print(f"creating a virtual environment in {VENV}")
        venv.create(VENV, with_pip=True)
        # A current pip: models are resolved through it, and old ones fetch whole wheels for metadata.
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    demo = "--demo" in argv
    if installed_here(python, demo):
        print("navllm is already installed in it")
    else:
        print("installing navllm and its dependencies into it (this takes a while the first time)")
        target = f"{ROOT}[demo]" if demo else str(ROOT)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--editable", target], check=True)
    # The browsers start the host with this interpreter, so the launcher must name it.
    code = subprocess.run([str(python), "-m", "navllm", "install", *(a for a in argv if a != "--demo")]).returncode
    if not demo:
        if code == 0 and "--help" not in argv and "-h" not in argv:
            print(
                f"then load the extension unpacked from {ROOT / 'extension'} (chrome://extensions, Developer mode; Firefox: about:debugging)"
            )
        return code
    ensure_chromium()
    if code:
        print("install.py: going on with the demo, which registers the host for a browser profile of its own")
    return subprocess.run([str(python), "-m", "navllm", "demo"]).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
