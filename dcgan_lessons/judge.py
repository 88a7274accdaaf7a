"""A judge for generated digits: a small MNIST classifier and the numbers it gives a batch of digits.

A GAN's losses do not say which digits it draws. A classifier trained on real MNIST does: it labels
every generated digit, so we can count classes (mode coverage, collapse), see how sure it is, follow
one z through training, and compare the generator's digits with real ones in the classifier's
feature space (a Frechet distance, the FID idea with an MNIST network instead of Inception).

The judge shipped in ``dcgan_lessons/assets/judge.keras`` (93k parameters, about 400 kB) was made by::

    python -c "from dcgan_lessons.judge import train_judge; train_judge(path='dcgan_lessons/assets/judge.keras')"

with ``MNIST_DIR`` set: 5 epochs on the 60,000 training digits, seed 0, 5-12 minutes on a 2-core CPU. It
labels 99.32% of the 10,000 test digits correctly (``tests/test_judge.py`` checks >= 99%).
:func:`load_judge` uses, in order: ``judge.keras`` in the cache folder (argument, else
``$DCGAN_LESSONS_CACHE``, else ``~/.cache/dcgan_lessons``), the shipped judge, else it trains one
and saves it in the cache. Everyone who uses the shipped judge gets identical analyses.

The metrics (:func:`digit_metrics`) on N digits, N = 500 for a run's snapshots:

- ``hist``: the fraction of digits labelled 0..9 (label = the judge's most probable class).
- ``modes``: classes holding at least half a fair share, ``hist >= 0.5 / 10``: 10 for balanced
  digits, 2 for a generator that only draws two digits.
- ``kl_uniform``: KL(hist || uniform) in nats: 0 when balanced, ln 5 = 1.61 for two equal classes,
  ln 10 = 2.30 for one.
- ``confidence``: the mean largest softmax probability: how sure the judge is, digit by digit.
- ``score``: the classifier score exp(E_x KL(p(y|x) || p(y))), the Inception-score analogue: 10
  when every digit is sharp and the classes are balanced, 2 when it only draws two sharp digits,
  1 when every digit looks the same to the judge.
- ``frechet``: the Frechet distance between Gaussians fitted to the judge's 64 penultimate
  features of the digits and of real test digits (the reference half of the test set, statistics
  stored beside the judge). It grows with any difference, in shape or in class balance.

Like FID, the Frechet distance depends on N (fewer digits, larger distance), so compare runs at
the same N, and compare them with :func:`reference_metrics`: the same numbers for N real test
digits that are not in the reference half, the best a generator could hope for at that N.

Each of these numbers is one draw: another N digits give another value. Two spreads say how far to trust
one: :func:`real_sets` (N real digits, set after set: real digits are a band, not a line) and
:func:`fresh_sets` (N digits from fresh z of the same generator: its own sampling noise, the ruler for
comparing generators). :func:`spread` gives either as mean and standard deviation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import keras
import numpy as np
from keras import layers

from .data import load_mnist, mnist_folder
from .files import write_npz, write_with

CACHE_VARIABLE = "DCGAN_LESSONS_CACHE"
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
JUDGE_FILE = "judge.keras"
REFERENCE_FILE = "judge_reference.npz"
CLASSES = 10
MODE_SHARE = 0.5  # a class counts as a covered mode with at least half of its fair share 1/10
REFERENCE_SEED = 0  # splits the test set into a reference half and a held-out half
REAL_SETS = 30  # sets of real digits that make their band
FRESH_SETS = 30  # sets of fresh z that measure a generator's own sampling noise


def judge_cache_dir(folder: str | os.PathLike | None = None) -> Path:
    """The judge's cache folder: ``folder``, else ``$DCGAN_LESSONS_CACHE``, else ``~/.cache/dcgan_lessons``."""
    folder = folder or os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "dcgan_lessons"
    return Path(folder).expanduser()


