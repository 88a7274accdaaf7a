"""Exercises of notebooks 02 and 03: layer shapes, parameter counts, LeakyReLU, model size."""

from __future__ import annotations

import numpy as np

from . import _array, _call, _close, _integer, _Malformed, _number, _register, _Wrong


def _keras_size(layer_class: str, size: int, kernel_size: int, strides: int, padding: str) -> int:
    import keras

    layer = getattr(keras.layers, layer_class)(1, kernel_size, strides=strides, padding=padding)
    return int(layer.compute_output_shape((1, size, size, 1))[1])


def _check_sizes(function, name: str, layer_class: str, cases, formulas: str, wrong_way: str) -> None:
    other = "Conv2D" if layer_class == "Conv2DTranspose" else "Conv2DTranspose"
    for size, kernel, strides, padding in cases:
        call = f"{name}({size}, {kernel}, {strides}, {padding!r})"
        got = _integer(_call(function, size, kernel, strides, padding), call)
        expected = _keras_size(layer_class, size, kernel, strides, padding)
        if got == expected:
            continue
        if got == _keras_size(other, size, kernel, strides, padding):
            raise _Wrong(f"{call} should be {expected}, you gave {got}: {wrong_way}")
        raise _Wrong(f"{call}: Keras' {layer_class} gives {expected}, you gave {got}. {formulas}")


def _check_transpose_size(conv_transpose_size, hidden: bool = False, **_) -> str:
    cases = [(7, 5, 2, "same"), (14, 5, 2, "same"), (7, 5, 2, "valid")]
    if hidden:
        cases = [(7, 3, 1, "same"), (4, 4, 2, "valid"), (5, 3, 3, "valid"), (9, 5, 3, "same")]
    _check_sizes(
        conv_transpose_size,
        "conv_transpose_size",
        "Conv2DTranspose",
        cases,
        "With padding 'same' a transposed convolution multiplies the size by the stride; with 'valid' it keeps "
        "every stamp of the kernel: (size - 1) * strides + kernel_size.",
        "that is the size a (forward) convolution gives. A transposed convolution goes the other way: it "
        "makes the image bigger",
    )
    return (
        "7 -> 14 -> 28: 'same' padding is why the generator reaches exactly 28x28 (the report's 'no padding' cannot)."
    )


_register(
    id="ex03",
    notebook="02_generator",
    title="Output size of a transposed convolution",
    task="""
Write `conv_transpose_size(size, kernel_size, strides, padding)`: the height (= width) of the output of a
`Conv2DTranspose` on a `size` x `size` input, for `padding` `"same"` or `"valid"`. The check compares your
numbers with Keras' own layer, e.g. the generator's 7 -> 14.
""",
    answer="conv_transpose_size",
    template='''
    def conv_transpose_size(size, kernel_size, strides, padding):
        """Output side of Conv2DTranspose(kernel_size, strides, padding) on a size x size input."""
        {solution}
    ''',
    solution="""
    if padding == "same":
        return size * strides
    return (size - 1) * strides + kernel_size
    """,
    hint="'same': the output is strides times the input. 'valid': each of the `size` input pixels stamps the "
    "kernel `strides` apart, so the stamps span (size - 1) * strides + kernel_size pixels.",
    checker=_check_transpose_size,
)


def _check_conv_params(conv_params, hidden: bool = False, **_) -> str:
    import keras

    cases = [(5, 256, 128), (5, 128, 64), (5, 64, 1)]
    if hidden:
        cases = [(3, 3, 16), (1, 10, 10), (5, 1, 64)]
    for kernel, channels, filters in cases:
        call = f"conv_params({kernel}, {channels}, {filters})"
        got = _integer(_call(conv_params, kernel, channels, filters), call)
        layer = keras.layers.Conv2DTranspose(filters, kernel)
        layer.build((None, 8, 8, channels))
        expected = layer.count_params()
        weights = kernel * kernel * channels * filters
        if got == expected:
            continue
        if got == weights:
            raise _Wrong(f"{call} should be {expected:,}, you gave {got:,}: you forgot the biases, one per filter")
        if got == kernel * kernel * filters + filters:
            raise _Wrong(
                f"{call} should be {expected:,}, you gave {got:,}: each filter has a {kernel}x{kernel} kernel for "
                f"every one of the {channels} input channels"
            )
        if got == kernel * channels * filters + filters:
            raise _Wrong(
                f"{call} should be {expected:,}, you gave {got:,}: a {kernel}x{kernel} kernel has {kernel}² weights"
            )
        raise _Wrong(f"{call}: Keras counts {expected:,} parameters, you gave {got:,}")
    return "the generator's first transposed convolution alone has 819,328 parameters, a third of its 2,343,681."


