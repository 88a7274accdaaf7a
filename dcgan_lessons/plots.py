"""Pictures: digit grids, loss curves and the like, shared by the notebooks and the run folders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .stats import LN2

FIGURES_VARIABLE = "DCGAN_LESSONS_FIGURES"


def tile(images: np.ndarray, columns: int = 10, pad: int = 2) -> np.ndarray:
    """Lay (N, H, W) images out in a grid with ``columns`` columns and a dark border: one array."""
    images = np.asarray(images)
    n, h, w = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad), dtype=images.dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    return grid


def figures_dir() -> Path:
    """Where notebooks save their figures: ``$DCGAN_LESSONS_FIGURES`` if set, else ``../figures`` beside
    the notebook's folder (the project's ``figures/`` for the series). Quick mode (CI, nbval) writes its
    small-settings figures to a temporary folder instead of over the real ones. Never a folder derived
    from where the package is installed."""
    from .notebooks import quick

    if quick():
        folder = Path(tempfile.gettempdir()) / "dcgan_lessons_quick_figures"
    else:
        folder = Path(os.environ.get(FIGURES_VARIABLE) or Path.cwd().parent / "figures")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


SOURCES_KEY = "dcgan-lessons-sources"  # a PNG text field: the data files a figure was drawn from, with their hashes


def file_digest(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_name(path: Path, root: Path) -> str:
    """A source's name as stored: relative to the project (the figures folder's parent) when inside it."""
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(resolved)


def save_figure(
    fig, name: str, folder: str | os.PathLike | None = None, sources: Sequence[str | os.PathLike] = ()
) -> Path:
    """Save a matplotlib figure as ``<name>.png`` in :func:`figures_dir` (atomically), for the README
    and slides; returns the path. ``name`` is a stable id such as ``"02_generator_shapes"``.

    ``sources`` are the data files the figure is drawn from (a run's ``snapshots.npz``, a sweep's
    ``results.json``): their SHA-256 goes into the PNG, so a test can tell a figure older than its data."""
    import json

    from .files import write_with

    folder = Path(folder or figures_dir())
    path = folder / f"{name}.png"
    root = folder.resolve().parent
    metadata = (
        {SOURCES_KEY: json.dumps({_source_name(Path(s), root): file_digest(s) for s in sources})} if sources else {}
    )
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png", metadata=metadata))
    return path


def figure_sources(path: str | os.PathLike) -> dict[str, str]:
    """The data files a saved figure says it was drawn from, with their SHA-256 (empty if it names none)."""
    import json

    from PIL import Image

    with Image.open(path) as image:
        return json.loads(image.text.get(SOURCES_KEY, "{}"))


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    return ax


def _epoch_ticks(ax, history: dict) -> None:
    """Mark epoch boundaries on a step axis, so step curves read in epochs too."""
    for row in history["epochs"]:
        ax.axvline(row["steps"], color="0.85", lw=0.8, zorder=0)


def plot_losses(history: dict, ax=None):
    """d_loss and g_loss against the step (interval means), with epoch means as dots and ln 2."""
    ax = _axes(ax)
    steps = history["steps"]
    x = [r["step"] for r in steps]
    for key, color in (("d_loss", "tab:blue"), ("g_loss", "tab:orange")):
        ax.plot(x, [r[key] for r in steps], color=color, lw=1, alpha=0.8, label=key)
        ax.plot([e["steps"] for e in history["epochs"]], [e[key] for e in history["epochs"]], "o", color=color, ms=4)
    ax.axhline(LN2, color="k", ls="--", lw=0.8, label="ln 2 = 0.693")
    _epoch_ticks(ax, history)
    ax.set(xlabel="training step", ylabel="loss", title="Losses (lines: every log interval; dots: epoch means)")
    ax.legend(loc="upper right")
    return ax


def plot_discriminator_outputs(history: dict, ax=None):
    """Mean D(x) on real digits and D(G(z)) on fakes: both head to 0.5 when neither side wins."""
    ax = _axes(ax)
    steps = history["steps"]
    x = [r["step"] for r in steps]
    ax.plot(x, [r["d_real"] for r in steps], color="tab:green", lw=1, label="D(x), real digits")
    ax.plot(x, [r["d_fake"] for r in steps], color="tab:red", lw=1, label="D(G(z)), fakes")
    ax.axhline(0.5, color="k", ls="--", lw=0.8, label="0.5: D cannot tell")
    _epoch_ticks(ax, history)
    ax.set(xlabel="training step", ylabel="discriminator output", ylim=(0, 1), title="What the discriminator says")
    ax.legend(loc="center right")
    return ax


def snapshot_frames(snapshots, n: int = 64, columns: int = 8) -> list[np.ndarray]:
    """One tiled grid of the first ``n`` fixed-noise digits per snapshot: the frames of an animation."""
    return [tile(images[:n], columns=columns) for images in snapshots.images]


def save_gif(frames: list[np.ndarray], path: str | os.PathLike, seconds_per_frame: float = 0.25) -> Path:
    """Write uint8 frames as a looping GIF (atomically); the last frame is held a little longer."""
    from PIL import Image

    from .files import write_with

    images = [
        Image.fromarray(frame).resize((frame.shape[1] * 2, frame.shape[0] * 2), Image.NEAREST) for frame in frames
    ]
    durations = [int(seconds_per_frame * 1000)] * len(images)
    durations[-1] *= 6
    path = Path(path)
    write_with(
        path,
        lambda tmp: images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0
        ),
    )
    return path


def plot_digits(images: np.ndarray, columns: int = 10, ax=None, title: str | None = None):
    """uint8 (N, 28, 28) digits (or [-1, 1] floats, any trailing channel axis) as one grey grid."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    if images.dtype != np.uint8:
        from .data import to_uint8

        images = to_uint8(images)
    if ax is None:
        _, ax = plt.subplots(figsize=(columns * 0.45, -(-len(images) // columns) * 0.45))
    ax.imshow(tile(images, columns=columns), cmap="gray", vmin=0, vmax=255)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def plot_class_examples(images: np.ndarray, labels: np.ndarray, per_class: int = 10, ax=None):
    """The first ``per_class`` digits of each class 0-9, one row per class."""
    picked = np.concatenate([images[labels == digit][:per_class] for digit in range(10)])
    ax = plot_digits(picked, columns=per_class, ax=ax)
    ax.set_axis_on()
    ax.set(xticks=[], yticks=[2 + 14 + 30 * d for d in range(10)], yticklabels=[str(d) for d in range(10)])
    ax.set_ylabel("class")
    return ax


def plot_class_counts(labels: np.ndarray, ax=None):
    """A bar per digit class with its count written on top: how balanced the classes are."""
    ax = _axes(ax)
    counts = np.bincount(labels, minlength=10)
    bars = ax.bar(range(10), counts, color="tab:blue")
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8)
    ax.axhline(counts.mean(), color="k", ls="--", lw=0.8, label=f"mean {counts.mean():,.0f}")
    ax.set(xticks=range(10), xlabel="digit", ylabel="training images", title="Images per class")
    ax.legend(loc="lower right")
    return ax


def plot_pixel_histogram(images: np.ndarray, ax=None):
    """Histogram of all pixel values (log count axis): MNIST is mostly black background."""
    ax = _axes(ax)
    counts = np.bincount(np.asarray(images, np.uint8).ravel(), minlength=256)
    ax.bar(np.arange(256), counts, width=1.0, color="tab:blue")
    ax.set_yscale("log")
    zero = counts[0] / counts.sum()
    ax.set(xlabel="pixel value (0 = black, 255 = white)", ylabel="pixels (log scale)")
    ax.set_title(f"Pixel values: {zero:.1%} are exactly 0, mean {np.dot(np.arange(256), counts) / counts.sum():.3f}")
    return ax


def plot_feature_maps(outputs: list[tuple[str, np.ndarray]], channels: int = 6):
    """One row per layer: the first ``channels`` feature maps of one sample's (1, H, W, C) outputs,
    each on its own colour scale, with the layer's shape in the row title."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(outputs), channels, figsize=(channels * 1.3, len(outputs) * 1.45), squeeze=False)
    for row, (name, out) in zip(axes, outputs, strict=True):
        if out.ndim != 4 or out.shape[0] != 1:
            raise ValueError(f"layer {name}: expected one sample's (1, H, W, C) output, got shape {out.shape}")
        for c, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if c < out.shape[-1]:
                ax.imshow(out[0, :, :, c], cmap="viridis")
            else:
                ax.set_axis_off()
        row[0].set_ylabel(f"{name}\n{'x'.join(map(str, out.shape[1:]))}", fontsize=8)
    fig.suptitle("One noise vector through the generator: the first feature maps of each layer")
    fig.tight_layout()
    return fig


def _annotated(ax, array: np.ndarray, title: str) -> None:
    vmax = max(float(array.max()), 1e-9) * 1.3
    ax.imshow(array, cmap="Blues", vmin=0, vmax=vmax)
    for (r, c), value in np.ndenumerate(array):
        color = "white" if value > 0.5 * vmax else "black"
        ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=9, color=color)
    ax.set(xticks=[], yticks=[], title=f"{title}\n{array.shape[0]}x{array.shape[1]}")


def plot_transposed_conv(inputs: np.ndarray, kernel: np.ndarray, full: np.ndarray, same: np.ndarray, strides: int = 2):
    """The worked transposed convolution: input, kernel, the full ('valid') result with the window
    'same' keeps outlined, and the 'same' result (strides times the input's size)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(1, 4, figsize=(13, 3.6), gridspec_kw={"width_ratios": [2, 5, 7, 4]})
    _annotated(axes[0], inputs, "input")
    _annotated(axes[1], kernel, "kernel")
    _annotated(axes[2], full, f"'valid': every stamp, stride {strides}")
    top = (full.shape[0] - same.shape[0]) // 2
    left = (full.shape[1] - same.shape[1]) // 2
    axes[2].add_patch(
        Rectangle((left - 0.5, top - 0.5), same.shape[1], same.shape[0], fill=False, ec="tab:red", lw=2.5)
    )
    _annotated(axes[3], same, "'same': the red window")
    fig.tight_layout()
    return fig


def plot_activations(x: np.ndarray, curves: dict[str, tuple[np.ndarray, np.ndarray]]):
    """Activation functions (left) and their derivatives (right), from models.activation_curves."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for (name, (values, grads)), style in zip(curves.items(), ("-", "--"), strict=False):
        left.plot(x, values, style, lw=2, label=name)
        right.plot(x, grads, style, lw=2, label=name)
    left.set(xlabel="input", ylabel="output", title="Activation")
    right.set(xlabel="input", ylabel="derivative", title="Derivative (what backpropagation multiplies by)")
    for ax in (left, right):
        ax.axhline(0, color="0.6", lw=0.8)
        ax.axvline(0, color="0.6", lw=0.8)
        ax.legend()
    fig.tight_layout()
    return fig


def plot_probability_histograms(real: np.ndarray, fake: np.ndarray, ax=None, bins: int = 40):
    """Histograms of D(x) on real digits and D(G(z)) on fakes, on a shared (0, 1) axis."""
    ax = _axes(ax)
    real, fake = np.ravel(real), np.ravel(fake)
    low, high = min(real.min(), fake.min()), max(real.max(), fake.max())
    edges = np.linspace(low, high, bins + 1)
    ax.hist(real, bins=edges, alpha=0.6, color="tab:green", label=f"D(x), {len(real)} real digits")
    ax.hist(fake, bins=edges, alpha=0.6, color="tab:red", label=f"D(G(z)), {len(fake)} fakes")
    ax.axvline(0.5, color="k", ls="--", lw=0.8)
    ax.set(xlabel="discriminator output (probability of 'real')", ylabel="images")
    ax.legend()
    return ax


def plot_generator_losses(probs: np.ndarray, curves: dict[str, dict[str, np.ndarray]]):
    """Loss, gradient by D(G(z)), and gradient by the discriminator's logit, against D(G(z)), for
    each generator loss in ``curves`` ({kind: {"loss", "grad_prob", "grad_logit"}})."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    panels = (
        ("loss", "loss (to minimise)", "Generator loss"),
        ("grad_prob", "d loss / d D(G(z))", "Gradient by D(G(z))"),
        ("grad_logit", "d loss / d logit", "Gradient by D's logit"),
    )
    for ax, (key, ylabel, title) in zip(axes, panels, strict=True):
        for kind, curve in curves.items():
            ax.plot(probs, curve[key], lw=2, label=kind)
        ax.axhline(0, color="0.6", lw=0.8)
        ax.set(xlabel="D(G(z))", ylabel=ylabel, title=title, xlim=(0, 1))
        ax.legend()
    axes[1].set_ylim(-20, 2)
    axes[1].axvspan(0, 0.1, color="0.92", zorder=0)
    axes[2].axvspan(0, 0.1, color="0.92", zorder=0)
    fig.tight_layout()
    return fig


def plot_optimal_discriminator(x: np.ndarray, p_data: np.ndarray, p_model: np.ndarray, d_stars: dict[str, np.ndarray]):
    """Two densities (top) and the optimal discriminators D*(x) for them (bottom), one per label."""
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    top.fill_between(x, p_data, alpha=0.5, color="tab:green", label="p_data (real digits)")
    top.fill_between(x, p_model, alpha=0.5, color="tab:red", label="p_g (generator)")
    top.set(ylabel="density")
    top.legend()
    for label, d_star in d_stars.items():
        bottom.plot(x, d_star, lw=2, label=label)
    bottom.axhline(0.5, color="k", ls="--", lw=0.8)
    bottom.set(xlabel="x (a one-dimensional stand-in for an image)", ylabel="D*(x)", ylim=(-0.02, 1.02))
    bottom.legend()
    fig.tight_layout()
    return fig


def plot_strips(strips: dict[str, np.ndarray], ax=None, title: str | None = None):
    """Rows of digits, one row per entry, its key written on the left: e.g. one interpolation per method."""
    lengths = {len(strip) for strip in strips.values()}
    if len(lengths) != 1:
        raise ValueError(f"every strip needs the same number of digits, got {sorted(lengths)}")
    columns = lengths.pop()
    ax = plot_digits(np.concatenate([np.asarray(s) for s in strips.values()]), columns=columns, ax=ax, title=title)
    ax.set_axis_on()
    ax.set(xticks=[], yticks=[2 + 14 + 30 * row for row in range(len(strips))], yticklabels=list(strips))
    return ax


def plot_class_histogram(steps: Sequence[int], metrics: Sequence[dict], n: int):
    """The judge's class histogram of ``n`` fixed z at every snapshot (``metrics``: one
    :func:`dcgan_lessons.judge.digit_metrics` dict per step; stacked, a band per digit), and the number
    of modes covered: a collapsing generator's bands vanish."""
    import matplotlib.pyplot as plt

    snaps = metrics
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(9, 5.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}, constrained_layout=True
    )
    top.stackplot(steps, np.array([s["hist"] for s in snaps]).T, labels=range(10), colors=plt.get_cmap("tab10").colors)
    top.set(ylabel="share of the fixed z", ylim=(0, 1), title=f"Which digit the judge sees, {n} fixed z")
    top.legend(title="digit", loc="center left", bbox_to_anchor=(1.0, 0.5))
    bottom.plot(steps, [s["modes"] for s in snaps], "o-", ms=3, color="tab:purple")
    bottom.set(xlabel="training step", ylabel="modes covered", ylim=(0, 10.5), yticks=[0, 2, 4, 6, 8, 10])
    return fig


def plot_switch_rate(steps: Sequence[int], rates: Sequence[float], ax=None, label: str | None = None):
    """The share of the fixed z whose digit changed since the previous snapshot (``rates``), at each
    snapshot after the first (``steps``): ``analysis.steps[1:]`` and ``analysis.switch_rates``."""
    ax = _axes(ax)
    ax.plot(steps, rates, "o-", ms=3, label=label)
    ax.set(
        xlabel="training step",
        ylabel="switch rate",
        ylim=(0, None),
        title="Share of the fixed z that changed digit since the previous snapshot",
    )
    if label:
        ax.legend()
    return ax


def plot_judge_metrics(steps: Sequence[int], metrics: Sequence[dict], reference: dict | None = None):
    """Classifier score, Frechet distance and confidence at each step (``metrics``: one digit_metrics
    dict per step); dashed: real test digits at the same N (``reference``, judge.reference_metrics)."""
    import matplotlib.pyplot as plt

    snaps = metrics
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), constrained_layout=True)
    panels = (
        ("score", "classifier score (10 = sharp, balanced)"),
        ("frechet", "Frechet distance to real digits"),
        ("confidence", "mean confidence (max softmax)"),
    )
    for ax, (key, title) in zip(axes, panels, strict=True):
        ax.plot(steps, [s[key] for s in snaps], "o-", ms=3, label="generator")
        if reference:
            ax.axhline(reference[key], color="k", ls="--", lw=0.9, label=f"real digits ({reference[key]:.2f})")
            ax.legend()
        ax.set(xlabel="training step", title=title)
    axes[1].set_yscale("log")
    return fig


