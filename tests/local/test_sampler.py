"""The sampler: greedy, seeded draws, top-k / top-p masses, repetition penalty, constraint masks."""

from __future__ import annotations

import numpy as np
import pytest

from navllm.providers.local.sampler import Sampler, SamplerConfig

LOGITS = np.log(np.array([0.5, 0.3, 0.15, 0.05], dtype=np.float32))


def draws(config: SamplerConfig, n: int = 4000, logits=LOGITS) -> np.ndarray:
    sampler = Sampler(config)
    return np.array([sampler.sample(logits) for _ in range(n)])


def test_greedy_is_argmax_whatever_the_seed():
    logits = np.array([0.1, 3.0, 2.9, -1.0], dtype=np.float32)
    assert {Sampler(SamplerConfig(temperature=0.0, seed=s)).sample(logits) for s in range(5)} == {1}
    assert Sampler(SamplerConfig(temperature=1.0, top_k=1, seed=3)).sample(logits) == 1


def test_same_seed_same_sequence_different_seed_different():
    config = SamplerConfig(temperature=1.0, seed=42)
    assert list(draws(config, 200)) == list(draws(config, 200))
    assert list(draws(config, 200)) != list(draws(SamplerConfig(temperature=1.0, seed=43), 200))


def test_temperature_one_follows_the_softmax():
    counts = np.bincount(draws(SamplerConfig(temperature=1.0, seed=1)), minlength=4) / 4000
    assert counts == pytest.approx([0.5, 0.3, 0.15, 0.05], abs=0.03)


def test_top_k_keeps_the_k_best_with_renormalised_mass():
    counts = np.bincount(draws(SamplerConfig(temperature=1.0, top_k=2, seed=2)), minlength=4) / 4000
    assert counts[2:].sum() == 0
    assert counts[0] == pytest.approx(0.5 / 0.8, abs=0.03)


def test_top_p_keeps_the_smallest_set_reaching_the_mass():
    # 0.5 < 0.7 <= 0.5 + 0.3: the two best tokens, in proportion 5:3.
    counts = np.bincount(draws(SamplerConfig(temperature=1.0, top_p=0.7, seed=3)), minlength=4) / 4000
    assert counts[2:].sum() == 0
    assert counts[0] == pytest.approx(0.625, abs=0.03)
    # 0.9 needs the third token too, never the fourth.
    counts = np.bincount(draws(SamplerConfig(temperature=1.0, top_p=0.9, seed=4)), minlength=4)
    assert counts[2] > 0 and counts[3] == 0


def test_low_temperature_sharpens():
    counts = np.bincount(draws(SamplerConfig(temperature=0.2, seed=5)), minlength=4) / 4000
    assert counts[0] > 0.9


def test_repetition_penalty_divides_positive_and_multiplies_negative_logits():
    sampler = Sampler(SamplerConfig(temperature=0.0, repetition_penalty=1.5))
    logits = np.array([2.0, 1.9, -0.5, -0.6], dtype=np.float32)
    assert sampler.sample(logits) == 0
    assert sampler.sample(logits, previous=[0, 0]) == 1  # 2.0 / 1.5 < 1.9
    only_negative = np.array([-1.0, -1.2, -5.0, -5.0], dtype=np.float32)
    assert sampler.sample(only_negative, previous=[0]) == 1  # -1.0 * 1.5 < -1.2
    assert logits[0] == 2.0  # the caller's logits are left alone


def test_constraint_mask_is_respected_in_every_mode():
    allowed = np.array([False, False, True, True])
    assert Sampler(SamplerConfig()).sample(LOGITS, allowed=allowed) == 2
    assert set(draws(SamplerConfig(temperature=1.5, top_k=3, top_p=0.95, seed=6), 500, LOGITS)) <= {0, 1, 2}
    sampler = Sampler(SamplerConfig(temperature=1.0, seed=7))
    assert {sampler.sample(LOGITS, allowed=allowed) for _ in range(300)} == {2, 3}
    with pytest.raises(ValueError, match="no token"):
        sampler.sample(LOGITS, allowed=np.zeros(4, dtype=bool))
