"""The generator's debiased average (``ema_debiased``): an exact weighted mean of the steps taken, batch
normalization's statistics included, that resumes exactly."""

import dcgan_lessons as dl
from dcgan_lessons.training import GeneratorAverage

import keras
import numpy as np
import pytest

from tests.conftest import QUICK, SLICE


def small_generator() -> keras.Model:
    inputs = keras.Input((3,))
    x = keras.layers.Dense(4)(inputs)
    outputs = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, outputs)


def test_the_debiased_average_is_the_decay_weighted_mean_of_every_step_with_its_own_statistics():
    generator = small_generator()
    decay = 0.9
    average = GeneratorAverage(generator, decay, debiased=True)
    seen = []
    for step in range(5):
        generator.set_weights([np.full_like(w, float(step + 1)) for w in generator.get_weights()])
        seen.append(step + 1.0)
        average.update()
    weights = decay ** np.arange(len(seen))[::-1]
    expected = float(np.sum(weights * np.array(seen)) / np.sum(weights))  # no weight on the untrained generator
    for variable in average.model.weights:  # kernel, bias, BN's gamma, beta and its moving mean and variance
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)
    assert int(average.count.numpy()) == 5

    plain = GeneratorAverage(small_generator(), decay)  # the stabiliser sweep's average copies BN's statistics
    raw = plain.model.get_weights()
    plain.update()
    moving = [i for i, w in enumerate(plain.model.weights) if not w.trainable]
    assert moving and all(np.array_equal(plain.model.get_weights()[i], raw[i]) for i in moving)


def test_debiased_needs_a_decay():
    with pytest.raises(ValueError, match="ema_debiased changes the generator's average: give its decay"):
        dl.make_config(ema_debiased=True)


@pytest.mark.slow
def test_the_debiased_average_resumes_exactly(tmp_path):
    settings = {**QUICK, "ema": 0.9, "ema_debiased": True}
    whole = dl.train(dl.make_config(**settings), tmp_path / "whole", mnist_dir=SLICE, verbose=0)
    first = dl.train(dl.make_config(**{**settings, "epochs": 1}), tmp_path / "resumed", mnist_dir=SLICE, verbose=0)
    resumed = dl.train(dl.make_config(**settings), first.path, resume=True, mnist_dir=SLICE, verbose=0)
    a, b = whole.generator(ema=True).get_weights(), resumed.generator(ema=True).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert np.array_equal(whole.snapshots(ema=True).images, resumed.snapshots(ema=True).images)
    assert not np.array_equal(whole.snapshots(ema=True).images[-1], whole.snapshots().images[-1])
