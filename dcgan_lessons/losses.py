"""The adversarial losses, written on the discriminator's probabilities D(.) in (0, 1).

Both players use binary cross-entropy. The discriminator labels real digits 1 and fakes 0; the
generator either labels its fakes 1 (non-saturating, the default and the report's choice) or
maximises the discriminator's error directly (minimax, the original formulation, whose gradient
vanishes exactly when the generator is losing).
"""

from __future__ import annotations

# isort: off
from . import _quiet  # noqa: F401  (TensorFlow first, and quietly)

# isort: on
import math

from keras import ops

from .config import GENERATOR_LOSSES

# Keras' own BCE clips probabilities to [eps, 1 - eps]; so do we, so the numbers agree.
EPSILON = 1e-7
LN2 = math.log(2.0)


def binary_cross_entropy(target, prob):
    """Mean of -[t log p + (1 - t) log(1 - p)] over the batch; ``target`` may be a float or a tensor."""
    prob = ops.clip(ops.cast(prob, "float32"), EPSILON, 1.0 - EPSILON)
    target = ops.cast(target, "float32")
    return -ops.mean(target * ops.log(prob) + (1.0 - target) * ops.log(1.0 - prob))


def discriminator_loss(real_prob, fake_prob, label_smoothing: float = 0.0):
    """BCE with real -> 1 (or 1 - label_smoothing: one-sided smoothing) and fake -> 0.

    Reported as the mean of the real and the fake term, so that a discriminator that says 0.5
    to everything scores ln 2 = 0.693, the figure the report's d_loss settles at."""
    real_term = binary_cross_entropy(1.0 - label_smoothing, real_prob)
    fake_term = binary_cross_entropy(0.0, fake_prob)
    return 0.5 * (real_term + fake_term)


def generator_loss(fake_prob, kind: str = "non_saturating"):
    """``non_saturating``: -log D(G(z)) (label the fakes real). ``minimax``: log(1 - D(G(z))),
    the original game's term, to be minimised; it is negative, and flat where D(G(z)) -> 0."""
    if kind == "non_saturating":
        return binary_cross_entropy(1.0, fake_prob)
    if kind == "minimax":
        return -binary_cross_entropy(0.0, fake_prob)
    raise ValueError(f"unknown generator loss {kind!r}; choose one of {', '.join(GENERATOR_LOSSES)}")
