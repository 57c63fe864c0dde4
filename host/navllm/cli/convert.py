"""``navllm convert GGUF OUT_DIR``: turn a GGUF file into a model folder without installing it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser("convert", help="convert a GGUF file into an ONNX model folder")
    parser.add_argument(
        "gguf", type=Path, help="the GGUF file (llama, mistral3, qwen2, qwen3, smollm3, phi3, gemma2 or gemma3: docs/converter.md)"
    )
    parser.add_argument("out_dir", type=Path, help="folder to create (must not exist, or be empty)")
    parser.add_argument(
        "--accuracy-level",
        type=int,
        choices=(1, 4),
        default=None,
        help="MatMulNBits activations for 4-bit weights: 4 = int8 (default: fastest decode), "
        "1 = fp32 (faster prefill, closest to the weights)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..models.convert import convert_gguf
    from ..models.convert.convert import ACCURACY_LEVEL
    from .models import ProgressBar

    started = time.monotonic()
    with ProgressBar() as bar:
        meta = convert_gguf(args.gguf, args.out_dir, bar.update, accuracy_level=args.accuracy_level or ACCURACY_LEVEL)
    print(
        f"converted {meta['name']} ({meta['architecture']}, {meta['layers']} layers, {meta['quant']}) "
        f"into {args.out_dir} in {time.monotonic() - started:.1f} s"
    )
    return 0
