"""HTTP downloads of model files: progress, resume, sha256 and a free-space check first.

The bytes go to a ``.part`` file. A dropped connection resumes with ``Range`` within the call;
a process killed mid-download leaves the ``.part`` for the next call to resume. Any failure or
cancel that this process sees deletes it, so nothing half-written is left behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..protocol.errors import ErrorName, NavError

if TYPE_CHECKING:
    import http.client
    from _hashlib import HASH

Progress = Callable[[float, str], None]

CHUNK = 1 << 20
RETRIES = 3
TIMEOUT = 60


def require_free_space(folder: Path, needed: int) -> None:
    """Refuse to start work that would fill the disk."""
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise NavError(
            ErrorName.QUOTA_EXCEEDED,
            f"not enough free disk space in {folder}: {_mb(needed)} needed, {_mb(free)} free",
            needed=needed,
            free=free,
        )


def sha256_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            check_cancel(cancel)
            digest.update(block)
    return digest.hexdigest()


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise NavError(ErrorName.ABORT, "the download was cancelled")


def download(
    url: str,
    dest: Path,
    *,
    part: Path,
    sha256: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> str:
    """Fetch ``url`` into ``dest`` through ``part`` (resumed if present); return the file's sha256."""
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        digest = _fetch(url, part, progress, cancel)
        if sha256 is not None and digest != sha256.lower():
            raise NavError(
                ErrorName.DATA,
                f"checksum mismatch for {_name(url)}: expected sha256 {sha256.lower()}, got {digest}",
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, dest)
        return digest
    except BaseException:
        part.unlink(missing_ok=True)
        raise


def _fetch(url: str, part: Path, progress: Progress | None, cancel: threading.Event | None) -> str:
    import http.client  # the HTTP stack is imported when a download starts, not with the host
    import urllib.error
    import urllib.request

    checked_space = False
    for attempt in range(RETRIES + 1):
        have = part.stat().st_size if part.exists() else 0
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                if have and response.status != 206:  # the server ignored Range: start over
                    have = 0
                total = _total(response, have)
                if not checked_space:
                    require_free_space(part.parent, (total or 0) - have)
                    checked_space = True
                digest = _hash_prefix(part, have, cancel)
                done = have
                with open(part, "ab" if have else "wb") as f:
                    # read1: whatever has arrived, up to CHUNK, so a dropped connection loses nothing it delivered.
                    while block := response.read1(CHUNK):
                        check_cancel(cancel)
                        f.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None and total:
                            progress(done / total, f"downloading {_name(url)}")
                if total is not None and done < total:
                    raise http.client.IncompleteRead(b"", total - done)
                return digest.hexdigest()
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # our part is already past the end: it can't be trusted
                part.unlink(missing_ok=True)
            elif exc.code < 500 or attempt == RETRIES:
                raise NavError(ErrorName.NETWORK, f"downloading {_name(url)} failed: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as exc:
            if attempt == RETRIES:
                raise NavError(ErrorName.NETWORK, f"downloading {_name(url)} failed: {_reason(exc)}") from None
    raise NavError(ErrorName.NETWORK, f"downloading {_name(url)} failed after {RETRIES + 1} attempts")


def _total(response: http.client.HTTPResponse, have: int) -> int | None:
    if response.status == 206:
        # Content-Range: bytes START-END/TOTAL
        size = response.headers.get("Content-Range", "").rpartition("/")[2]
        if size.isdigit():
            return int(size)
    length = response.headers.get("Content-Length")
    return have + int(length) if length and length.isdigit() else None


def _hash_prefix(part: Path, have: int, cancel: threading.Event | None) -> HASH:
    digest = hashlib.sha256()
    if have:
        with open(part, "rb") as f:
            while block := f.read(min(CHUNK, have - f.tell())):
                check_cancel(cancel)
                digest.update(block)
        os.truncate(part, have)
    return digest


def _name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("#", 1)[0].split("?", 1)[0] or url


def _reason(exc: Exception) -> str:
    """Why a transfer failed, without echoing the URL (it may carry index credentials)."""
    import http.client

    reason = getattr(exc, "reason", exc)
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    if isinstance(exc, http.client.IncompleteRead):
        return "the connection closed early"
    return type(reason).__name__


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"
