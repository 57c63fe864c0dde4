"""The side panel's Status section with a damaged file: it says which and where, and Repair keeps a
copy and starts it afresh (its own module: the repair resets this browser's settings)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_status_shows_a_damaged_settings_file_and_repairs_it(panel):
    settings = panel.browser.home / "config" / "settings.json"
    bad = b'{"echoEnabled": true, "provi'
    settings.write_bytes(bad)

    page = panel.open("status")
    card = page.locator("#storage")
    expect(card.locator('[data-file="settings"]')).to_contain_text(str(settings))
    expect(card).to_contain_text("settings go back to their defaults")
    expect(page.locator("#host-state")).to_have_text("Connected")  # the rest of the section still works
    assert settings.read_bytes() == bad

    repair = card.get_by_role("button", name="Repair damaged files")
    repair.click()
    expect(repair).to_have_accessible_name("Really repair? Repair damaged files")
    repair.click()
    expect(page.locator("#notice")).to_contain_text("was kept as")
    expect(page.locator("#storage")).to_have_count(0)
    [backup] = settings.parent.glob("settings.json.damaged-*")
    assert backup.read_bytes() == bad
    assert "damaged" not in panel.browser.admin("settings.get")
    panel.browser.admin("settings.set", values={"echoEnabled": True})
