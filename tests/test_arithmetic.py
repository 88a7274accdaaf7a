"""Latent arithmetic on the reference generator: the style measures, the directions, the tests against random
directions, and the committed arithmetic.json with the sentences rendered from it."""

import dcgan_lessons as dl
from dcgan_lessons import arithmetic as ar
from dcgan_lessons.judge import ink, load_judge, slant

import numpy as np
import pytest

from tests.conftest import ROOT


def stroke(shift_per_row: float, width: int = 1) -> np.ndarray:
    """A vertical stroke 20 pixels high that moves ``shift_per_row`` pixels right for every pixel it rises."""
    image = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):
        column = 14 + int(round(shift_per_row * (14 - row)))
        image[row, column - width // 2 : column - width // 2 + width] = 255
    return image


def test_slant_is_the_sideways_shift_per_pixel_of_height_and_ink_grows_with_the_stroke():
    digits = np.stack([stroke(0.0), stroke(0.5), stroke(-0.5), stroke(0.5, width=3), np.zeros((28, 28), np.uint8)])
    leaning = slant(digits)
    assert leaning[0] == 0.0
    assert leaning[1] == pytest.approx(0.5, abs=0.02) and leaning[3] == pytest.approx(0.5, abs=0.02)  # / leans right
    assert leaning[2] == pytest.approx(-0.5, abs=0.02)  # \ leans left
    assert np.isnan(leaning[4])  # no ink, no slant
    amounts = ink(digits)
    assert amounts[3] == pytest.approx(3 * amounts[1]) and amounts[1] == pytest.approx(20 / 784)
    assert amounts[4] == 0.0
    with pytest.raises(ValueError, match="uint8"):
        slant(digits.astype(np.float32))


def test_a_class_direction_is_the_target_mean_minus_the_source_mean_of_confident_z():
    z = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0], [100.0, 100.0]])
    labels = np.array([0, 0, 8, 8, 8])
    confidence = np.array([0.95, 0.99, 0.91, 0.97, 0.5])  # the last 8 is unsure: left out
    direction = ar.class_direction(z, labels, confidence)
    np.testing.assert_allclose(direction, [0.0, 3.0] - np.array([2.0, 0.0]))
    with pytest.raises(ValueError, match="no z the judge reads as a 8 with confidence >= 0.9"):
        ar.class_direction(z, labels, np.where(labels == 8, 0.5, 0.99))


def test_a_style_direction_averages_the_top_minus_bottom_quarter_within_each_digit():
    z = np.array([[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [0.0, 9.0], [4.0, 0.0], [5.0, 0.0], [6.0, 0.0], [10.0, 0.0]])
    labels = np.array([1, 1, 1, 1, 7, 7, 7, 7])
    values = np.array([0.1, 0.2, 0.3, 0.9, 0.5, 0.6, 0.7, 0.8])  # the top quarter (one z) of each digit
    direction = ar.style_direction(z, values, labels, np.ones(8))
    np.testing.assert_allclose(direction, np.mean([[0.0, 9.0], [10.0 - 4.0, 0.0]], axis=0))
    with pytest.raises(ValueError, match="no digit has enough z the judge is sure of"):
        ar.style_direction(z, values, labels, np.zeros(8))


def test_a_direction_of_zero_norm_is_one_clear_error_and_random_ones_share_the_norm():
    for call in (lambda: ar.along(np.zeros((2, 3)), np.zeros(3), [1.0]), lambda: ar.same_norm_random(np.zeros(3), 2)):
        with pytest.raises(ValueError, match="a direction of zero norm goes nowhere"):
            call()
    direction = np.array([3.0, 4.0, 0.0])
    random = ar.same_norm_random(direction, 50, seed=1)
    np.testing.assert_allclose(np.linalg.norm(random, axis=1), 5.0)
    np.testing.assert_allclose(ar.along(np.zeros((1, 3)), direction, [0.5, 2.0])[:, 0], [[1.5, 2.0, 0.0], [6, 8, 0]])


def test_wilson_and_the_permutation_test():
    assert ar.wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert ar.wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 30), rng.normal(0, 1, 40)
    assert ar.permutation_p(a, b, 2000) > 0.05 and ar.permutation_p(a + 2, b, 2000) == pytest.approx(1 / 2001)


