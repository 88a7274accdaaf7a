"""The series' measured sentences: worded by the data, and failing when the data disagree."""

import json

from dcgan_lessons import claims, stats, sweep_claims

import numpy as np
import pytest

from tests.conftest import ROOT

REFERENCE = ROOT / "reference-run"


def epoch_rows(frechet: list[float], score: list[float], sd: float = 0.5) -> list[dict]:
    return [
        {"epoch": e, "n": 500, "modes": 10, "frechet": f, "frechet_sd": sd, "score": s, "score_sd": sd / 10}
        for e, (f, s) in enumerate(zip(frechet, score, strict=True), 1)
    ]


def test_words_follow_the_sign_and_the_noise():
    assert claims.more_or_less(0.006, 0.001) == "more"
    assert claims.more_or_less(-0.006, 0.001) == "less"
    assert claims.more_or_less(0.0005, 0.001) == "about as much"


def test_the_loss_sentence_says_where_the_losses_went():
    at_equilibrium = {"epochs": [{"d_loss": 0.69, "g_loss": 0.70, "d_real": 0.5, "d_fake": 0.49}]}
    assert "within 0.05 of ln 2" in claims.loss_trend(at_equilibrium)
    one_epoch = {"epochs": [{"d_loss": 0.54, "g_loss": 1.10, "d_real": 0.62, "d_fake": 0.38}]}
    sentence = claims.loss_trend(one_epoch)
    assert "0.153 below and 0.407 above ln 2" in sentence and "keeps an edge in its epoch" in sentence
    assert "within 0.05" not in sentence
    reference = json.loads((REFERENCE / "history.json").read_text())
    sentence = claims.loss_trend(reference)  # notebook 05's sentence: D(x) above D(G(z)) all along, not "level"
    gaps = [e["d_real"] - e["d_fake"] for e in reference["epochs"]]
    assert min(gaps) > 0 and max(e["d_loss"] for e in reference["epochs"]) < stats.LN2
    assert f"keeps an edge in all 35 epochs: the mean D(x) exceeds the mean D(G(z)) by {min(gaps):.3f}" in sentence
    see_saw = {"epochs": [{**at_equilibrium["epochs"][0], "d_real": r, "d_fake": 0.99 - r} for r in (0.5, 0.49)]}
    assert "ranges from -0.010 to 0.010 over the epochs" in claims.loss_trend(see_saw)
    assert "no finished epoch" in claims.loss_trend({"epochs": []})


def test_more_epochs_that_hurt_are_called_worse_and_more_that_help_are_called_help():
    improving = epoch_rows([40, 20, 12, 8, 6, 5], [6.0, 7.0, 7.5, 8.0, 8.2, 8.4])
    assert "here more epochs helped" in claims.quality_over_epochs(improving)
    assert "No measure got worse" in claims.quality_over_epochs(improving)
    # three epochs in the second half: no trend interval, so the gain beyond the bootstrap noise decides alone
    assert claims.more_epochs(improving)["why"]["Frechet distance"] == (
        "its gain, 3.00, exceeds twice the noise of a difference, 1.41, though its second half has too few epochs "
        "for a trend interval"
    )
    degrading = epoch_rows([40, 10, 6, 5, 9, 14], [6.0, 7.5, 8.2, 8.4, 8.0, 7.5])
    sentence = claims.quality_over_epochs(degrading)
    assert "more epochs made the Frechet distance and the classifier score worse" in sentence
    assert stats.later_worse(degrading, "frechet", higher_is_better=False)["best"]["epoch"] == 4
    flat = epoch_rows([6.0, 6.2, 5.9, 6.1], [8.3, 8.2, 8.3, 8.25])
    assert "neither helped nor hurt" in claims.quality_over_epochs(flat)


