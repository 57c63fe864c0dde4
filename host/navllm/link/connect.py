"""Whether the native host relays to the user's daemon, and the authenticated connection it relays over.

The mode is the setting ``daemon`` (``NAVLLM_DAEMON`` overrides it, for tests and portable
installs): ``on-demand`` (the default: one daemon, so one loaded model, for every browser; the host
starts ``navllm serve --idle-exit`` when none runs), ``if-running`` (relay only to a daemon the user
started) or ``off`` (always in-process). Whenever no daemon answers in time, the host serves
in-process as before. Settings are read raw here: the host decides before it imports pydantic
(``settings.Settings`` validates the same fields).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time

from .. import PROTOCOL_VERSION
from ..paths import config_dir
from .log import note
from .state import ALREADY_RUNNING, DEFAULT_PORT, read_state
from .websocket import TEXT, Closed, WebSocket

TYPE_CHECKING = False  # as typing's, without importing typing into every relay host (see wire/framing.py)
if TYPE_CHECKING:
    import subprocess
    from typing import Any
# only a host that starts a daemon imports it

MODES = ("on-demand", "if-running", "off")
DEFAULT_MODE = "on-demand"
MODE_ENV = "NAVLLM_DAEMON"
BROWSER_PATH = "/api/browser"
IDLE_MINUTES = 10  # a daemon started on demand stops this long after its last browser and request
START_DEADLINE = 20.0  # seconds a daemon started on demand gets to answer before the host serves in-process
ANSWER_DEADLINE = 5.0  # seconds a running daemon gets to accept the host's connection
STOP_DEADLINE = 5.0  # seconds a daemon that lost the start race gets to end


def settings_file() -> dict[str, Any]:
    try:
        raw = json.loads((config_dir() / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def mode(settings: dict[str, Any]) -> str:
    chosen = os.environ.get(MODE_ENV) or settings.get("daemon")
    return chosen if chosen in MODES else DEFAULT_MODE


def serve_port(settings: dict[str, Any]) -> int:
    port = settings.get("servePort")
    return port if type(port) is int and 0 <= port < 1 << 16 else DEFAULT_PORT


def open_link() -> WebSocket | None:
    """A connection to the user's daemon, authenticated; None to serve in-process."""
    settings = settings_file()
    chosen = mode(settings)
    if chosen == "off":
        return None
    link = attach()
    if link is not None or chosen == "if-running":
        return link
    return start_and_attach(serve_port(settings))


def attach(state: dict[str, Any] | None = None) -> WebSocket | None:
    """Connect to the daemon ``state`` (by default ``daemon.json``) names, if it is alive and takes
    our relay secret. A file left by a killed daemon fails here (its pid gone, or its port not
    answering with that secret), so it counts as no daemon."""
    state = read_state() if state is None else state
    if state is None or not _alive(state.get("pid")) or type(state.get("port")) is not int:
        return None
    try:
        link = WebSocket.connect(state["port"], BROWSER_PATH, ANSWER_DEADLINE)
    except OSError:
        return None
    try:
        link.send(json.dumps({"type": "auth", "token": str(state.get("relaySecret"))}).encode(), TEXT)
        answer = json.loads(link.receive())
    except (OSError, Closed, ValueError):
        link.close()
        return None
    if not (isinstance(answer, dict) and answer.get("ok") is True and answer.get("protocol") == PROTOCOL_VERSION):
        note("navllm serve (pid %s) refused this host or speaks another protocol; serving in-process", state.get("pid"))
        link.close()
        return None
    link.settimeout(None)
    return link


def start_and_attach(port: int) -> WebSocket | None:
    """Start ``navllm serve`` detached (it outlives this browser) and connect once it listens."""
    import subprocess

    detached: dict[str, Any] = {"start_new_session": True}  # its own session: the browser's end does not end it
    if sys.platform == "win32":
        detached = {"creationflags": subprocess.DETACHED_PROCESS | subprocess.CREATE_NEW_PROCESS_GROUP}
    command = [sys.executable, "-m", "navllm", "serve", "--port", str(port), "--idle-exit", str(IDLE_MINUTES)]
    daemon = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True, **detached
    )
    end = time.monotonic() + START_DEADLINE
    while time.monotonic() < end:
        state = read_state()
        link = attach(state)
        if link is not None:
            if state is not None and state.get("pid") != daemon.pid:
                _stop_late_starter(daemon)
            return link
        if daemon.poll() not in (None, ALREADY_RUNNING):
            # It could not start (its port is taken, say); another daemon starting would have made it exit ALREADY_RUNNING.
            note("navllm serve exited %s as it started (its daemon.log says why); serving in-process", daemon.returncode)
            return None
        time.sleep(0.05)
    note("navllm serve did not answer within %.0f s of starting it; serving in-process", START_DEADLINE)
    return None


def _stop_late_starter(daemon: subprocess.Popen[bytes]) -> None:
    """Another host's daemon won the start race; ours may still be starting, too slow yet to have
    lost the lock. Left alone, it would take the lock once the winner stops and serve nobody until
    its --idle-exit. While the winner holds the lock ours cannot have written a state file; had it
    taken over since, SIGTERM stops it cleanly, its file removed."""
    import subprocess

    if daemon.poll() is None:
        note("navllm serve (pid %s) lost the start race; stopping it", daemon.pid, warning=False)
        daemon.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            daemon.wait(STOP_DEADLINE)


def _alive(pid: object) -> bool:
    # Not atomic.alive: importing it loads the protocol package and pydantic into every relay host,
    # which stays small by importing nothing the relay does not use.
    if type(pid) is not int or pid <= 0:
        return False
    if sys.platform == "win32":
        return True  # os.kill would end it there; whether its port answers decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
