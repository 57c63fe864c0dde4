"""Local engine vs llama.cpp from a checkout: ``python bench/local.py [--threads 2] [--json]``.

The same as ``navllm bench local``; see ``navllm.bench.local`` (and docs/benchmarks.md) for what
is measured and how to install the llama-cpp-python baseline.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

from navllm.bench.local import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
