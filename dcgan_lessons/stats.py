"""The numbers behind the series' sentences: 95% intervals, t and permutation tests, Holm's correction, trends.

Everything here is plain arithmetic on numbers already measured (numpy, no TensorFlow), shared by the modules
that compute (``sweeps``, ``analysis``, ``averaging``, the exercises) and by ``claims``, which
turns the results into sentences. A 95% interval of a mean is Student's t everywhere (:func:`half_width`): right
for the few seeds or sets a comparison has, and the normal 1.96 in the limit of many.
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2)  # the loss of a discriminator that says 0.5 to everything, where the report's d_loss settles

# Student t quantiles t_{0.975, df} for df = 1..30 (standard tables; scipy.stats.t.ppf(0.975, df)).
T_975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip


def t_quantile(df: int) -> float:
    """t_{0.975, df}: the table above up to 30 degrees of freedom; beyond it the Cornish-Fisher
    expansion of the t quantile around the normal one (z = 1.96), which is within 1e-4 there."""
    if df < 1:
        raise ValueError(f"a t quantile needs at least 1 degree of freedom, got {df}")
    if df <= len(T_975):
        return T_975[df - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def t_p_value(t: float, df: int) -> float:
    """The two-sided p-value of Student's t with ``df`` whole degrees of freedom, P(|T| >= |t|), in closed form
    (Abramowitz and Stegun 26.7.3-4), so that p < 0.05 exactly when ``t_quantile(df)`` says |t| is past 95%."""
    if df < 1:
        raise ValueError(f"a t distribution needs at least 1 degree of freedom, got {df}")
    theta = math.atan(abs(t) / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    term, total = 1.0, 1.0
    for k in range(2 if df % 2 else 1, df - 2, 2):  # the series of cos^2 up to the power df - 3 (odd) or df - 2
        term *= cos2 * k / (k + 1)
        total += term
    if df % 2:
        inside = 2 / math.pi * (theta + (math.sin(theta) * math.cos(theta) * total if df > 1 else 0.0))
    else:
        inside = math.sin(theta) * total
    return min(1.0, max(0.0, 1.0 - inside))


def half_width(sd: float | np.ndarray, n: int) -> float | np.ndarray:
    """Half the width of the 95% Student t interval of a mean of ``n`` values whose sample standard deviation
    (divided by n - 1) is ``sd``: t_{0.975, n-1} sd / sqrt(n). The one rule for a 95% interval in the package."""
    _two_or_more(n)
    return t_quantile(n - 1) * sd / math.sqrt(n)


def _two_or_more(n: int) -> None:
    if n < 2:
        raise ValueError(f"a 95% interval of a mean needs at least two values, got {n}")


def mean_interval(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and half-width of the 95% Student t interval (:func:`half_width`) along ``axis``."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[axis]
    _two_or_more(n)  # before the standard deviation, which one value leaves undefined
    return values.mean(axis=axis), half_width(values.std(axis=axis, ddof=1), n)


def interval(values: list[float]) -> dict:
    """Mean, sample sd and the 95% Student t interval mean ± t_{0.975, n-1} sd / sqrt(n) across seeds.
    With one value the spread, and so the interval, is undefined: sd and the bounds are None."""
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "ci_low": None, "ci_high": None}
    mean = float(np.mean(values))
    if n == 1:
        return {"n": 1, "mean": round(mean, 6), "sd": None, "ci_low": None, "ci_high": None}
    sd = float(np.std(values, ddof=1))
    half = half_width(sd, n)
    return {
        "n": n,
        **{k: round(v, 6) for k, v in (("mean", mean), ("sd", sd), ("ci_low", mean - half), ("ci_high", mean + half))},
    }


def difference(change: list[float], control: list[float]) -> dict:
    """Change minus control: the difference of the means, its 95% Welch interval (each side its own
    variance; Welch-Satterthwaite degrees of freedom, rounded down so that the interval errs wide) and the
    two-sided p-value of the same test (below 0.05 exactly when the interval misses 0). Without two values
    on each side there is no interval: its bounds are None. Seeds that all agree on both sides leave no
    spread: the interval is the difference itself, and there is no p-value when that difference is 0."""
    if not change or not control:
        return {"difference": None, "ci_low": None, "ci_high": None, "df": None, "p": None}
    diff = float(np.mean(change) - np.mean(control))
    if len(change) < 2 or len(control) < 2:
        return {"difference": round(diff, 6), "ci_low": None, "ci_high": None, "df": None, "p": None}
    shares = [float(np.var(v, ddof=1)) / len(v) for v in (change, control)]
    se = math.sqrt(sum(shares))
    if se == 0:
        exact = {"ci_low": round(diff, 6), "ci_high": round(diff, 6), "df": None, "p": None if diff == 0 else 0.0}
        return {"difference": round(diff, 6), **exact}
    df = se**4 / sum(share**2 / (len(v) - 1) for share, v in zip(shares, (change, control), strict=True))
    whole = max(1, math.floor(df + 1e-9))  # equal spreads give df = 4 as 3.9999...
    half = t_quantile(whole) * se
    return {
        "difference": round(diff, 6),
        "ci_low": round(diff - half, 6),
        "ci_high": round(diff + half, 6),
        "df": round(df, 2),
        "p": round(t_p_value(diff / se, whole), 6),
    }


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of p-values (None: no test, left out of the family): a comparison is
    significant at family-wise level a when its adjusted p is below a, for all the comparisons at once."""
    tested = sorted((p, k) for k, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, k) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[k] = running
    return adjusted


