"""A site's page loading the page-side client (extension/client/navllm-client.js) with
``<script type=module>``, served on 127.0.0.1, and the script that asks it for a reply."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from navllm.devtools.browsers import StaticSite

from .browsers import PAGES

CLIENT = PAGES.parents[2] / "extension/client/navllm-client.js"

# The page a site would write: the module, given a token and the daemon's address (here in the
# URL's fragment, which never reaches a server).
PAGE = """<!doctype html><meta charset=utf-8><title>navllm client</title>
<script type="module">
import { createNavllm } from "./navllm-client.js";
const params = new URLSearchParams(location.hash.slice(1));
window.client = createNavllm({ token: params.get("token") ?? undefined, baseUrl: params.get("baseUrl") ?? undefined });
</script>
"""

# Which route the client takes, then the reply streamed and whole (or the error).
ASK = """
for (let waited = 0; !window.client; waited += 10) {
  if (waited > 10000) throw new Error("the module did not load");
  await new Promise((resolve) => setTimeout(resolve, 10));
}
const route = await window.client.available();
try {
  const streamed = [];
  for await (const delta of window.client.promptStreaming(ARGS[0])) streamed.push(delta);
  return { route, streamed, text: await window.client.prompt([{ role: "user", content: ARGS[0] }]) };
} catch (e) {
  return { route, name: e.name, isDOMException: e instanceof DOMException, message: e.message };
}
"""


@pytest.fixture(scope="module")
def client_site(tmp_path_factory) -> Iterator[StaticSite]:
    folder = tmp_path_factory.mktemp("client-site")
    shutil.copy(CLIENT, folder / "navllm-client.js")
    (folder / "client.html").write_text(PAGE)
    running = StaticSite(folder)
    yield running
    running.close()
