"""The adversarial losses, written on the discriminator's probabilities D(.) in (0, 1).

Both players use binary cross-entropy. The discriminator labels real digits 1 and fakes 0; the
generator either labels its fakes 1 (non-saturating, the default and the report's choice) or
maximises the discriminator's error directly (minimax, the original formulation, whose gradient
vanishes exactly when the generator is losing).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .config import GENERATOR_LOSSES

# Keras' own BCE clips probabilities to [eps, 1 - eps]; so do we, so the numbers agree.
EPSILON = 1e-7


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


def generator_loss_curve(probs, kind: str = "non_saturating", wrt: str = "logit") -> tuple[np.ndarray, np.ndarray]:
    """The generator's loss at each value of D(G(z)) in ``probs`` and its gradient, by tf.GradientTape
    through :func:`generator_loss`. ``wrt="prob"`` differentiates by D(G(z)) itself; ``wrt="logit"``
    by the discriminator's last pre-sigmoid value, the path every gradient to the generator takes."""
    import tensorflow as tf

    if wrt not in ("prob", "logit"):
        raise ValueError(f"unknown wrt {wrt!r}; choose 'prob' or 'logit'")
    probs = np.asarray(probs, "float32").reshape(-1)
    if not ((probs > 0) & (probs < 1)).all():
        raise ValueError("probs must lie strictly between 0 and 1 (they are values of D(G(z)))")
    losses, grads = [], []
    for p in probs:
        x = tf.Variable([[p if wrt == "prob" else np.log(p / (1 - p))]], dtype=tf.float32)
        with tf.GradientTape() as tape:
            loss = generator_loss(x if wrt == "prob" else tf.sigmoid(x), kind)
        losses.append(float(loss))
        grads.append(float(tape.gradient(loss, x)[0, 0]))
    return np.array(losses), np.array(grads)


def optimal_discriminator(p_data, p_model, label_smoothing: float = 0.0) -> np.ndarray:
    """D*(x) = (1 - s) p_data / (p_data + p_model): the discriminator that minimises
    :func:`discriminator_loss` for a fixed generator (Goodfellow et al. 2014), with one-sided label
    smoothing s. Where the generator puts no mass D* is 1 - s, not 1: smoothing caps D's confidence."""
    p_data, p_model = np.asarray(p_data, "float64"), np.asarray(p_model, "float64")
    if (p_data < 0).any() or (p_model < 0).any() or not ((p_data + p_model) > 0).all():
        raise ValueError("p_data and p_model must be densities: non-negative, and not both 0 at any point")
    return (1.0 - label_smoothing) * p_data / (p_data + p_model)