def test_a_slow_drift_within_the_noise_of_the_best_epoch_is_caught_by_the_trend():
    # every epoch of the second half is within the noise of the best, but they rise steadily
    drifting = epoch_rows([40, 10, 6, 5, 5.3, 5.65, 5.85, 6.2], [6, 7, 8, 8.4, 8.4, 8.4, 8.4, 8.4])
    assert not stats.later_worse(drifting, "frechet", higher_is_better=False)["worse"]
    rise = stats.trend(drifting, "frechet")
    assert (rise["first"], rise["last"]) == (5, 8)
    assert rise["slope"] == pytest.approx(10 * np.polyfit([5, 6, 7, 8], [5.3, 5.65, 5.85, 6.2], 1)[0])
    assert 0 < rise["low"] < rise["slope"] < rise["high"]
    sentence = claims.quality_over_epochs(drifting)
    assert "epochs 5 to 8 moves it by +2.90 per 10 epochs" in sentence and "getting worse" in sentence
    assert "more epochs made the Frechet distance worse" in sentence
    assert stats.trend(drifting[:6], "frechet")["low"] is None  # three epochs: no interval, no verdict
    assert stats.trend(drifting[:2], "frechet")["slope"] is None  # one epoch in the second half: no line
    two = claims.quality_over_epochs(drifting[:2])
    assert "getting worse" not in two  # and no 0/0 warning on the way
    assert "went from 40.0 (epoch 1) to 10.0 (epoch 2);" in two and "from 6.00 to 7.00." in two
    assert "2 epochs are too few to say whether the later ones helped" in two and "to 2" not in two


def test_the_best_of_many_noisy_values_is_set_against_luck():
    assert stats.expected_extreme(1) == pytest.approx(0, abs=1e-9)
    assert stats.expected_extreme(2) == pytest.approx(1 / np.sqrt(np.pi), abs=1e-6)  # E max of two normals
    simulated = np.random.default_rng(0).standard_normal((20_000, 18)).max(axis=1).mean()
    assert stats.expected_extreme(18) == pytest.approx(simulated, abs=0.02)
    plateau = [5.0, 5.5, 4.4, 5.8, 5.2, 5.6]  # the lowest is 0.85 below the mean, luck gives 1.27 x 1.0
    sentence = claims.picked_best(plateau, [f"epoch {e}" for e in range(6)], 1.0, False, "Frechet distance")
    assert sentence.startswith("The best Frechet distance, epoch 2's 4.40, is 0.85 lower than the mean of the 6")
    assert "no more than luck alone gives" in sentence
    outlier = claims.picked_best([8.0, 8.1, 9.5], ["a", "b", "c"], 0.1, True, "classifier score")
    assert "c's 9.50, is 0.97 higher" in outlier and "so this best is more than luck alone gives" in outlier


def test_quality_over_epochs_says_which_noise_it_uses_and_how_much_of_the_best_is_luck():
    plateau = epoch_rows([40, 20, 12, 6, 5.0, 5.5, 4.4, 5.8, 5.2, 5.6], [6, 7, 7.5, 8, 8.3, 8.2, 8.4, 8.3, 8.2, 8.3])
    sentence = claims.quality_over_epochs(plateau)
    assert "moves by 0.50 (standard deviation) from set to set of 500, its classifier score by 0.05" in sentence
    assert "The best Frechet distance of epochs 6 to 10, epoch 7's 4.40" in sentence
    assert "(gap 1.20; twice the noise of a difference of two epochs, 1.41)" in sentence


def test_over_represented_switches_are_named_and_the_watched_one_judged():
    matrix = np.full((10, 10), 10)
    np.fill_diagonal(matrix, 500)
    matrix[0, 8] = 60  # the report's switch, planted
    sentence = claims.switch_excess(stats.transition_excess(matrix))
    assert sentence.startswith("1 of the 90 possible switches") and "0->8 (" in sentence
    assert "0->8: 60 switches" in sentence and "significantly over-represented" in sentence
    plain = claims.switch_excess(stats.transition_excess(np.full((10, 10), 10)))
    assert plain.startswith("0 of the 90") and "0->8: 10 switches" in plain and "not significant" in plain
    assert claims.switch_excess([]).startswith("No z switched")
    assert "0->8: 60 z against" in claims.switch_excess(stats.transition_excess(matrix), unit="z")


