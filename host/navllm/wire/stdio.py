"""Take the browser's pipes away from the rest of the process.

Must run before anything else is imported: a stray ``print`` would corrupt the
frame stream, and a library prompting on stdin (``getpass``) would eat a request.
"""

import os
import sys


def take_protocol_pipes() -> tuple[int, int]:
    """Return private (input, output) descriptors; point fd 0 at devnull and fd 1 at stderr."""
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    if sys.platform == "win32":
        import msvcrt

        msvcrt.setmode(proto_in, os.O_BINARY)
        msvcrt.setmode(proto_out, os.O_BINARY)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return proto_in, proto_out
