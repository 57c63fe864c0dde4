"""A cross-origin frame's embedders delegate features to it (``<iframe allow="…">``, read by the
extension from the embedding documents): such a frame may ask for those features, and for no
other; the user's grant is still asked for."""

from __future__ import annotations

import pytest

from navllm.policy import PermissionNeeded
from navllm.policy.gate import PolicyGate
from navllm.protocol.common import Caller
from navllm.protocol.errors import NavError
from navllm.providers.router import Router
from navllm.settings import Settings

TOP = "https://news.example"
FRAME = "https://widget.example"
SETTINGS = Settings(echo_enabled=True)


@pytest.fixture
def gate(tmp_path):
    return PolicyGate(lambda: SETTINGS, clock=lambda: 1_800_000_000.0, path=tmp_path / "p.db")


def frame(*features: str) -> Caller:
    return Caller.model_validate(
        {"kind": "page", "origin": FRAME, "topOrigin": TOP, "tabId": 1, "frameId": 3, "embedderAllows": list(features)}
    )


async def test_a_frame_may_ask_for_what_its_embedder_allows_it_and_nothing_else(gate):
    echo = Router(lambda: SETTINGS).by_name(["echo"])
    allowed = frame("summarizer")
    assert gate.eligible(allowed, "summarizer") and not gate.eligible(allowed, "language-model")
    with pytest.raises(PermissionNeeded) as asked:  # the user is still asked, naming frame and page
        await gate.admit(allowed, "summarize", echo)
    assert (asked.value.ask.origin, asked.value.ask.top_origin) == (FRAME, TOP)
    for caller, action in ((allowed, "create"), (allowed, "write"), (frame(), "summarize")):
        with pytest.raises(NavError) as refused:
            await gate.admit(caller, action, echo)
        assert refused.value.name == "NotAllowedError" and "has not let its frames use navllm" in refused.value.message


def test_only_the_seven_features_can_be_named():
    with pytest.raises(ValueError):
        frame("camera")
    with pytest.raises(ValueError):
        frame(*["summarizer"] * 9)
