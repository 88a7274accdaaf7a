"""Walking in the generator's latent space: straight and spherical paths between two noise vectors,
directions worth walking along, and decoding any set of points to digits.

Why spherical? A 100-dimensional z ~ N(0, I) almost always has a norm close to sqrt(100) = 10: the
samples live on a thin shell. The straight line between two such points cuts through the inside of
the shell (its midpoint has norm about 10 / sqrt(2) = 7.1), where the generator saw no noise while
it trained. Spherical interpolation (slerp, Shoemake 1985; White 2016 for GANs) follows the great
circle instead and keeps the norm on the shell.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from .data import to_uint8

METHODS = ("linear", "spherical")

# Below this angle (radians) slerp equals lerp to float32 precision; within it of pi the circle is ambiguous.
ANGLE_TOLERANCE = 1e-6


def _pair(z0, z1) -> tuple[np.ndarray, np.ndarray]:
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    if z0.ndim != 1 or z0.shape != z1.shape:
        raise ValueError(
            f"z0 and z1 must be two vectors of the same length, got shapes {z0.shape} and {z1.shape}; "
            f"pass single rows such as noise[0] and noise[1]."
        )
    return z0, z1


def _fractions(t) -> tuple[np.ndarray, bool]:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim > 1:
        raise ValueError(f"t must be a number or a 1-D array of fractions, got shape {t.shape}")
    return np.atleast_1d(t)[:, None], t.ndim == 0


def lerp(z0, z1, t) -> np.ndarray:
    """(1 - t) z0 + t z1: the straight line; ``t`` a number (gives a vector) or an array (gives rows)."""
    z0, z1 = _pair(z0, z1)
    t, scalar = _fractions(t)
    path = ((1 - t) * z0 + t * z1).astype(np.float32)
    return path[0] if scalar else path


def angle(z0, z1) -> float:
    """The angle between two vectors, in radians (0 = same direction, pi = opposite)."""
    z0, z1 = _pair(z0, z1)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        raise ValueError("a zero vector has no direction: slerp needs two nonzero vectors (use method='linear').")
    return float(np.arccos(np.clip(z0 @ z1 / (n0 * n1), -1.0, 1.0)))


def slerp(z0, z1, t) -> np.ndarray:
    """sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1, with w the angle between z0 and z1; ``t`` a number
    (gives a vector) or an array of fractions (gives rows).

    For two vectors of equal norm every point keeps that norm; for two Gaussian draws the norm stays
    close to both. Parallel vectors (w = 0) give the straight line, the limit of the formula.
    Opposite vectors (w = pi) have no single great circle between them, so they are refused."""
    omega = angle(z0, z1)  # refuses anything but two nonzero vectors of the same length
    if omega < ANGLE_TOLERANCE:
        return lerp(z0, z1, t)
    if np.pi - omega < ANGLE_TOLERANCE:
        raise ValueError(
            "z0 and z1 point in opposite directions, so infinitely many great circles join them and "
            "slerp is undefined; pick another pair, or use method='linear'."
        )
    z0, z1 = np.asarray(z0, dtype=np.float64), np.asarray(z1, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)[..., None]  # one row per fraction
    # ratios first, so that t = 0 and t = 1 give exactly z0 and z1
    a, b = np.sin((1 - t) * omega) / np.sin(omega), np.sin(t * omega) / np.sin(omega)
    return (a * z0 + b * z1).astype(np.float32)


def interpolate(z0, z1, steps: int = 10, method: str | Callable = "spherical") -> np.ndarray:
    """``steps`` evenly spaced points from z0 to z1 (both included), float32 (steps, latent_dim). ``method`` is
    "linear", "spherical", or a walk of one's own called as ``walk(z0, z1, fractions)`` (notebook 07 passes its
    lesson cell's ``slerp``, so that an edit to the cell reaches the paths drawn with it)."""
    if not callable(method) and method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}.")
    if steps < 2:
        raise ValueError(f"steps must be at least 2 (the two end points), got {steps}")
    walk = method if callable(method) else slerp if method == "spherical" else lerp
    return walk(z0, z1, np.linspace(0.0, 1.0, steps))


