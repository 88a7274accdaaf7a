"""The helpers behind notebooks 01-04: feature maps, the worked transposed convolution, activation
derivatives, model sizes, the generator's loss curves and the optimal discriminator."""

import math

from dcgan_lessons.losses import binary_cross_entropy, generator_loss_curve, optimal_discriminator
from dcgan_lessons.models import (
    activation_curves,
    build_discriminator,
    build_generator,
    layer_outputs,
    parameter_bytes,
    saved_size,
    transposed_conv_example,
    transposed_conv_size,
)

import keras
import numpy as np
import pytest


def test_layer_outputs_follow_one_noise_vector_to_a_digit():
    g = build_generator(seed=0)
    z = np.random.default_rng(0).standard_normal((1, 100)).astype("float32")
    outputs = layer_outputs(g, z)
    assert [name for name, _ in outputs] == [layer.name for layer in g.layers]
    shapes = dict((name, out.shape) for name, out in outputs)
    assert shapes["reshape"] == (1, 7, 7, 256) and shapes["up1"] == (1, 14, 14, 128)
    assert shapes["tanh"] == (1, 28, 28, 1)
    np.testing.assert_allclose(outputs[-1][1], g(z, training=False).numpy(), atol=1e-6)
    assert (dict(outputs)["up1_relu"] >= 0).all()


def test_batch_norm_normalises_the_batch_only_in_training_mode():
    d = build_discriminator(seed=0)
    images = np.random.default_rng(1).uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    conv = dict(layer_outputs(d, images))["down1"]
    # inference mode at initialisation: moving mean 0, moving variance 1, so almost nothing changes
    infer = dict(layer_outputs(d, images, training=False))["down1_bn"]
    np.testing.assert_allclose(infer, conv / np.sqrt(1 + 1e-3), rtol=1e-4, atol=1e-6)
    # training mode: each channel standardised with this batch's own mean and variance (epsilon 1e-3)
    train = dict(layer_outputs(d, images, training=True))["down1_bn"]
    variance = conv.var(axis=(0, 1, 2))
    assert np.abs(train.mean(axis=(0, 1, 2))).max() < 1e-3
    np.testing.assert_allclose(train.std(axis=(0, 1, 2)), np.sqrt(variance / (variance + 1e-3)), rtol=1e-3)
    # ... and it nudges the moving statistics towards the batch's (momentum 0.99)
    moving = d.get_layer("down1_bn").moving_variance.numpy()
    np.testing.assert_allclose(moving, 0.99 + 0.01 * variance * 16 * 14 * 14 / (16 * 14 * 14 - 1), rtol=1e-3)


