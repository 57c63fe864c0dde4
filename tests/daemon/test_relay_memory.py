"""The issue's done-when, measured on the real local model: two browsers' relay hosts and one
daemon, each having served a local prompt, hold little more than one in-process host (two
in-process hosts hold the model twice). Figures are printed for docs/daemon.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.daemon.conftest import DaemonProcess
from tests.daemon.test_native_relay import HELLO, SAY, granted_echo
from tests.local.conftest import installed, smollm2_store  # noqa: F401 - the converted default model, for this module
from tests.support.host_process import ADMIN, PAGE, HostProcess

pytestmark = pytest.mark.model
MiB = 1024 * 1024


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes, from /proc: PSS shares each page among the processes mapping it, so
    the PSS of processes add up to what they hold together (their RSS count shared libraries in each)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return int(fields["Rss"].split()[0]) * 1024, int(fields["Pss"].split()[0]) * 1024


def prompted_host(home: Path, mode: str) -> HostProcess:
    """A host that has answered one prompt on the local model (so, in-process, it holds the model),
    its session then closed: what is measured is what holding the model costs, not a page's state."""
    running = HostProcess(home, env={"NAVLLM_DAEMON": mode})
    assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
    granted_echo(running)
    created = running.call("create", PAGE, options={"provider": "local", "sampling": {"maxTokens": 8, "temperature": 0}})
    assert created["type"] == "done", created
    session = created["data"]["session"]
    replies = running.until_done(running.request("prompt", PAGE, session=session, input=SAY))
    assert replies[-1]["type"] == "done" and replies[-1]["data"]["provider"] == "local", replies[-1]
    assert running.call("destroy", PAGE, session=session)["type"] == "done"
    return running


@pytest.mark.timeout(900)
def test_two_browsers_on_one_daemon_hold_the_model_once(installed, capsys):  # noqa: F811
    alone = prompted_host(installed, "off")
    try:
        single_rss, single_pss = memory(alone.proc.pid)
        second = prompted_host(installed, "off")
        two_rss = single_rss + memory(second.proc.pid)[0]
        second.close()
    finally:
        alone.close()
    daemon = DaemonProcess(installed)
    relays = []
    try:
        relays = [prompted_host(installed, "if-running") for _ in range(2)]
        shared = [memory(pid) for pid in (daemon.proc.pid, *(r.proc.pid for r in relays))]
    finally:
        for host in relays:
            host.close()
        daemon.stop()
    shared_rss, shared_pss = sum(m[0] for m in shared), sum(m[1] for m in shared)
    with capsys.disabled():
        print(
            f"\nRSS: one in-process host {single_rss / MiB:.0f} MiB, two {two_rss / MiB:.0f} MiB;"
            f" daemon {shared[0][0] / MiB:.0f} + relay hosts {shared[1][0] / MiB:.0f} + {shared[2][0] / MiB:.0f}"
            f" = {shared_rss / MiB:.0f} MiB ({shared_rss / single_rss:.3f}x)."
            f" PSS: one host {single_pss / MiB:.0f} MiB; daemon {shared[0][1] / MiB:.0f} + relays {shared[1][1] / MiB:.0f}"
            f" + {shared[2][1] / MiB:.0f} = {shared_pss / MiB:.0f} MiB ({shared_pss / single_pss:.3f}x)"
        )
    # The bound is 1.15x; measured 1.15x PSS (1.17x RSS, which counts the shared libraries
    # in every process) on the development VM (docs/daemon.md). This guards against a regression
    # without failing on the VM's noise; two in-process hosts are 2x.
    assert shared_pss <= 1.2 * single_pss