def made_up(became: list[list[int]], random_became: list[list[list[int]]], ink_change: list[list[float]]) -> dict:
    """A result of two steps, each set with its own (direction) counts out of 50 held-out 0s and its random ones."""
    sets = []
    for seed, (own, randoms, inked) in enumerate(zip(became, random_became, ink_change, strict=True)):
        digit = {"direction": {"became": own, "changed": [50, 50]}, "random": {"became": randoms}}
        digit["random"]["changed"] = [[10, 20]] * len(randoms)
        style = {
            "direction": {"ink_change": inked, "slant_change": [0.3, 0.6], "changed": [5, 10]},
            "random": {"ink_change": [[0.0, 0.001]] * len(randoms), "slant_change": [[0.0, 0.0]] * len(randoms)},
        }
        style["random"]["changed"] = [[5, 10]] * len(randoms)
        sets.append(
            {
                "seed": seed,
                "built_from": {"zeros": 40 + seed, "eights": 45, "sure": 400},
                "directions": {
                    "eight_minus_zero": {"norm": 3.0, "held_out": 50, **digit},
                    "thick_minus_thin": {"norm": 2.0, "held_out": 20, **style},
                    "slanted_minus_upright": {"norm": 2.0, "held_out": 20, **style},
                },
            }
        )
    switchers = {
        "from_step": 100,
        "z": 10,
        "switchers": [1, 2],
        "switchers_end_as": {"0": 0, "8": 1, "other": 1},
        "groups": {
            "switchers": {"count": 2, "mean_cosine": 0.2},
            "others": {"count": 8, "mean_cosine": 0.0},
            "others_ending_0_or_8": {"count": 3, "mean_cosine": 0.1},
            "others_ending_0": {"count": 0, "mean_cosine": None},
            "others_ending_8": {"count": 3, "mean_cosine": 0.1},
        },
        "tests": {"others": {"p": 0.01, "holm": 0.02}, "others_ending_0_or_8": {"p": 0.3, "holm": 0.3}},
    }
    settings = {"seeds": list(range(len(sets))), "size": 100, "random": len(random_became[0])}
    settings |= {"steps": [0.5, 1.0], "tested_step": 1.0}
    return {"settings": settings, "sets": sets, "switchers": switchers}


def test_summary_pools_rates_tests_each_set_against_every_random_direction_and_renders_the_verdict():
    strong = made_up([[10, 30], [12, 34]], [[[0, 1], [1, 2], [0, 0]], [[0, 3], [2, 2], [1, 1]]], [[0.02, 0.05]] * 2)
    summary = ar.summarize(strong)
    became = summary["eight_minus_zero"]["steps"]["became"][1]
    assert became["value"] == pytest.approx(64 / 100) and became["interval"] == list(ar.wilson(64, 100))
    assert became["sets"] == [0.6, 0.68] and became["random_mean"] == pytest.approx(9 / 300)
    assert became["p_sets"] == [1 / 7, 1 / 7] and became["p"] == 1 / 7  # stronger than all six random directions
    assert "p" not in summary["eight_minus_zero"]["steps"]["became"][0]  # only the tested step is tested
    inked = summary["thick_minus_thin"]["steps"]["ink_change"][1]
    assert inked["value"] == pytest.approx(0.05) and inked["interval"] == pytest.approx([0.05, 0.05])
    assert summary["eight_minus_zero"]["holm"] == pytest.approx(3 / 7)  # three directions, each p 1/7
    assert not any(entry["beyond_random"] for entry in summary.values())  # six random directions cannot say more
    text = ar.findings(strong)
    half = 12.7062 * (0.08 / 2**0.5) / 2**0.5  # t_{0.975, 1} sd / sqrt(2) for the two sets' 60% and 68%
    assert became["across_sets"] == pytest.approx([0.64 - half, 0.64 + half])
    assert (
        "the judge reads an 8 in 64% (95% 54% to 73% pooled, 13% to 100% across the sets; per set 60% to 68%)" in text
    )
    assert "not beyond the random directions in all 2 sets (largest p of the sets 0.14, Holm 0.43)" in text
    assert "So these sets cannot say that adding the 8-minus-0 direction turns 0s into 8s" in text
    assert "at the last snapshot 1 of them are confident 8s, 0 confident 0s, 1 neither" in text
    assert "is +0.200, against +0.000 for the 8 other $z$ (permutation p 0.01, Holm 0.02) and +0.100 for the 3" in text
    assert "(+0.100 for those ending as 8s)" in text
    assert text.endswith(
        "So the $z$ that switched 0 -> 8 lie further along the direction than the other $z$, and lie neither further "
        "along the direction nor less far than the other $z$ that end as a confident 0 or 8, beyond chance."
    )

    many = [[[0, 1]] * 30, [[0, 2]] * 30]  # 60 random directions, all weaker than the direction in both sets
    sure = ar.findings(made_up([[10, 30], [12, 34]], many, [[0.02, 0.05]] * 2))
    assert "stronger than the random directions in every set (largest p of the sets 0.016, Holm 0.049)" in sure
    assert "So adding the 8-minus-0 direction does turn 0s into 8s, 64% of them at t = 1" in sure
    weak = made_up([[0, 1], [0, 2]], many, [[0.0, 0.0], [0.0, 0.001]])
    assert "8-minus-0 direction turns 0s into 8s more than a random step" in ar.findings(weak)


