"""An onnxruntime runner for converted models, fed as the engine feeds them.

The fp32 reference they are checked against is ``navllm.bench.reference`` (independent of the
converter: the ``gguf`` package reads and dequantizes the file).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class Runner:
    """Feeds a converted model one chunk at a time, as the engine does.

    ``shared=True`` binds one preallocated [1, kvHeads, max_len, headDim] buffer per layer as both
    past and present (GroupQueryAttention's shared-buffer mode); otherwise presents are fed back
    as numpy arrays.
    """

    def __init__(self, model_dir: Path, shared: bool, max_len: int = 512, accuracy_level: int | None = None):
        import onnxruntime as ort

        self.meta = json.loads((Path(model_dir) / "navllm-model.json").read_text())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        self.session = ort.InferenceSession(str(Path(model_dir) / "model.onnx"), opts, providers=["CPUExecutionProvider"])
        self.shared = shared
        self.total = 0
        m = self.meta
        shape = (1, m["kvHeads"], max_len if shared else 0, m["headDim"])
        self.names = [f"{i}.{kv}" for i in range(m["layers"]) for kv in ("key", "value")]
        if shared:
            self.cache = {n: ort.OrtValue.ortvalue_from_numpy(np.zeros(shape, np.float32)) for n in self.names}
        else:
            self.cache = {n: np.zeros(shape, np.float32) for n in self.names}

    def step(self, ids: list[int]) -> np.ndarray:
        """Logits [vocab] after feeding ``ids``."""
        self.total += len(ids)
        input_ids = np.array([ids], np.int64)
        mask = np.ones((1, self.total), np.int64)
        keep = np.array([1], np.int64)  # logits for the last position only
        if not self.shared:
            feeds = {"input_ids": input_ids, "attention_mask": mask, "logits_to_keep": keep}
            feeds.update({f"past_key_values.{n}": a for n, a in self.cache.items()})
            outs = dict(zip([o.name for o in self.session.get_outputs()], self.session.run(None, feeds), strict=True))
            self.cache = {n: outs[f"present.{n}"] for n in self.names}
            return outs["logits"][0, -1]
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", input_ids)
        binding.bind_cpu_input("attention_mask", mask)
        binding.bind_cpu_input("logits_to_keep", keep)
        binding.bind_output("logits")  # first bound, so first in copy_outputs_to_cpu()
        for n, buf in self.cache.items():
            binding.bind_ortvalue_input(f"past_key_values.{n}", buf)
            binding.bind_ortvalue_output(f"present.{n}", buf)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0][0, -1]
