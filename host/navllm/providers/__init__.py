"""Backends that run a conversation: local ONNX engine, OpenAI-compatible, Anthropic, echo."""
