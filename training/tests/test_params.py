from __future__ import annotations

import pytest

from steward_training.params import TrainParams


def test_defaults_differ_for_the_tiny_model():
    tiny = TrainParams.parse(None, "tiny")
    full = TrainParams.parse("", "/models/minilm")
    assert (tiny.learning_rate, tiny.batch_size, tiny.epochs) == (1e-3, 32, 2)
    assert (full.learning_rate, full.batch_size, full.epochs) == (4e-5, 16, 2)
    assert TrainParams.parse('{"epochs": 5}', "tiny").epochs == 5
    assert TrainParams.parse('{"epochs": 5}', "tiny").learning_rate == 1e-3


@pytest.mark.parametrize("text, message", [
    ('{"epoch": 3}', "unknown training parameter"),
    ('{"epochs": "3"}', "epochs must be int"),
    ('{"epochs": true}', "epochs must be int"),
    ('{"epochs": 0}', "epochs must be > 0"),
    ('{"learning_rate": 2}', "learning_rate"),
    ('{"precision": "fp8"}', "precision"),
    ('[1, 2]', "JSON object"),
    ('{"epochs": 3', "not valid JSON"),
])
def test_bad_params_are_refused_with_the_key_named(text, message):
    with pytest.raises(ValueError, match=message):
        TrainParams.parse(text, "tiny")


def test_integers_are_accepted_for_floats():
    params = TrainParams.parse('{"warmup_ratio": 0}', "tiny")
    assert params.warmup_ratio == 0.0 and isinstance(params.warmup_ratio, float)


def test_booleans_accept_0_and_1_only():
    assert TrainParams.parse('{"quantize": 0}', "tiny").quantize is False
    assert TrainParams.parse('{"quantize": 1}', "tiny").quantize is True
    with pytest.raises(ValueError, match="quantize must be bool"):
        TrainParams.parse('{"quantize": 2}', "tiny")
    with pytest.raises(ValueError, match="quantize must be bool"):
        TrainParams.parse('{"quantize": "yes"}', "tiny")
