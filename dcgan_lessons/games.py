"""Two small games that show why GAN training cycles instead of settling.

The bilinear game min_x max_y x*y is the smallest game with the problem: its only equilibrium is
(0, 0), yet simultaneous gradient steps spiral away from it and alternating steps orbit it for ever;
the uniform average of the orbiting iterates converges to it, a moving average stays a fixed fraction
of the orbit away. The ring GAN is the smallest GAN with the same problem: a generator and a
discriminator on 2-D points, trained live in seconds, whose generator can hop from one mode of a
ring of Gaussians to the next while the discriminator chases it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Part 1 needs NumPy only; TensorFlow starts when a ring GAN is built
    import keras

# --- the bilinear game f(x, y) = x * y: x minimises, y maximises ------------------------------------


def bilinear_play(start: tuple[float, float], lr: float, steps: int, alternating: bool = False) -> np.ndarray:
    """The iterates (x_t, y_t), t = 0..steps, of gradient play on f(x, y) = x y: (steps + 1, 2).

    Simultaneous play (the default) moves both players from the same point, as ``DCGAN.train_step``
    updates G and D from one forward pass; alternating play lets y answer the x just moved."""
    x, y = start
    points = np.empty((steps + 1, 2))
    points[0] = x, y
    for t in range(1, steps + 1):
        if alternating:
            x = x - lr * y  # df/dx = y
            y = y + lr * x  # df/dy = x, at the new x
        else:
            x, y = x - lr * y, y + lr * x
        points[t] = x, y
    return points


def spiral_growth(lr: float, steps) -> np.ndarray:
    """sqrt(1 + lr^2)^steps: how far simultaneous play has moved from (0, 0), relative to the start.

    One simultaneous step multiplies (x, y) by [[1, -lr], [lr, 1]], a rotation scaled by sqrt(1 + lr^2)."""
    return np.sqrt(1.0 + lr**2) ** np.asarray(steps, dtype=float)


def moving_average(points, decay: float) -> np.ndarray:
    """Exponential moving average of iterates, a_0 = p_0, a_t = decay a_{t-1} + (1 - decay) p_t:
    the same average ``--ema`` keeps of the generator's weights, here of the players' (x, y)."""
    points = np.asarray(points, dtype=float)
    averages = np.empty_like(points)
    averages[0] = points[0]
    for t in range(1, len(points)):
        averages[t] = decay * averages[t - 1] + (1.0 - decay) * points[t]
    return averages


def uniform_average(points) -> np.ndarray:
    """The running mean of the iterates, a_t = (p_0 + ... + p_t) / (t + 1) (Polyak averaging): every step
    weighs the same, so its memory grows with t, where a moving average keeps 1 / (1 - decay) steps. Of
    iterates that orbit the equilibrium it converges to the equilibrium, the orbit's turns cancelling."""
    points = np.asarray(points, dtype=float)
    return np.cumsum(points, axis=0) / np.arange(1, len(points) + 1).reshape(-1, *[1] * (points.ndim - 1))


# --- the ring of Gaussians and its modes ---------------------------------------------------------

RING_MODES = 8
RING_RADIUS = 2.0
RING_STD = 0.05
WITHIN = 4.0  # a point belongs to its nearest mode when it lies within WITHIN standard deviations of it
MIN_SHARE = 1 / (2 * RING_MODES)  # a mode is covered when it holds half its fair share of the points


def ring_modes(n_modes: int = RING_MODES, radius: float = RING_RADIUS) -> np.ndarray:
    """The centres of ``n_modes`` Gaussians evenly spaced on a circle, mode 0 at angle 0: (n_modes, 2)."""
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def sample_ring(n: int, modes: np.ndarray, std: float = RING_STD, seed: int | None = None) -> np.ndarray:
    """``n`` real points: a mode chosen uniformly, plus Gaussian noise of ``std`` on each axis: (n, 2)."""
    rng = np.random.default_rng(seed)
    return (modes[rng.integers(len(modes), size=n)] + std * rng.standard_normal((n, 2))).astype(np.float32)


def assign_modes(points, modes: np.ndarray, std: float = RING_STD, within: float = WITHIN) -> np.ndarray:
    """Each point's nearest mode, or -1 when that mode is farther than ``within * std``: (...,) ints."""
    distances = np.linalg.norm(np.asarray(points)[..., None, :] - modes, axis=-1)
    nearest = distances.argmin(axis=-1)
    return np.where(distances.min(axis=-1) <= within * std, nearest, -1)


def mode_shares(points, modes: np.ndarray, std: float = RING_STD, within: float = WITHIN) -> np.ndarray:
    """The share of the points that belongs to each mode; points of (..., N, 2) give (..., n_modes)."""
    labels = assign_modes(points, modes, std, within)
    return (labels[..., None] == np.arange(len(modes))).mean(axis=-2)


