"""The native host as a relay to the user's daemon: two hosts, one model (a session made through
one is in the other's status, served by the daemon's pid); in-process without a daemon; the
default mode starting a daemon on demand; a relay host killed costing the others nothing; the
daemon going away ending the requests waiting on it."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from contextlib import suppress
from pathlib import Path

import pytest

from tests.daemon.conftest import DEADLINE, ROOT, DaemonProcess, process_state, serve_pids, write_settings
from tests.support.host_process import ADMIN, PAGE, HostProcess, frame

HELLO = {"extensionVersion": "0.1.0", "protocol": 1}
SAY = [{"role": "user", "content": [{"type": "text", "value": "hi"}]}]


def host(home: Path, mode: str = "if-running") -> HostProcess:
    running = HostProcess(home, env={"NAVLLM_DAEMON": mode})
    assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
    return running


def served_by(running: HostProcess) -> int:
    status = running.call("status", ADMIN)
    assert status["type"] == "done", status
    pid: int = status["data"]["pid"]
    return pid


def granted_echo(running: HostProcess) -> None:
    reply = running.call("grants.set", ADMIN, origin=PAGE["origin"], state="granted", providers=["local"])
    assert reply["type"] == "done", reply


@pytest.fixture
def daemon(navllm_home):
    write_settings(navllm_home, echoEnabled=True)
    running = DaemonProcess(navllm_home)
    yield running
    running.stop()


def test_two_hosts_share_the_daemon_and_its_sessions(navllm_home, daemon):
    first, second = host(navllm_home), host(navllm_home)
    try:
        assert served_by(first) == served_by(second) == daemon.proc.pid
        granted_echo(first)
        session = first.call("create", PAGE)["data"]["session"]
        assert second.call("status", ADMIN)["data"]["sessions"] == 1  # one model, one sessions table
        reply = second.until_done(second.request("prompt", PAGE, session=session, input=SAY))
        assert reply[-1]["type"] == "done" and "".join(r.get("delta", "") for r in reply).endswith("hi")
    finally:
        assert first.close() == 0 and second.close() == 0
    secret = daemon.state["relaySecret"]
    logs = navllm_home / "logs"
    assert not (logs / "host.log").exists()  # a relay that works writes nothing (nor imports logging)
    assert "native host connected" in (logs / "daemon.log").read_text()
    assert all(secret not in log.read_text() for log in logs.iterdir())


def test_without_a_daemon_the_host_serves_in_process(navllm_home):
    for mode in ("if-running", "off"):
        running = host(navllm_home, mode)
        try:
            assert served_by(running) == running.proc.pid
        finally:
            assert running.close() == 0
    assert not (navllm_home / "data" / "daemon.json").exists()


def test_off_serves_in_process_even_beside_a_daemon(navllm_home, daemon):
    running = host(navllm_home, "off")
    try:
        assert served_by(running) == running.proc.pid
    finally:
        running.close()


def test_a_killed_relay_host_costs_the_daemon_and_the_other_host_nothing(navllm_home, daemon):
    doomed, other = host(navllm_home), host(navllm_home)
    try:
        granted_echo(other)
        session = other.call("create", PAGE)["data"]["session"]
        doomed.request("status", ADMIN)
        doomed.proc.send_signal(signal.SIGKILL)
        doomed.proc.wait(DEADLINE)
        assert daemon.proc.poll() is None
        assert other.until_done(other.request("prompt", PAGE, session=session, input=SAY))[-1]["type"] == "done"
        assert served_by(other) == daemon.proc.pid
    finally:
        doomed.close()
        other.close()


def test_the_daemon_going_away_ends_the_waiting_requests_and_the_host(navllm_home, daemon):
    running = host(navllm_home)
    granted_echo(running)
    running.call("settings.set", ADMIN, values={"echoEnabled": True, "echoDelayMs": 10_000})
    session = running.call("create", PAGE)["data"]["session"]
    waiting = running.request("prompt", PAGE, session=session, input=SAY)
    time.sleep(0.3)
    daemon.proc.send_signal(signal.SIGKILL)
    ended = running.until_done(waiting)[-1]
    assert ended["type"] == "error" and ended["error"]["name"] == "OperationError"
    assert "navllm serve went away" in ended["error"]["message"]
    assert running.proc.wait(DEADLINE) == 1


def test_on_demand_starts_a_daemon_that_outlives_the_host(navllm_home):
    write_settings(navllm_home, echoEnabled=True, servePort=0)  # the default mode: on-demand
    running = HostProcess(navllm_home, env={"NAVLLM_DAEMON": ""})
    state_file = navllm_home / "data" / "daemon.json"
    try:
        assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
        pid = served_by(running)
        assert pid != running.proc.pid
        state = json.loads(state_file.read_text())
        assert state["pid"] == pid and len(state["relaySecret"]) >= 43
        assert running.close() == 0
        time.sleep(0.5)
        os.kill(pid, 0)  # still there for the next browser, until its --idle-exit
        again = host(navllm_home, "on-demand")
        assert served_by(again) == pid
        again.close()
    finally:
        running.close()
        stop_daemon(state_file)


class StateWatch:
    """Every pid ``daemon.json`` names, read every 5 ms on a thread while the test runs."""

    def __init__(self, state_file: Path):
        self.state_file = state_file
        self.pids: set[object] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(0.005):
            with suppress(OSError, ValueError):  # absent, or replaced while read
                self.pids.add(json.loads(self.state_file.read_text())["pid"])

    def stop(self) -> set[object]:
        self._done.set()
        self._thread.join(DEADLINE)
        return self.pids


def test_two_hosts_starting_at_once_start_one_daemon(navllm_home):
    write_settings(navllm_home, echoEnabled=True, servePort=0)
    state_file = navllm_home / "data" / "daemon.json"
    watch = StateWatch(state_file)
    hosts = [HostProcess(navllm_home, env={"NAVLLM_DAEMON": "on-demand"}) for _ in range(2)]
    try:
        for running in hosts:
            running.send({"id": "h", "type": "hello", "caller": ADMIN, **HELLO})
        for running in hosts:
            assert running.read()["type"] == "done"
        pids = {served_by(running) for running in hosts}
        host_log = navllm_home / "logs" / "host.log"  # for the failure message: a race's loser may have noted it
        log = host_log.read_text() if host_log.exists() else "(no host.log)"
        assert len(pids) == 1 and pids == {json.loads(state_file.read_text())["pid"]}, log
        # The loser is gone: it lost the lock, or its host stopped it once the winner answered.
        assert serve_pids(navllm_home) == list(pids), log
    finally:
        for running in hosts:
            running.close()
        stop_daemon(state_file)
    time.sleep(1.0)  # a loser still starting would take the lock now and write its own file
    assert serve_pids(navllm_home) == [] and not state_file.exists()
    assert watch.stop() == pids  # no file ever named the loser


def test_a_killed_daemons_state_file_is_stale_and_the_next_daemon_replaces_it(navllm_home):
    write_settings(navllm_home, echoEnabled=True)
    state_file = navllm_home / "data" / "daemon.json"
    killed = DaemonProcess(navllm_home)
    killed.stop(signal.SIGKILL)
    assert json.loads(state_file.read_text())["pid"] == killed.proc.pid  # left behind: nothing ran to remove it
    running = host(navllm_home)
    try:
        assert served_by(running) == running.proc.pid  # the dead daemon's file counts as no daemon
    finally:
        assert running.close() == 0
    fresh = DaemonProcess(navllm_home)
    try:
        assert fresh.state["pid"] == fresh.proc.pid
        relaying = host(navllm_home)
        assert served_by(relaying) == fresh.proc.pid
        assert relaying.close() == 0
    finally:
        assert fresh.stop()[0] == 0
    assert not state_file.exists()


def stop_daemon(state_file: Path) -> None:
    """End a daemon a host started (it is not our child), within the deadline."""
    if not state_file.exists():
        return
    pid = json.loads(state_file.read_text())["pid"]
    with suppress(ProcessLookupError):  # it may be gone already
        os.kill(pid, signal.SIGTERM)
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end and b"zombie" not in process_state(pid):  # the process, not its state file, must end
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def test_idle_exit_waits_for_the_last_browser_then_stops(navllm_home):
    write_settings(navllm_home, echoEnabled=True)
    state_file = navllm_home / "data" / "daemon.json"
    daemon = DaemonProcess(navllm_home, "--idle-exit", "0.05")  # 3 s
    try:
        running = host(navllm_home)
        time.sleep(4.5)  # longer than the idle time, but a browser is connected
        assert served_by(running) == daemon.proc.pid
        assert running.close() == 0
        left = time.monotonic()
        status, _, err = daemon.stop(wait_only=True)
        assert status == 0, err
        assert time.monotonic() - left >= 2.5
        assert not state_file.exists()
    finally:
        daemon.stop()


def test_a_relay_host_refuses_an_over_cap_frame_itself_and_relays_on(navllm_home, daemon):
    running = HostProcess(navllm_home, env={"NAVLLM_DAEMON": "if-running", "NAVLLM_MAX_INPUT": "2048"})
    try:
        assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
        assert served_by(running) == daemon.proc.pid
        big = frame({"type": "status", "caller": ADMIN, "pad": "x" * 4096, "id": "big"})
        running.send_raw(big)
        refused = running.read()
        assert refused["id"] == "big" and refused["error"]["name"] == "QuotaExceededError"
        assert refused["error"]["details"] == {"quota": 2048, "requested": len(big) - 4}
        running.send_raw(frame({"id": "bad", "caller": PAGE, "type": "no-such-type"}))
        assert running.read()["error"]["name"] == "NotSupportedError"  # answered by the daemon
        assert served_by(running) == daemon.proc.pid
    finally:
        assert running.close() == 0


def test_on_demand_with_the_port_taken_serves_in_process_at_once(navllm_home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        write_settings(navllm_home, echoEnabled=True, servePort=port)
        started = time.monotonic()
        running = HostProcess(navllm_home, env={"NAVLLM_DAEMON": "on-demand"})
        try:
            assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
            assert served_by(running) == running.proc.pid
            assert time.monotonic() - started < 15  # not the 20 s a daemon that never answers gets
        finally:
            assert running.close() == 0
    assert "navllm serve exited 1 as it started" in (navllm_home / "logs" / "host.log").read_text()
    assert f"cannot listen on port {port}" in (navllm_home / "logs" / "daemon.log").read_text()
    assert not (navllm_home / "data" / "daemon.json").exists()


SLOW_SERVE = """
from pathlib import Path
import time
if b"serve" in Path("/proc/self/cmdline").read_bytes():
    time.sleep(8)  # a daemon started on a loaded machine, still importing when another one answers
"""


def test_a_host_stops_its_daemon_when_another_answers_first(navllm_home, tmp_path):
    write_settings(navllm_home, echoEnabled=True, servePort=0)
    (tmp_path / "sitecustomize.py").write_text(SLOW_SERVE)
    slow = {"NAVLLM_DAEMON": "on-demand", "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT / 'host'}"}
    state_file = navllm_home / "data" / "daemon.json"
    running = HostProcess(navllm_home, env=slow)
    try:
        assert running.call("hello", ADMIN, **HELLO)["type"] == "done"
        end = time.monotonic() + DEADLINE
        while not (starting := serve_pids(navllm_home)) and time.monotonic() < end:
            time.sleep(0.05)
        assert len(starting) == 1  # the host's own daemon, still in its slow start
        winner = DaemonProcess(navllm_home)
        assert served_by(running) == winner.proc.pid
        assert serve_pids(navllm_home) == [winner.proc.pid]  # the host stopped its own
        assert "lost the start race; stopping it" in (navllm_home / "logs" / "host.log").read_text()
    finally:
        assert running.close() == 0
    assert winner.stop()[0] == 0
    assert not state_file.exists() and serve_pids(navllm_home) == []
