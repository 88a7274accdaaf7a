"""Exercises of notebook 08: how fast simultaneous play spirals out, and where a sweep's intervals come from."""

from __future__ import annotations

import math

import numpy as np

from ..stats import interval, t_quantile
from . import _call, _close, _integer, _number, _register, _short, _Wrong


def _steps_to_double(lr: float) -> int:
    """The first step of simultaneous play from (1, 0) at which the distance to (0, 0) is at least 2, played out."""
    from ..games import bilinear_play  # here, not above: `assign` and `grade` import the exercises without Keras

    steps = math.ceil(2 * math.log(2) / math.log1p(lr**2)) + 2  # a little past the algebra's answer
    distance = np.linalg.norm(bilinear_play((1.0, 0.0), lr, steps), axis=1)
    return int(np.argmax(distance >= 2.0))


def _check_doubling(steps_to_double, hidden: bool = False, **_) -> str:
    rates = [0.1, 0.2, 0.05] if not hidden else [0.3, 0.01]
    for lr in rates:
        want = _steps_to_double(lr)
        got = _integer(_call(steps_to_double, lr), f"steps_to_double({lr})")
        if got == want:
            continue
        if abs(got - math.log(2) / math.log1p(lr**2)) <= 1:
            raise _Wrong(
                f"for a step size of {lr} you said {got}, the game takes {want}: you let the distance grow by "
                f"1 + {lr}^2 a step, but that is the growth of the squared distance; the distance grows by its "
                "square root"
            )
        if abs(got - math.log(2) / math.log1p(lr)) <= 1:
            raise _Wrong(
                f"for a step size of {lr} you said {got}, the game takes {want}: a step does not stretch by 1 + "
                f"{lr}; it turns the players and stretches them by sqrt(1 + {lr}^2), which is second order in the "
                "step size"
            )
        if abs(got - want) == 1:
            raise _Wrong(
                f"for a step size of {lr} you said {got}, the game takes {want}: the smallest whole number of "
                "steps after which the distance is at least 2, so round the exact count up (math.ceil)"
            )
        raise _Wrong(f"for a step size of {lr} the distance first reaches 2 after {want} steps, you said {got}")
    slow, fast = _steps_to_double(0.05), _steps_to_double(0.1)
    turns = fast * math.atan(0.1) / (2 * math.pi)
    return (
        f"with step size 0.1 the distance doubles after {fast} steps, {turns:.1f} turns round the equilibrium; "
        f"halving the step size makes it {slow / fast:.1f} times as many steps (the stretch is second order in "
        "the step size): a smaller learning rate slows the spiral, and makes more turns before it doubles, but "
        "never stops it."
    )


_register(
    id="ex21",
    notebook="08_taming_the_switch",
    title="Predict how fast simultaneous play spirals out",
    task=r"""
Simultaneous play on $f(x, y) = xy$ stretches the distance to the equilibrium by the same factor every
step. Before you write any code, guess: with step size 0.1, after about how many steps is the distance
from $(0, 0)$ twice what it was: 10, 100 or 1,000? And if you halve the step size, does that number
halve, double or quadruple? Then write `steps_to_double(lr)`: the smallest whole number of simultaneous
steps after which the distance is at least twice the start. The check plays the game with
`games.bilinear_play` and compares.
""",
    answer="steps_to_double",
    template='''
    import math


    def steps_to_double(lr):
        """The smallest number of simultaneous steps of size lr after which |(x, y)| has at least doubled."""
        {solution}
    ''',
    solution="""
    return math.ceil(math.log(2) / math.log(math.sqrt(1 + lr**2)))
    """,
    hint="After n steps the distance has grown by (1 + lr^2)^(n/2). Solve (1 + lr^2)^(n/2) >= 2 for n with "
    "logarithms, and round up to a whole number of steps.",
    checker=_check_doubling,
)


def _by_hand(values) -> tuple[float, float, float]:
    """(mean, low, high) as the sweep's table computes them (:func:`dcgan_lessons.stats.interval`)."""
    found = interval(values)
    return found["mean"], found["ci_low"], found["ci_high"]


