"""Installed models: the store, where models come from, and how they become ONNX folders."""
