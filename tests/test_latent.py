import dcgan_lessons as dl
from dcgan_lessons import latent, plots

import numpy as np
import pytest


@pytest.fixture(scope="module")
def generator():
    """An untrained generator: its digits are noise, but a deterministic function of z all the same."""
    return dl.build_generator(seed=0)


def gaussian_pair(seed=0, dim=100):
    z = np.random.default_rng(seed).standard_normal((2, dim)).astype(np.float32)
    return z[0], z[1]


def test_lerp_is_the_straight_line():
    z0, z1 = gaussian_pair()
    path = latent.lerp(z0, z1, [0.0, 0.25, 1.0])
    assert path.shape == (3, 100) and path.dtype == np.float32
    assert np.array_equal(path[0], z0) and np.array_equal(path[2], z1)
    np.testing.assert_allclose(path[1], 0.75 * z0 + 0.25 * z1, atol=1e-6)
    assert latent.lerp(z0, z1, 0.5).shape == (100,)  # a number gives one vector


def test_slerp_end_points_are_exact():
    z0, z1 = gaussian_pair()
    path = latent.slerp(z0, z1, np.linspace(0, 1, 7))
    assert path.shape == (7, 100) and path.dtype == np.float32
    assert np.array_equal(path[0], z0) and np.array_equal(path[-1], z1)


def test_slerp_midpoint_of_orthogonal_unit_vectors():
    e0, e1 = np.eye(3)[0], np.eye(3)[1]
    assert latent.angle(e0, e1) == pytest.approx(np.pi / 2)
    np.testing.assert_allclose(latent.slerp(e0, e1, 0.5), [2**-0.5, 2**-0.5, 0.0], rtol=1e-6)
    # a third of the way along the quarter circle is 30 degrees from e0
    np.testing.assert_allclose(latent.slerp(e0, e1, 1 / 3), [np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0], rtol=1e-6)
    # the straight line's midpoint falls inside the circle
    assert np.linalg.norm(latent.lerp(e0, e1, 0.5)) == pytest.approx(2**-0.5)


def test_slerp_keeps_the_norm_and_lerp_does_not():
    z0, z1 = gaussian_pair(seed=3)
    t = np.linspace(0, 1, 11)
    equal = z1 * np.linalg.norm(z0) / np.linalg.norm(z1)  # same norm as z0: slerp keeps it exactly
    np.testing.assert_allclose(np.linalg.norm(latent.slerp(z0, equal, t), axis=1), np.linalg.norm(z0), rtol=1e-5)

    # two Gaussian draws: nearly orthogonal, norms near sqrt(100) = 10
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    spherical = np.linalg.norm(latent.slerp(z0, z1, t), axis=1)
    straight = np.linalg.norm(latent.lerp(z0, z1, t), axis=1)
    assert spherical.min() > 0.95 * min(n0, n1) and spherical.max() < 1.05 * max(n0, n1)
    assert straight[5] < 0.8 * min(n0, n1)  # the straight midpoint sinks toward 10 / sqrt(2)


def test_slerp_of_parallel_vectors_is_the_straight_line():
    z0, _ = gaussian_pair()
    t = np.linspace(0, 1, 5)
    np.testing.assert_allclose(latent.slerp(z0, 2 * z0, t), latent.lerp(z0, 2 * z0, t), rtol=1e-6)
    np.testing.assert_allclose(latent.slerp(z0, 3 * z0, 0.5), 2 * z0, rtol=1e-6)


def test_slerp_refuses_opposite_and_zero_vectors():
    z0, _ = gaussian_pair()
    with pytest.raises(ValueError, match="opposite directions.*method='linear'"):
        latent.slerp(z0, -z0, 0.5)
    with pytest.raises(ValueError, match="zero vector has no direction"):
        latent.slerp(z0, np.zeros_like(z0), 0.5)
    np.testing.assert_allclose(latent.lerp(z0, -z0, 0.5), 0.0, atol=1e-7)  # the straight line goes through 0


def test_interpolate_checks_its_arguments():
    z0, z1 = gaussian_pair()
    for method in latent.METHODS:
        path = latent.interpolate(z0, z1, steps=9, method=method)
        assert path.shape == (9, 100) and np.array_equal(path[0], z0) and np.array_equal(path[-1], z1)
    with pytest.raises(ValueError, match="unknown method 'cubic'"):
        latent.interpolate(z0, z1, method="cubic")
    with pytest.raises(ValueError, match="steps must be at least 2"):
        latent.interpolate(z0, z1, steps=1)
    with pytest.raises(ValueError, match="same length"):
        latent.interpolate(z0, z1[:50])
    with pytest.raises(ValueError, match="1-D array of fractions"):
        latent.lerp(z0, z1, np.zeros((2, 2)))


def test_interpolate_walks_with_a_walk_of_ones_own(generator):
    z0, z1 = gaussian_pair()
    calls = []

    def walk(a, b, fractions):
        calls.append(fractions)
        return latent.slerp(a, b, fractions)

    np.testing.assert_array_equal(latent.interpolate(z0, z1, 5, walk), latent.interpolate(z0, z1, 5, "spherical"))
    np.testing.assert_array_equal(calls[0], np.linspace(0, 1, 5))
    noise, ends = np.stack([z0, z1]), np.array([[0, 1]])
    np.testing.assert_array_equal(
        latent.path_digits(generator, noise, ends, 3, lambda a, b, t: latent.lerp(a, b, t)),
        latent.path_digits(generator, noise, ends, 3, "linear"),
    )