def _check_interval(mean_interval, hidden: bool = False, values=None, **_) -> str:
    cases = [[1.0, 2.0, 3.0], [6.38, 6.64, 6.59, 6.7]] if not hidden else [[0.2, 0.25], [5.0, 5.5, 4.9, 5.2, 5.1, 6.0]]
    if values is not None:
        cases.append([float(v) for v in values])  # the sweep's own seeds, in the notebook
    for case in cases:
        got = _call(mean_interval, list(case))
        try:
            mean, low, high = (_number(v, "each of mean, low, high") for v in got)
        except (TypeError, ValueError):
            raise _Wrong(f"return three numbers (mean, low, high), got {_short(got)}") from None
        want = _by_hand(case)
        if _close((mean, low, high), want, rtol=1e-3):
            continue
        n, sd = len(case), float(np.std(case, ddof=1))
        half = (high - low) / 2
        shown = f"for the values {case} you returned ({mean:.4g}, {low:.4g}, {high:.4g}), the interval is " + (
            "({:.4g}, {:.4g}, {:.4g})".format(*want)
        )
        if not math.isclose(mean, want[0], rel_tol=1e-3):
            raise _Wrong(f"{shown}: the middle is the plain mean of the values")
        if math.isclose(half, 1.959964 * sd / math.sqrt(n), rel_tol=1e-3):
            raise _Wrong(
                f"{shown}: 1.96 is the normal quantile, right only for many seeds; with {n} seeds use "
                f"dl.stats.t_quantile({n - 1}) = {t_quantile(n - 1):.3f}"
            )
        if math.isclose(half, t_quantile(n - 1) * float(np.std(case)) / math.sqrt(n), rel_tol=1e-3):
            raise _Wrong(f"{shown}: np.std divides by n; the sample standard deviation divides by n - 1 (ddof=1)")
        if math.isclose(half, t_quantile(n - 1) * sd, rel_tol=1e-3):
            raise _Wrong(f"{shown}: the interval is for the mean, so divide the spread by sqrt(n)")
        if math.isclose(half, t_quantile(n) * sd / math.sqrt(n), rel_tol=1e-3):
            raise _Wrong(f"{shown}: {n} values leave n - 1 = {n - 1} degrees of freedom, not {n}")
        raise _Wrong(f"{shown}: mean ± t * sd / sqrt(n)")
    three = t_quantile(2) / math.sqrt(3)
    return (
        f"with three seeds the interval reaches {three:.2f} standard deviations of the seeds on each side of the "
        f"mean, because the t quantile for two degrees of freedom is {t_quantile(2):.2f}, not 1.96: the spread "
        "itself is guessed from three values."
    )


_register(
    id="ex22",
    notebook="08_taming_the_switch",
    title="Where a sweep's interval comes from",
    task=r"""
Every cell of the sweep's table is a mean over the seeds and its 95% confidence interval. Write
`mean_interval(values)` that returns `(mean, low, high)`: the mean of the values plus and minus
$t \cdot s / \sqrt{n}$, where $s$ is their sample standard deviation (divided by $n - 1$) and
$t$ = `dl.stats.t_quantile(n - 1)`, Student's quantile for $n - 1$ degrees of freedom. The check
also feeds it the control's three classifier scores (`control_scores`): compare what it gives with the
control's row in the table above.
""",
    answer="mean_interval",
    template='''
    import numpy as np

    control_scores = [row["score"] for row in rows if row["condition"] == "control"]


    def mean_interval(values):
        """(mean, low, high): the mean of the seeds' values and its 95% Student t interval."""
        {solution}
    ''',
    solution="""
    n = len(values)
    mean = float(np.mean(values))
    half = dl.stats.t_quantile(n - 1) * float(np.std(values, ddof=1)) / np.sqrt(n)
    return mean, mean - half, mean + half
    """,
    hint="np.std(values, ddof=1) is the sample standard deviation. The half-width is "
    "dl.stats.t_quantile(n - 1) * sd / np.sqrt(n); the interval is the mean minus and plus it.",
    checker=_check_interval,
    check_args=", values=control_scores",
)
