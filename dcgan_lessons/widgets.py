"""Interactive views for a live notebook: a latent explorer, an epoch scrubber, a ring-GAN scrubber and a label picker
for a conditional generator.

Each widget is a thin layer over a plain function that computes what it shows (:func:`explorer_image`,
:func:`scrubber_frame`, :func:`ring_frame`, :func:`picked_image`), so the pictures are testable without a browser and
a static notebook can show the same frames as ordinary figures.
"""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np

from .latent import decode
from .plots import tile
from .runs import Snapshots


def explorer_z(base_z, directions, values) -> np.ndarray:
    """base_z + sum_i values[i] * directions[i]: the point the explorer's sliders describe, (latent,)."""
    base_z = np.asarray(base_z, dtype=np.float32)
    directions = np.atleast_2d(np.asarray(directions, dtype=np.float32))
    values = np.asarray(values, dtype=np.float32)
    if directions.shape[1:] != base_z.shape or values.shape != (len(directions),):
        raise ValueError(
            f"need one value per direction and directions as long as base_z: got base_z {base_z.shape}, "
            f"directions {directions.shape}, values {values.shape}"
        )
    return base_z + values @ directions


def explorer_image(generator, base_z, directions, values) -> np.ndarray:
    """The digit at base_z moved ``values[i]`` along each direction: uint8 (28, 28)."""
    return decode(generator, explorer_z(base_z, directions, values))[0]


def scrubber_frame(
    snapshots: Snapshots, index: int, n: int = 100, steps_per_epoch: int | None = None
) -> tuple[np.ndarray, str]:
    """The first ``n`` fixed-noise digits at snapshot ``index`` as one grid (uint8), and its label
    ("step 936 (epoch 0.50)" when ``steps_per_epoch`` is known)."""
    count = len(snapshots.steps)
    if not -count <= index < count:
        raise IndexError(f"snapshot index {index} is out of range: this run holds {count} snapshots (0-{count - 1})")
    if not 1 <= n <= snapshots.images.shape[1]:
        raise ValueError(f"n must be between 1 and {snapshots.images.shape[1]} (the fixed noise batch), got {n}")
    step = int(snapshots.steps[index])
    label = f"step {step}"
    if steps_per_epoch:
        label += f" (epoch {step / steps_per_epoch:.2f})"
    return tile(snapshots.images[index][:n], columns=int(np.ceil(np.sqrt(n)))), label


def direction_names(names: list[str] | None, k: int) -> list[str]:
    """The sliders' labels: the given names, else "direction 1", "direction 2", ..."""
    names = list(names or [f"direction {i + 1}" for i in range(k)])
    if len(names) != k:
        raise ValueError(f"need one name per direction: {k} directions, {len(names)} names")
    return names


def explorer_figure(generator, base_z, directions, values=(-3, -2, -1, 0, 1, 2, 3), names: list[str] | None = None):
    """The latent explorer as a static figure (for readers without a live kernel): one row per
    direction, one column per slider value, the other sliders at 0."""
    import matplotlib.pyplot as plt

    from .plots import plot_strips

    directions = np.atleast_2d(np.asarray(directions, dtype=np.float32))
    values = np.asarray(values, dtype=np.float32)
    rows = {}
    for name, one_hot in zip(direction_names(names, len(directions)), np.eye(len(directions)), strict=True):
        points = [explorer_z(base_z, directions, v * one_hot) for v in values]
        rows[name] = decode(generator, np.stack(points))
    fig, ax = plt.subplots(figsize=(0.6 * len(values) + 1.5, 0.65 * len(rows) + 0.6))
    plot_strips(rows, ax=ax, title="slider values " + ", ".join(f"{v:g}" for v in values))
    return fig