def hop_summary(covered) -> dict:
    """What a (frames, modes) table of covered modes says about hopping.

    ``lone_sequence`` lists the mode of each frame that covers exactly one mode, repeats removed: a
    generator that hops visits several modes in turn, one at a time. ``stays`` are the lengths (in frames)
    of the runs of consecutive frames on one and the same lone mode: a generator that hops sits on a mode
    for several frames; points sweeping past the modes are caught on each for a frame or so."""
    covered = np.asarray(covered, dtype=bool)
    counts = covered.sum(axis=1)
    lone = [int(np.flatnonzero(row)[0]) for row in covered[counts == 1]]
    sequence = [m for i, m in enumerate(lone) if i == 0 or m != lone[i - 1]]
    mode_of = np.where(counts == 1, covered.argmax(axis=1), -1)
    starts = np.flatnonzero(np.diff(mode_of, prepend=-2) != 0)  # where a run of equal frames begins
    lengths = np.diff(np.append(starts, len(mode_of)))
    stays = [int(n) for n, start in zip(lengths, starts, strict=True) if mode_of[start] >= 0]
    return {
        "frames": len(covered),
        "occupied_frames": int((counts > 0).sum()),
        "lone_frames": len(lone),
        "lone_sequence": sequence,
        "hops": max(len(sequence) - 1, 0),
        "lone_modes": sorted(set(sequence)),
        "visited": [int(m) for m in np.flatnonzero(covered.any(axis=0))],
        "most_at_once": int(counts.max(initial=0)),
        "final": [int(m) for m in np.flatnonzero(covered[-1])] if len(covered) else [],
        "stays": stays,
    }


def ring_share_on_modes(
    n_modes: int = RING_MODES, radius: float = RING_RADIUS, std: float = RING_STD, within: float = WITHIN
) -> float:
    """The fraction of the ring's circumference within ``within * std`` of a mode: the share of frames a
    point going round the ring at a steady speed spends on a mode (chord 2 r sin(phi / 2) <= within * std)."""
    return min(1.0, n_modes * 4 * math.asin(min(1.0, within * std / (2 * radius))) / (2 * math.pi))


def circling(points, min_concentration: float = 0.9, steps=None) -> dict:
    """How a cloud of points goes round the ring, frame by frame (points of shape (F, N, 2)).

    ``angle`` is each frame's mean direction in degrees and ``concentration`` the mean resultant length:
    1 when all points lie at one angle, near 0 when they are spread round the ring. ``laps`` adds up
    the turns between consecutive frames in which the points stay together (``min_concentration``),
    anticlockwise positive; ``largest_turn`` is the biggest of those turns: close to 180 degrees, the
    frames are too far apart to tell which way the points went. With the frames' training ``steps``,
    ``speed`` gives the turn per training step of each counted pair of frames (degrees): its median says
    how fast the points go round, its spread how steadily."""
    points = np.asarray(points, dtype=float)
    mean = np.exp(1j * np.arctan2(points[..., 1], points[..., 0])).mean(axis=-1)
    angle, concentration = np.degrees(np.angle(mean)), np.abs(mean)
    together = concentration >= min_concentration
    turns = (np.diff(angle) + 180) % 360 - 180  # each turn the short way round, in [-180, 180)
    pairs = together[1:] & together[:-1]
    counted = turns[pairs]
    found = {
        "angle": angle,
        "concentration": concentration,
        "together_frames": int(together.sum()),
        "laps": float(counted.sum() / 360),
        "largest_turn": float(np.abs(counted).max(initial=0.0)),
    }
    if steps is not None:
        found["speed"] = counted / np.diff(np.asarray(steps, dtype=float))[pairs]
    return found


# --- the ring GAN ----------------------------------------------------------------------------------


@dataclass
class RingRun:
    """What the ring GAN did, frame by frame: the generator's points for the same fixed z and the
    discriminator's probability that a point is real, on a square grid."""

    steps: np.ndarray  # (F,) the training step of each frame
    points: np.ndarray  # (F, N, 2) G(z) for the same N fixed z
    surface: np.ndarray  # (F, R, R) D's probability "real" on the grid; row i is y = grid[i]
    grid: np.ndarray  # (R,) the grid's coordinates on either axis
    modes: np.ndarray  # (n_modes, 2)
    std: float
    seconds: float  # training time, frames included

    def shares(self, within: float = WITHIN) -> np.ndarray:
        """(F, n_modes): the share of G's points on each mode at each frame."""
        return mode_shares(self.points, self.modes, self.std, within)

    def covered(self, min_share: float = MIN_SHARE, within: float = WITHIN) -> np.ndarray:
        """(F, n_modes) booleans: the modes holding at least ``min_share`` of G's points."""
        return self.shares(within) >= min_share


