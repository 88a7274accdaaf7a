"""MNIST from the original IDX files, and the training pipeline that feeds the DCGAN.

Where the digits come from, in order: an explicit folder, the ``MNIST_DIR`` environment
variable, then Keras' own download (for users with internet). The IDX reader checks every
header, so a corrupt or truncated file fails with a message that says what to do.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MNIST_DIR_VARIABLE = "MNIST_DIR"

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# magic number -> (number of dimensions); all MNIST files hold unsigned bytes (type code 0x08).
_IDX_MAGIC = {0x00000801: 1, 0x00000803: 3}


class MnistError(RuntimeError):
    """MNIST could not be read; the message names the problem and the fix."""


@dataclass(frozen=True)
class Mnist:
    """The four MNIST arrays: uint8 images (N, 28, 28) and uint8 labels (N,)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a uint8 array, checking its header and size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except PermissionError as err:
        raise MnistError(f"{path}: cannot be read: permission denied. Fix its permissions (chmod a+r).") from err
    except (OSError, EOFError, zlib.error) as err:  # gzip raises these on a damaged or truncated stream
        raise MnistError(
            f"{path}: cannot be read ({err}). The file is damaged; download it again "
            f"or check it with `sha256sum -c SHA256SUMS`."
        ) from err
    if len(raw) < 8:
        raise MnistError(f"{path}: too short to be an IDX file ({len(raw)} bytes); download it again.")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in _IDX_MAGIC:
        raise MnistError(
            f"{path}: wrong magic number 0x{magic:08x} (expected 0x00000801 for labels or "
            f"0x00000803 for images); this is not an MNIST IDX file."
        )
    ndim = _IDX_MAGIC[magic]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MnistError(f"{path}: truncated header; download the file again.")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise MnistError(
            f"{path}: truncated or padded: the header promises {expected} bytes of data for "
            f"shape {shape} but the file holds {len(raw) - header}; download it again."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    raise MnistError(
        f"MNIST folder {folder} has no file {stem}.gz (or {stem}). It needs the four original "
        f"IDX files: {', '.join(s + '.gz' for s in IDX_FILES.values())}."
    )


def _read_pair(folder: Path, images_key: str, labels_key: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(_find(folder, IDX_FILES[images_key]))
    labels = read_idx(_find(folder, IDX_FILES[labels_key]))
    if images.ndim != 3 or labels.ndim != 1:
        raise MnistError(
            f"{folder}: {IDX_FILES[images_key]} must hold images and {IDX_FILES[labels_key]} "
            f"labels; the two look swapped."
        )
    if len(images) != len(labels):
        raise MnistError(
            f"{folder}: {len(images)} images but {len(labels)} labels in "
            f"{IDX_FILES[images_key]} / {IDX_FILES[labels_key]}; the files belong to different sets."
        )
    return images, labels


def mnist_folder(folder: str | os.PathLike | None = None) -> Path | None:
    """The MNIST folder to read: ``folder``, else ``$MNIST_DIR``; None means Keras' download.

    A relative ``$MNIST_DIR`` is read from where it was set: the current folder, or else the shell's
    (``$PWD``), which Jupyter kernels, nbval and papermill inherit although they run in ``notebooks/``.
    The error names every absolute folder that was tried."""
    if folder is not None:
        source, tried = "the folder argument", [Path(folder).expanduser()]
    else:
        value = os.environ.get(MNIST_DIR_VARIABLE) or None
        if value is None:
            return None
        source, path = f"${MNIST_DIR_VARIABLE}", Path(value).expanduser()
        shell = os.environ.get("PWD")
        tried = [path] if path.is_absolute() or not shell else [path, Path(shell) / path]
    for candidate in tried:
        if candidate.is_dir():
            return candidate.resolve()
    names = " or ".join(dict.fromkeys(os.path.abspath(p) for p in tried))
    raise MnistError(
        f"MNIST folder {names} (from {source}) does not exist. Point {source} at the folder that "
        f"holds the four IDX files, or unset it to let Keras download MNIST."
    )


def load_mnist(folder: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST: from ``folder``, else ``$MNIST_DIR``, else Keras' download and cache."""
    found = mnist_folder(folder)
    if found is None:
        return _download_with_keras()
    return Mnist(*_read_pair(found, "train_images", "train_labels"), *_read_pair(found, "test_images", "test_labels"))


def _download_with_keras() -> Mnist:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as err:  # urllib, SSL and socket errors all mean the same thing here
        raise MnistError(
            f"No MNIST folder was given and Keras could not download MNIST ({err}). Set "
            f"{MNIST_DIR_VARIABLE} to a folder with the four IDX files (train-images-idx3-ubyte.gz, "
            f"...), or pass the folder to load_mnist()."
        ) from err
    return Mnist(x_train, y_train, x_test, y_test)


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 pixels in [0, 255] -> float32 in [-1, 1], the range of the generator's tanh."""
    return (images.astype(np.float32) - 127.5) / 127.5


def to_uint8(images: np.ndarray) -> np.ndarray:
    """The inverse of :func:`scale_images`: [-1, 1] floats -> uint8 pixels, channel axis dropped."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim >= 3 and images.shape[-1] == 1:
        images = images[..., 0]
    return np.clip(np.rint(images * 127.5 + 127.5), 0, 255).astype(np.uint8)


def pixels_to_uint8(images: np.ndarray) -> np.ndarray:
    """Digits in any common pixel convention -> uint8 [0, 255], a trailing channel axis dropped.

    uint8 stays as it is; floats with negative values are read as [-1, 1] (the generator's tanh),
    floats up to 1 as [0, 1], larger floats as [0, 255]. For snapshot files written by hand."""
    images = np.asarray(images)
    if images.ndim >= 3 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.dtype == np.uint8:
        return images
    if not (np.issubdtype(images.dtype, np.floating) or np.issubdtype(images.dtype, np.integer)):
        raise ValueError(f"digits must be uint8 pixels or floats, got {images.dtype}")
    images = images.astype(np.float32)
    if images.size and images.min() < 0:
        return to_uint8(images)
    scale = 255.0 if images.size and images.max() <= 1 else 1.0
    return np.clip(np.rint(images * scale), 0, 255).astype(np.uint8)


def choose_subset(n_images: int, subset: int | None, seed: int) -> np.ndarray:
    """Indices of a seeded random subset of ``subset`` images (all images, in order, for None)."""
    if subset is None or subset >= n_images:
        return np.arange(n_images)
    if subset < 1:
        raise ValueError(f"subset must be a positive number of images, got {subset}")
    return np.sort(np.random.default_rng(seed).permutation(n_images)[:subset])


def epoch_order(n_images: int, seed: int, epoch: int) -> np.ndarray:
    """The shuffled order of one epoch. It depends only on (seed, epoch), so a resumed run sees
    exactly the batches an uninterrupted one would."""
    return np.random.default_rng([seed, epoch]).permutation(n_images)


def make_dataset(
    images: np.ndarray,
    batch_size: int = 32,
    seed: int = 0,
    epochs: int = 1,
    first_epoch: int = 0,
    subset: int | None = None,
    labels: np.ndarray | None = None,
):
    """The training pipeline: scale to [-1, 1], shuffle per epoch with a seed, batch with
    ``drop_remainder`` (every batch full), prefetch. Yields (batch, 28, 28, 1) float32 tensors
    for epochs ``first_epoch .. epochs - 1``, one after the other; given the images' ``labels``, yields
    (images, int32 labels) pairs in the same order, for a conditional GAN."""
    import tensorflow as tf

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    chosen = choose_subset(len(images), subset, seed)
    images = images[chosen]
    steps = len(images) // batch_size
    if steps == 0:
        raise ValueError(f"{len(images)} images make no full batch of {batch_size}; use a smaller batch")
    if epochs <= first_epoch:
        raise ValueError(f"no epochs to run: first_epoch {first_epoch}, epochs {epochs}")
    n_images = len(images)
    pixels = tf.constant(images[..., None])

    def batches_of(epoch):  # one epoch's order at a time: memory does not grow with the number of epochs
        order = tf.numpy_function(
            lambda e: epoch_order(n_images, seed, int(e))[: steps * batch_size].reshape(steps, batch_size),
            [epoch],
            tf.int64,
        )
        return tf.data.Dataset.from_tensor_slices(tf.ensure_shape(order, (steps, batch_size)))

    digits = None if labels is None else tf.constant(np.asarray(labels)[chosen].astype(np.int32))

    def gather(index):
        batch = (tf.cast(tf.gather(pixels, index), tf.float32) - 127.5) / 127.5
        return batch if digits is None else (batch, tf.gather(digits, index))

    return (
        tf.data.Dataset.range(first_epoch, epochs)
        .flat_map(batches_of)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def steps_per_epoch(n_images: int, batch_size: int, subset: int | None = None) -> int:
    """How many full batches one epoch has (MNIST at batch 32: 1875)."""
    n = n_images if subset is None else min(subset, n_images)
    return n // batch_size
