"""The real host process, driven as the browser drives it."""

from __future__ import annotations

import time

import pytest

from tests.support.host_process import ADMIN, PAGE, HostProcess, frame

HELLO = {"extensionVersion": "0.1.0", "protocol": 1}
SAY = [{"role": "user", "content": [{"type": "text", "value": "hi"}]}]
OTHER = {**PAGE, "origin": "https://other.example", "tabId": 2}


@pytest.fixture
def host(navllm_home):
    running = HostProcess(navllm_home)
    yield running
    running.close()


def echo_for(host: HostProcess, *callers: dict, delay_ms: int = 0) -> None:
    """Turn the echo backend on and grant it to ``callers``, through the admin path."""
    assert host.call("settings.set", ADMIN, values={"echoEnabled": True, "echoDelayMs": delay_ms, "providers": []})["type"] == "done"
    for caller in callers:
        reply = host.call("grants.set", ADMIN, origin=caller["origin"], state="granted", providers=["local"])
        assert reply["type"] == "done", reply


def finished(host: HostProcess, timeout: float = 5) -> tuple[int, str]:
    host.proc.stdin.close()
    code = host.proc.wait(timeout)
    return code, host.proc.stderr.read().decode()


def test_hello_first_and_later(host):
    assert host.call("hello", ADMIN, **HELLO) == {"id": "r1", "type": "done", "data": {"host": "0.1.0", "protocol": 1}}
    later = host.call("hello", ADMIN, **HELLO)
    assert later["type"] == "done" and later["data"]["protocol"] == 1
    wrong = host.call("hello", ADMIN, extensionVersion="9", protocol=2)
    assert wrong["error"]["name"] == "NotSupportedError"


@pytest.mark.parametrize(
    "data",
    [frame({"id": "a"})[:4] + b"garbage!", b"\xff\xff\xff\x7f", frame({"id": "x"})[:-2]],
    ids=["garbage", "over-cap-header", "eof-mid-frame"],
)
def test_a_truncated_stream_stops_with_one_clear_line(host, data):
    host.call("hello", ADMIN, **HELLO)
    host.send_raw(data)
    code, stderr = finished(host)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("navllm host: stopping, the browser's message stream is unusable")
    assert "Traceback" not in stderr


def test_input_cap_is_configurable_and_an_over_cap_frame_fails_alone(navllm_home):
    host = HostProcess(navllm_home, env={"NAVLLM_MAX_INPUT": "2048"})
    host.call("hello", ADMIN, **HELLO)
    big = frame({"type": "status", "caller": ADMIN, "pad": "x" * 4096, "id": "big"})  # the id last, as Firefox sends it
    host.send_raw(big)
    refused = host.read()
    assert refused["id"] == "big" and refused["error"]["name"] == "QuotaExceededError"
    assert "exceeds the 2048-byte cap" in refused["error"]["message"]
    assert refused["error"]["details"] == {"quota": 2048, "requested": len(big) - 4}
    assert host.call("status", ADMIN)["type"] == "done"
    assert finished(host)[0] == 0


def test_stray_output_inside_the_host_does_not_corrupt_the_stream(navllm_home):
    # A library that prints (or writes to fd 1) once the host runs, and one that reads stdin.
    noisy = (
        "import os, sys, threading, runpy\n"
        "def noise():\n"
        "    import time; time.sleep(0.3)\n"
        "    print('stray print from a library'); sys.stdout.flush()\n"
        "    os.write(1, b'stray write to fd 1\\n')\n"
        "    print('stdin gave', repr(sys.stdin.read()), file=sys.stderr, flush=True)\n"
        "threading.Thread(target=noise, daemon=True).start()\n"
        "runpy.run_module('navllm.host', run_name='__main__')\n"
    )
    host = HostProcess(navllm_home, code=noisy)
    host.send({"id": "early", "type": "hello", "caller": ADMIN, **HELLO})  # waits in the pipe
    noise = [host.proc.stderr.readline().decode() for _ in range(3)]
    assert noise == ["stray print from a library\n", "stray write to fd 1\n", "stdin gave ''\n"]  # stdin held nothing of ours
    assert host.read() == {"id": "early", "type": "done", "data": {"host": "0.1.0", "protocol": 1}}
    assert host.call("status", ADMIN)["type"] == "done"
    assert finished(host)[0] == 0