def test_slerp_of_a_number_is_a_point_and_of_fractions_a_row_each():
    z0, z1 = gaussian_pair()
    path = latent.slerp(z0, z1, [0.25, 0.5])
    assert latent.slerp(z0, z1, 0.5).shape == (100,) and path.shape == (2, 100)
    np.testing.assert_array_equal(path[1], latent.slerp(z0, z1, 0.5))


def test_decode_gives_the_generators_digits(generator):
    z = np.random.default_rng(1).standard_normal((5, 100)).astype(np.float32)
    images = latent.decode(generator, z, batch_size=2)  # three chunks
    assert images.shape == (5, 28, 28) and images.dtype == np.uint8
    expected = dl.data.to_uint8(generator(z, training=False).numpy())
    assert np.array_equal(images, expected)
    assert np.array_equal(latent.decode(generator, z[3]), expected[3:4])  # one z gives a batch of one
    with pytest.raises(ValueError, match="must have 100 columns"):
        latent.decode(generator, z[:, :10])


def test_interpolation_images_run_from_z0_to_z1(generator):
    z0, z1 = gaussian_pair()
    strip = latent.interpolation_images(generator, z0, z1, steps=6, method="spherical")
    assert strip.shape == (6, 28, 28) and strip.dtype == np.uint8
    ends = latent.decode(generator, np.stack([z0, z1]))
    assert np.array_equal(strip[0], ends[0]) and np.array_equal(strip[-1], ends[1])
    assert not np.array_equal(strip[2], strip[3])


def test_random_directions_are_orthonormal_and_seeded():
    d = latent.random_directions(100, 4, seed=7)
    assert d.shape == (4, 100) and d.dtype == np.float32
    np.testing.assert_allclose(d @ d.T, np.eye(4), atol=1e-6)
    assert np.array_equal(d, latent.random_directions(100, 4, seed=7))
    assert not np.allclose(d, latent.random_directions(100, 4, seed=8))
    with pytest.raises(ValueError, match="k must be between 1 and latent_dim"):
        latent.random_directions(100, 0)


def test_image_directions_find_the_directions_that_move_the_pixels():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((400, 10))
    strong, weak = np.eye(10)[2], (np.eye(10)[5] - np.eye(10)[7]) / np.sqrt(2)
    a, b = rng.standard_normal((2, 28, 28))
    # pixels move 3x more along `strong` than along `weak`, and not at all along the rest
    images = (
        3 * (z @ strong)[:, None, None] * a + (z @ weak)[:, None, None] * b + 0.01 * rng.standard_normal((400, 28, 28))
    )
    d = latent.image_directions(z, images, k=2)
    assert d.shape == (2, 10)
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-5)
    assert abs(d[0] @ strong) > 0.99 and abs(d[1] @ weak) > 0.99
    assert d[0, np.abs(d[0]).argmax()] > 0  # the sign convention
    with pytest.raises(ValueError, match="same N"):
        latent.image_directions(z[:10], images, k=2)
    with pytest.raises(ValueError, match="k must be between 1 and min"):
        latent.image_directions(z, images, k=11)
    _, strengths = latent.image_map(z, images)
    a_norm, b_norm = np.linalg.norm(a), np.linalg.norm(b)
    assert strengths[0] / strengths[1] == pytest.approx(3 * a_norm / b_norm, rel=0.05)
    assert strengths[2] < 0.01 * strengths[1]  # the other 8 directions leave the pixels alone


def test_plot_strips_labels_one_row_per_strip(generator):
    import matplotlib.pyplot as plt

    z0, z1 = gaussian_pair()
    strips = {m: latent.interpolation_images(generator, z0, z1, steps=5, method=m) for m in latent.METHODS}
    ax = plots.plot_strips(strips, title="z0 to z1")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["linear", "spherical"] and ax.get_title() == "z0 to z1"
    assert np.array_equal(ax.images[0].get_array(), plots.tile(np.concatenate(list(strips.values())), columns=5))
    with pytest.raises(ValueError, match=r"the same number of digits, got \[4, 5\]"):
        plots.plot_strips({"a": strips["linear"], "b": strips["spherical"][:4]})
    plt.close("all")


def test_random_pairs_share_no_end_and_take_all_by_default():
    pairs = latent.random_pairs(10, seed=1)
    assert pairs.shape == (5, 2) and sorted(pairs.ravel()) == list(range(10))
    assert np.array_equal(latent.random_pairs(10, 3, seed=1), pairs[:3])  # the same draw, cut short
    assert latent.random_pairs(11).shape == (5, 2)
    with pytest.raises(ValueError, match=r"between 1 and 5 \(count // 2"):
        latent.random_pairs(10, 6)


def test_path_digits_walk_every_pair_from_end_to_end(generator):
    noise = np.random.default_rng(0).standard_normal((6, 100)).astype(np.float32)
    ends = latent.random_pairs(6, 2)
    for method in latent.METHODS:
        digits = latent.path_digits(generator, noise, ends, steps=5, method=method)
        assert digits.shape == (2, 5, 28, 28) and digits.dtype == np.uint8
        np.testing.assert_array_equal(digits[:, 0], latent.decode(generator, noise[ends[:, 0]]))
        np.testing.assert_array_equal(digits[:, -1], latent.decode(generator, noise[ends[:, 1]]))
        np.testing.assert_array_equal(digits[1], latent.interpolation_images(generator, *noise[ends[1]], 5, method))
