"""Render host manifests from the templates navllm ships (``navllm.resources``)."""

from __future__ import annotations

import json
from pathlib import PurePath
from string import Template

from ..resources import manifest_template
from . import CHROME_ORIGIN, FIREFOX_EXTENSION_ID, HOST_NAME
from .locations import Family

DESCRIPTION = "navllm: AI for every web page, on your own terms"
TEMPLATE_NAMES: dict[Family, str] = {"chromium": "chrome.json.in", "firefox": "firefox.json.in"}
ALLOWED: dict[Family, list[str]] = {"chromium": [CHROME_ORIGIN], "firefox": [FIREFOX_EXTENSION_ID]}


def render(family: Family, launcher: PurePath) -> str:
    """The manifest text for ``family`` pointing at ``launcher`` (an absolute path)."""
    if not launcher.is_absolute():
        raise ValueError(f"the launcher path must be absolute, not {launcher}")
    text = manifest_template(TEMPLATE_NAMES[family]).read_text(encoding="utf-8")
    values = {"name": HOST_NAME, "description": DESCRIPTION, "path": str(launcher), "allowed": ALLOWED[family]}
    rendered = Template(text).substitute({key: json.dumps(value) for key, value in values.items()})
    json.loads(rendered)  # a broken template must fail here, not in the browser
    return rendered
