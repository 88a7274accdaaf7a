import math

from dcgan_lessons.losses import EPSILON, binary_cross_entropy, discriminator_loss, generator_loss, generator_loss_curve

import numpy as np
import pytest
import tensorflow as tf


def test_half_everywhere_gives_ln2_for_both_players():
    half = np.full((8, 1), 0.5, "float32")
    assert float(discriminator_loss(half, half)) == pytest.approx(math.log(2), rel=1e-6)
    assert float(generator_loss(half)) == pytest.approx(math.log(2), rel=1e-6)
    assert float(generator_loss(half, "minimax")) == pytest.approx(-math.log(2), rel=1e-6)


def test_bce_by_hand():
    p = np.array([0.9, 0.2, 0.6], "float32")
    t = np.array([1.0, 0.0, 1.0], "float32")
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert float(binary_cross_entropy(t, p)) == pytest.approx(expected, rel=1e-6)


def test_discriminator_loss_is_the_mean_of_its_two_terms():
    real = np.array([[0.9], [0.8]], "float32")
    fake = np.array([[0.1], [0.3]], "float32")
    real_term = -(math.log(0.9) + math.log(0.8)) / 2
    fake_term = -(math.log(0.9) + math.log(0.7)) / 2
    assert float(discriminator_loss(real, fake)) == pytest.approx((real_term + fake_term) / 2, rel=1e-6)


def test_one_sided_label_smoothing_targets_0_9_for_real_only():
    real = np.array([[0.9]], "float32")
    fake = np.array([[0.1]], "float32")
    smoothed = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    expected = (smoothed - math.log(0.9)) / 2
    assert float(discriminator_loss(real, fake, label_smoothing=0.1)) == pytest.approx(expected, rel=1e-6)


def test_probabilities_are_clipped_not_infinite():
    assert np.isfinite(float(generator_loss(np.zeros((2, 1), "float32"))))


def _gradient(kind: str, d_of_g: float) -> float:
    x = tf.Variable([[d_of_g]])
    with tf.GradientTape() as tape:
        loss = generator_loss(x, kind)
    return float(tape.gradient(loss, x)[0, 0])


def test_minimax_saturates_where_the_generator_is_losing():
    # early in training D(G(z)) is near 0: the minimax gradient is small, the non-saturating one large
    assert abs(_gradient("minimax", 0.01)) == pytest.approx(1 / 0.99, rel=1e-3)
    assert abs(_gradient("non_saturating", 0.01)) == pytest.approx(100, rel=1e-3)


def test_unknown_generator_loss():
    with pytest.raises(ValueError, match="unknown generator loss 'wasserstein'"):
        generator_loss(np.ones((1, 1), "float32"), "wasserstein")


def test_the_clip_cuts_the_non_saturating_gradient_below_epsilon():
    # notebooks 04 and 08 (sweep_claims.cut_off_generators) rely on it: below D(G(z)) = 1e-7 the loss is flat
    loss, grad = generator_loss_curve([1e-6, 1e-8], "non_saturating")
    assert grad[0] == pytest.approx(-1.0, abs=1e-5) and grad[1] == 0.0
    assert loss[1] == pytest.approx(-np.log(EPSILON), abs=1e-4)