def planted(**cells: int) -> list[dict]:
    """transition_excess of 10 switches for every pair but the ``cells`` given as ``i_j=count``."""
    matrix = np.full((10, 10), 10)
    np.fill_diagonal(matrix, 500)
    for key, count in cells.items():
        i, j = map(int, key.strip("_").split("_"))
        matrix[i, j] = count
    return stats.transition_excess(matrix)


def test_is_special_says_above_chance_significance_after_holm_and_the_pairs_ahead():
    strongest = claims.is_special(planted(_0_8=60, _8_0=60))
    assert strongest.startswith("0 -> 8 (2.5x chance) and 8 -> 0 (2.5x chance): both happen significantly more often")
    assert "The strongest: no pair is further above chance; the 2 significant pairs: 0 -> 8" in strongest
    one_way = claims.is_special(planted(_0_8=60))
    assert "(0.9x chance): 0 -> 8 happens significantly more often than chance" in one_way
    assert "the only significant pair: 0 -> 8" in one_way
    weak = claims.is_special(planted(_4_9=60, _9_4=60, _0_8=20, _8_0=14))
    assert "both happen more often than chance, but not significantly once the 90 pairs tested" in weak
    assert "Not the strongest: 2 of the 90 pairs are further above chance; the 2 significant pairs: 4 -> 9" in weak
    assert "it happens no more often than chance" in claims.is_special(planted(_0_8=3), watch=("0->8",))
    assert "no pair is significant" in claims.is_special(planted())
    assert claims.is_special([]).startswith("No 0 -> 8 or 8 -> 0 switch could happen here")


def test_the_subset_table_and_its_summary_follow_the_rows():
    rows = [
        {
            "start": name,
            "step": step,
            "threshold": 0.9,
            "cases": 100,
            "pairs": 90,
            "significant": 1,
            "strongest": {"switch": "6->0", "ratio": 4.5},
            "watch": {
                "0->8": {
                    "observed": n,
                    "expected": 4.0,
                    "ratio": n / 4,
                    "p_holm": p,
                    "significant": p < 0.05,
                    "rank": rank,
                }
            },
        }
        for name, step, n, p, rank in (("early", 900, 3, 1.0, 40), ("late", 30000, 12, 0.01, 1))
    ]
    table = claims.excess_table(rows, watch=("0->8",)).splitlines()
    assert (
        len(table) == 4
        and table[3] == "| late (step 30,000) | 0.9 | 100 | 1 of 90 | 6 -> 0 4.5x | 12 / 4.0, 3.00x, 0.01, 1 |"
    )
    summary = claims.excess_robustness(rows, "0->8")
    assert summary == (
        "Over the 2 subsets, 0 -> 8 is 0.75 to 3.00x chance, above it in 1 of 2, ranked 1 to 40 of the pairs, and "
        "significant after Holm's correction in 1 of 2."
    )
    assert claims.excess_robustness(rows, "8->0") == "No 8 -> 0 switch in any of the 2 subsets."


def test_losses_and_quality_are_ranked_against_each_other_and_against_time():
    rows = epoch_rows([40, 20, 12, 8, 6, 5], [6.0, 7.0, 7.5, 8.0, 8.2, 8.4])
    for r, g, d in zip(rows, [1.2, 1.0, 0.9, 0.85, 0.8, 0.78], [0.5, 0.6, 0.62, 0.65, 0.66, 0.67], strict=True):
        r.update(g_loss=g, d_loss=d)
    assert stats.rank_correlation([1, 2, 3], [30, 20, 10]) == pytest.approx(-1)
    sentence = claims.losses_against_quality(rows)
    assert "+1.00 with the epoch's mean g_loss and -1.00 with its d_loss, and -1.00 with the epoch" in sentence
    assert "much as the judge does, but so does the epoch number alone (-1.00)" in sentence
    for r, g in zip(rows, [0.8, 1.2, 0.78, 1.0, 0.85, 0.9], strict=True):
        r.update(g_loss=g, d_loss=-g)
    assert "do not order the epochs" in claims.losses_against_quality(rows)
    assert "too few" in claims.losses_against_quality(rows[:2])