@pytest.mark.parametrize("size,kernel,strides", [(7, 5, 2), (14, 5, 2), (2, 5, 2), (3, 3, 1), (4, 4, 2)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_transposed_conv_size_agrees_with_keras(size, kernel, strides, padding):
    layer = keras.layers.Conv2DTranspose(1, kernel, strides=strides, padding=padding)
    expected = layer.compute_output_shape((None, size, size, 3))[1]
    assert transposed_conv_size(size, kernel, strides, padding) == expected


def test_the_reports_no_padding_cannot_give_28():
    assert transposed_conv_size(7, padding="valid") == 17
    assert transposed_conv_size(transposed_conv_size(7)) == 28
    with pytest.raises(ValueError, match="unknown padding 'full'"):
        transposed_conv_size(7, padding="full")


def test_transposed_conv_example_stamps_the_kernel():
    x = np.array([[1, 2], [3, 4]])
    full = transposed_conv_example(x, np.ones((5, 5)), padding="valid")
    same = transposed_conv_example(x, np.ones((5, 5)))
    assert full.shape == (7, 7) and same.shape == (4, 4)
    # each input pixel adds a copy of the kernel times its value, 2 pixels apart; overlaps add up
    assert full[0, 0] == 1 and full[0, 2] == 1 + 2 and full[3, 3] == 1 + 2 + 3 + 4 and full[6, 6] == 4
    # 'same' keeps the centred window of the full result (one row/column off the top/left here)
    np.testing.assert_array_equal(same, full[1:5, 1:5])
    single = transposed_conv_example([[2.0]], np.arange(9).reshape(3, 3), strides=1, padding="valid")
    np.testing.assert_array_equal(single, 2 * np.arange(9).reshape(3, 3))
    with pytest.raises(ValueError, match="must be 2-D"):
        transposed_conv_example(np.ones((1, 2, 2)), np.ones((5, 5)))


def test_activation_curves_values_and_derivatives():
    x = np.array([-2.0, -0.5, 0.5, 3.0])
    curves = activation_curves(x, alpha=0.3)
    relu, relu_grad = curves["ReLU"]
    leaky, leaky_grad = curves["LeakyReLU(0.3)"]
    np.testing.assert_allclose(relu, [0, 0, 0.5, 3])
    np.testing.assert_allclose(relu_grad, [0, 0, 1, 1])
    np.testing.assert_allclose(leaky, [-0.6, -0.15, 0.5, 3], rtol=1e-6)
    np.testing.assert_allclose(leaky_grad, [0.3, 0.3, 1, 1], rtol=1e-6)


def test_model_sizes(tmp_path):
    d = build_discriminator()
    assert parameter_bytes(d) == 213_633 * 4 == 854_532
    size = saved_size(d, tmp_path)
    assert (tmp_path / "discriminator.keras").stat().st_size == size
    assert 800_000 < size < 1_000_000  # the weights plus a little JSON, zipped: far from 334.50 MB


def test_generator_loss_curves_show_minimax_saturation():
    probs = np.array([0.01, 0.5, 0.99])
    loss, grad = generator_loss_curve(probs, "non_saturating", wrt="prob")
    np.testing.assert_allclose(loss, -np.log(probs), rtol=1e-5)
    np.testing.assert_allclose(grad, -1 / probs, rtol=1e-3)
    loss, grad = generator_loss_curve(probs, "minimax", wrt="prob")
    np.testing.assert_allclose(loss, np.log(1 - probs), rtol=1e-4)
    np.testing.assert_allclose(grad, -1 / (1 - probs), rtol=1e-3)
    # through the sigmoid: minimax's gradient is -D(G(z)) (vanishes when D wins), non-saturating's -(1 - D(G(z)))
    _, minimax = generator_loss_curve(probs, "minimax")
    _, non_saturating = generator_loss_curve(probs, "non_saturating")
    np.testing.assert_allclose(minimax, -probs, rtol=1e-3)
    np.testing.assert_allclose(non_saturating, -(1 - probs), rtol=1e-3)


def test_generator_loss_curve_rejects_bad_input():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        generator_loss_curve([0.0, 0.5])
    with pytest.raises(ValueError, match="unknown wrt 'z'"):
        generator_loss_curve([0.5], wrt="z")


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("p_data,p_model", [(0.3, 0.1), (0.2, 0.2), (0.05, 0.6), (0.4, 0.01)])
def test_optimal_discriminator_minimises_the_discriminator_loss(p_data, p_model, smoothing):
    def expected_loss(d):
        real = float(binary_cross_entropy(1.0 - smoothing, np.array([d])))
        fake = float(binary_cross_entropy(0.0, np.array([d])))
        return p_data * real + p_model * fake

    # the expected loss is convex in d, so beating both close neighbours makes D* the minimum
    best = float(optimal_discriminator(p_data, p_model, smoothing))
    assert expected_loss(best) < min(expected_loss(best - 0.002), expected_loss(best + 0.002))


def test_optimal_discriminator_at_equilibrium_and_bad_input():
    assert optimal_discriminator(0.3, 0.3) == pytest.approx(0.5)
    assert optimal_discriminator(0.3, 0.3, 0.1) == pytest.approx(0.45)
    assert math.isclose(optimal_discriminator(1.0, 0.0, 0.1), 0.9)
    with pytest.raises(ValueError, match="not both 0"):
        optimal_discriminator([0.0, 0.1], [0.0, 0.1])
