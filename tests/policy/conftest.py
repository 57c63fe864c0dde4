"""Policy tests run the real host with only the echo backend configured (no model needed)."""

from __future__ import annotations

import pytest
from policy_host import Host, echo_only


@pytest.fixture
def host(navllm_home):
    echo_only(navllm_home)
    running = Host(navllm_home)
    yield running
    running.close()