def scrubber_figure(snapshots: Snapshots, indices, n: int = 36, steps_per_epoch: int | None = None):
    """The epoch scrubber as a static figure: the frames at a few snapshot ``indices``, side by side."""
    import matplotlib.pyplot as plt

    indices = list(indices)
    fig, axes = plt.subplots(1, len(indices), figsize=(2.6 * len(indices), 2.9), squeeze=False)
    for ax, index in zip(axes[0], indices, strict=True):
        grid, label = scrubber_frame(snapshots, index, n, steps_per_epoch)
        ax.imshow(grid, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(label, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def png_bytes(image: np.ndarray, scale: int = 1) -> bytes:
    """A uint8 grey image as PNG bytes, each pixel repeated ``scale`` times (browsers blur small images)."""
    from PIL import Image

    big = np.kron(np.asarray(image, dtype=np.uint8), np.ones((scale, scale), dtype=np.uint8))
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, format="png")
    return buffer.getvalue()


class LatentExplorer(widgets.VBox):
    """One slider per direction in z space and the generator's digit at the point they describe."""

    def __init__(
        self, generator, base_z, directions, limit: float = 3.0, scale: int = 8, names: list[str] | None = None
    ):
        self.generator = generator
        self.base_z = np.asarray(base_z, dtype=np.float32)
        self.directions = np.atleast_2d(np.asarray(directions, dtype=np.float32))
        names = direction_names(names, len(self.directions))
        self.sliders = [
            widgets.FloatSlider(value=0.0, min=-limit, max=limit, step=0.1, description=name, continuous_update=True)
            for name in names
        ]
        self.scale = scale
        self.image = widgets.Image(format="png")
        self.label = widgets.Label()
        for slider in self.sliders:
            slider.observe(self.update, names="value")
        self.update()
        super().__init__([widgets.HBox([self.image, widgets.VBox([*self.sliders, self.label])])])

    @property
    def values(self) -> list[float]:
        return [s.value for s in self.sliders]

    def update(self, change=None) -> None:
        image = explorer_image(self.generator, self.base_z, self.directions, self.values)
        self.image.value = png_bytes(image, self.scale)
        norm = np.linalg.norm(explorer_z(self.base_z, self.directions, self.values))
        self.label.value = f"|z| = {norm:.2f} (training noise: about {np.sqrt(len(self.base_z)):.0f})"


def picked_image(generator, noise, index: int, label: int) -> np.ndarray:
    """A conditional generator's digit for the fixed z ``noise[index]`` asked for ``label``: uint8 (28, 28)."""
    from .gan import generate_uint8

    if not 0 <= index < len(noise):
        raise IndexError(f"z index {index} is out of range: the batch holds {len(noise)} z (0-{len(noise) - 1})")
    return generate_uint8(generator, np.asarray(noise[index : index + 1], dtype=np.float32), np.array([label]))[0]


class LabelPicker(widgets.VBox):
    """Pick a z from a batch and the digit to ask for: the conditional generator's digit, and the judge's reading
    of it when a judge is given."""

    def __init__(self, generator, noise, judge=None, scale: int = 8, classes: int = 10):
        self.generator, self.noise, self.judge, self.scale = generator, np.asarray(noise), judge, scale
        self.z = widgets.IntSlider(value=0, min=0, max=len(self.noise) - 1, description="z")
        self.label = widgets.Dropdown(options=list(range(classes)), value=0, description="ask for a")
        self.image = widgets.Image(format="png")
        self.reading = widgets.Label()
        for control in (self.z, self.label):
            control.observe(self.update, names="value")
        self.update()
        super().__init__([widgets.HBox([self.image, widgets.VBox([self.z, self.label, self.reading])])])

    def update(self, change=None) -> None:
        image = picked_image(self.generator, self.noise, self.z.value, self.label.value)
        self.image.value = png_bytes(image, self.scale)
        if self.judge is not None:
            judged = self.judge(image[None])
            self.reading.value = f"the judge reads a {judged.labels[0]} (p = {judged.confidence[0]:.2f})"


class Scrubber(widgets.VBox):
    """A slider and a Play button over ``count`` frames and the picture of the chosen one; a subclass says
    what frame ``index`` looks like (:meth:`frame`: PNG bytes and a label)."""

    def __init__(self, count: int, interval: int, description: str):
        self.play = widgets.Play(value=0, min=0, max=count - 1, step=1, interval=interval, description="play")
        self.slider = widgets.IntSlider(value=0, min=0, max=count - 1, description=description)
        # a kernel-side link, so the frame follows the Play button wherever the kernel runs
        self.link = widgets.link((self.play, "value"), (self.slider, "value"))
        self.label = widgets.Label()
        self.image = widgets.Image(format="png")
        self.slider.observe(self.update, names="value")
        self.update()
        super().__init__([widgets.HBox([self.play, self.slider, self.label]), self.image])

    def frame(self, index: int) -> tuple[bytes, str]:
        raise NotImplementedError

    def update(self, change=None) -> None:
        self.image.value, self.label.value = self.frame(self.slider.value)


class EpochScrubber(Scrubber):
    """A slider and a Play button over a run's snapshots: the fixed noise's digits at each step."""

    def __init__(
        self,
        snapshots: Snapshots,
        n: int = 100,
        steps_per_epoch: int | None = None,
        interval: int = 400,
        scale: int = 2,
    ):
        self.snapshots, self.n, self.steps_per_epoch, self.scale = snapshots, n, steps_per_epoch, scale
        super().__init__(len(snapshots.steps), interval, "snapshot")

    def frame(self, index: int) -> tuple[bytes, str]:
        grid, label = scrubber_frame(self.snapshots, index, self.n, self.steps_per_epoch)
        return png_bytes(grid, self.scale), label


def ring_frame(run, index: int, dpi: int = 80) -> tuple[bytes, str]:
    """Frame ``index`` of a ring GAN run (:class:`dcgan_lessons.games.RingRun`) as PNG bytes, D's
    surface with G's points on it, and its label ("step 120: G's points on mode 3")."""
    from matplotlib.figure import Figure

    from .games import plot_ring_frame

    count = len(run.steps)
    if not -count <= index < count:
        raise IndexError(f"frame index {index} is out of range: this run holds {count} frames (0-{count - 1})")
    fig = Figure(figsize=(3.6, 3.6))
    plot_ring_frame(run, index, fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    modes = np.flatnonzero(run.covered()[index])
    where = {0: "on no mode", 1: "on mode"}.get(len(modes), "on modes")
    label = f"step {run.steps[index]}: G's points {where} {', '.join(map(str, modes))}".rstrip()
    return buffer.getvalue(), label


class RingScrubber(Scrubber):
    """A slider and a Play button over a ring GAN's frames: D's surface and G's points at each step."""

    def __init__(self, run, interval: int = 200):
        self.run, self.pictures = run, {}
        super().__init__(len(run.steps), interval, "frame")

    def frame(self, index: int) -> tuple[bytes, str]:
        if index not in self.pictures:  # each frame is drawn once: Play replays them without matplotlib
            self.pictures[index] = ring_frame(self.run, index)
        return self.pictures[index]