def test_the_formation_sentence_follows_the_rates_up_to_the_formed_snapshot():
    steps = np.arange(6) * 100
    assert "96.8%, 60.0%, 41.0%: it fell at every snapshot" in claims.formation(steps, [0.968, 0.6, 0.41, 0.5, 0.1], 3)
    bumpy = claims.formation(steps, [0.968, 0.3, 0.41, 0.5, 0.1], 3)
    assert "to step 300" in bumpy and "did not fall steadily (lowest 30.0%)" in bumpy
    assert "never formed" in claims.formation(steps, [0.9, 0.8, 0.7, 0.6, 0.5], None)
    assert "no formation to see" in claims.formation(steps, [0.9, 0.8], 0)


def test_early_switches_count_the_ones_the_judge_was_unsure_of():
    labels = np.array([[0, 0, 0, 5], [8, 8, 0, 5], [8, 8, 8, 5], [0, 8, 8, 5]])
    confidence = np.array([[0.5, 0.95, 0.9, 1], [0.95, 0.95, 0.9, 1], [0.99, 0.9, 0.3, 1], [1, 1, 1, 1]])
    # before snapshot 2: z0 (p 0.5 -> 0.95, unsure), z1 (sure at both ends), z2 (0.9 -> 0.3, unsure)
    sentence = claims.early_switches(labels, confidence, 2, (0, 8), 0.9)
    assert "3 0 -> 8 switches happened; the judge was unsure (p < 0.9) of the 0 or of the 8 in 2 of 3 (67%)" in sentence
    one = claims.early_switches(labels, confidence, 1, (0, 8), 0.9)
    assert "2 0 -> 8 switches happened; the judge was unsure (p < 0.9) of the 0 or of the 8 in 1 of 2 (50%)" in one
    assert "1 8 -> 0 switch happened;" in claims.early_switches(labels, confidence, 3, (8, 0), 0.9)
    assert "no 8 -> 0 switch" in claims.early_switches(labels, confidence, 2, (8, 0), 0.9)
    assert "never formed" in claims.early_switches(labels, confidence, None, (0, 8), 0.9)


@pytest.fixture(scope="module")
def committed_epochs() -> list[dict]:
    return json.loads((REFERENCE / "analysis" / "epochs.json").read_text())


def test_the_reference_runs_epoch_table_is_complete(committed_epochs):
    history = json.loads((REFERENCE / "history.json").read_text())
    assert [r["epoch"] for r in committed_epochs] == [e["epoch"] for e in history["epochs"]]
    assert all(r["frechet_sd"] > 0 and r["score_sd"] > 0 and r["n"] == 500 for r in committed_epochs)


def test_the_readme_says_how_long_a_reference_epoch_took():
    """The README's sentence on the reference machine's epoch time is the range and median of history.json
    (docs/results.md renders the same from it)."""
    minutes = [e["seconds"] / 60 for e in json.loads((REFERENCE / "history.json").read_text())["epochs"]]
    low, high, median = min(minutes), max(minutes), float(np.median(minutes))
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert f"{low:.1f} to {high:.1f} (median {median:.1f}) in float32 on the 2-core AVX-512 Xeon" in readme


def _history(windows: list[tuple[int, float, float]]) -> dict:
    return {"steps": [{"step": s, "d_loss": d, "g_loss": g} for s, d, g in windows]}


