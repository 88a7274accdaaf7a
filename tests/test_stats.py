"""The numbers behind the sentences: t quantiles and p-values, 95% intervals, Holm's correction, and the chance
models of switching (Poisson and permutation), each against closed forms or a planted effect."""

from dcgan_lessons import stats

import numpy as np
import pytest


def test_t_p_values_match_the_t_table_and_known_values():
    for df, t in enumerate(stats.T_975, start=1):  # the 97.5% quantile leaves 5% in both tails
        assert stats.t_p_value(t, df) == pytest.approx(0.05, abs=2e-5)
    assert stats.t_p_value(1.0, 1) == pytest.approx(0.5)  # Cauchy: P(|T| >= 1) = 1/2
    assert stats.t_p_value(-1.0, 2) == pytest.approx(1 - 1 / 3**0.5)  # df 2: P(|T| >= t) = 1 - t / sqrt(2 + t^2)
    assert stats.t_p_value(0.0, 7) == 1.0
    with pytest.raises(ValueError, match="at least 1 degree of freedom"):
        stats.t_p_value(2.0, 0)


def test_holm_adjusts_step_down_and_skips_missing_tests():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04 -> kept monotone: 0.06
    assert stats.holm([0.01, 0.04, None, 0.03, 0.005]) == pytest.approx([0.03, 0.06, None, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == [1.0, 1.0] and stats.holm([]) == []


def test_confidence_intervals():
    three = stats.interval([1.0, 2.0, 3.0])  # sd 1, t(0.975, 2) = 4.3027
    assert three["mean"] == 2.0 and three["sd"] == 1.0
    assert three["ci_high"] - 2.0 == pytest.approx(4.3027 / 3**0.5, abs=1e-6)
    assert stats.interval([5.0]) == {"n": 1, "mean": 5.0, "sd": None, "ci_low": None, "ci_high": None}


def test_every_95_percent_interval_of_a_mean_is_students_t():
    mean, half = stats.mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))  # sd 1.29, t(0.975, 3) = 3.1824
    assert mean == 2.5 and half == pytest.approx(3.1824 * np.std([1, 2, 3, 4], ddof=1) / 2)
    columns = np.array([[1.0, 10.0], [2.0, 30.0], [4.0, 20.0]])
    means, halves = stats.mean_interval(columns)  # along axis 0, as stats.interval gives each column
    for k in range(2):
        one = stats.interval(columns[:, k].tolist())
        assert (one["ci_low"], one["ci_high"]) == pytest.approx((means[k] - halves[k], means[k] + halves[k]), abs=1e-6)
    many = np.random.default_rng(0).standard_normal(10_000)
    assert stats.half_width(1.0, 10_000) == pytest.approx(1.96 / 100, rel=1e-3)  # the normal quantile in the limit
    assert stats.mean_interval(many)[1] == pytest.approx(1.96 * many.std(ddof=1) / 100, rel=1e-3)
    with pytest.raises(ValueError, match="at least two values, got 1"):
        stats.mean_interval([5.0])


def test_poisson_upper_tail_matches_closed_forms():
    assert stats.poisson_upper_tail(0, 3.0) == 1.0
    assert stats.poisson_upper_tail(1, 1.0) == pytest.approx(1 - np.exp(-1))
    assert stats.poisson_upper_tail(3, 0.5) == pytest.approx(1 - np.exp(-0.5) * (1 + 0.5 + 0.125))
    assert stats.poisson_upper_tail(60, 20.0) < 1e-10 < stats.poisson_upper_tail(30, 20.0) < 0.05


def test_transition_excess_finds_the_planted_pair_against_chance():
    matrix = np.full((10, 10), 10)
    np.fill_diagonal(matrix, 500)
    matrix[4, 9] = matrix[9, 4] = 60  # 4 <-> 9 six times as often as the other pairs
    rows = stats.transition_excess(matrix)
    assert len(rows) == 90 and {r["switch"] for r in rows[:2]} == {"4->9", "9->4"}
    top = rows[0]
    expected = top["expected"]  # fitted to the row and column totals: checked below by the uniform case
    assert top["observed"] == 60 and top["expected"] == pytest.approx(expected, abs=1e-3)
    assert top["ratio"] == pytest.approx(60 / expected, abs=1e-3) and top["significant"]
    assert not any(r["significant"] for r in rows[2:])
    uniform = stats.transition_excess(np.full((10, 10), 7))
    assert all(r["ratio"] == pytest.approx(1.0) and not r["significant"] for r in uniform)
    assert stats.transition_excess(np.eye(10, dtype=int) * 9) == []  # nothing switched


def test_a_pair_that_passes_p_005_alone_fails_holms_correction_for_90_pairs():
    matrix = np.full((10, 10), 10)
    np.fill_diagonal(matrix, 0)
    matrix[1, 2] = 24  # p about 0.002 alone, about 0.18 after multiplying by ~89
    matrix[0, 8] = 60
    rows = {r["switch"]: r for r in stats.transition_excess(matrix)}
    assert rows["1->2"]["p"] < 0.005 and rows["1->2"]["p_holm"] > 0.05 and not rows["1->2"]["significant"]
    assert rows["0->8"]["p_holm"] < 1e-6 and rows["0->8"]["significant"]
    assert sorted(r["p_holm"] for r in rows.values())[0] == pytest.approx(min(1, 90 * rows["0->8"]["p"]))


def test_the_permutation_test_finds_the_planted_pair_and_nothing_in_a_uniform_table():
    matrix = np.full((10, 10), 4)
    np.fill_diagonal(matrix, 0)
    matrix[0, 8] = 30
    permuted = stats.permutation_excess(matrix, rounds=2000)
    assert len(permuted) == 90 and permuted["0->8"]["p"] == pytest.approx(1 / 2001)
    assert permuted["0->8"]["significant"] and [k for k, r in permuted.items() if r["significant"]] == ["0->8"]
    assert permuted["8->0"]["p"] > 0.5  # row 0 and column 8 are taken up by 0 -> 8: the rest is below chance
    uniform = stats.permutation_excess(np.full((10, 10), 4), rounds=500)
    assert not any(r["significant"] for r in uniform.values())
    assert 0.3 < np.median([r["p"] for r in uniform.values()]) < 0.9  # exact ties at the observed count: p leans high
    assert stats.permutation_excess(np.eye(10, dtype=int)) == {}  # nothing switched


def test_differences_against_the_control_use_welchs_interval():
    # variances 1 and 5/3: df = 0.75^2 / ((1/3)^2 / 2 + (5/12)^2 / 3) = 4.96, rounded down to 4: t = 2.7764
    welch = stats.difference([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0])
    assert welch["difference"] == -3.5 and welch["df"] == pytest.approx(4.96, abs=0.01)
    assert welch["ci_high"] == pytest.approx(-3.5 + 2.7764 * 0.75**0.5, abs=1e-5)
    assert welch["p"] == pytest.approx(stats.t_p_value(3.5 / 0.75**0.5, 4), abs=1e-6) and welch["p"] < 0.05
    assert stats.difference([1.0], [2.0, 3.0])["ci_low"] is None  # one seed: no interval
    assert stats.difference([10.0, 10.0], [10.0, 10.0, 10.0])["p"] is None  # every seed the same: nothing to test
