import io

import dcgan_lessons as dl
from dcgan_lessons import widgets
from dcgan_lessons.latent import decode, random_directions
from dcgan_lessons.runs import Snapshots

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def generator():
    return dl.build_generator(seed=0)


@pytest.fixture
def snapshots():
    """Four snapshots of 30 digits, each a different constant grey, so every frame is recognisable."""
    images = np.stack([np.full((30, 28, 28), 40 * (s + 1), dtype=np.uint8) for s in range(4)])
    return Snapshots(np.zeros((30, 100), np.float32), np.array([0, 4, 8, 12], dtype=np.int64), images)


def read_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_explorer_z_moves_along_the_directions():
    base = np.arange(4, dtype=np.float32)
    directions = np.eye(4, dtype=np.float32)[:2]
    assert np.array_equal(widgets.explorer_z(base, directions, [0.0, 0.0]), base)
    assert np.array_equal(widgets.explorer_z(base, directions, [2.0, -1.0]), [2.0, 0.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="one value per direction"):
        widgets.explorer_z(base, directions, [1.0])


def test_explorer_image_is_the_digit_at_the_moved_point(generator):
    base = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    directions = random_directions(100, 3, seed=1)
    image = widgets.explorer_image(generator, base, directions, [0.0, 0.0, 0.0])
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert np.array_equal(image, decode(generator, base)[0])
    moved = widgets.explorer_image(generator, base, directions, [0.0, 3.0, 0.0])
    assert np.array_equal(moved, decode(generator, base + 3.0 * directions[1])[0])
    assert not np.array_equal(moved, image)


def test_scrubber_frame_grid_and_label(snapshots):
    grid, label = widgets.scrubber_frame(snapshots, 2, n=9, steps_per_epoch=16)
    assert grid.shape == (3 * 30 + 2, 3 * 30 + 2) and grid.dtype == np.uint8  # 3x3 digits, 2 px borders
    assert label == "step 8 (epoch 0.50)"
    assert set(np.unique(grid)) == {0, 120}  # border and snapshot 2's grey
    assert widgets.scrubber_frame(snapshots, -1, n=4)[1] == "step 12"
    with pytest.raises(IndexError, match="holds 4 snapshots"):
        widgets.scrubber_frame(snapshots, 4)
    with pytest.raises(ValueError, match="n must be between 1 and 30"):
        widgets.scrubber_frame(snapshots, 0, n=100)


def test_png_bytes_scales_each_pixel():
    image = np.array([[0, 255], [10, 20]], dtype=np.uint8)
    back = read_png(widgets.png_bytes(image, scale=3))
    assert back.shape == (6, 6) and np.array_equal(back[::3, ::3], image) and np.all(back[3:6, 3:6] == 20)


def test_latent_explorer_follows_its_sliders(generator):
    base = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    directions = random_directions(100, 2, seed=1)
    explorer = widgets.LatentExplorer(generator, base, directions, limit=4.0, scale=2, names=["a", "b"])
    assert [s.description for s in explorer.sliders] == ["a", "b"] and explorer.sliders[0].max == 4.0
    before, label = explorer.image.value, explorer.label.value
    assert np.array_equal(read_png(before)[::2, ::2], decode(generator, base)[0])

    explorer.sliders[1].value = -2.5  # what dragging the slider does
    assert explorer.values == [0.0, -2.5]
    expected = widgets.explorer_image(generator, base, directions, [0.0, -2.5])
    assert np.array_equal(read_png(explorer.image.value)[::2, ::2], expected)
    assert explorer.image.value != before and explorer.label.value != label
    assert explorer.label.value.startswith("|z| = ")


def test_epoch_scrubber_follows_play_and_slider(snapshots):
    scrubber = widgets.EpochScrubber(snapshots, n=4, steps_per_epoch=8, scale=1)
    assert (scrubber.play.max, scrubber.slider.max) == (3, 3)
    assert scrubber.label.value == "step 0 (epoch 0.00)"
    first = scrubber.image.value

    scrubber.play.value = 2  # what the Play button does on its tick
    assert scrubber.slider.value == 2
    assert scrubber.label.value == "step 8 (epoch 1.00)"
    assert scrubber.image.value != first
    assert np.array_equal(read_png(scrubber.image.value), widgets.scrubber_frame(snapshots, 2, n=4)[0])

    scrubber.slider.value = 3  # and dragging the slider moves the Play button along
    assert scrubber.play.value == 3 and scrubber.label.value == "step 12 (epoch 1.50)"


def test_direction_names():
    assert widgets.direction_names(None, 2) == ["direction 1", "direction 2"]
    with pytest.raises(ValueError, match="one name per direction: 3 directions, 1 names"):
        widgets.direction_names(["a"], 3)


def test_static_fallbacks_show_the_same_frames(generator, snapshots):
    import matplotlib.pyplot as plt

    base = np.random.default_rng(0).standard_normal(100).astype(np.float32)
    directions = random_directions(100, 2, seed=1)
    fig = widgets.explorer_figure(generator, base, directions, values=[-2, 0, 2], names=["a", "b"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    shown = ax.images[0].get_array()
    assert shown.shape == (2 * 30 + 2, 3 * 30 + 2)
    # row "b", column "2": the explorer's digit with slider b at 2
    assert np.array_equal(shown[32:60, 62:90], widgets.explorer_image(generator, base, directions, [0, 2]))
    plt.close(fig)

    fig = widgets.scrubber_figure(snapshots, [0, 3], n=4, steps_per_epoch=8)
    assert [ax.get_title() for ax in fig.axes] == ["step 0 (epoch 0.00)", "step 12 (epoch 1.50)"]
    assert np.array_equal(fig.axes[1].images[0].get_array(), widgets.scrubber_frame(snapshots, 3, n=4)[0])
    plt.close(fig)


def test_label_picker_draws_the_picked_z_under_the_asked_label():
    from dcgan_lessons.gan import generate_uint8
    from dcgan_lessons.models import build_conditional_generator

    conditional = build_conditional_generator(seed=0)
    noise = np.random.default_rng(0).standard_normal((5, 100)).astype(np.float32)
    expected = generate_uint8(conditional, noise[[3]], np.array([7]))[0]
    assert np.array_equal(widgets.picked_image(conditional, noise, 3, 7), expected)
    with pytest.raises(IndexError, match="0-4"):
        widgets.picked_image(conditional, noise, 5, 0)

    class Judge:  # reads every digit as its mean pixel mod 10, sure of it
        def __call__(self, images):
            labels = images.reshape(len(images), -1).mean(axis=1).astype(int) % 10
            return dl.judge.Judgement(np.eye(10)[labels], np.zeros((len(images), 64)))

    picker = widgets.LabelPicker(conditional, noise, judge=Judge(), scale=2)
    picker.z.value, picker.label.value = 3, 7  # what clicking does
    assert np.array_equal(read_png(picker.image.value)[::2, ::2], expected)
    assert picker.reading.value == f"the judge reads a {int(expected.mean()) % 10} (p = 1.00)"
    picker.label.value = 2
    assert not np.array_equal(read_png(picker.image.value)[::2, ::2], expected)