def _compared(rows: list[tuple[str, str, float, float, float, float]]) -> list[dict]:
    """Rows of sweeps.against_control: (condition, measure, difference, low, high, p), Holm applied."""
    from dcgan_lessons import sweeps

    compared = [
        {"condition": c, "measure": m, "difference": d, "ci_low": lo, "ci_high": hi, "p": p, "seeds": [3, 3]}
        for c, m, d, lo, hi, p in rows
    ]
    for row, adjusted in zip(compared, stats.holm([r["p"] for r in compared]), strict=True):
        says = (
            None if row["ci_low"] is None else stats.verdict(row["ci_low"], row["ci_high"], row["measure"] == "frechet")
        )
        row["interval_says"] = says
        row["verdict"] = says and (says if adjusted is not None and adjusted < sweeps.FAMILY_LEVEL else "can't tell")
    return compared


def test_the_sweep_sentence_corrects_for_all_comparisons_and_says_how_wide_the_rest_is():
    names = {"frechet": "Frechet distance", "score": "classifier score"}
    rows = [
        ("ema", "frechet", -9.0, -12.0, -6.0, 0.004),
        ("ema", "score", 0.1, -0.4, 0.6, 0.6),
        ("paper", "frechet", 3.0, -2.0, 8.0, 0.2),
        ("paper", "score", -0.9, -1.2, -0.6, 0.03),
    ]
    text = sweep_claims.sweep_findings(_compared(rows), names)
    assert "4 differences from the control have a Welch test" in text
    assert "2 of them have a 95% interval on one side of 0" in text
    assert "ema helps the Frechet distance (-9, 95% interval -12 to -6, p 0.004)" in text
    assert "paper hurts the classifier score (-0.9" in text
    # Holm: 0.004 x 4 = 0.016 holds up; 0.03 x 3 = 0.09 does not
    assert (
        "Corrected for testing all 4 at once (Holm, family-wise 5%), 1 of them holds up: ema helps the Frechet" in text
    )
    assert "±0.5 for the classifier score, ±5 for the Frechet distance" in text

    rows[0] = ("ema", "frechet", -9.0, -12.0, -6.0, 0.02)  # 0.02 x 4 = 0.08: now none holds up
    text = sweep_claims.sweep_findings(_compared(rows), names)
    assert "about 0.2 of 4 intervals at 95% would miss 0 by chance alone" in text
    assert "none holds up: the smallest p, 0.02 (ema, Frechet distance), would have to be below 0.05/4 = 0.013" in text

    compared = _compared([*rows, ("spectral_norm", "score", 0.0, 0.0, 0.0, None)])
    compared.append({**compared[0], "seeds": [1, 3], "verdict": None, "interval_says": None, "ci_low": None, "p": None})
    text = sweep_claims.sweep_findings(compared, names)
    assert "In 1 more (the classifier score of spectral_norm) every seed on both sides gave the same value" in text
    assert "1 more has no interval: fewer than two seeds" in text and "4 differences from the control" in text
    compared[0]["seeds"] = [2, 3]  # a sweep still running
    assert "With 3 seeds a condition (as few as 2 where runs lack the measure), 4 differences" in (
        sweep_claims.sweep_findings(compared, names)
    )


def test_the_committed_sweeps_verdicts_are_corrected_for_all_its_comparisons():
    """Issue 24: 26 comparisons at 95% each; the four that clear 0 alone do not survive Holm's correction."""
    from dcgan_lessons import sweeps

    _, summary = sweeps.load_sweep(ROOT / "sweeps" / "stabilisers")
    compared = summary["against_control"]
    tested = [r for r in compared if r["p"] is not None]
    assert len(tested) == 26
    alone = sorted((r["condition"], r["measure"]) for r in tested if r["interval_says"] in ("helps", "hurts"))
    assert alone == [("ema", "frechet"), ("ema", "score"), ("ema", "switch_rate"), ("no_d_input_bn", "score")]
    assert min(r["p"] for r in tested) * 26 > sweeps.FAMILY_LEVEL  # not even the smallest p survives
    assert {r["verdict"] for r in compared} == {"can't tell", None}
    for row in tested:  # the p-value and the interval tell the same story before the correction
        assert (row["p"] < 0.05) == (row["interval_says"] != "can't tell")


