"""Property-based fuzzing of the real host over its pipes: whatever one origin sends, the host
stays alive, answers every request whose id survived, and another origin keeps being answered.
``fuzz_host.py`` runs the same generators for 100,000+ frames."""

from __future__ import annotations

import random

from fuzzing import EXIT_DEADLINE, MUTATIONS, Browser, fuzz_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FRAMES = st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**32 - 1)), min_size=1, max_size=12)


def test_fuzzed_frames_never_wedge_the_host(navllm_home):
    browser = Browser(navllm_home)
    browser.setup()

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(FRAMES)
    def batch(frames):
        expected = []
        bodies = []
        for mutation, seed in frames:
            rid = browser.next_id("f")
            body, answered = fuzz_frame(mutation, random.Random(seed), rid)
            bodies.append(body)
            if answered:
                expected.append(rid)
        browser.send(*bodies)
        browser.probe(timeout=10)
        for rid in expected:
            browser.wait(rid, timeout=5)
        assert browser.alive()

    try:
        batch()
    finally:
        code, took, stderr = browser.close(timeout=5)
    assert code == 0 and took < EXIT_DEADLINE and "Traceback" not in stderr
