"""In real Chromium and Firefox with the extension and host: a page's images (ImageData, a canvas, a
Blob) reach an OpenAI-compatible server on 127.0.0.1 as ``image_url`` parts and an AudioBuffer as an
``input_audio`` WAV, availability for image and audio input follows the chain and what each entry
reads (the local model alone reads neither), and the side panel sets what an entry reads."""

from __future__ import annotations

import base64
import io
import struct
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from navllm.devtools.browsers import Browser, Chromium
from tests.prompt_api.conftest import PAGE, add_pages, open_browser

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "providers"))
from fake_openai import MODEL, FakeOpenAI

pytestmark = pytest.mark.browser

AVAILABILITY = 'return await LanguageModel.availability({expectedInputs: [{type: "image"}]});'
PROMPT_IMAGES = """
const session = await LanguageModel.create({expectedInputs: [{type: "image"}]});
const canvas = document.createElement("canvas");
canvas.width = 8; canvas.height = 4;
const ctx = canvas.getContext("2d");
ctx.fillStyle = "#ff0000"; ctx.fillRect(0, 0, 8, 4);
const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
const pixels = new ImageData(3, 2);
pixels.data.fill(255);
return await session.prompt([{role: "user", content: [
  {type: "text", value: "Compare these."},
  {type: "image", value: pixels},
  {type: "image", value: canvas},
  {type: "image", value: blob},
]}]);
"""


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture(scope="module", params=["chromium", "firefox"])
def browser(request, site, tmp_path_factory, server) -> Iterator[Browser]:
    """The extension's host with the local model and the fake server in its chain, the page allowed both."""
    running = open_browser(request.param, tmp_path_factory.mktemp(request.param))
    try:
        running.admin("providers.add", provider={"name": "vision", "kind": "openai", "baseUrl": server.base_url, "model": MODEL})
        running.grant(site.origin(), providers=("local", "vision"))
        add_pages(site)
        yield running
    finally:
        running.close()


def png_size(url: str) -> tuple[int, int]:
    """Width and height from a ``data:image/png;base64,`` URL's IHDR chunk, after checking the PNG signature."""
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix), url[:40]
    data = base64.b64decode(url[len(prefix) :], validate=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_page_image_prompt_reaches_the_openai_compatible_server(browser, server, site):
    tab = browser.tab(site.url(PAGE))
    assert tab.run(AVAILABILITY) == "available"
    assert tab.run(PROMPT_IMAGES) == "You said: Compare these.   "
    content = server.generations()[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "Compare these."}
    assert [set(part) for part in content[1:]] == [{"type", "image_url"}] * 3
    assert all(part["type"] == "image_url" and set(part["image_url"]) == {"url"} for part in content[1:])
    assert [png_size(part["image_url"]["url"]) for part in content[1:]] == [(3, 2), (8, 4), (8, 4)]

    browser.admin("providers.update", name="vision", changes={"enabled": False})
    assert tab.run(AVAILABILITY) == "unavailable"  # the local model alone reads no images
    browser.admin("providers.update", name="vision", changes={"enabled": True})


PROMPT_AUDIO = """
const session = await LanguageModel.create({expectedInputs: [{type: "audio"}]});
const buffer = new AudioBuffer({length: 4800, numberOfChannels: 1, sampleRate: 48000});
buffer.getChannelData(0).fill(0.25);
return await session.prompt([{role: "user", content: [{type: "text", value: "Hear this."}, {type: "audio", value: buffer}]}]);
"""


def test_a_page_audio_prompt_reaches_the_server_as_input_audio_wav(browser, server, site):
    tab = browser.tab(site.url(PAGE))
    assert tab.run('return await LanguageModel.availability({expectedInputs: [{type: "audio"}]});') == "unavailable"
    browser.admin("providers.update", name="vision", changes={"inputs": ["text", "image", "audio"]})
    try:
        assert tab.run(PROMPT_AUDIO) == "You said: Hear this. "
    finally:
        browser.admin("providers.update", name="vision", changes={"inputs": None})
    content = server.generations()[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "Hear this."}
    assert set(content[1]) == {"type", "input_audio"} and content[1]["type"] == "input_audio"
    assert set(content[1]["input_audio"]) == {"data", "format"} and content[1]["input_audio"]["format"] == "wav"
    with wave.open(io.BytesIO(base64.b64decode(content[1]["input_audio"]["data"], validate=True))) as heard:
        # the AudioBuffer's own samples, as 16-bit PCM: 0.1 s at 48 kHz, every sample 0.25 of full scale
        assert (heard.getnchannels(), heard.getsampwidth(), heard.getframerate(), heard.getnframes()) == (1, 2, 48000, 4800)
        assert set(struct.iter_unpack("<h", heard.readframes(4800))) == {(round(0.25 * 0x7FFF),)}


def test_the_panel_declares_what_a_provider_reads(browser, site):
    if not isinstance(browser, Chromium):
        pytest.skip("the side panel is tested in Chromium (tests/ui)")
    from playwright.sync_api import expect

    from tests.ui.ui_pages import Panel

    panel = Panel(browser)
    try:
        page = panel.open("providers")
        item = page.locator('[data-provider="vision"]')
        expect(item.get_by_label("vision reads images")).to_be_checked()
        expect(item.get_by_label("vision reads audio")).not_to_be_checked()
        item.get_by_label("vision reads audio").check()
        expect(page.locator("#notice")).to_contain_text("now reads text, image, audio")
        listed = {p["name"]: p for p in browser.admin("providers.list")}
        assert listed["vision"]["inputs"] == ["text", "image", "audio"]
        tab = browser.tab(site.url(PAGE))
        assert tab.run('return await LanguageModel.availability({expectedInputs: [{type: "audio"}]});') == "available"

        page = panel.open("providers")
        page.locator('[data-provider="vision"]').get_by_label("vision reads images").uncheck()
        expect(page.locator("#notice")).to_contain_text("now reads text, audio")
        assert tab.run(AVAILABILITY) == "unavailable"

        # adding from a preset starts from what the preset's model reads
        form = page.locator("#add-provider")
        form.get_by_label("Service").select_option(label="Groq")
        expect(form.get_by_label("The new provider reads images")).not_to_be_checked()
        form.get_by_label("Service").select_option(label="Anthropic")
        expect(form.get_by_label("The new provider reads images")).to_be_checked()
        expect(form.get_by_label("The new provider reads audio")).to_have_count(0)
        assert not panel.errors, panel.errors
    finally:
        panel.page.close()
        browser.admin("providers.update", name="vision", changes={"inputs": None})
