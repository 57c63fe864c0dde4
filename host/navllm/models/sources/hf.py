"""``hf:<org>/<repo>[@revision]``: a Hugging Face Hub repository, fetched with ``huggingface_hub``.

Three layouts are accepted: an ONNX model folder in our contract (``navllm-model.json``,
``model.onnx``, ``tokenizer.json``, ...), a BERT sentence-embedding model (``config.json``,
``model.safetensors``, ``tokenizer.json``) that we convert, or a CTranslate2 translation model
(``model.bin``, ``config.json``, vocabularies, ``source.spm``, ``target.spm``) installed as it is.
The hub endpoint comes from ``HF_ENDPOINT`` (mirrors, self-hosted hubs), as huggingface_hub itself reads it.
"""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

from ...protocol.errors import ErrorName, NavError
from ..download import check_cancel, require_free_space, sha256_file
from . import Context, Fetched, Format, model_name

REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")
# A CTranslate2 translation model (an Opus-MT/Marian conversion): weights, config, vocabularies, SentencePiece models.
CT2_FILES = ["model.bin", "config.json", "*vocabulary.*", "source.spm", "target.spm", "navllm-model.json"]
BERT_FILES = ["config.json", "model.safetensors", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json"]
SKIP = [".gitattributes", "*.md", "onnx/*"]  # not part of a model folder in our contract


def fetch(spec: str, ctx: Context) -> Fetched:
    repo, _, revision = spec.partition("@")
    if not REPO.match(repo) or (revision and not REVISION.match(revision)):
        raise NavError(ErrorName.TYPE, f"invalid Hugging Face repository {spec[:200]!r}: use org/name[@revision]")
    from huggingface_hub import HfApi, snapshot_download

    # Public and loaded lazily by huggingface_hub.utils, whose TYPE_CHECKING import of it is not in mypy's re-export form.
    from huggingface_hub.utils import filter_repo_objects  # type: ignore[attr-defined]

    endpoint = os.environ.get("HF_ENDPOINT") or None
    where = endpoint or "the Hugging Face Hub"
    ctx.progress(0.0, f"looking up {repo}")
    try:
        info = HfApi(endpoint=endpoint).model_info(repo, revision=revision or None, files_metadata=True)
    except Exception as exc:
        raise _hub_error(exc, spec, where) from None
    files = {s.rfilename: s.size or 0 for s in info.siblings or []}
    fmt, patterns = _layout(repo, set(files))
    wanted = list(filter_repo_objects(list(files), allow_patterns=patterns, ignore_patterns=SKIP))
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
        raise _hub_error(exc, spec, where) from None
    folder = ctx.workdir / "hf"
    os.replace(partial, folder)
    check_cancel(ctx.cancel)
    shutil.rmtree(folder / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
    source_file = folder / {"onnx": "model.onnx", "ct2": "model.bin"}.get(fmt, "model.safetensors")
    return Fetched(path=folder, format=fmt, sha256=sha256_file(source_file, ctx.cancel), name=model_name(repo.split("/")[1]))


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