def verdict(low: float, high: float, lower_is_better: bool) -> str:
    """One of "helps", "hurts" or "can't tell" for a 95% interval [low, high] of a difference (change minus control):
    a change helps only when the whole interval lies on the good side of 0 (notebook 06's exercise ex19)."""
    if low > 0:
        return "hurts" if lower_is_better else "helps"
    if high < 0:
        return "helps" if lower_is_better else "hurts"
    return "can't tell"


def trend(rows: list[dict], measure: str) -> dict:
    """The straight-line trend of ``measure`` over the second half of a run's epochs (least squares), per 10
    epochs, with a 95% t interval from the spread of the epochs around the line, which holds both the
    judge's sampling noise and the generator's own wandering from epoch to epoch.
    {"first", "last", "slope", "low", "high"}; the interval is None below four epochs, the slope below two."""
    half = rows[len(rows) // 2 :]
    x = np.array([r["epoch"] for r in half], dtype=np.float64)
    y = np.array([r[measure] for r in half], dtype=np.float64)
    result = {"first": int(x[0]), "last": int(x[-1]), "slope": None, "low": None, "high": None}
    if len(half) < 2:
        return result  # one epoch draws no line
    sxx = ((x - x.mean()) ** 2).sum()
    slope = ((x - x.mean()) * (y - y.mean())).sum() / sxx
    result["slope"] = 10 * slope
    if len(half) >= 4:
        residual = y - y.mean() - slope * (x - x.mean())
        width = t_quantile(len(half) - 2) * math.sqrt((residual**2).sum() / (len(half) - 2) / sxx)
        result |= {"low": 10 * (slope - width), "high": 10 * (slope + width)}
    return result


def direction(trend: dict, higher_is_better: bool) -> int:
    """+1 when a :func:`trend`'s whole interval lies on the better side of 0, -1 on the worse side, else 0."""
    if trend["low"] is None or trend["low"] <= 0 <= trend["high"]:
        return 0
    return 1 if (trend["low"] > 0) == higher_is_better else -1


def improvement(before: dict, after: dict, measure: str, higher_is_better: bool) -> tuple[float, float]:
    """How much better ``after`` is than ``before`` on ``measure``, and twice the noise of their difference."""
    gain = after[measure] - before[measure] if higher_is_better else before[measure] - after[measure]
    return gain, 2 * math.hypot(before[f"{measure}_sd"], after[f"{measure}_sd"])


def later_worse(rows: list[dict], measure: str, higher_is_better: bool) -> dict:
    """Is the last epoch worse on ``measure`` than the run's best epoch, by more than twice the noise of a
    difference of two such numbers (each with its standard deviation ``measure + "_sd"`` over fresh z)?
    {"best", "last", "gap", "noise", "worse"}: gap > 0 means worse."""
    pick = max if higher_is_better else min
    best, last = pick(rows, key=lambda r: r[measure]), rows[-1]
    gap, noise = improvement(last, best, measure, higher_is_better)
    return {"best": best, "last": last, "gap": gap, "noise": noise, "worse": gap > noise}


def expected_extreme(k: int) -> float:
    """E[max of k independent standard normal draws]: how many standard deviations beyond their mean the best
    of k equally good but noisy numbers lies on average (0 for one, 1.54 for 10, 2.04 for 30). Picking the
    best of many noisy numbers picks luck."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    x = np.linspace(-12.0, 12.0, 24001)
    below = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    density = k * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi) * below ** (k - 1)
    return float(np.sum(x * density) * (x[1] - x[0]))


def _ranks(values: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(np.float64)


def rank_correlation(a, b) -> float:
    """Spearman's rank correlation of two equally long sequences (no ties expected: measured floats)."""
    return float(np.corrcoef(_ranks(np.asarray(a)), _ranks(np.asarray(b)))[0, 1])


def poisson_upper_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): how surprising a count this large is by chance."""
    if observed <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    term = lambda i: math.exp(i * math.log(expected) - expected - math.lgamma(i + 1))  # noqa: E731
    if observed <= expected:
        return max(0.0, 1.0 - sum(term(i) for i in range(observed)))
    total, i = 0.0, observed
    while (t := term(i)) > total * 1e-15:
        total, i = total + t, i + 1
    return min(1.0, total)


def _ratio(target: np.ndarray, current: np.ndarray) -> np.ndarray:
    return np.divide(target, current, out=np.zeros_like(target), where=current > 0)


def transition_excess(matrix: np.ndarray, alpha: float = 0.05) -> list[dict]:
    """Each switch i -> j against chance, most over-represented first.

    The chance model keeps how often each digit is left and entered (the off-diagonal row and column totals)
    and pairs them at random, never a digit with itself: expected E_ij = a_i b_j for i != j, fitted to those
    totals by iterative proportional fitting (quasi-independence). ``ratio`` is observed / expected, ``p``
    the Poisson upper tail, ``p_holm`` that p adjusted for the pairs tested (:func:`holm`), ``significant``
    ``p_holm`` below ``alpha``. The Poisson tail treats the counts as independent; counting every switch
    overstates significance when the same z switches back and forth, so count each z once per pair
    (:meth:`dcgan_lessons.analysis.RunAnalysis.confident_pairs`) for a test, and read a matrix of all switches
    as a screen."""
    matrix = np.asarray(matrix, dtype=np.float64)
    off = matrix - np.diag(np.diag(matrix))
    if off.sum() == 0:
        return []
    classes = len(off)
    rows_total, cols_total, allowed = off.sum(axis=1), off.sum(axis=0), 1.0 - np.eye(classes)
    expected = allowed * off.sum() / allowed.sum()
    for _ in range(1000):
        expected *= _ratio(rows_total, expected.sum(axis=1))[:, None]
        expected *= _ratio(cols_total, expected.sum(axis=0))
        if np.allclose(expected.sum(axis=1), rows_total, rtol=1e-9, atol=1e-9):
            break
    rows = []
    for i in range(classes):
        for j in range(classes):
            if i == j or expected[i, j] == 0:
                continue
            p = poisson_upper_tail(int(off[i, j]), float(expected[i, j]))
            rows.append(
                {
                    "switch": f"{i}->{j}",
                    "observed": int(off[i, j]),
                    "expected": round(float(expected[i, j]), 3),
                    "ratio": round(float(off[i, j] / expected[i, j]), 3),
                    "p": p,
                }
            )
    for row, adjusted in zip(rows, holm([r["p"] for r in rows]), strict=True):
        row |= {"p_holm": adjusted, "significant": adjusted < alpha}
    return sorted(rows, key=lambda r: (-r["ratio"], r["switch"]))


def permutation_excess(matrix: np.ndarray, rounds: int = 5_000, seed: int = 0, alpha: float = 0.05) -> dict:
    """Each switch i -> j against chance by permutation rather than a Poisson model: the cases counted in
    ``matrix`` (off the diagonal) keep their sources, and their targets are shuffled among them, never a digit
    onto itself, so every row and column total stays as observed. ``rounds`` shuffles (each from a random walk of
    target swaps between two cases, 10 swaps a case) give, per switch, how often chance reaches its count:
    {"i->j": {"p", "p_holm", "significant"}}, p = (1 + rounds at least as high) / (1 + rounds)."""
    classes = len(matrix)
    off = np.asarray(matrix, dtype=np.int64) * (1 - np.eye(classes, dtype=np.int64))
    cells = np.repeat(np.arange(classes * classes), off.ravel())
    sources, targets = cells // classes, cells % classes
    n = len(cells)
    if n < 2:
        return {}
    rng = np.random.default_rng(seed)
    shuffled = np.tile(targets, (rounds, 1))
    chains = np.arange(rounds)
    for _ in range(10 * n):
        a, b = rng.integers(0, n, size=(2, rounds))
        ta, tb = shuffled[chains, a], shuffled[chains, b]
        ok = (sources[a] != tb) & (sources[b] != ta)
        shuffled[chains[ok], a[ok]], shuffled[chains[ok], b[ok]] = tb[ok], ta[ok]
    codes = sources * classes + shuffled + (chains * classes * classes)[:, None]
    null = np.bincount(codes.ravel(), minlength=rounds * classes * classes).reshape(rounds, classes, classes)
    reached = (null >= off).sum(axis=0)
    keys = [(i, j) for i in range(classes) for j in range(classes) if i != j]
    p = [(1 + int(reached[i, j])) / (1 + rounds) for i, j in keys]
    return {
        f"{i}->{j}": {"p": pi, "p_holm": ph, "significant": ph < alpha}
        for (i, j), pi, ph in zip(keys, p, holm(p), strict=True)
    }


def over_represented(rows: list[dict]) -> list[dict]:
    """The switches of :func:`transition_excess` that happen significantly more often
    than chance, in its order (most over-represented first)."""
    return [r for r in rows if r["significant"] and r["ratio"] > 1]


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a rate: sound near 0 and 1, where the normal one leaves [0, 1]."""
    if trials <= 0:
        raise ValueError(f"a rate needs at least one trial, got {trials}")
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def permutation_p(a: np.ndarray, b: np.ndarray, rounds: int = 10_000, seed: int = 0) -> float:
    """Two-sided permutation p-value of the difference of the means of ``a`` and ``b``: the groups' members
    reshuffled ``rounds`` times, p = (1 + rounds at least as far from 0) / (1 + rounds)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"a permutation test needs two nonempty groups, got {len(a)} and {len(b)}")
    pooled, observed = np.concatenate([a, b]), abs(a.mean() - b.mean())
    rng = np.random.default_rng(seed)
    shuffled = np.array([rng.permutation(pooled) for _ in range(rounds)])
    null = np.abs(shuffled[:, : len(a)].mean(axis=1) - shuffled[:, len(a) :].mean(axis=1))
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + rounds))


def two_proportion_p(hits: int, n: int, other_hits: int, other_n: int) -> float:
    """Two-sided p of a two-proportion z test (pooled): is one rate, ``hits`` of ``n``, the other's?"""
    pooled = (hits + other_hits) / (n + other_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / other_n))
    return 1.0 if se == 0 else math.erfc(abs(hits / n - other_hits / other_n) / se / math.sqrt(2))