def build_ring_generator(latent_dim: int = 16, width: int = 64, seed: int | None = None) -> keras.Sequential:
    """z (latent_dim,) -> two ReLU layers -> a 2-D point."""
    import keras
    from keras import layers

    init = lambda k: keras.initializers.GlorotUniform(None if seed is None else seed * 100 + k)  # noqa: E731
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(width, activation="relu", kernel_initializer=init(1)),
            layers.Dense(width, activation="relu", kernel_initializer=init(2)),
            layers.Dense(2, kernel_initializer=init(3), name="point"),
        ],
        name="ring_generator",
    )


def build_ring_discriminator(width: int = 64, seed: int | None = None) -> keras.Sequential:
    """A 2-D point -> two ReLU layers -> a logit -> sigmoid: the probability that the point is real,
    the output the package's losses take, as the DCGAN's discriminator gives it."""
    import keras
    from keras import layers

    init = lambda k: keras.initializers.GlorotUniform(None if seed is None else seed * 100 + 50 + k)  # noqa: E731
    return keras.Sequential(
        [
            keras.Input((2,)),
            layers.Dense(width, activation="relu", kernel_initializer=init(1)),
            layers.Dense(width, activation="relu", kernel_initializer=init(2)),
            layers.Dense(1, kernel_initializer=init(3), name="logit"),
            layers.Activation("sigmoid", name="probability"),
        ],
        name="ring_discriminator",
    )


def train_ring_gan(
    steps: int = 3000,
    every: int = 25,
    seed: int = 0,
    lr: float = 1e-3,
    beta_1: float = 0.5,
    batch_size: int = 256,
    latent_dim: int = 16,
    width: int = 64,
    std: float = RING_STD,
    n_points: int = 500,
    extent: float = 3.0,
    resolution: int = 61,
    build_generator: Callable[..., keras.Model] = build_ring_generator,
    build_discriminator: Callable[..., keras.Model] = build_ring_discriminator,
) -> RingRun:
    """Train a ring GAN for ``steps`` steps and record a frame every ``every`` steps (and at step 0).

    Each step is ``DCGAN.train_step`` on points: one batch of noise, one forward pass, both players
    updated simultaneously with the package's losses (non-saturating G), each with its own Adam. The players
    come from ``build_generator(latent_dim, width, seed)`` and ``build_discriminator(width, seed)``: notebook 08
    passes its lesson cell's builders, so that an edit to that cell reaches the GANs it trains."""
    import time

    import keras
    import tensorflow as tf

    from .losses import discriminator_loss, generator_loss

    if steps < 1 or every < 1:
        raise ValueError(f"steps and every must be positive, got steps={steps}, every={every}")
    modes = ring_modes()
    generator = build_generator(latent_dim, width, seed)
    discriminator = build_discriminator(width, seed)
    g_optimizer = keras.optimizers.Adam(lr, beta_1=beta_1)
    d_optimizer = keras.optimizers.Adam(lr, beta_1=beta_1)
    noise_seed = keras.random.SeedGenerator(seed)
    centres = tf.constant(modes)

    def train_step():
        which = keras.random.randint((batch_size,), 0, len(modes), seed=noise_seed)
        real = tf.gather(centres, which) + std * keras.random.normal((batch_size, 2), seed=noise_seed)
        noise = keras.random.normal((batch_size, latent_dim), seed=noise_seed)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_prob = discriminator(generator(noise, training=True), training=True)
            real_prob = discriminator(real, training=True)
            d_loss = discriminator_loss(real_prob, fake_prob)
            g_loss = generator_loss(fake_prob)
        d_weights, g_weights = discriminator.trainable_weights, generator.trainable_weights
        d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_weights), d_weights, strict=True))
        g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_weights), g_weights, strict=True))

    fixed_z = tf.constant(np.random.default_rng(seed).standard_normal((n_points, latent_dim)), tf.float32)
    grid = np.linspace(-extent, extent, resolution, dtype=np.float32)
    grid_points = tf.constant(np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2))

    @tf.function
    def advance(n):
        """n steps in one graph call (a Python call per step would cost more than the step), then a frame."""
        for _ in tf.range(n):
            train_step()
        return generator(fixed_z, training=False), discriminator(grid_points, training=False)

    frame_steps = [*range(0, steps, every), steps]
    points, surface = [], []
    start = time.perf_counter()
    done = 0
    for step in frame_steps:
        g_points, d_probs = advance(tf.constant(step - done))
        done = step
        points.append(g_points.numpy())
        surface.append(d_probs.numpy().reshape(resolution, resolution))
    return RingRun(
        steps=np.array(frame_steps),
        points=np.stack(points),
        surface=np.stack(surface),
        grid=grid,
        modes=modes,
        std=std,
        seconds=time.perf_counter() - start,
    )


