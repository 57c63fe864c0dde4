"""Render host manifests from the templates in the repository's ``manifest/`` folder."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from string import Template

from ..protocol.errors import ErrorName, NavError
from . import CHROME_ORIGIN, FIREFOX_EXTENSION_ID, HOST_NAME
from .locations import Family

TEMPLATES = Path(__file__).resolve().parents[3] / "manifest"
DESCRIPTION = "navllm: AI for every web page, on your own terms"
TEMPLATE_NAMES: dict[Family, str] = {"chromium": "chrome.json.in", "firefox": "firefox.json.in"}
ALLOWED: dict[Family, list[str]] = {"chromium": [CHROME_ORIGIN], "firefox": [FIREFOX_EXTENSION_ID]}


def render(family: Family, launcher: PurePath) -> str:
    """The manifest text for ``family`` pointing at ``launcher`` (an absolute path)."""
    if not launcher.is_absolute():
        raise ValueError(f"the launcher path must be absolute, not {launcher}")
    template = TEMPLATES / TEMPLATE_NAMES[family]
    try:
        text = template.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NavError(ErrorName.NOT_FOUND, f"manifest template {template} is missing; run navllm from its source checkout (install.py does)") from None
    values = {"name": HOST_NAME, "description": DESCRIPTION, "path": str(launcher), "allowed": ALLOWED[family]}
    rendered = Template(text).substitute({key: json.dumps(value) for key, value in values.items()})
    json.loads(rendered)  # a broken template must fail here, not in the browser
    return rendered
