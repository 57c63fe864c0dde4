"""The side panel's model catalog in real Chromium against the real host, with a local stand-in for
the Hugging Face Hub: fit marks, recommended first, a warning before a pull that will not fit, and
one click that pulls, converts and installs a catalog model with progress."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from ui_pages import Panel

from tests.convert.tiny_gguf import write as write_gguf
from tests.models.servers import FileServer, HubRepo, hub
from tests.support.browsers import Chromium

pytestmark = pytest.mark.browser

REPO = "navllm-test/tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"


def entry(name: str, parameters: int) -> dict:
    return {
        "name": name,
        "title": name.capitalize(),
        "family": "tiny",
        "architecture": "llama",
        "parameters": parameters,
        "quant": "Q4_K_M",
        "layers": 2,
        "kv_heads": 2,
        "head_dim": 64,
        "context": 256,
        "licence": "apache-2.0",
        "source": f"hf:{REPO}:{FILE}",
    }


@pytest.fixture(scope="module")
def catalog_panel(tmp_path_factory):
    """Chromium whose host reads a test catalog (a model far too big listed first) from a local hub."""
    folder = tmp_path_factory.mktemp("catalog")
    gguf = write_gguf(folder / FILE)
    catalog = folder / "catalog.json"
    catalog.write_text(json.dumps({"format": 1, "entries": [entry("huge", 900_000_000_000), entry("tiny", 50_000_000)]}))
    with FileServer() as server:
        hub(server, [HubRepo(REPO, {FILE: gguf})])
        with pytest.MonkeyPatch.context() as env:  # the browser's host inherits these
            env.setenv("HF_ENDPOINT", server.url)
            env.setenv("NAVLLM_CATALOG", str(catalog))
            browser = Chromium(tmp_path_factory.mktemp("chromium"))
        try:
            panel = Panel(browser)
            yield panel
            panel.page.close()
            assert not panel.errors, panel.errors
        finally:
            browser.close()


def test_the_catalog_shows_fit_marks_and_pulls_with_one_click(catalog_panel):
    panel = catalog_panel
    page = panel.open("models")
    items = page.locator("#catalog-list > li")
    expect(items).to_have_count(2)
    # Recommended first, whatever the catalog's own order.
    assert items.evaluate_all("(els) => els.map((e) => [e.dataset.catalog, e.dataset.fit])") == [
        ["tiny", "recommended"],
        ["huge", "too big"],
    ]
    tiny, huge = page.locator('[data-catalog="tiny"]'), page.locator('[data-catalog="huge"]')
    expect(tiny.locator(".badge")).to_have_text("Recommended")
    expect(huge.locator(".badge")).to_have_text("Too big")
    expect(huge.locator(".why")).to_contain_text("memory")
    expect(page.locator("#catalog-machine")).to_contain_text("memory available")
    expect(tiny).to_contain_text("~")  # its size is an estimate

    # A model that will not fit asks first; the first press only warns.
    add_huge = huge.get_by_role("button", name="Add huge")
    add_huge.click()
    expect(huge.get_by_role("button", name="It will not fit. Add anyway? Add huge")).to_be_visible()
    assert panel.browser.admin("models.list")["pulling"] == {}

    page.evaluate("""() => {
      window.seen = [];
      const bar = document.querySelector('#catalog-progress-tiny progress');
      new MutationObserver(() => window.seen.push(bar.value)).observe(bar, { attributes: true });
    }""")
    tiny.get_by_role("button", name="Add tiny").click()
    expect(page.locator("#notice")).to_contain_text("tiny is installed", timeout=120000)
    panel.ready()
    seen = page.evaluate("window.seen")
    assert any(0 < v < 1 for v in seen) and seen[-1] == 1, seen
    expect(page.locator('[data-catalog="tiny"] .badge.ok', has_text="Installed")).to_be_visible()
    expect(page.locator('[data-model="tiny"]')).to_contain_text("catalog:tiny")
    installed = panel.browser.admin("models.list")["models"]
    assert [(m["name"], m["source"]) for m in installed] == [("tiny", "catalog:tiny")]