def build_judge(seed: int | None = None) -> keras.Sequential:
    """uint8 digits (28, 28) -> 10 class probabilities. Three 3x3 convolutions with batch norm and
    max pooling, then the 64 features the Frechet distance uses, then the classes."""
    conv = dict(kernel_size=3, padding="same", use_bias=False)
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            layers.Rescaling(1 / 127.5, offset=-1.0, name="scale"),  # the GAN's [-1, 1]
            layers.Reshape((28, 28, 1), name="channel"),
            layers.Conv2D(32, **conv, name="conv1"),
            layers.BatchNormalization(name="bn1"),
            layers.ReLU(name="relu1"),
            layers.MaxPooling2D(name="pool1"),  # 14x14
            layers.Conv2D(64, **conv, name="conv2"),
            layers.BatchNormalization(name="bn2"),
            layers.ReLU(name="relu2"),
            layers.MaxPooling2D(name="pool2"),  # 7x7
            layers.Conv2D(64, **conv, name="conv3"),
            layers.BatchNormalization(name="bn3"),
            layers.ReLU(name="relu3"),
            layers.MaxPooling2D(name="pool3"),  # 3x3
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="features"),
            layers.Dropout(0.3, seed=seed, name="dropout"),
            layers.Dense(CLASSES, activation="softmax", name="classes"),
        ],
        name="judge",
    )