@pytest.mark.slow
def test_the_committed_result_is_the_computation_in_small_and_its_sentences_come_from_it():
    """A quick recomputation has the committed file's structure and the same switchers (they depend on the run
    alone); the sentences are rendered from the committed numbers; the figure draws from them."""
    result, path = ar.load(ROOT / "reference-run")
    assert path == ROOT / "reference-run" / ar.RESULT
    settings = result["settings"]
    assert settings["seeds"] == list(ar.SEEDS) and settings["random"] == ar.RANDOM and settings["size"] == ar.SET_SIZE
    small = ar.compute(ROOT / "reference-run", seeds=(0,), size=300, random=3, style_held_out=10, rounds=50)

    def shape(value):
        if isinstance(value, dict):
            return {key: shape(item) for key, item in value.items()}
        return type(value).__name__

    committed, fresh = result["sets"][0]["directions"], small["sets"][0]["directions"]
    assert shape(committed) == shape(fresh) and shape(result["example"]) == shape(small["example"])
    assert set(result) == set(small) and set(result["settings"]) == set(small["settings"])
    assert small["switchers"]["switchers"] == result["switchers"]["switchers"]
    for name, group in small["switchers"]["groups"].items():
        assert group["count"] == result["switchers"]["groups"][name]["count"]
    for s in result["sets"]:
        assert len(s["directions"]["eight_minus_zero"]["random"]["became"]) == ar.RANDOM
    summary = ar.summarize(result)
    text = ar.findings(result)
    tested = settings["steps"].index(settings["tested_step"])
    pooled = sum(s["directions"]["eight_minus_zero"]["direction"]["became"][tested] for s in result["sets"])
    held = sum(s["directions"]["eight_minus_zero"]["held_out"] for s in result["sets"])
    assert f"the judge reads an 8 in {100 * pooled / held:.0f}% (95%" in text
    assert f"{summary['thick_minus_thin']['steps']['ink_change'][tested]['value']:+.3f}" in text
    assert f"{len(result['switchers']['switchers'])} switched from a confident 0 to a confident 8" in text
    generator = dl.load_run(ROOT / "reference-run").generator()
    fig = ar.draw(result, generator)
    assert len(fig.axes) == 3

    # the committed first set is regenerated by the same seed: its fresh z, their digits, its direction
    z, images, judged = ar.fresh_set(generator, load_judge(), 0, settings["size"])
    half = settings["size"] // 2
    built = ar.directions(z[:half], images[:half], judged.labels[:half], judged.confidence[:half])
    np.testing.assert_allclose(built["eight_minus_zero"], result["example"]["direction"], atol=1e-5)
    assert np.linalg.norm(built["thick_minus_thin"]) == pytest.approx(
        result["sets"][0]["directions"]["thick_minus_thin"]["norm"], abs=1e-5
    )
    zeros = (judged.labels[half:] == ar.SOURCE) & (judged.confidence[half:] >= settings["threshold"])
    assert int(zeros.sum()) == result["sets"][0]["directions"]["eight_minus_zero"]["held_out"]
    np.testing.assert_allclose(z[half:][zeros][: ar.EXAMPLES], result["example"]["z"], atol=1e-5)