def test_the_reports_first_row_is_placed_against_the_seeds_and_the_early_windows():
    rows = [
        {"condition": "control", "d_loss": 0.52, "g_loss": 1.20},
        {"condition": "control", "d_loss": 0.53, "g_loss": 1.21},
        {"condition": "strong_d", "d_loss": 0.25, "g_loss": 1.90},
        {"condition": "strong_d", "d_loss": 0.27, "g_loss": 1.70},
    ]
    early = _history([(50, 0.21, 2.6), (100, 0.24, 2.9), (150, 0.45, 1.4), (200, 0.55, 1.1)])
    text = sweep_claims.first_row_against(rows, {"control/seed_0": early}, (0.204, 1.833))
    assert "is outside the range of our 2 control seeds, whose epoch-1 means are d_loss 0.520 to 0.530" in text
    assert "the nearest on average is strong_d (d_loss 0.260" in text
    assert "occur in 1 of the 1 runs, all by step 100, with g_loss 2.60 to 2.90 there" in text
    assert "its g_loss is not in their range" in text
    inside = sweep_claims.first_row_against(
        rows[:1] + [{"condition": "control", "d_loss": 0.2, "g_loss": 1.9}], {}, (0.204, 1.833)
    )
    assert "is inside the range" in inside
    dead = _history([(50, 0.1, 16.118), (100, 0.0, 16.118)])  # cut off: its windows say nothing of the report's
    text = sweep_claims.first_row_against(rows, {"control/seed_0": early, "fast_d/seed_0": dead}, (0.204, 1.833))
    assert "occur in 1 of the 1 runs whose generator kept its gradient (of 2), all by step 100" in text
    late = _history([(50, 0.5, 1.2)])
    assert "No 50-step window of the 1 runs has a d_loss as low as 0.25" in sweep_claims.first_row_against(
        rows, {"x": late}, (0.204, 1.833)
    )


def test_first_row_candidates_weigh_the_epoch_mean_and_the_last_batch():
    def run(condition: str, seed: int, d: float, g: float) -> dict:
        return {
            "condition": condition,
            "seed": seed,
            "run": f"runs/{condition}/seed_{seed}",
            "steps": 10,
            "d_loss": d,
            "g_loss": g,
        }

    rows = [
        run("tutorial", 0, 0.20, 1.80),
        run("tutorial", 1, 0.21, 1.85),
        run("every_step", 0, 0.5, 1.2),
        run("every_step", 1, 0.52, 1.1),
    ]
    late = _history([(s, 0.5, 1.2) for s in range(1, 10)] + [(10, 0.22, 1.9)])  # only the last batch is near
    early = _history([(1, 0.19, 1.7)] + [(s, 0.5, 1.2) for s in range(2, 11)])  # only the first batch is near
    histories = {
        "tutorial/seed_0": late,
        "tutorial/seed_1": late,
        "every_step/seed_0": early,
        "every_step/seed_1": early,
    }
    text = sweep_claims.first_row_candidates(rows, histories, (0.204, 1.833))
    assert text.startswith("Against the report's first row (d_loss 0.204, g_loss 1.833): tutorial (2 seeds, 10 steps")
    assert (
        "epoch-1 means d_loss 0.200 to 0.210, g_loss 1.800 to 1.850, so the report's row is inside their range" in text
    )
    assert (
        "In the last 10% of each epoch single batches spread over d_loss 0.22 to 0.22 and g_loss 1.90 to 1.90" in text
    )
    assert "the last batch had d_loss 0.220, g_loss 1.900; 2 of those 2 late batches (100.0%) lie within 0.05" in text
    assert "every_step (2 seeds, 10 steps an epoch): epoch-1 means d_loss 0.500 to 0.520" in text
    assert "0 of those 2 late batches (0.0%)" in text
    assert "and 2 of all 20 batches do, the last at step 1." in text
    assert text.endswith(
        "So the report's row is an epoch mean of tutorial; as a last-batch log it would show up in about 100.0% of "
        "epochs under tutorial, the most of any condition."
    )
    text = sweep_claims.first_row_candidates(rows[2:], {k: early for k in histories}, (0.204, 1.833))
    assert text.endswith(
        "So none of these conditions gives the report's row as an epoch mean; nor would a last-batch log show it: no "
        "late batch of any run lies that near."
    )


