"""Exercises of notebook 01: pixels and batches."""

from __future__ import annotations

import numpy as np

from . import _call, _close, _integer, _register, _Wrong


def _check_scale(scale_pixels, hidden: bool = False, **_) -> str:
    from ..data import scale_images

    images = np.array([[0, 64, 127, 128, 191, 255]], dtype=np.uint8)
    if hidden:
        images = np.random.default_rng(7).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    before = images.copy()
    got = _call(scale_pixels, images)
    if not np.array_equal(images, before):
        raise _Wrong("your function changed the array it was given; return a new array instead")
    if not hasattr(got, "dtype") or not hasattr(got, "shape"):
        raise _Wrong(f"expected a NumPy array, got {type(got).__name__}")
    if tuple(got.shape) != images.shape:
        raise _Wrong(f"expected shape {images.shape} (the same as the input), got {tuple(got.shape)}")
    got_values = np.asarray(got, "float64")
    x = images.astype("float64")
    if _close(got_values, x / 255.0):
        raise _Wrong(
            "your values lie in [0, 1]: you divided by 255. The generator's tanh draws in [-1, 1], so "
            "pixel 0 must become -1 and 255 must become 1"
        )
    if _close(got_values, (x - 127.5) / 255.0):
        raise _Wrong("your values lie in [-0.5, 0.5]: after subtracting 127.5, divide by 127.5, not 255")
    expected = scale_images(images)
    if not _close(got_values, expected, atol=1e-5):
        worst = np.unravel_index(np.argmax(np.abs(got_values - expected)), images.shape)
        raise _Wrong(
            f"pixel value {images[worst]} should become {expected[worst]:.4f}, your function gives "
            f"{got_values[worst]:.4f} (0 -> -1.0, 127.5 -> 0.0, 255 -> 1.0)"
        )
    if got.dtype != np.float32:
        raise _Wrong(
            f"the values are right but the dtype is {got.dtype}; the models compute in float32, so return float32 "
            "(float64 doubles the memory and TensorFlow would convert it anyway)"
        )
    return "0 -> -1, 255 -> 1: the same range as the generator's tanh, so real and fake digits are comparable."


_register(
    id="ex01",
    notebook="01_mnist_data",
    title="Scale pixels to [-1, 1]",
    task="""
Write `scale_pixels(images)`: it takes uint8 pixels in [0, 255] (any shape) and returns **float32** values in
[-1, 1], with 0 -> -1 and 255 -> 1, without changing the array it is given. This is what the training pipeline
does to every batch, so that real digits live in the same range as the generator's tanh output.
""",
    answer="scale_pixels",
    template='''
    def scale_pixels(images):
        """uint8 pixels in [0, 255] -> float32 values in [-1, 1]."""
        {solution}
    ''',
    solution="""
    return images.astype("float32") / 127.5 - 1.0
    """,
    hint="Map [0, 255] to [0, 2] by dividing by 127.5, then shift by -1. Convert to float32 first: "
    "uint8 arithmetic wraps around at 256.",
    checker=_check_scale,
)


def _check_batches(batches_per_epoch, hidden: bool = False, **_) -> str:
    from ..data import steps_per_epoch

    cases = [(60000, 32), (60000, 64), (512, 32)]
    if hidden:
        cases = [(100, 32), (31, 32), (60000, 7), (70000, 128)]
    for n, batch in cases:
        got = _integer(_call(batches_per_epoch, n, batch), f"batches_per_epoch({n}, {batch})")
        expected = steps_per_epoch(n, batch)
        if got == -(-n // batch) and got != expected:
            raise _Wrong(
                f"batches_per_epoch({n}, {batch}) should be {expected}, you gave {got}: you counted the last, "
                f"partial batch of {n % batch} images. The pipeline batches with drop_remainder=True, so every "
                "batch is full and the leftover images wait for the next epoch's shuffle"
            )
        if got != expected:
            raise _Wrong(f"batches_per_epoch({n}, {batch}) should be {expected}, you gave {got}")
    return "60,000 / 32 = 1875 full batches: the report's 1875 steps per epoch."


_register(
    id="ex02",
    notebook="01_mnist_data",
    title="Batches in an epoch",
    task="""
The pipeline cuts each shuffled epoch into batches with `drop_remainder=True`: only full batches are used.
Write `batches_per_epoch(n_images, batch_size)` returning how many training steps one epoch has, as an int.
""",
    answer="batches_per_epoch",
    template='''
    def batches_per_epoch(n_images, batch_size):
        """Full batches of batch_size in one epoch of n_images."""
        {solution}
    ''',
    solution="""
    return n_images // batch_size
    """,
    hint="A leftover batch smaller than batch_size is dropped, so round down: integer division //.",
    checker=_check_batches,
)
