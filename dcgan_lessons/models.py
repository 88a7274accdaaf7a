"""The report's generator and discriminator (Radford et al. 2015, as the report modified it).

Both are plain ``keras.Sequential`` models of standard layers, so a saved ``.keras`` file loads
anywhere. Weights start from N(0, 0.02), the DCGAN paper's initialisation.
"""

from __future__ import annotations

# isort: off
from . import _quiet  # noqa: F401  (TensorFlow first, and quietly)

# isort: on
import keras
from keras import layers

WEIGHT_STDDEV = 0.02


def dcgan_initializer(seed: int | None = None) -> keras.initializers.Initializer:
    """N(0, 0.02): the DCGAN paper's weight initialisation."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=WEIGHT_STDDEV, seed=seed)


def _seed(seed: int | None, offset: int) -> int | None:
    # each layer gets its own seed, so two layers of the same shape do not start identical
    return None if seed is None else seed * 100 + offset


def build_generator(
    latent_dim: int = 100,
    filters: tuple[int, int, int] = (256, 128, 64),
    seed: int | None = None,
    dtype: str | None = None,
) -> keras.Sequential:
    """z (latent_dim,) -> Dense 7*7*256 -> BN -> ReLU -> 7x7x256 -> ConvT 128 (s2) -> 14x14
    -> ConvT 64 (s2) -> 28x28 -> Conv 1, tanh. 'same' padding makes stride 2 double the size.

    ``dtype`` is a Keras dtype policy such as ``"mixed_bfloat16"``; the tanh output stays float32.
    """
    f0, f1, f2 = filters
    init = lambda k: dcgan_initializer(_seed(seed, k))  # noqa: E731
    conv = dict(kernel_size=5, padding="same", dtype=dtype)
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * f0, kernel_initializer=init(1), dtype=dtype, name="project"),
            layers.BatchNormalization(dtype=dtype, name="project_bn"),
            layers.ReLU(dtype=dtype, name="project_relu"),
            layers.Reshape((7, 7, f0), dtype=dtype, name="reshape"),
            layers.Conv2DTranspose(f1, strides=2, kernel_initializer=init(2), name="up1", **conv),
            layers.BatchNormalization(dtype=dtype, name="up1_bn"),
            layers.ReLU(dtype=dtype, name="up1_relu"),
            layers.Conv2DTranspose(f2, strides=2, kernel_initializer=init(3), name="up2", **conv),
            layers.BatchNormalization(dtype=dtype, name="up2_bn"),
            layers.ReLU(dtype=dtype, name="up2_relu"),
            layers.Conv2D(1, 5, padding="same", kernel_initializer=init(4), dtype=dtype, name="to_image"),
            layers.Activation("tanh", dtype="float32", name="tanh"),
        ],
        name="generator",
    )


def build_discriminator(
    alpha: float = 0.3,
    filters: tuple[int, int] = (64, 128),
    seed: int | None = None,
    dtype: str | None = None,
) -> keras.Sequential:
    """28x28x1 -> Conv 64 (s2) -> BN -> LeakyReLU(alpha) -> Conv 128 (s2) -> BN -> LeakyReLU
    -> Flatten -> Dense 1, sigmoid: the probability that the image is a real digit."""
    f1, f2 = filters
    init = lambda k: dcgan_initializer(_seed(seed, 50 + k))  # noqa: E731
    conv = dict(kernel_size=5, strides=2, padding="same", dtype=dtype)
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(f1, kernel_initializer=init(1), name="down1", **conv),
            layers.BatchNormalization(dtype=dtype, name="down1_bn"),
            layers.LeakyReLU(negative_slope=alpha, dtype=dtype, name="down1_lrelu"),
            layers.Conv2D(f2, kernel_initializer=init(2), name="down2", **conv),
            layers.BatchNormalization(dtype=dtype, name="down2_bn"),
            layers.LeakyReLU(negative_slope=alpha, dtype=dtype, name="down2_lrelu"),
            layers.Flatten(dtype=dtype, name="flatten"),
            layers.Dense(1, kernel_initializer=init(3), dtype=dtype, name="logit"),
            layers.Activation("sigmoid", dtype="float32", name="sigmoid"),
        ],
        name="discriminator",
    )


def layer_table(model: keras.Model) -> list[tuple[str, str, tuple, int]]:
    """(name, layer type, output shape without the batch axis, parameter count) for each layer:
    the report's parameter tables, as data."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        rows.append((layer.name, type(layer).__name__, shape, layer.count_params()))
    return rows
