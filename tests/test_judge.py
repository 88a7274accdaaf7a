import json
import math

import dcgan_lessons as dl
from dcgan_lessons import judge as jd
from dcgan_lessons import results

import numpy as np
import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """Every test sees an empty cache, so load_judge() gives the shipped judge."""
    monkeypatch.setenv(jd.CACHE_VARIABLE, str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def slice_test(mnist_slice_dir):
    mnist = dl.load_mnist(mnist_slice_dir)
    return mnist.test_images, mnist.test_labels


@pytest.mark.slow
def test_the_shipped_judge_labels_99_percent_of_the_full_test_set(full_mnist_dir):
    judge = jd.load_judge()
    assert judge.path == (jd.ASSETS_DIR / jd.JUDGE_FILE).resolve()
    assert (jd.ASSETS_DIR / jd.JUDGE_FILE).stat().st_size < 1_000_000
    mnist = dl.load_mnist(full_mnist_dir)
    accuracy = judge.accuracy(mnist.test_images, mnist.test_labels)
    assert accuracy >= 0.99
    said = f"{measured()['judge']['accuracy']:.2%}"  # as docs/results.md says it
    assert f"{accuracy:.2%}" == said, f"docs/measured.json says {said}: run `dcgan-lessons results --measure`"


def test_train_judge_saves_a_judge_and_its_reference_that_load_judge_prefers(tmp_path, mnist_slice_dir):
    cache = tmp_path / "mine"
    trained = jd.train_judge(
        epochs=1, batch_size=32, steps_per_epoch=3, mnist_dir=mnist_slice_dir, path=cache / "judge.keras"
    )
    assert (cache / "judge.keras").is_file()
    with np.load(cache / jd.REFERENCE_FILE) as data:
        assert data["mean"].shape == (64,) and data["cov"].shape == (64, 64)
    loaded = jd.load_judge(cache)
    assert loaded.path == (cache / "judge.keras").resolve()
    images = dl.load_mnist(mnist_slice_dir).test_images[:5]
    out = loaded(images)
    assert out.probs.shape == (5, 10) and out.features.shape == (5, 64)
    np.testing.assert_allclose(out.probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(out.probs, trained(images).probs, atol=1e-5)


def test_the_cache_folder_comes_from_the_argument_then_the_environment(tmp_path, monkeypatch):
    assert jd.judge_cache_dir(tmp_path / "a") == tmp_path / "a"
    assert jd.judge_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv(jd.CACHE_VARIABLE)
    assert jd.judge_cache_dir().parts[-2:] == (".cache", "dcgan_lessons")
    assert jd.load_judge(tmp_path / "empty").path == (jd.ASSETS_DIR / jd.JUDGE_FILE).resolve()


def test_metric_formulas_on_known_inputs():
    assert jd.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) == pytest.approx(0, abs=1e-9)
    # N(0, 1) vs N(1, 4): (0 - 1)^2 + 1 + 4 - 2 * sqrt(1 * 4) = 2
    assert jd.frechet_distance(np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1)) == pytest.approx(2)
    two = np.repeat(np.eye(10)[[3, 7]], 50, axis=0)  # sharp digits, two classes, equal shares
    assert jd.classifier_score(two) == pytest.approx(2)
    assert jd.classifier_score(np.eye(10)) == pytest.approx(10)
    assert jd.classifier_score(np.full((20, 10), 0.1)) == pytest.approx(1)
    hist = jd.class_histogram(np.array([3] * 50 + [7] * 50))
    assert hist[3] == hist[7] == 0.5 and jd.modes_covered(hist) == 2
    assert jd.kl_to_uniform(hist) == pytest.approx(math.log(5))
    assert jd.kl_to_uniform(np.full(10, 0.1)) == pytest.approx(0)
    # the rule: at least half a fair share, 5%
    assert jd.modes_covered([0.05, 0.049, *[0.901 / 8] * 8]) == 9


def test_metrics_of_real_digits_are_near_perfect(slice_test):
    images, labels = slice_test
    m = jd.digit_metrics(images)
    assert m["n"] == 256 and m["modes"] == 10
    np.testing.assert_allclose(m["hist"], np.bincount(labels, minlength=10) / 256, atol=0.02)
    assert m["score"] > 8.5 and m["confidence"] > 0.95 and m["kl_uniform"] < 0.05
    assert m["frechet"] < 10  # 4.2 at N = 256; a two-digit collapse gives ~200


def test_metrics_of_a_collapse_to_two_digits(slice_test):
    images, labels = slice_test
    ones, sevens = images[labels == 1][:25], images[labels == 7][:25]
    m = jd.digit_metrics(np.concatenate([ones, sevens]))
    assert m["modes"] == 2 and m["hist"][1] == m["hist"][7] == 0.5
    assert m["score"] == pytest.approx(2, abs=0.15)
    assert m["kl_uniform"] == pytest.approx(math.log(5), abs=1e-6)
    assert m["frechet"] > 5 * jd.digit_metrics(images)["frechet"]


def test_metrics_of_uniform_noise(slice_test):
    noise = np.random.default_rng(0).integers(0, 256, (256, 28, 28), dtype=np.uint8)
    m = jd.digit_metrics(noise)
    assert m["confidence"] < 0.6 or m["modes"] <= 2
    assert m["frechet"] > 20 * jd.digit_metrics(slice_test[0])["frechet"]


