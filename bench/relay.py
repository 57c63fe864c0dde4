#!/usr/bin/env python3
"""The relay benchmark: same as ``navllm bench relay`` (run with navllm's environment)."""

import sys

from navllm.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", "relay", *sys.argv[1:]]))
