"""``hf:<org>/<repo>[@revision][:<file>.gguf]``: a Hugging Face Hub repository, fetched with ``huggingface_hub``.

Four layouts are accepted: an ONNX model folder in our contract (``navllm-model.json``,
``model.onnx``, ``tokenizer.json``, ...), a BERT sentence-embedding model (``config.json``,
``model.safetensors``, ``tokenizer.json``) that we convert, a CTranslate2 translation model
(``model.bin``, ``config.json``, vocabularies, ``source.spm``, ``target.spm``) installed as it is,
or one GGUF file named after the colon (GGUF repositories hold many quantisations; only the one
named is downloaded), checked against the sha256 the hub reports for it or one the caller knows
(the catalog's). The hub endpoint comes from ``HF_ENDPOINT`` (mirrors, self-hosted hubs), as
huggingface_hub itself reads it.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from ...protocol.errors import ErrorName, NavError
from ..download import check_cancel, download, require_free_space, sha256_file
from ..translation import PATTERNS as CT2_FILES
from . import Context, Fetched, Format, model_name

REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
GGUF_FILE = re.compile(r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,254}\.gguf$")
BERT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json"]
SKIP = [".gitattributes", "*.md", "onnx/*"]  # not part of a model folder in our contract


def parse(spec: str) -> tuple[str, str | None, str | None]:
    """``org/repo[@revision][:file.gguf]`` → (repo, revision, file); NavError when malformed."""
    place, _, filename = spec.partition(":")
    repo, _, revision = place.partition("@")
    if not REPO.match(repo) or (revision and not REVISION.match(revision)) or (filename and not GGUF_FILE.match(filename)):
        raise NavError(
            ErrorName.TYPE,
            f"invalid Hugging Face source {spec[:200]!r}: use org/name[@revision], or org/name[@revision]:file.gguf for one GGUF file",
        )
    return repo, revision or None, filename or None


def fetch(spec: str, ctx: Context) -> Fetched:
    repo, revision, filename = parse(spec)
    if filename is not None:
        return fetch_gguf(repo, revision, filename, ctx)
    from huggingface_hub import snapshot_download

    # Public and loaded lazily by huggingface_hub.utils, whose TYPE_CHECKING import of it is not in mypy's re-export form.
    from huggingface_hub.utils import filter_repo_objects  # type: ignore[attr-defined]

    info = _info(repo, revision, spec, ctx)
    files = {s.rfilename: s.size or 0 for s in info.siblings or []}
    fmt, patterns = _layout(repo, set(files))
    wanted = list(filter_repo_objects(list(files), allow_patterns=patterns, ignore_patterns=SKIP))
    endpoint = os.environ.get("HF_ENDPOINT") or None
    # A killed pull leaves this folder for the next one to resume; failures and cancels remove it.
    partial = ctx.downloads / "hf" / f"{repo.replace('/', '--')}@{info.sha}"
    partial.mkdir(parents=True, exist_ok=True)
    try:
        have = sum(p.stat().st_size for p in partial.rglob("*") if p.is_file())
        require_free_space(partial, sum(files[f] for f in wanted) - have)
        snapshot_download(
            repo,
            revision=info.sha,
            endpoint=endpoint,
            local_dir=partial,
            allow_patterns=wanted,
            tqdm_class=_progress_class(ctx),
            max_workers=2,
        )
    except BaseException as exc:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, NavError) or not isinstance(exc, Exception):
            raise
        raise _hub_error(exc, spec, endpoint or "the Hugging Face Hub") from None
    folder = ctx.workdir / "hf"
    os.replace(partial, folder)
    check_cancel(ctx.cancel)
    shutil.rmtree(folder / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
    source_file = folder / {"onnx": "model.onnx", "ct2": "model.bin"}.get(fmt, "model.safetensors")
    return Fetched(path=folder, format=fmt, sha256=sha256_file(source_file, ctx.cancel), name=model_name(repo.split("/")[1]))


def fetch_gguf(
    repo: str, revision: str | None, filename: str, ctx: Context, *, sha256: str | None = None, name: str | None = None
) -> Fetched:
    """One GGUF file of a repository, verified against ``sha256`` or else the hub's own LFS sha256.

    The file comes through ``download`` (not huggingface_hub, whose partial files die with their
    process): a dropped connection resumes with Range, and a killed pull leaves its part for the
    next pull of the same file to resume.
    """
    from huggingface_hub import hf_hub_url

    spec = f"{repo}{'@' + revision if revision else ''}:{filename}"
    info = _info(repo, revision, spec, ctx)
    sibling = next((s for s in info.siblings or [] if s.rfilename == filename), None)
    if sibling is None:
        raise NavError(ErrorName.NOT_FOUND, f"{repo} has no file {filename}; check the file name on the repository's Files page")
    hub_sha256 = sibling.lfs.sha256.lower() if sibling.lfs is not None else None
    if sha256 is not None and hub_sha256 is not None and sha256.lower() != hub_sha256:
        raise NavError(
            ErrorName.DATA,
            f"{filename} in {repo} is not the file navllm expects (the hub's sha256 is {hub_sha256}, expected {sha256.lower()}); nothing was downloaded",
        )
    expected = (sha256 or hub_sha256 or "").lower()
    if not expected:
        raise NavError(ErrorName.DATA, f"the hub reports no sha256 for {filename} in {repo}, so its download cannot be verified")
    url = hf_hub_url(repo, filename, revision=info.sha, endpoint=os.environ.get("HF_ENDPOINT") or None)
    path = ctx.workdir / "hf" / Path(filename).name
    stage = f"downloading {Path(filename).name}"
    download(
        url, path, part=ctx.downloads / f"{expected}.part", sha256=expected, progress=lambda f, _: ctx.progress(f, stage), cancel=ctx.cancel
    )
    return Fetched(path=path, format="gguf", sha256=expected, name=name or model_name(Path(filename).stem))


def _info(repo: str, revision: str | None, spec: str, ctx: Context) -> Any:
    from huggingface_hub import HfApi

    endpoint = os.environ.get("HF_ENDPOINT") or None
    ctx.progress(0.0, f"looking up {repo}")
    try:
        return HfApi(endpoint=endpoint).model_info(repo, revision=revision, files_metadata=True)
    except Exception as exc:
        raise _hub_error(exc, spec, endpoint or "the Hugging Face Hub") from None


def _layout(repo: str, files: set[str]) -> tuple[Format, list[str] | None]:
    """Which kind of repository this is, and which of its files to fetch (None: all but SKIP)."""
    if {"navllm-model.json", "model.onnx", "tokenizer.json"} <= files:
        return "onnx", None
    if {"model.bin", "config.json", "source.spm", "target.spm"} <= files:
        return "ct2", CT2_FILES
    if {"config.json", "model.safetensors", "tokenizer.json"} <= files:
        return "bert", BERT_FILES
    raise NavError(
        ErrorName.NOT_SUPPORTED,
        f"{repo} is neither a navllm ONNX model folder (navllm-model.json, model.onnx, tokenizer.json) "
        "nor a BERT embedding model (config.json, model.safetensors, tokenizer.json) "
        "nor a CTranslate2 translation model (model.bin, config.json, source.spm, target.spm)",
    )


def _progress_class(ctx: Context) -> type[Any]:
    """A silent tqdm that turns huggingface_hub's byte counts into our progress, and cancels."""
    from tqdm.auto import tqdm

    class _Sink:
        def write(self, text: str) -> None:
            pass

        def flush(self) -> None:
            pass

    class Progress(tqdm):  # type: ignore[misc]  # tqdm publishes no type information: a subclass of Any
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.update(file=_Sink(), disable=False)
            super().__init__(*args, **kwargs)

        def update(self, n: float = 1) -> bool | None:
            check_cancel(ctx.cancel)
            shown: bool | None = super().update(n)
            if self.unit == "B" and self.total:  # the byte bars (files come and go in the other)
                ctx.progress(min(1.0, self.n / self.total), "downloading model files")
            return shown

    return Progress


def _hub_error(exc: Exception, spec: str, where: str) -> NavError:
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    if isinstance(exc, (RepositoryNotFoundError, RevisionNotFoundError)):
        return NavError(ErrorName.NOT_FOUND, f"{spec} was not found on {where}: {_first_line(exc)}")
    # Connection failures arrive as the HTTP client's own exception types.
    return NavError(ErrorName.NETWORK, f"downloading {spec} from {where} failed: {type(exc).__name__}: {_first_line(exc)}")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
