"""Benchmarks run by ``navllm bench``: each engine in its own process, medians of several runs."""