_register(
    id="ex04",
    notebook="02_generator",
    title="A layer's parameters by hand",
    task="""
Write `conv_params(kernel_size, in_channels, filters)`: how many parameters a `Conv2D` or `Conv2DTranspose`
layer with `filters` square `kernel_size` x `kernel_size` kernels (and biases) has on an input with
`in_channels` channels. The check compares with Keras' `count_params()` for the generator's layers.
""",
    answer="conv_params",
    template='''
    def conv_params(kernel_size, in_channels, filters):
        """Weights and biases of a (transposed) convolution with square kernels."""
        {solution}
    ''',
    solution="""
    return kernel_size * kernel_size * in_channels * filters + filters
    """,
    hint="Each filter looks at every input channel through a kernel_size x kernel_size window, and adds one bias.",
    checker=_check_conv_params,
)


def _check_conv_size(conv_size, hidden: bool = False, **_) -> str:
    cases = [(28, 5, 2, "same"), (14, 5, 2, "same"), (7, 5, 2, "same"), (28, 5, 2, "valid")]
    if hidden:
        cases = [(9, 3, 2, "same"), (7, 3, 2, "valid"), (5, 5, 1, "valid"), (10, 3, 3, "same")]
    _check_sizes(
        conv_size,
        "conv_size",
        "Conv2D",
        cases,
        "With padding 'same' the output is ceil(size / strides) (rounded up); with 'valid' the kernel must fit "
        "inside: (size - kernel_size) // strides + 1.",
        "that is the size a transposed convolution gives. A strided convolution makes the image smaller",
    )
    return "28 -> 14 -> 7: the discriminator halves the image twice before its Dense layer sees 7*7*128 numbers."


_register(
    id="ex05",
    notebook="03_discriminator",
    title="Output size of a convolution",
    task="""
Write `conv_size(size, kernel_size, strides, padding)`: the height (= width) of the output of a `Conv2D` on a
`size` x `size` input, for `padding` `"same"` or `"valid"`. Careful with odd sizes: the check also asks about a
7 x 7 input, which does not divide by the stride.
""",
    answer="conv_size",
    template='''
    def conv_size(size, kernel_size, strides, padding):
        """Output side of Conv2D(kernel_size, strides, padding) on a size x size input."""
        {solution}
    ''',
    solution="""
    if padding == "same":
        return -(-size // strides)
    return (size - kernel_size) // strides + 1
    """,
    hint="'same' pads so that every stride-th pixel gets an output: ceil(size / strides), e.g. -(-size // strides). "
    "'valid' counts the positions where the whole kernel fits.",
    checker=_check_conv_size,
)


def _check_leaky_relu(leaky_relu, hidden: bool = False, **_) -> str:
    import keras

    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], dtype="float32")
    alpha = 0.3
    if hidden:
        x, alpha = np.random.default_rng(3).standard_normal((4, 5)).astype("float32"), 0.2
    got = _array(_call(leaky_relu, x, alpha), x.shape, f"leaky_relu(x, {alpha})")
    expected = keras.ops.convert_to_numpy(keras.layers.LeakyReLU(negative_slope=alpha)(x))
    if _close(got, expected):
        return "negative inputs keep a slope of alpha, so the discriminator passes gradient back even for them."
    if _close(got, np.maximum(x, 0)):
        raise _Wrong("that is ReLU: every negative input became 0. LeakyReLU multiplies negative inputs by alpha")
    if _close(got, np.where(x > 0, alpha * x, x)):
        raise _Wrong("you scaled the positive inputs; LeakyReLU keeps positives as they are and scales negatives")
    i = int(np.argmax(np.abs(got - expected)))
    raise _Wrong(
        f"for x = {x.ravel()[i]:.3f} and alpha = {alpha}, Keras gives {expected.ravel()[i]:.4f}, "
        f"you gave {got.ravel()[i]:.4f}"
    )


_register(
    id="ex06",
    notebook="03_discriminator",
    title="LeakyReLU by hand",
    task="""
Write `leaky_relu(x, alpha)` with NumPy: `x` where `x > 0`, `alpha * x` elsewhere, for an array `x` of any
shape. The check compares with Keras' `LeakyReLU(negative_slope=alpha)`, for the report's alpha 0.3 and more.
""",
    answer="leaky_relu",
    template='''
    def leaky_relu(x, alpha):
        """LeakyReLU: x for positive x, alpha * x for negative x."""
        {solution}
    ''',
    solution="""
    return np.where(x > 0, x, alpha * x)
    """,
    hint="np.where(condition, value_if_true, value_if_false) works element by element on whole arrays.",
    checker=_check_leaky_relu,
)


