"""The settings pages under test: where they live and the panel opened as a tab."""

from __future__ import annotations

from pathlib import Path

from tests.support.browsers import Chromium

PANEL = "ui/panel/panel.html"
POPUP = "ui/popup/popup.html"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


class Panel:
    """The side panel page opened as a tab, 360 px wide like the real side panel."""

    def __init__(self, browser: Chromium):
        self.browser = browser
        self.page = browser.context.new_page()
        self.page.set_viewport_size({"width": 360, "height": 800})
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))

    def open(self, section: str):
        """Load the panel afresh on ``section`` (a hash change alone would not reload its data)."""
        self.page.goto("about:blank")
        self.page.goto(f"{self.browser.extension_origin}/{PANEL}#{section}")
        return self.ready()

    def ready(self):
        self.page.wait_for_selector("#view[aria-busy=false]", timeout=30000)
        return self.page