def plot_transition_matrix(matrix: np.ndarray, title: str = "", ax=None):
    """Counts of z that went from digit i (row) to digit j (column). The colour shows only the
    switches (off the diagonal); the diagonal, z that kept their digit, is written in grey."""
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5))
    switches = np.where(np.eye(len(matrix), dtype=bool), 0, matrix)
    ax.imshow(switches, cmap="Reds", vmin=0, vmax=max(int(switches.max()), 1))
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color="0.55" if i == j else "k")
    ax.set(xticks=range(10), yticks=range(10), xlabel="digit after", ylabel="digit before")
    ax.set_title(f"Transitions{': ' + title if title else ''}")
    return ax.figure


def plot_lineages(lineages: list[dict]):
    """One row per z: its digit at consecutive snapshots, titled with the step and the judge's
    label and confidence; a label that changed from the column before is red."""
    import matplotlib.pyplot as plt

    if not lineages:
        fig, ax = plt.subplots(figsize=(6, 1))
        ax.text(0.5, 0.5, "no switches to show", ha="center", va="center")
        ax.set_axis_off()
        return fig
    columns = max(len(lin["steps"]) for lin in lineages)
    fig, axes = plt.subplots(len(lineages), columns, figsize=(columns * 1.05, len(lineages) * 1.45), squeeze=False)
    for row, lin in zip(axes, lineages, strict=False):
        row[0].set_ylabel(f"z {lin['z']}")
        for k, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= len(lin["steps"]):
                ax.set_axis_off()
                continue
            ax.imshow(lin["images"][k], cmap="gray", vmin=0, vmax=255)
            changed = k > 0 and lin["labels"][k] != lin["labels"][k - 1]
            ax.set_title(
                f"step {lin['steps'][k]}\n{lin['labels'][k]} ({lin['confidence'][k]:.2f})",
                fontsize=7,
                color="tab:red" if changed else "k",
            )
    fig.tight_layout()
    return fig


