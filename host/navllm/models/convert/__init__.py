"""GGUF → ONNX conversion: ``convert_gguf(gguf_path, out_dir, progress)`` writes a model folder."""

from .convert import META_FILE, MODEL_FILE, TOKENIZER_FILE, convert_gguf

__all__ = ["META_FILE", "MODEL_FILE", "TOKENIZER_FILE", "convert_gguf"]
