"""``folder:<path>``: a CTranslate2 translation model folder on this machine (an Opus-MT conversion).

Its model files are copied (the user's folder stays as it was) and hashed; the store checks the
layout and works out the language pair (``models.translation``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ...protocol.errors import ErrorName, NavError
from ..download import check_cancel, require_free_space, sha256_file
from ..translation import PATTERNS, check
from . import Context, Fetched, model_name


def fetch(spec: str, ctx: Context) -> Fetched:
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise NavError(ErrorName.NOT_FOUND, f"no model folder at {spec[:500]}")
    check(folder)
    files = sorted({p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file()})
    copy = ctx.workdir / "folder"
    copy.mkdir()
    require_free_space(copy, sum(p.stat().st_size for p in files))
    for done, path in enumerate(files):
        check_cancel(ctx.cancel)
        ctx.progress(done / len(files), f"copying {path.name}")
        shutil.copyfile(path, copy / path.name)
    ctx.progress(1.0, f"copied {folder.name}")
    return Fetched(path=copy, format="ct2", sha256=sha256_file(copy / "model.bin", ctx.cancel), name=model_name(folder.name))
