"""The notebooks' plotting helpers draw what they are given."""

from dcgan_lessons import plots
from dcgan_lessons.data import load_mnist

import matplotlib.pyplot as plt
import numpy as np
import pytest


@pytest.fixture(scope="module")
def mnist(mnist_slice_dir):
    return load_mnist(mnist_slice_dir)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_digits_accepts_uint8_and_scaled_floats():
    digits = np.random.default_rng(0).integers(0, 256, (12, 28, 28), dtype=np.uint8)
    ax = plots.plot_digits(digits, columns=4, title="twelve")
    shown = ax.images[0].get_array()
    assert shown.shape == (3 * 30 + 2, 4 * 30 + 2) and ax.get_title() == "twelve"
    floats = (digits[..., None].astype("float32") - 127.5) / 127.5
    np.testing.assert_array_equal(plots.plot_digits(floats, columns=4).images[0].get_array(), shown)


def test_class_examples_and_counts(mnist):
    ax = plots.plot_class_examples(mnist.train_images, mnist.train_labels, per_class=5)
    grid = ax.images[0].get_array()
    assert grid.shape == (10 * 30 + 2, 5 * 30 + 2)
    first_seven = mnist.train_images[mnist.train_labels == 7][0]
    np.testing.assert_array_equal(grid[2 + 7 * 30 : 2 + 7 * 30 + 28, 2:30], first_seven)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(d) for d in range(10)]

    ax = plots.plot_class_counts(mnist.train_labels)
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == list(np.bincount(mnist.train_labels, minlength=10))


def test_pixel_histogram_counts_every_pixel(mnist):
    ax = plots.plot_pixel_histogram(mnist.train_images)
    assert sum(patch.get_height() for patch in ax.patches) == mnist.train_images.size
    zero = (mnist.train_images == 0).mean()
    assert f"{zero:.1%} are exactly 0" in ax.get_title()


def test_feature_maps_one_row_per_layer():
    outputs = [("a", np.ones((1, 7, 7, 8))), ("b", np.zeros((1, 14, 14, 2)))]
    fig = plots.plot_feature_maps(outputs, channels=4)
    axes = np.array(fig.axes).reshape(2, 4)
    assert axes[0, 0].get_ylabel() == "a\n7x7x8"
    assert [len(ax.images) for ax in axes[1]] == [1, 1, 0, 0]  # only 2 channels to show
    with pytest.raises(ValueError, match=r"layer flat: expected one sample's \(1, H, W, C\)"):
        plots.plot_feature_maps([("flat", np.ones((1, 12544)))])


def test_transposed_conv_figure_outlines_the_same_window():
    full = np.arange(49.0).reshape(7, 7)
    fig = plots.plot_transposed_conv(np.ones((2, 2)), np.ones((5, 5)), full, full[1:5, 1:5])
    (window,) = fig.axes[2].patches
    assert window.get_xy() == (0.5, 0.5) and window.get_width() == 4 and window.get_height() == 4
    assert len(fig.axes[2].texts) == 49 and fig.axes[3].texts[0].get_text() == "8"


def test_activation_and_probability_figures():
    x = np.linspace(-2, 2, 5)
    curves = {"ReLU": (np.maximum(x, 0), (x > 0) * 1.0), "leaky": (x, np.ones(5))}
    fig = plots.plot_activations(x, curves)
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), (x > 0) * 1.0)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["ReLU", "leaky"]

    ax = plots.plot_probability_histograms(np.full(30, 0.6), np.linspace(0.4, 0.5, 20))
    real, fake = ax.containers
    assert sum(p.get_height() for p in real) == 30 and sum(p.get_height() for p in fake) == 20


def test_loss_and_optimal_discriminator_figures():
    probs = np.linspace(0.1, 0.9, 9)
    curves = {kind: {"loss": probs * k, "grad_prob": -probs, "grad_logit": probs - k} for k, kind in enumerate("ab")}
    fig = plots.plot_generator_losses(probs, curves)
    assert len(fig.axes) == 3
    np.testing.assert_array_equal(fig.axes[2].lines[1].get_ydata(), probs - 1)

    x = np.linspace(-1, 1, 11)
    fig = plots.plot_optimal_discriminator(x, np.ones(11), np.ones(11), {"s=0": np.full(11, 0.5)})
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), np.full(11, 0.5))


def test_plot_first_epoch_draws_every_run_and_the_reports_row():
    def history(d: float, g: float) -> dict:
        steps = [{"step": s, "d_loss": d, "g_loss": g} for s in (50, 100, 150)]
        return {
            "steps": steps + [{"step": 200, "d_loss": 9.0, "g_loss": 9.0}],
            "epochs": [{"steps": 150, "d_loss": d, "g_loss": g}],
        }

    runs = {"control/seed_0": history(0.5, 1.2), "control/seed_1": history(0.52, 1.1), "ema/seed_0": history(0.6, 1.0)}
    d_ax, g_ax = plots.plot_first_epoch(runs, (0.204, 1.833))
    d_lines = [line for line in d_ax.lines if len(line.get_xdata()) == 3]  # one per run, epoch 1 only (not step 200)
    assert len(d_lines) == 3 and list(d_lines[0].get_ydata()) == [0.5, 0.5, 0.5]
    assert d_lines[0].get_color() == d_lines[1].get_color() != d_lines[2].get_color()  # one colour a condition
    assert any(list(line.get_ydata()) == [0.204, 0.204] for line in d_ax.lines)  # the report's row, dashed
    assert any(list(line.get_ydata()) == [1.833, 1.833] for line in g_ax.lines)
    legend = [t.get_text() for t in g_ax.get_legend().get_texts()]
    assert legend == ["control", "ema", "the report's epoch 1: 1.833"]


def test_plot_loss_plane_marks_each_runs_batches_last_batch_mean_and_the_reports_row():
    def history(d: float, g: float) -> dict:
        steps = [{"step": s, "d_loss": d + s / 100, "g_loss": g} for s in (1, 2, 3)]
        return {
            "steps": steps + [{"step": 4, "d_loss": 9.0, "g_loss": 9.0}],
            "epochs": [{"steps": 3, "d_loss": d, "g_loss": g}],
        }

    runs = {
        "tutorial/seed_0": history(0.4, 1.2),
        "tutorial/seed_1": history(0.45, 1.3),
        "report/seed_0": history(0.5, 1),
    }
    ax = plots.plot_loss_plane(runs, (0.204, 1.833), {"d_loss": 0.05, "g_loss": 0.25})
    dots = [c.get_offsets() for c in ax.collections]
    assert [len(d) for d in dots] == [3, 3, 3]  # every batch of epoch 1, not step 4
    crosses = [line for line in ax.lines if line.get_marker() == "X"]
    assert np.allclose((crosses[0].get_xdata()[0], crosses[0].get_ydata()[0]), (0.43, 1.2))  # the last batch
    means = [line for line in ax.lines if line.get_marker() == "o"]
    assert [line.get_xdata()[0] for line in means] == [0.4, 0.45, 0.5]
    assert means[0].get_color() == means[1].get_color() != means[2].get_color()  # one colour a condition
    (box,) = ax.patches
    assert np.allclose(box.get_xy(), (0.154, 1.583)) and np.isclose(box.get_width(), 0.1)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["tutorial", "report", "the report's epoch 1 (0.204, 1.833)"]
