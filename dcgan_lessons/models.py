"""The report's generator and discriminator (Radford et al. 2015, as the report modified it).

Both are plain ``keras.Sequential`` models of standard layers, so a saved ``.keras`` file loads
anywhere. Weights start from N(0, 0.02), the DCGAN paper's initialisation.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
from keras import layers

from .config import CONDITIONAL_KINDS

WEIGHT_STDDEV = 0.02


def dcgan_initializer(seed: int | None = None, layer: int = 0) -> keras.initializers.Initializer:
    """N(0, 0.02): the DCGAN paper's weight initialisation. Each ``layer`` of a seeded model gets a seed
    of its own, so two layers of the same shape do not start identical."""
    return keras.initializers.RandomNormal(
        mean=0.0, stddev=WEIGHT_STDDEV, seed=None if seed is None else seed * 100 + layer
    )


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
    init = lambda k: dcgan_initializer(seed, layer=k)  # noqa: E731
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
    input_bn: bool = True,
    spectral_norm: bool = False,
    channels: int = 1,
    head: bool = True,
) -> keras.Sequential:
    """28x28x1 -> Conv 64 (s2) -> BN -> LeakyReLU(alpha) -> Conv 128 (s2) -> BN -> LeakyReLU
    -> Flatten -> Dense 1, sigmoid: the probability that the image is a real digit.

    ``input_bn=False`` leaves batch normalization off the first layer, as the DCGAN paper does (the
    report keeps it); ``spectral_norm`` wraps each weight layer in spectral normalization. ``channels``
    and ``head=False`` (stop at Flatten) are for the conditional discriminators below."""
    f1, f2 = filters
    init = lambda k: dcgan_initializer(seed, layer=50 + k)  # noqa: E731
    conv = dict(kernel_size=5, strides=2, padding="same", dtype=dtype)

    def weights(layer):
        return layers.SpectralNormalization(layer, name=f"{layer.name}_sn", dtype=dtype) if spectral_norm else layer

    first_bn = [layers.BatchNormalization(dtype=dtype, name="down1_bn")] if input_bn else []
    return keras.Sequential(
        [
            keras.Input((28, 28, channels)),
            weights(layers.Conv2D(f1, kernel_initializer=init(1), name="down1", **conv)),
            *first_bn,
            layers.LeakyReLU(negative_slope=alpha, dtype=dtype, name="down1_lrelu"),
            weights(layers.Conv2D(f2, kernel_initializer=init(2), name="down2", **conv)),
            layers.BatchNormalization(dtype=dtype, name="down2_bn"),
            layers.LeakyReLU(negative_slope=alpha, dtype=dtype, name="down2_lrelu"),
            layers.Flatten(dtype=dtype, name="flatten"),
            *(
                [
                    weights(layers.Dense(1, kernel_initializer=init(3), dtype=dtype, name="logit")),
                    layers.Activation("sigmoid", dtype="float32", name="sigmoid"),
                ]
                if head
                else []
            ),
        ],
        name="discriminator" if head else "features",
    )


CLASSES = 10


def build_conditional_generator(
    latent_dim: int = 100, classes: int = CLASSES, seed: int | None = None, dtype: str | None = None
) -> keras.Model:
    """(z, label) -> the report's generator fed z joined to the label's one-hot code (Mirza & Osindero
    2014): the first Dense layer learns one more 7x7x256 pattern per digit."""
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    wanted = layers.CategoryEncoding(classes, output_mode="one_hot", name="label_one_hot")(label)
    joined = layers.Concatenate(name="z_and_label")([z, wanted])
    image = build_generator(latent_dim + classes, seed=seed, dtype=dtype)(joined)
    return keras.Model([z, label], image, name="conditional_generator")


def build_conditional_discriminator(
    kind: str = "concat",
    alpha: float = 0.3,
    classes: int = CLASSES,
    seed: int | None = None,
    dtype: str | None = None,
    **options,
) -> keras.Model:
    """(image, label) -> the probability that the image is a real digit *of that label*.

    ``concat``: the label as ten constant channels beside the pixels, read by the report's discriminator
    from its first layer on. ``projection`` (Miyato & Koyama 2018): the report's discriminator up to its
    features h, then logit = w.h + embed(label).h, so the label asks "do these features fit this digit?"
    at the end. ``options`` are :func:`build_discriminator`'s (input_bn, spectral_norm)."""
    if kind not in CONDITIONAL_KINDS:
        raise ValueError(f"unknown conditional discriminator {kind!r}; choose one of {', '.join(CONDITIONAL_KINDS)}")
    image = keras.Input((28, 28, 1), name="image")
    label = keras.Input((), dtype="int32", name="label")
    if kind == "concat":
        wanted = layers.CategoryEncoding(classes, output_mode="one_hot", name="label_one_hot")(label)
        planes = layers.UpSampling2D(28, name="label_planes")(layers.Reshape((1, 1, classes))(wanted))
        joined = layers.Concatenate(name="image_and_label")([image, planes])
        prob = build_discriminator(alpha, seed=seed, dtype=dtype, channels=1 + classes, **options)(joined)
    else:
        features = build_discriminator(alpha, seed=seed, dtype=dtype, head=False, **options)(image)
        logit = layers.Dense(1, kernel_initializer=dcgan_initializer(seed, layer=53), dtype=dtype, name="logit")
        init = dcgan_initializer(seed, layer=54)
        embed = layers.Embedding(classes, features.shape[-1], embeddings_initializer=init, name="label_embedding")
        fit = layers.Dot(axes=1, name="projection")([embed(label), features])
        prob = layers.Activation("sigmoid", dtype="float32", name="sigmoid")(layers.Add()([logit(features), fit]))
    return keras.Model([image, label], prob, name="conditional_discriminator")