def test_foreign_callers_are_refused(navllm_home):
    allowed = {"NAVLLM_ALLOWED_CALLERS": "chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh/ navllm@navllm.org"}
    for argv in (["chrome-extension://evilevilevilevilevilevilevilevil/"], ["/x/org.navllm.host.json", "evil@example.org"], []):
        host = HostProcess(navllm_home, *argv, env=allowed)
        code, stderr = finished(host)
        assert code == 3 and "navllm host refuses caller" in stderr, argv
    for argv in (["chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh/"], ["/x/org.navllm.host.json", "navllm@navllm.org"]):
        host = HostProcess(navllm_home, *argv, env=allowed)
        assert host.call("hello", ADMIN, **HELLO)["type"] == "done"
        assert finished(host)[0] == 0


def test_exits_within_a_second_of_eof_with_work_in_flight(host):
    echo_for(host, PAGE, delay_ms=10_000)
    session = host.call("create", PAGE)["data"]["session"]
    host.request("prompt", PAGE, session=session, input=SAY)
    time.sleep(0.2)
    started = time.monotonic()
    code, _ = finished(host)
    assert code == 0
    assert time.monotonic() - started < 1.0


def test_sessions_belong_to_their_origin(host):
    echo_for(host, PAGE, OTHER)
    session = host.call("create", PAGE)["data"]["session"]
    stolen = host.call("prompt", OTHER, session=session, input=SAY)
    assert stolen["type"] == "error" and stolen["error"]["name"] == "NotFoundError"
    assert "hi" not in str(stolen)
    assert host.call("destroy", OTHER, session=session)["error"]["name"] == "NotFoundError"
    mine = host.until_done(host.request("prompt", PAGE, session=session, input=SAY))
    assert mine[-1]["type"] == "done"
    assert "".join(r.get("delta", "") for r in mine).endswith("hi")


def test_bad_requests_get_errors_and_the_host_keeps_serving(host):
    echo_for(host, PAGE)
    host.send({"id": "n1", "type": "create", "caller": PAGE, "options": {"sampling": {"temperature": "hot"}}})
    host.send({"id": "n2", "type": "no-such-type", "caller": PAGE})
    host.send({"id": "n3", "type": "status", "caller": PAGE})  # admin from a page
    host.send({"id": "n4", "type": "create"})  # no caller
    replies = {r["id"]: r for r in (host.read() for _ in range(4))}
    assert replies["n1"]["error"]["name"] == "TypeError" and "temperature" in replies["n1"]["error"]["message"]
    assert replies["n2"]["error"]["name"] == "NotSupportedError"
    assert replies["n3"]["error"]["name"] == "NotAllowedError"
    assert replies["n4"]["error"]["name"] == "TypeError" and "caller" in replies["n4"]["error"]["message"]
    assert host.call("create", PAGE)["type"] == "done"


def test_malformed_first_frame_fails_alone_and_immediate_eof(navllm_home):
    host = HostProcess(navllm_home)
    host.send_raw(b"\x04\x00\x00\x00nope")  # no id to answer: only logged
    host.send_raw(b"\x0d\x00\x00\x00" + b'{"id":"h1",\xff}')
    assert host.read()["error"] == {"name": "TypeError", "message": "the message is not UTF-8 JSON (UnicodeDecodeError)"}
    assert host.call("hello", ADMIN, **HELLO)["type"] == "done"
    assert finished(host) == (0, "")
    host = HostProcess(navllm_home)
    assert finished(host) == (0, "")