def test_average_lag_says_how_much_of_the_average_is_early_and_how_far_the_raw_game_drifted():
    config = {"ema": 0.999}
    ema = [
        {"condition": "ema", "seed": s, "steps": 1875, "config": config, "d_loss": 0.5, "g_loss": 1.2} for s in (0, 1)
    ]
    same = [{"condition": "control", "seed": s, "d_loss": 0.5, "g_loss": 1.2} for s in (0, 1)]
    text = sweep_claims.average_lag(ema + same)
    assert "1/(1 - 0.999) = 1000 steps, 53% of the 1875-step run" in text
    assert "the untrained generator still weighs 15% in it and the run's first half 39%" in text
    assert "equal the control's for all 2 seeds" in text
    drifted = [dict(same[0], d_loss=0.503), dict(same[1], g_loss=1.181)]
    text = sweep_claims.average_lag(ema + drifted)
    assert "differ from the control's by up to 0.003 (d_loss) and 0.019 (g_loss)" in text
    assert "equal the control's" not in text
    short = [dict(r, steps=200) for r in ema]
    assert "untrained generator still weighs 82%" in sweep_claims.average_lag(short)


def test_cut_off_generators_finds_a_generator_whose_loss_sits_at_the_clip():
    clipped = 16.118
    rows = [
        {"run": "runs/fast_d/seed_1", "modes": 1, "score": 1.02, "frechet": 355.8},
        {"run": "runs/control/seed_0", "modes": 10, "score": 6.4, "frechet": 39.6},
    ]
    dead = _history([(50, 0.1, 4.5), (100, 0.01, clipped), (150, 0.01, 15.6), (200, 0.0, clipped)])
    healthy = _history([(50, 0.3, 2.5), (100, 0.5, 1.2), (150, 0.5, 1.1), (200, 0.5, 1.2)])
    text = sweep_claims.cut_off_generators(rows, {"fast_d/seed_1": dead, "control/seed_0": healthy})
    assert text.startswith(
        "In 1 of the 2 runs the generator was cut off from its gradient: fast_d/seed_1, from step 100"
    )
    assert "(2 of the 3 windows from there; it ends with 1 mode, classifier score 1.02, Frechet 356)" in text
    assert "16.12 = -ln(10^-7)" in text
    recovered = _history([(50, 0.1, 4.5), (100, 0.01, clipped), (150, 0.4, 1.5)])  # stuck for a while, then learnt
    none = sweep_claims.cut_off_generators(rows, {"fast_d/seed_1": recovered, "control/seed_0": healthy})
    assert none.startswith("In none of the 2 runs") and "cut off from its gradient: " not in none


def test_the_committed_stabiliser_sweep_is_seven_conditions_of_three_seeds():
    """docs/results.md tells the stabiliser sweep as seven conditions of three seeds (its sentences are rendered
    from these data; tests/test_results.py fails when the document is stale)."""
    from dcgan_lessons import sweeps

    rows, summary = sweeps.load_sweep(ROOT / "sweeps" / "stabilisers")
    assert len(rows) == 21
    assert [c["runs"] for c in summary["conditions"]] == [3] * 7  # seven conditions, three seeds each