def _check_megabytes(weights_megabytes, hidden: bool = False, **_) -> str:
    cases = [(213_633, 4), (2_343_681, 4)]
    if hidden:
        cases = [(213_633, 2), (1_000_000, 8)]
    for n, size in cases:
        call = f"weights_megabytes({n:_}, {size})"
        got = _number(_call(weights_megabytes, n, size), call)
        expected = n * size / 1e6
        mistakes = [
            (n * size / 2**20, "that is MiB (2**20 bytes); a megabyte, MB, is 10**6 bytes"),
            (n / 1e6, "that counts parameters, not bytes: multiply by the bytes per parameter"),
            (n * size * 8 / 1e6, "that is megabits: a byte has 8 bits, and bytes_per_param already counts bytes"),
            (n * size / 1e3, "that is kilobytes; divide by 1000 once more"),
        ]
        if _close(got, expected, rtol=1e-3):
            continue
        reason = next((why for value, why in mistakes if _close(got, value, rtol=1e-3)), "")
        raise _Wrong(f"{call} should be {expected:.4f} MB, you gave {got:.4f}" + (f": {reason}" if reason else ""))
    return (
        "the discriminator's 213,633 float32 parameters take 0.85 MB, about 400 times less than the report's 334.50 MB."
    )


_register(
    id="ex07",
    notebook="03_discriminator",
    title="How big is the discriminator?",
    task="""
The report prints "334.50 MB" as the size of the discriminator's 213,633 parameters. Before we measure it,
write `weights_megabytes(n_params, bytes_per_param)`: the memory the weights take, in megabytes (1 MB =
$10^6$ bytes), for `bytes_per_param` 4 (float32), 2 (float16) or 8 (float64).
""",
    answer="weights_megabytes",
    template='''
    def weights_megabytes(n_params, bytes_per_param):
        """Memory of n_params weights of bytes_per_param bytes each, in MB (10**6 bytes)."""
        {solution}
    ''',
    solution="""
    return n_params * bytes_per_param / 1e6
    """,
    hint="Bytes = parameters x bytes per parameter; 1 MB = 1,000,000 bytes (and 1 MiB = 2**20 = 1,048,576 bytes).",
    checker=_check_megabytes,
)


def _check_spread(larger_spread, hidden: bool = False, **_) -> str:
    import dcgan_lessons as dl

    choices = ("training", "inference", "the same")
    if larger_spread not in choices:
        raise _Malformed(f"answer with one of {', '.join(map(repr, choices))}, got {larger_spread!r}")
    noise = np.random.default_rng(0).standard_normal((64, 100)).astype("float32")
    inference = float(np.std(dl.build_generator(seed=0)(noise, training=False)))
    training = float(np.std(dl.build_generator(seed=0)(noise, training=True)))
    measured = f"measured on 64 z: {training:.3f} in training mode, {inference:.4f} in inference mode"
    truth = "training" if training > 1.5 * inference else "inference" if inference > 1.5 * training else "the same"
    if larger_spread != truth:
        raise _Wrong(
            f"{measured}. A fresh batch normalization layer is the identity in inference mode (moving mean 0, "
            "variance 1), so the small N(0, 0.02) weights shrink the signal layer after layer; in training mode "
            "it rescales every channel to unit spread over the batch, so the signal keeps its size"
        )
    return f"right: {measured}. train_step sees the training-mode generator, not the inference-mode one."


_register(
    id="ex17",
    notebook="02_generator",
    title="Predict, then measure: which mode spreads the output more?",
    task="""
Before you run the next cells, predict. The untrained generator gets the same 64 noise vectors twice: once in
inference mode (`training=False`, the table above) and once in training mode (`training=True`, as
`train_step` calls it). In which mode is the spread (standard deviation) of its output images larger? Set
`larger_spread` to `"training"`, `"inference"` or `"the same"`, and write one line of why in the comment.
The check measures it and tells you whether your reasoning held.
""",
    answer="larger_spread",
    template="""
    # why: ...
    {solution}
    """,
    solution="""
    larger_spread = "training"  # batch normalization rescales each layer with the batch's own statistics
    """,
    hint="What does a batch normalization layer with moving mean 0 and moving variance 1 do in inference mode, and "
    "what does it do with a batch whose values are all a few hundredths in training mode?",
    checker=_check_spread,
    hidden_tests=False,
    first_answer_only=True,
)