HOPPING_STAY = 3  # frames on one mode in a row (median) that make a stay rather than a pass


def ring_behaviour(run: RingRun, min_concentration: float = 0.9) -> dict:
    """What a ring GAN's generator did, measured and named: ``kind`` is

    - "hopping" when its points sat on one mode at a time (a single mode in at least half the frames in which
      they were bunched, ``HOPPING_STAY`` frames in a row or more, the median) and changed mode at least
      twice, visiting three or more;
    - "circling" when the points went round the ring bunched (a lap or more while bunched) without sitting
      on modes: they pass each one, caught on it in about ``ring_share`` of the frames;
    - "spread" otherwise (points over several modes at once, never going round bunched).

    A run can circle for a while and then spread: ``final_concentration`` says how it ended.

    Also: the laps and speed of :func:`circling`, the stays and mode changes of :func:`hop_summary`, and
    ``on_mode_share``, the share of bunched frames on exactly one mode."""
    covered = run.covered()
    summary = hop_summary(covered)
    circle = circling(run.points, min_concentration, run.steps)
    together = circle["concentration"] >= min_concentration
    lone = covered.sum(axis=1) == 1
    on_mode = float((lone & together).sum() / together.sum()) if together.any() else 0.0
    stay = float(np.median(summary["stays"])) if summary["stays"] else 0.0
    if summary["hops"] >= 2 and len(summary["lone_modes"]) >= 3 and on_mode >= 0.5 and stay >= HOPPING_STAY:
        kind = "hopping"
    elif abs(circle["laps"]) >= 1:
        kind = "circling"
    else:
        kind = "spread"
    speed = circle.pop("speed")
    return {
        **summary,
        **circle,
        "kind": kind,
        "on_mode_share": on_mode,
        "ring_share": ring_share_on_modes(len(run.modes), float(np.linalg.norm(run.modes[0])), run.std),
        "median_stay": stay,
        "degrees_per_step": float(np.median(np.abs(speed))) if len(speed) else 0.0,
        "speed_quartiles": tuple(float(q) for q in np.percentile(np.abs(speed), [25, 75])) if len(speed) else None,
        "final_concentration": float(circle["concentration"][-1]),
    }


# --- pictures ---------------------------------------------------------------------------------------


def plot_ring_frame(run: RingRun, index: int, ax, within: float = WITHIN):
    """One frame: D's probability "real" as a background (blue: real, red: fake), each mode's
    coverage circle (``within`` std) in green, G's points for the fixed z in black."""
    from matplotlib.patches import Circle

    edge = float(run.grid[-1])
    image = ax.imshow(
        run.surface[index],
        extent=(-edge, edge, -edge, edge),
        origin="lower",
        cmap="RdBu",
        vmin=0,
        vmax=1,
        interpolation="bilinear",
    )
    for centre in run.modes:
        ax.add_patch(Circle(centre, within * run.std, fill=False, color="tab:green", lw=1))
    ax.scatter(*run.points[index].T, s=2, c="k", linewidths=0)
    ax.set(xlim=(-edge, edge), ylim=(-edge, edge), xticks=[], yticks=[], aspect="equal")
    ax.set_title(f"step {run.steps[index]}", fontsize=9)
    return image


def plot_mode_timeline(run: RingRun, ax, min_share: float = MIN_SHARE, bins: int = 72):
    """Where on the ring G's points are, frame by frame: the share of points at each angle (grey), the
    modes' angles (dotted) and the modes covered at each frame (orange squares)."""
    angles = np.degrees(np.arctan2(run.points[..., 1], run.points[..., 0])) % 360
    edges = np.linspace(0, 360, bins + 1)
    shares = np.stack([np.histogram(a, edges)[0] for a in angles]) / angles.shape[1]
    steps = run.steps.astype(float)
    gaps = np.diff(steps) if len(steps) > 1 else np.ones(1)
    step_edges = np.concatenate([[steps[0] - gaps[0] / 2], (steps[:-1] + steps[1:]) / 2, [steps[-1] + gaps[-1] / 2]])
    image = ax.pcolormesh(step_edges, edges, shares.T, cmap="Greys", vmin=0, vmax=shares.max())
    mode_angles = np.degrees(np.arctan2(run.modes[:, 1], run.modes[:, 0])) % 360
    for angle in mode_angles:
        ax.axhline(angle, color="tab:green", lw=0.6, ls=":")
    frames, modes = np.nonzero(run.covered(min_share))
    ax.scatter(run.steps[frames], mode_angles[modes], marker="s", s=14, facecolors="none", edgecolors="tab:orange")
    ax.set(
        xlabel="training step",
        ylabel="angle of G's points (degrees)",
        yticks=mode_angles,
        yticklabels=[f"{a:.0f} (mode {m})" for m, a in enumerate(mode_angles)],
    )
    return image