def test_the_committed_first_row_sweep_kept_every_step():
    """The first-row sweep's sentence (docs/results.md) reads every step's losses: they must all be there."""
    from dcgan_lessons import sweeps

    folder = ROOT / "sweeps" / "first_row"
    rows, _ = sweeps.load_sweep(folder)
    assert sorted((r["condition"], r["seed"]) for r in rows) == [
        (condition, seed) for condition in ("report_every_step", "tutorial") for seed in (0, 1, 2)
    ]
    histories = sweeps.histories(folder, rows)
    for row in rows:  # log_every = 1: one line per step of the epoch
        assert [w["step"] for w in histories[sweeps.run_key(row)]["steps"]] == list(range(1, row["steps"] + 1))


def test_what_one_epoch_buys_is_said_with_the_steps_it_took():
    def row(condition, score, steps, batch_size, lr):
        config = {"batch_size": batch_size, "lr": lr}
        return {"condition": condition, "score": score, "modes": 10, "frechet": 30.0, "steps": steps, "config": config}

    apart = [row("big", 1.4, 234, 256, 1e-4), row("big", 1.6, 234, 256, 1e-4), row("small", 6.4, 1875, 32, 3e-4)]
    sentence = sweep_claims.one_epoch_apart(apart, "big", "small")
    assert (
        "big (2 seeds; 234 steps of batch 256, Adam 0.0001) covers 10 digits, classifier score 1.40 to 1.60" in sentence
    )
    assert "Every small run scores above every big run" in sentence
    assert "8.0x the updates for small, at 3.0x the learning rate, with batches 8x smaller" in sentence
    overlapping = [
        row("big", 5.0, 234, 256, 1e-4),
        row("small", 4.0, 1875, 32, 3e-4),
        row("small", 6.0, 1875, 32, 3e-4),
    ]
    sentence = sweep_claims.one_epoch_apart(overlapping, "big", "small")
    assert "overlap" in sentence and "yardstick" not in sentence
    assert "no judged run of small here" in sweep_claims.one_epoch_apart(apart[:2], "big", "small")


def test_the_committed_first_row_sweep_shows_one_epoch_is_no_yardstick():
    from dcgan_lessons import sweeps

    rows, _ = sweeps.load_sweep(ROOT / "sweeps" / "first_row")
    sentence = sweep_claims.one_epoch_apart(rows, "tutorial", "report_every_step")
    tutorial = [r["score"] for r in rows if r["condition"] == "tutorial"]
    report = [r["score"] for r in rows if r["condition"] == "report_every_step"]
    assert max(tutorial) < min(report)  # the data the sentence reads as "every ... scores above every ..."
    assert "Every report_every_step run scores above every tutorial run" in sentence
    assert f"classifier score {min(tutorial):.2f} to {max(tutorial):.2f}" in sentence


def test_the_permutation_check_says_whether_both_tests_name_the_same_pairs():
    rows = planted(_4_9=60, _0_8=20)
    shuffled = {r["switch"]: {"p": 0.5, "p_holm": 1.0, "significant": False} for r in rows}
    shuffled["4->9"] = {"p": 1 / 5001, "p_holm": 90 / 5001, "significant": True}
    same = claims.permutation_check(rows, shuffled, 5000)
    assert "finds 1 pairs significant after Holm's correction: the same significant pairs as the chance model" in same
    assert "0 -> 8 p = 0.5 (Holm-adjusted 1)" in same and "too few" not in same
    shuffled["0->8"] = {"p": 1 / 5001, "p_holm": 89 / 5001, "significant": True}
    differ = claims.permutation_check(rows, shuffled, 5000)
    assert (
        "not the chance model's significant pairs: only by permutation 0 -> 8, only by the chance model none" in differ
    )
    assert "500 rounds are too few for any pair to pass" in claims.permutation_check(rows, shuffled, 500)
    assert claims.permutation_check(rows, {}, 500).startswith("Too few cases")