def _first_epochs(histories: dict[str, dict]):
    """Per run (``histories`` keyed "<condition>/seed_<n>"): its condition's colour, the condition as a legend
    label on its first run only, epoch 1's row and the logged rows within epoch 1."""
    colours: dict[str, str] = {}
    for run, history in histories.items():
        condition = run.split("/")[0]
        label = None if condition in colours else condition  # one legend entry per condition
        colour = colours.setdefault(condition, f"C{len(colours)}")
        end = history["epochs"][0]
        yield colour, label, end, [r for r in history["steps"] if r["step"] <= end["steps"]]


def plot_first_epoch(histories: dict[str, dict], report: tuple[float, float], axes=None):
    """Epoch 1 of many runs (``histories`` keyed "<condition>/seed_<n>"): d_loss and g_loss every log interval,
    one colour per condition, each run's epoch mean as a dot at the end, and the report's epoch-1 row dashed."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    for colour, label, end, steps in _first_epochs(histories):
        for ax, key in zip(axes, ("d_loss", "g_loss"), strict=True):
            x, y = [r["step"] for r in steps], [r[key] for r in steps]
            ax.plot(x, y, color=colour, lw=0.8, alpha=0.7, label=label)
            ax.plot([end["steps"]], [end[key]], "o", color=colour, ms=4)
    for ax, key, value in zip(axes, ("d_loss", "g_loss"), report, strict=True):
        ax.axhline(value, color="k", ls="--", lw=1, label=f"the report's epoch 1: {value}")
        ax.set(xlabel="training step", ylabel=key, title=f"{key} in epoch 1 (lines: 50-step means; dots: epoch means)")
    axes[1].set_yscale("log")  # a generator cut off at -ln(1e-7) = 16.1 and the healthy runs near 1 fit one panel
    axes[1].legend(fontsize=8, ncol=2)
    return axes


def plot_loss_plane(histories: dict[str, dict], report: tuple[float, float], near: dict[str, float], ax=None):
    """Epoch 1 of runs logged every step (``histories`` keyed "<condition>/seed_<n>") as points (d_loss, g_loss):
    every batch a faint dot, each run's last batch a cross and its epoch mean a circle, one colour per
    condition; the report's epoch-1 row a star inside the box of losses ``near`` it."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for colour, label, end, steps in _first_epochs(histories):
        ax.scatter([r["d_loss"] for r in steps], [r["g_loss"] for r in steps], s=2, alpha=0.15, color=colour)
        ax.plot(steps[-1]["d_loss"], steps[-1]["g_loss"], "X", color=colour, ms=9, mec="k", zorder=3)
        ax.plot(end["d_loss"], end["g_loss"], "o", color=colour, ms=8, mec="k", label=label, zorder=3)
    (d, g), (dd, dg) = report, (near["d_loss"], near["g_loss"])
    ax.add_patch(Rectangle((d - dd, g - dg), 2 * dd, 2 * dg, fill=False, ls="--", color="k", zorder=3))
    ax.plot(d, g, "*", color="k", ms=14, label=f"the report's epoch 1 ({d}, {g})", zorder=3)
    ax.set_yscale("log")  # early batches reach g_loss of several units, the epoch means sit near 1
    ax.yaxis.set_major_locator(LogLocator(subs=(1, 3)))  # ... 0.3, 1, 3, 10
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set(
        xlabel="d_loss",
        ylabel="g_loss",
        title="epoch 1: every batch (dots), last batch (X), epoch mean (o)",
    )
    ax.legend(fontsize=8)
    return ax


def mark_spread(fig, measured: Sequence[dict], label: str, color: str = "0.4", at: int | None = None):
    """Several measurements of one kind on a :func:`plot_judge_metrics` figure, as their mean +- one standard
    deviation: a band across the plot (real test digits, set after set), or with ``at`` an error bar at
    that step (fresh z of one generator). One measurement is one draw; this shows how far they scatter."""
    from .judge import spread

    for ax, key in zip(fig.axes, ("score", "frechet", "confidence"), strict=True):
        mean, sd = spread(measured, key)
        text = f"{label} ({mean:.3g} ± {sd:.2g})"
        if at is None:
            ax.axhspan(mean - sd, mean + sd, color=color, alpha=0.2, lw=0)
            ax.axhline(mean, color=color, ls="--", lw=0.9, label=text)
        else:
            ax.errorbar([at], [mean], yerr=[sd], fmt="s", color=color, ms=4, capsize=3, label=text, zorder=3)
        ax.legend(fontsize=8)
    return fig
