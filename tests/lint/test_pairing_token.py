"""The pairing token with navllm serve stays in the background (issue 15).

It is kept in ``storage.local``, which content scripts could read if they asked, so the check
is on what the code asks: the bridge and the MAIN-world scripts use no extension storage at
all, and the token's storage key appears in one background module only (``daemon-port.js``,
which reads it for the daemon's auth message; ``pairing.js`` writes it through the exported
name). Extension pages reach it only through ``pairing.js``, which answers with the name."""

from __future__ import annotations

import re
from pathlib import Path

EXT = Path(__file__).resolve().parents[2] / "extension"
KEY = re.search(r'^export const PAIRING_KEY = "([^"]+)";', (EXT / "background/daemon-port.js").read_text(), re.M)


def test_the_key_is_read_where_we_think():
    assert KEY, "daemon-port.js no longer declares PAIRING_KEY as a string literal"


def test_content_and_page_scripts_use_no_extension_storage():
    scripts = [*(EXT / "content").glob("*.js"), *(EXT / "page").glob("*.js")]
    assert scripts
    touching = [str(p.relative_to(EXT)) for p in scripts if re.search(r"\bstorage\b", p.read_text())]
    assert not touching, f"these scripts run beside web pages and must not use extension storage: {touching}"


def test_the_token_key_is_named_in_one_module():
    assert KEY
    naming = sorted(str(p.relative_to(EXT)) for p in EXT.rglob("*.js") if KEY.group(1) in p.read_text())
    assert naming == ["background/daemon-port.js"]
    users = sorted(str(p.relative_to(EXT)) for p in EXT.rglob("*.js") if "PAIRING_KEY" in p.read_text())
    assert users == ["background/daemon-port.js", "background/pairing.js"]
