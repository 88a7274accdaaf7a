"""The two games of notebook 08: the bilinear game's spiral and its average, the ring of Gaussians and
its modes, and a short ring GAN whose frames the notebook and its widget draw."""

import io

import dcgan_lessons as dl  # noqa: F401  (first: TensorFlow starts quietly)
from dcgan_lessons import games, widgets

import numpy as np
import pytest
from PIL import Image


def test_simultaneous_play_spirals_out_by_sqrt_one_plus_lr_squared_per_step():
    lr, steps = 0.1, 200
    path = games.bilinear_play((0.6, -0.8), lr, steps)
    assert path.shape == (steps + 1, 2)
    distance = np.linalg.norm(path, axis=1)
    np.testing.assert_allclose(distance, games.spiral_growth(lr, np.arange(steps + 1)), rtol=1e-12)
    # it turns, too: by arctan(lr) per step, anticlockwise
    turn = np.diff(np.unwrap(np.arctan2(path[:, 1], path[:, 0])))
    np.testing.assert_allclose(turn, np.arctan(lr))


def test_alternating_play_stays_on_a_bounded_orbit():
    distance = np.linalg.norm(games.bilinear_play((1.0, 0.0), 0.1, 5000, alternating=True), axis=1)
    assert 0.9 < distance.min() and distance.max() < 1.1  # 5000 steps: about 80 turns, no drift


def test_the_moving_average_ends_much_closer_to_the_equilibrium_than_the_last_iterate():
    path = games.bilinear_play((1.0, 0.0), 0.1, 200)
    average = games.moving_average(path, 0.99)
    assert average.shape == path.shape and np.array_equal(average[0], path[0])
    assert np.linalg.norm(average[-1]) * 5 < np.linalg.norm(path[-1])
    # decay 0 remembers nothing: the average is the last iterate
    np.testing.assert_array_equal(games.moving_average(path, 0.0), path)