def reference_split(n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """Test-set indices: the reference half (its feature statistics) and the held-out half (the
    real digits that :func:`reference_metrics` scores), fixed by a seed."""
    order = np.random.default_rng(REFERENCE_SEED).permutation(n_test)
    return np.sort(order[: n_test // 2]), np.sort(order[n_test // 2 :])


def train_judge(
    epochs: int = 5,
    batch_size: int = 128,
    seed: int = 0,
    mnist_dir: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
    steps_per_epoch: int | None = None,
    verbose: int | str = 0,
) -> Judge:
    """Train the judge on the MNIST training digits (Adam 1e-3 with cosine decay); with ``path``,
    save it (without optimizer) and its reference statistics beside it. ``steps_per_epoch`` cuts
    epochs short, for tests."""
    mnist = load_mnist(mnist_dir)
    keras.utils.set_random_seed(seed)
    model = build_judge(seed)
    steps = steps_per_epoch or len(mnist.train_images) // batch_size
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=epochs * steps)
    model.compile(keras.optimizers.Adam(schedule), "sparse_categorical_crossentropy", metrics=["accuracy"])
    order = np.random.default_rng(seed).permutation(len(mnist.train_images))[: steps * batch_size]
    model.fit(
        mnist.train_images[order].astype(np.float32),
        mnist.train_labels[order],
        batch_size=batch_size,
        epochs=epochs,
        verbose=verbose,
    )
    plain = build_judge(seed)  # the same network without the optimizer: a smaller file
    plain.set_weights(model.get_weights())
    judge = Judge(plain, Path(path) if path else None)
    if path:
        write_with(path, plain.save)
        judge.reference(mnist.test_images)
    return judge


@dataclass(frozen=True)
class Judgement:
    """The judge's view of N digits: ``probs`` (N, 10) and penultimate ``features`` (N, 64)."""

    probs: np.ndarray
    features: np.ndarray

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probs.max(axis=1)


class Judge:
    """The classifier, its feature extractor, and the real test digits' feature statistics."""

    def __init__(self, model: keras.Model, path: Path | None = None):
        self.model = model
        self.path = path
        self._both = keras.Model(model.inputs, [model.outputs[0], model.get_layer("features").output])

    def __repr__(self) -> str:
        return f"Judge({str(self.path) if self.path else 'not saved'})"

    def __call__(self, images: np.ndarray) -> Judgement:
        """Probabilities and features of uint8 digits (N, 28, 28)."""
        images = check_digits(images)
        probs, features = self._both.predict(images.astype(np.float32), batch_size=1000, verbose=0)
        return Judgement(probs.astype(np.float64), features.astype(np.float64))

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        return float(np.mean(self(images).labels == labels))

    def reference(self, test_images: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the features of the reference half of the MNIST test set, read
        from beside the judge file, else computed (from ``test_images`` or MNIST) and saved there."""
        stored = self.path.with_name(REFERENCE_FILE) if self.path else None
        if stored and stored.is_file():
            with np.load(stored) as data:
                return data["mean"], data["cov"]
        if test_images is None:
            test_images = load_mnist().test_images
        features = self(test_images[reference_split(len(test_images))[0]]).features
        mean, cov = features.mean(axis=0), np.cov(features, rowvar=False)
        if stored and os.access(stored.parent, os.W_OK):
            write_npz(stored, mean=mean, cov=cov)
        return mean, cov


def check_digits(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) (a trailing channel axis is dropped); anything else is a clear error."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"digits must have shape (N, 28, 28), got {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(
            f"digits must be uint8 pixels in [0, 255], got {images.dtype}; convert generator output in "
            f"[-1, 1] with dcgan_lessons.data.to_uint8"
        )
    return images


@cache
def _load(path: Path) -> Judge:
    return Judge(keras.saving.load_model(path), path)


def load_judge(cache_dir: str | os.PathLike | None = None) -> Judge:
    """The judge: ``judge.keras`` from the cache folder, else the one shipped with the package,
    else a newly trained one saved into the cache folder (a few CPU minutes, needs MNIST)."""
    cached = judge_cache_dir(cache_dir) / JUDGE_FILE
    for path in (cached, ASSETS_DIR / JUDGE_FILE):
        if path.is_file():
            return _load(path.resolve())
    train_judge(path=cached)
    return _load(cached.resolve())


def frechet_distance(mean1: np.ndarray, cov1: np.ndarray, mean2: np.ndarray, cov2: np.ndarray) -> float:
    """||m1 - m2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2)) for two Gaussians. The trace of the square root
    is the sum of the square roots of the eigenvalues of C1^(1/2) C2 C1^(1/2), a symmetric matrix."""
    values, vectors = np.linalg.eigh(cov1)
    root1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root1 @ cov2 @ root1), 0, None)).sum()
    return float(np.sum((mean1 - mean2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * cross)


def class_histogram(labels: np.ndarray) -> np.ndarray:
    """The fraction of labels in each of the 10 classes."""
    return np.bincount(np.asarray(labels).ravel(), minlength=CLASSES) / max(np.asarray(labels).size, 1)


def modes_covered(hist: np.ndarray) -> int:
    """Classes with at least half of their fair share (``hist >= 0.05``)."""
    return int(np.sum(np.asarray(hist) >= MODE_SHARE / CLASSES - 1e-12))


def kl_to_uniform(hist: np.ndarray) -> float:
    """KL(hist || uniform) in nats, with 0 log 0 = 0."""
    hist = np.asarray(hist, dtype=np.float64)
    present = hist > 0
    return float(np.sum(hist[present] * np.log(hist[present] * CLASSES)))


def classifier_score(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): 10 for sharp, balanced digits, k for k sharp equal classes."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    marginal = probs.mean(axis=0)
    return float(np.exp(np.mean(np.sum(probs * (np.log(probs) - np.log(marginal)), axis=1))))


def metrics_of(judgement: Judgement, reference: tuple[np.ndarray, np.ndarray]) -> dict:
    """Every metric of one judged batch (see the module docstring for what each means); the
    Frechet distance is None for a single digit."""
    if len(judgement.probs) == 0:
        raise ValueError("no digits to measure: give at least one (two for the Frechet distance)")
    hist = class_histogram(judgement.labels)
    features = judgement.features
    frechet = None  # a single digit has no covariance
    if len(features) > 1:
        frechet = round(frechet_distance(features.mean(axis=0), np.cov(features, rowvar=False), *reference), 6)
    return {
        "n": len(judgement.probs),
        "hist": [round(float(h), 6) for h in hist],
        "modes": modes_covered(hist),
        "kl_uniform": round(kl_to_uniform(hist), 6),
        "confidence": round(float(judgement.confidence.mean()), 6),
        "score": round(classifier_score(judgement.probs), 6),
        "frechet": frechet,
    }


def digit_metrics(images: np.ndarray, judge: Judge | None = None) -> dict:
    """The judge's numbers for uint8 digits (N, 28, 28): hist, modes, kl_uniform, confidence, score
    and frechet (against the real test digits)."""
    judge = judge or load_judge()
    return metrics_of(judge(images), judge.reference())


def reference_metrics(n: int = 500, judge: Judge | None = None, mnist_dir: str | os.PathLike | None = None) -> dict:
    """The same numbers for ``n`` real test digits from the held-out half (not the reference half
    the Frechet distance compares with): the line a generator is measured against, at the same N.
    One set of them, the first of :func:`real_sets`: read it with their spread."""
    return real_sets(n, 1, judge, mnist_dir)[0]


def real_sets(
    n: int = 500, sets: int = REAL_SETS, judge: Judge | None = None, mnist_dir: str | os.PathLike | None = None
) -> list[dict]:
    """:func:`digit_metrics` of ``sets`` sets of ``n`` real test digits, each drawn without replacement from
    the held-out half (seeds 0, 1, ...). One set is one draw: its Frechet distance moves from set to set by
    about as much as it differs from a good generator's, so real digits are a band (:func:`spread`)."""
    judge = judge or load_judge()
    folder = mnist_folder(mnist_dir)  # resolved here: the cache must not mix two folders
    return [_real_set(n, seed, judge, str(folder) if folder else None) for seed in range(sets)]


@cache
def _real_set(n: int, seed: int, judge: Judge, mnist_dir: str | None) -> dict:
    test_images = load_mnist(mnist_dir).test_images
    held_out = reference_split(len(test_images))[1]
    if not 2 <= n <= len(held_out):
        raise ValueError(f"n must be between 2 and {len(held_out)} (the held-out real test digits), got {n}")
    chosen = np.random.default_rng(seed).choice(held_out, n, replace=False)
    return digit_metrics(test_images[np.sort(chosen)], judge)


def fresh_sets(
    generator, n: int = 500, sets: int = FRESH_SETS, judge: Judge | None = None, seed: int = 1
) -> list[dict]:
    """:func:`digit_metrics` of ``sets`` sets of ``n`` digits from fresh noise z ~ N(0, I) of one generator
    (seeds ``seed``, ``seed + 1``, ...): the generator's own sampling noise at that N, the noise a comparison
    of generators (or of one generator with itself) must beat."""
    from .latent import decode

    judge = judge or load_judge()
    latent = generator.input_shape[-1]
    return [
        digit_metrics(decode(generator, np.random.default_rng(seed + k).standard_normal((n, latent))), judge)
        for k in range(sets)
    ]


def spread(measured: Sequence[dict], key: str) -> tuple[float, float]:
    """Mean and standard deviation (ddof 1) of one metric over several measurements of the same kind
    (:func:`real_sets`, :func:`fresh_sets`): the band one such measurement falls in."""
    values = np.array([m[key] for m in measured], dtype=np.float64)
    if len(values) < 2:
        raise ValueError(f"a spread needs at least two measurements, got {len(values)}")
    return float(values.mean()), float(values.std(ddof=1))


def ink(images: np.ndarray) -> np.ndarray:
    """Each digit's mean pixel in [0, 1], (N,): how much ink it carries. Within one digit, thicker strokes
    carry more; across digits it also counts the strokes (a 1 carries less than an 8 of the same pen)."""
    return check_digits(images).mean(axis=(1, 2)) / 255.0


def slant(images: np.ndarray) -> np.ndarray:
    """Each digit's slant from its second image moments, (N,): mu11 / mu02 with the height counted upwards,
    the sideways shift of the ink per pixel of height (the shear that would stand it upright, undone). 0 for
    an upright digit, > 0 leaning right like /, < 0 leaning left; NaN for a digit without ink."""
    weights = check_digits(images).astype(np.float64)
    rows, cols = np.mgrid[0:28, 0:28]
    up = -rows.astype(np.float64)  # the height grows upwards, like the reader's y
    total = weights.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = (weights * up).sum(axis=(1, 2)) / total
        x_mean = (weights * cols).sum(axis=(1, 2)) / total
        dy = up[None] - y_mean[:, None, None]
        dx = cols[None] - x_mean[:, None, None]
        return (weights * dx * dy).sum(axis=(1, 2)) / (weights * dy**2).sum(axis=(1, 2))