def decode(generator, z, batch_size: int = 256) -> np.ndarray:
    """The generator's digits (inference mode) for points z (N, latent) or one z (latent,): uint8 (N, 28, 28)."""
    z = np.atleast_2d(np.asarray(z, dtype=np.float32))
    latent = generator.input_shape[-1]
    if z.ndim != 2 or z.shape[1] != latent:
        raise ValueError(f"z must have {latent} columns for this generator, got shape {z.shape}")
    chunks = [
        keras.ops.convert_to_numpy(generator(z[i : i + batch_size], training=False))
        for i in range(0, len(z), batch_size)
    ]
    return to_uint8(np.concatenate(chunks))


def random_pairs(count: int, pairs: int | None = None, seed: int = 0) -> np.ndarray:
    """``pairs`` random pairs of indices below ``count``, (pairs, 2), each index at most once, so that no two
    pairs share an end; None: as many as ``count`` allows (``count // 2``)."""
    pairs = count // 2 if pairs is None else pairs
    if not 1 <= pairs <= count // 2:
        raise ValueError(f"pairs must be between 1 and {count // 2} (count // 2, disjoint pairs), got {pairs}")
    return np.random.default_rng(seed).permutation(count)[: 2 * pairs].reshape(-1, 2)


def path_digits(generator, noise, ends, steps: int = 11, method: str | Callable = "spherical") -> np.ndarray:
    """The digits along the path between each pair of rows ``ends`` ((pairs, 2) indices) of ``noise``:
    uint8 (pairs, steps, 28, 28), every path decoded in one go."""
    noise = np.asarray(noise)
    paths = np.concatenate([interpolate(noise[a], noise[b], steps, method) for a, b in ends])
    return decode(generator, paths).reshape(len(ends), steps, 28, 28)


def interpolation_images(generator, z0, z1, steps: int = 10, method: str | Callable = "spherical") -> np.ndarray:
    """The digits along the path from z0 to z1: uint8 (steps, 28, 28), ready for :func:`plots.tile`."""
    return decode(generator, interpolate(z0, z1, steps, method))


def random_directions(latent_dim: int, k: int, seed: int = 0) -> np.ndarray:
    """``k`` random orthonormal directions in z space (rows of a (k, latent_dim) float32 array)."""
    if not 1 <= k <= latent_dim:
        raise ValueError(f"k must be between 1 and latent_dim ({latent_dim}), got {k}")
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((latent_dim, k)))
    return q.T.astype(np.float32)


def image_map(z, images) -> tuple[np.ndarray, np.ndarray]:
    """The best linear map from z to pixels over a batch (least squares), as its singular directions in
    z space (latent, latent; one per column, strongest first) and their singular values: how much the
    pixels move along each direction, so a notebook can show how unequal the directions are."""
    z = np.asarray(z, dtype=np.float64)
    pixels = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    if z.ndim != 2 or len(z) != len(pixels):
        raise ValueError(f"z (N, latent) and images (N, 28, 28) must have the same N, got {z.shape} and {pixels.shape}")
    weights, *_ = np.linalg.lstsq(z - z.mean(axis=0), pixels - pixels.mean(axis=0), rcond=None)  # (latent, pixels)
    u, strengths, _ = np.linalg.svd(weights, full_matrices=False)
    return u, strengths


def image_directions(z, images, k: int = 3) -> np.ndarray:
    """The ``k`` orthonormal directions in z space along which the digits change most, (k, latent).

    Fit the best linear map from z to pixels over a batch (least squares), then take its top
    singular directions (:func:`image_map`): the principal directions of the images, pulled back into
    z space. Any sign is as good as the other; each direction is flipped so that its largest entry is positive."""
    if not 1 <= k <= min(np.shape(z)):
        raise ValueError(f"k must be between 1 and min(N, latent) = {min(np.shape(z))}, got {k}")
    u, _ = image_map(z, images)
    directions = u[:, :k].T
    signs = np.sign(directions[np.arange(k), np.abs(directions).argmax(axis=1)])
    return (directions * signs[:, None]).astype(np.float32)
