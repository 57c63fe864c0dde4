"""Give back the resident pages of a memory-mapped weights file once a session has loaded it.

onnxruntime memory-maps external weights copy-on-write and reads all of them while it loads:
every MatMulNBits weight is repacked (or its prepacked copy matched), so the pages of weights it
keeps in another form, and of the whole embedding table that a Gather only reads a row of, stay
resident although the kernels never read them again. Dropping every page of the file's mappings
costs nothing lasting: the pages the kernels do read fault back in from the page cache on the
first run, the others stay out. Linux only (it needs /proc/self/smaps); elsewhere a no-op.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

MADV_DONTNEED = 4  # Linux: private file pages are dropped and re-read from the file on next access


def release(data_file: Path) -> int:
    """Drop the resident pages of this process's mappings of ``data_file``; returns the bytes dropped.

    A mapping holding pages written since it was mapped (copy-on-write copies, which dropping
    would lose) is left alone."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        mappings = _clean_mappings(str(data_file.resolve()))
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        dropped = 0
        for start, end, resident in mappings:
            if resident and libc.madvise(start, end - start, MADV_DONTNEED) == 0:
                dropped += resident
        return dropped
    except (OSError, ValueError, AttributeError) as exc:  # no /proc, no madvise: keep the pages
        log.debug("could not release the pages of %s: %s", data_file, exc)
        return 0


def _clean_mappings(path: str) -> list[tuple[int, int, int]]:
    """(start, end, resident bytes) of each mapping of ``path`` holding no anonymous pages."""
    found: list[tuple[int, int, int]] = []
    current: list[int] | None = None  # [start, end, resident, anonymous] of a mapping of path
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            head, _, rest = line.partition(" ")
            if "-" in head and not head.endswith(":"):  # a mapping's header line
                if current and current[3] == 0:
                    found.append((current[0], current[1], current[2]))
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].rstrip("\n") == path:
                    start, end = (int(a, 16) for a in head.split("-"))
                    current = [start, end, 0, 0]
                else:
                    current = None
            elif current is not None and head == "Rss:":
                current[2] = int(rest.split()[0]) * 1024
            elif current is not None and head == "Anonymous:":
                current[3] = int(rest.split()[0])
    if current and current[3] == 0:
        found.append((current[0], current[1], current[2]))
    return found