def layer_table(model: keras.Model) -> list[tuple[str, str, tuple, int]]:
    """(name, layer type, output shape without the batch axis, parameter count) for each layer:
    the report's parameter tables, as data."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        rows.append((layer.name, type(layer).__name__, shape, layer.count_params()))
    return rows


def layer_outputs(model: keras.Sequential, inputs, training: bool = False) -> list[tuple[str, np.ndarray]]:
    """(layer name, output array) for every layer of a Sequential model on ``inputs``: how one
    noise vector becomes a digit, or what batch normalization does to a batch, layer by layer."""
    probe = keras.Model(model.inputs[0], [layer.output for layer in model.layers])
    outputs = probe(inputs, training=training)
    return [(layer.name, keras.ops.convert_to_numpy(out)) for layer, out in zip(model.layers, outputs, strict=True)]


def transposed_conv_size(size: int, kernel_size: int = 5, strides: int = 2, padding: str = "same") -> int:
    """Output side of a transposed convolution (no output_padding): 'same' gives size * strides,
    'valid' the full overlap (size - 1) * strides + kernel_size, e.g. 7 -> 14 or 7 -> 17."""
    if padding == "same":
        return size * strides
    if padding == "valid":
        return (size - 1) * strides + kernel_size
    raise ValueError(f"unknown padding {padding!r}; choose 'same' or 'valid'")


def transposed_conv_example(inputs, kernel, strides: int = 2, padding: str = "same") -> np.ndarray:
    """A one-channel transposed convolution of a 2-D ``inputs`` with a 2-D ``kernel``, computed by
    Keras (``keras.ops.conv_transpose``, the op inside Conv2DTranspose): real numbers to work through."""
    inputs = np.asarray(inputs, "float32")
    kernel = np.asarray(kernel, "float32")
    if inputs.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"inputs and kernel must be 2-D arrays, got shapes {inputs.shape} and {kernel.shape}")
    out = keras.ops.conv_transpose(inputs[None, :, :, None], kernel[:, :, None, None], strides, padding=padding)
    return keras.ops.convert_to_numpy(out)[0, :, :, 0]


def activation_curves(x, alpha: float = 0.3) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Value and derivative of Keras' ReLU and LeakyReLU(alpha) at each point of ``x`` (derivatives
    by automatic differentiation): ReLU's derivative is 0 for every negative input, LeakyReLU's is alpha."""
    import tensorflow as tf

    curves = {}
    for name, layer in (("ReLU", layers.ReLU()), (f"LeakyReLU({alpha:g})", layers.LeakyReLU(negative_slope=alpha))):
        points = tf.Variable(np.asarray(x, "float32"))
        with tf.GradientTape() as tape:
            values = layer(points)
        curves[name] = (values.numpy(), tape.gradient(values, points).numpy())
    return curves


def parameter_bytes(model: keras.Model) -> int:
    """Memory the weights take: each weight's size times its dtype's bytes (float32: 4 per parameter)."""
    return sum(int(np.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in model.weights)


def saved_size(model: keras.Model, folder: str | os.PathLike) -> int:
    """Bytes of the model saved as ``<folder>/<model name>.keras`` (a real save: weights, config, zip)."""
    path = Path(folder) / f"{model.name}.keras"
    model.save(path)
    return path.stat().st_size