def test_a_judge_measures_with_the_distance_it_is_given(slice_test):
    images = slice_test[0][:100]
    judge = jd.load_judge()
    doubled = judge.with_distance(lambda *gaussians: 2 * jd.frechet_distance(*gaussians))
    assert jd.digit_metrics(images, doubled)["frechet"] == pytest.approx(2 * jd.digit_metrics(images)["frechet"])
    assert judge.distance is jd.frechet_distance and jd.load_judge() is judge  # the shared judge is unchanged
    generator = dl.build_generator(seed=0)
    assert jd.fresh_sets(generator, 20, 1, doubled)[0]["frechet"] == pytest.approx(
        2 * jd.fresh_sets(generator, 20, 1, judge)[0]["frechet"]
    )


@pytest.mark.slow
def test_reference_metrics_score_held_out_real_digits(full_mnist_dir):
    m = jd.reference_metrics(500, mnist_dir=full_mnist_dir)
    assert m["n"] == 500 and m["modes"] == 10 and m["score"] > 9 and m["confidence"] > 0.97
    reference, held_out = jd.reference_split(10_000)
    assert len(reference) == len(held_out) == 5000 and not set(reference) & set(held_out)
    with pytest.raises(ValueError, match="between 2 and 5000"):
        jd.reference_metrics(6000, mnist_dir=full_mnist_dir)


@pytest.mark.slow
def test_real_digits_are_a_band_of_sets_whose_first_is_the_reference(full_mnist_dir):
    sets = jd.real_sets(500, jd.REAL_SETS, mnist_dir=full_mnist_dir)
    assert len(sets) == jd.REAL_SETS >= 20 and sets[0] == jd.reference_metrics(500, mnist_dir=full_mnist_dir)
    frechets = [m["frechet"] for m in sets]
    assert len(set(frechets)) == len(sets)  # every set another draw
    mean, sd = jd.spread(sets, "frechet")
    assert sd > 0.3 and max(frechets) - min(frechets) > 1  # the ruler wobbles: one set is no line
    assert all(m["modes"] == 10 and m["score"] > 9 for m in sets)
    with pytest.raises(ValueError, match="at least two"):
        jd.spread(sets[:1], "frechet")


def test_fresh_sets_draw_new_z_for_every_set():
    generator = dl.build_generator(seed=0)
    sets = jd.fresh_sets(generator, 50, 3, seed=5)
    assert len(sets) == 3 and all(m["n"] == 50 for m in sets)
    assert len({m["frechet"] for m in sets}) == 3
    assert jd.fresh_sets(generator, 50, 1, seed=6)[0] == sets[1]  # set k draws with seed + k


def measured() -> dict:
    """docs/measured.json: what docs/results.md says of the judge and the reference run's generator."""
    return json.loads(results.MEASURED.read_text())


@pytest.mark.slow
def test_the_measured_yardsticks_are_what_the_judge_measures(full_mnist_dir):
    """docs/results.md's table of real, collapsed and noise digits (N = 500), measured again: real digits as the
    mean and spread of their sets (to a rounding step: another CPU may round a pixel differently)."""
    fresh, committed = results.measure_judge(full_mnist_dir), measured()["judge"]
    assert fresh["test_digits"] == committed["test_digits"] and fresh["real"]["sets"] == committed["real"]["sets"]
    assert list(fresh["cases"]) == list(committed["cases"])
    for name, m in fresh["cases"].items():
        want = committed["cases"][name]
        assert m["modes"] == want["modes"], name
        assert m["frechet"] == pytest.approx(want["frechet"], abs=0.06), name
        for key in ("score", "kl_uniform", "confidence"):
            assert m[key] == pytest.approx(want[key], abs=0.002), (name, key)
    for key in results.JUDGED:
        assert fresh["real"][key] == pytest.approx(committed["real"][key], abs=0.011), key


@pytest.fixture(scope="module")
def reference_fresh() -> list[dict]:
    """The reference run's final generator on fresh z, as epoch_quality measures its noise."""
    run = dl.load_run(ROOT / "reference-run")
    return jd.fresh_sets(run.generator(), run.snapshots().images.shape[1])


def test_the_committed_epoch_noise_is_the_final_generators_spread_over_fresh_z(reference_fresh):
    epochs = json.loads((ROOT / "reference-run" / "analysis" / "epochs.json").read_text())
    for key in ("frechet", "score"):
        sd = jd.spread(reference_fresh, key)[1]
        assert all(r[f"{key}_sd"] == pytest.approx(sd, rel=0.02) for r in epochs), key


def test_the_measured_fresh_z_are_the_reference_generators_spread(reference_fresh):
    """docs/results.md sets the reference run's final generator on fresh z beside real digits: its spread is the
    one measured here (to a rounding step)."""
    committed = measured()["reference_run"]["fresh"]
    assert committed["sets"] == len(reference_fresh)
    for key in ("score", "frechet"):
        assert committed[key] == pytest.approx(jd.spread(reference_fresh, key), abs=0.011), key


@pytest.mark.parametrize(
    "images, message",
    [
        (np.zeros((4, 28, 28), np.float32), "must be uint8 .*data.to_uint8"),
        (np.zeros((4, 32, 32), np.uint8), r"shape \(N, 28, 28\), got \(4, 32, 32\)"),
    ],
)
def test_bad_digits_are_refused_clearly(images, message):
    with pytest.raises(ValueError, match=message):
        jd.digit_metrics(images)