def test_the_uniform_average_of_a_rotation_follows_its_closed_form():
    # points e^{i theta t}, t = 0..T: their mean has modulus |sin((T+1) theta/2) / ((T+1) sin(theta/2))|
    theta, steps = 0.3, 500
    t = np.arange(steps + 1)
    points = np.stack([np.cos(theta * t), np.sin(theta * t)], axis=1)
    average = games.uniform_average(points)
    expected = np.abs(np.sin((t + 1) * theta / 2) / ((t + 1) * np.sin(theta / 2)))
    np.testing.assert_allclose(np.linalg.norm(average, axis=1), expected, atol=1e-12)
    np.testing.assert_array_equal(games.uniform_average([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [2.0, 3.0]])


def test_the_uniform_average_of_alternating_play_converges_where_a_moving_average_stalls():
    """Issue 24: after 2,000 alternating steps the uniform average is about 0.004 from (0, 0); a moving
    average (decay 0.99) stays near 0.1, the |c| of a rotation by arccos(1 - lr^2 / 2) per step."""
    path = games.bilinear_play((1.0, 0.0), 0.1, 2000, alternating=True)
    uniform = np.linalg.norm(games.uniform_average(path), axis=1)
    moving = np.linalg.norm(games.moving_average(path, 0.99), axis=1)
    assert uniform[-1] == pytest.approx(0.0042, abs=0.0005) and uniform[1500:].max() < uniform[1000:1500].max() / 1.3
    assert 0.095 < moving[1000:].min() and moving[1000:].max() < 0.105
    simultaneous = games.bilinear_play((1.0, 0.0), 0.1, 2000)  # averaging a spiral out does not bring it back
    assert np.linalg.norm(games.uniform_average(simultaneous)[-1]) > 100


def test_the_ring_has_eight_modes_of_radius_two_and_its_samples_sit_on_them():
    modes = games.ring_modes()
    assert modes.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(modes, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(modes[0], [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(modes[2], [0.0, 2.0], atol=1e-6)  # anticlockwise, 45 degrees apart
    points = games.sample_ring(4000, modes, std=0.05, seed=0)
    labels = games.assign_modes(points, modes, std=0.05, within=4.0)
    assert (labels >= 0).mean() > 0.99  # 4 std in 2-D holds all but 1 in 3000 points
    shares = np.bincount(labels[labels >= 0], minlength=8) / len(points)
    np.testing.assert_allclose(shares, 1 / 8, atol=0.02)


def test_mode_assignment_on_known_points():
    modes = games.ring_modes()
    points = np.array([[2.0, 0.0], [2.1, 0.0], [2.3, 0.0], [0.0, -1.95], [0.0, 0.0], [1.414, 1.414]])
    # within 4 std of 0.05 = 0.2: on mode 0, 0.1 off, 0.3 off (none), near mode 6, the centre, on mode 1
    np.testing.assert_array_equal(games.assign_modes(points, modes, std=0.05), [0, 0, -1, 6, -1, 1])
    shares = games.mode_shares(points, modes, std=0.05)
    np.testing.assert_allclose(shares, np.array([2, 1, 0, 0, 0, 0, 1, 0]) / 6)
    assert games.mode_shares(np.stack([points, points]), modes, std=0.05).shape == (2, 8)


def test_hop_summary_reads_modes_visited_in_turn():
    covered = np.zeros((7, 8), dtype=bool)
    covered[1, 3] = covered[2, 3] = covered[3, 4] = covered[5, 6] = True  # 3, 3, 4, nothing, 6
    covered[6, [0, 1]] = True  # two at once at the end
    summary = games.hop_summary(covered)
    assert summary["lone_sequence"] == [3, 4, 6] and summary["hops"] == 2
    assert summary["lone_modes"] == [3, 4, 6] and summary["visited"] == [0, 1, 3, 4, 6]
    assert (summary["occupied_frames"], summary["lone_frames"], summary["most_at_once"]) == (5, 4, 2)
    assert summary["final"] == [0, 1]
    assert games.hop_summary(np.zeros((3, 8), dtype=bool))["hops"] == 0


def test_circling_counts_laps_and_their_direction():
    angles = np.radians(np.arange(0, -721, -30))  # two laps clockwise, 30 degrees a frame
    blob = np.random.default_rng(0).normal(0, 0.02, (50, 2))
    points = np.stack([2 * np.array([np.cos(a), np.sin(a)]) + blob for a in angles])
    circle = games.circling(points)
    assert circle["together_frames"] == len(angles)
    assert circle["laps"] == pytest.approx(-2.0, abs=0.02) and circle["largest_turn"] == pytest.approx(30, abs=2)
    spread = games.circling(games.sample_ring(400, games.ring_modes(), seed=1)[None])
    assert spread["concentration"][0] < 0.2 and spread["together_frames"] == 0 and spread["laps"] == 0


def _cloud_run(angles_deg, every: int = 10) -> games.RingRun:
    """Frames of a tight cloud of 50 points on the ring at the given angles, ``every`` steps apart."""
    blob = np.random.default_rng(0).normal(0, 0.02, (50, 2))
    angles = np.radians(np.asarray(angles_deg, dtype=float))
    points = np.stack([2 * np.array([np.cos(a), np.sin(a)]) + blob for a in angles])
    steps = every * np.arange(len(angles))
    return games.RingRun(steps, points, np.zeros((len(angles), 3, 3)), np.zeros(3), games.ring_modes(), 0.05, 0.0)


def test_a_cloud_going_round_at_a_steady_speed_is_circling_not_hopping():
    circling = games.ring_behaviour(_cloud_run(np.arange(0, -27 * 200, -27)))  # 2.7 degrees a step, clockwise
    assert circling["kind"] == "circling" and circling["laps"] == pytest.approx(-27 * 199 / 360, abs=0.01)
    assert circling["degrees_per_step"] == pytest.approx(2.7, abs=1e-3)  # the blob's mean angle wobbles a little
    assert circling["speed_quartiles"] == pytest.approx((2.7, 2.7), abs=0.01)  # steady: quartiles together
    # passing the modes, it is caught on one in about the share of the ring their circles cover, a frame at a time
    assert abs(circling["on_mode_share"] - circling["ring_share"]) < 0.1 and circling["median_stay"] == 1
    assert circling["hops"] > 20  # many "changes of mode" that are passes, the order set by the frame spacing
    assert games.ring_share_on_modes() == pytest.approx(8 * 4 * np.arcsin(0.05) / (2 * np.pi))


def test_a_cloud_that_sits_on_a_mode_and_jumps_is_hopping():
    hopping = games.ring_behaviour(_cloud_run(np.repeat([0, 135, 270, 45], 10)))  # modes 0, 3, 6, 1
    assert hopping["kind"] == "hopping" and hopping["lone_sequence"] == [0, 3, 6, 1]
    assert hopping["stays"] == [10, 10, 10, 10] and hopping["on_mode_share"] == 1.0
    spread = games.sample_ring(400, games.ring_modes(), seed=1)
    run = games.RingRun(
        np.arange(3), np.stack([spread] * 3), np.zeros((3, 3, 3)), np.zeros(3), games.ring_modes(), 0.05, 0
    )
    assert games.ring_behaviour(run)["kind"] == "spread"


@pytest.mark.slow
def test_a_short_ring_gan_returns_frames_of_the_right_shapes():
    ring_run = games.train_ring_gan(steps=40, every=20, seed=0, n_points=64, resolution=21)
    assert ring_run.steps.tolist() == [0, 20, 40]
    assert ring_run.points.shape == (3, 64, 2) and ring_run.surface.shape == (3, 21, 21)
    assert np.isfinite(ring_run.points).all() and np.isfinite(ring_run.surface).all()
    assert ((ring_run.surface > 0) & (ring_run.surface < 1)).all()  # D's probabilities
    assert not np.allclose(ring_run.points[0], ring_run.points[-1])  # the generator trained
    assert ring_run.covered().shape == (3, 8) and ring_run.seconds > 0


@pytest.mark.slow
def test_the_ring_gan_is_reproducible_and_its_frames_do_not_change_it():
    once = games.train_ring_gan(steps=20, every=20, seed=3, n_points=16, resolution=5)
    framed = games.train_ring_gan(steps=20, every=5, seed=3, n_points=16, resolution=5)
    np.testing.assert_allclose(once.points[-1], framed.points[-1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="steps and every must be positive"):
        games.train_ring_gan(steps=0)


@pytest.mark.slow
def test_the_ring_gan_trains_the_players_its_builders_make():
    built = []

    def build_discriminator(width, seed):
        built.append((width, seed))
        return games.build_ring_discriminator(width, seed)

    def build_wider_generator(latent_dim, width, seed):
        return games.build_ring_generator(latent_dim, 2 * width, seed)

    settings = dict(steps=20, every=20, seed=3, n_points=16, resolution=5, width=8)
    own = games.train_ring_gan(**settings, build_discriminator=build_discriminator)
    assert built == [(8, 3)]
    np.testing.assert_allclose(own.points, games.train_ring_gan(**settings).points, rtol=1e-5, atol=1e-6)
    wider = games.train_ring_gan(**settings, build_generator=build_wider_generator)
    assert not np.allclose(wider.points[0], own.points[0])  # another generator from the first frame on


@pytest.fixture
def ring_run():
    """Three hand-made frames: all points on mode 2, then on no mode, then half on modes 0 and 4."""
    modes = games.ring_modes()
    points = np.stack([np.repeat(modes[[2]], 10, 0), np.zeros((10, 2)), np.repeat(modes[[0, 4]], 5, 0)])
    grid = np.linspace(-3, 3, 7, dtype=np.float32)
    surface = np.stack([np.full((7, 7), p) for p in (0.2, 0.5, 0.8)])
    return games.RingRun(np.array([0, 20, 40]), points, surface, grid, modes, games.RING_STD, seconds=0.0)


def test_ring_frame_picture_and_label(ring_run):
    png, label = widgets.ring_frame(ring_run, 0)
    image = np.asarray(Image.open(io.BytesIO(png)))
    assert image.ndim == 3 and image.shape[0] > 100
    assert label == "step 0: G's points on mode 2"
    assert widgets.ring_frame(ring_run, 1)[1] == "step 20: G's points on no mode"
    assert widgets.ring_frame(ring_run, -1)[1] == "step 40: G's points on modes 0, 4"
    with pytest.raises(IndexError, match="holds 3 frames"):
        widgets.ring_frame(ring_run, 3)


def test_ring_scrubber_follows_its_slider(ring_run):
    scrubber = widgets.RingScrubber(ring_run)
    first = scrubber.image.value
    scrubber.slider.value = 2
    assert scrubber.image.value != first and scrubber.label.value == "step 40: G's points on modes 0, 4"
    assert scrubber.play.max == 2
