"""Exercises of notebook 06: reading the switching measurements."""

from __future__ import annotations

import numpy as np

from ..stats import verdict as verdict_rule
from . import _call, _register, _short, _Wrong


def _switch_matrix(seed: int, switch: tuple[int, int], reverse: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 4, size=(10, 10))
    np.fill_diagonal(matrix, rng.integers(30, 60, size=10))
    matrix[switch] = 12
    matrix[switch[::-1]] = reverse
    return matrix


def _check_switch(most_common_switch, hidden: bool = False, matrix=None, **_) -> str:
    cases = [_switch_matrix(0, (0, 8), 5), _switch_matrix(1, (3, 5), 9)]
    if hidden:
        cases = [_switch_matrix(2, (7, 1), 10) / 500]
    if matrix is not None:
        cases.append(np.asarray(matrix, "float64"))  # the run's own matrix, in the notebook
    for case in cases:
        switches = case - np.diag(np.diag(case))
        best = switches.max()
        got = _call(most_common_switch, case)
        try:
            got = (int(got[0]), int(got[1]))
        except (TypeError, ValueError, IndexError):
            raise _Wrong(f"return a pair (before, after), got {_short(got)}") from None
        if not all(0 <= i < len(case) for i in got):
            raise _Wrong(f"you returned {got}; digits are rows and columns 0 to {len(case) - 1}")
        if got[0] != got[1] and switches[got] == best:
            continue  # ties: any of the largest counts is right
        expected = tuple(int(i) for i in np.unravel_index(np.argmax(switches), case.shape))
        if got[0] == got[1]:
            raise _Wrong(
                f"you returned {got}, a {got[0]} staying a {got[0]}: the diagonal counts the z that did not "
                f"switch. Leave it out; the answer is {expected}"
            )
        if switches[got[::-1]] == best:
            raise _Wrong(
                f"you returned {got}, the answer is {expected}: rows are the digit before, columns the digit "
                f"after (matrix[{expected[0]}, {expected[1]}] = {best:g} > matrix[{got[0]}, {got[1]}] = {case[got]:g})"
            )
        raise _Wrong(f"you returned {got} ({case[got]:g} switches), but {expected} has the most ({best:g})")
    return "reading the off-diagonal of a transition matrix tells which digits the generator confuses."


_register(
    id="ex14",
    notebook="06_instability",
    title="The most common switch",
    task="""
A transition matrix counts, for each pair of digits $(i, j)$, how many fixed $z$ drew an $i$ at one snapshot
and a $j$ at the next: row = before, column = after. Write `most_common_switch(matrix)` returning the pair
`(before, after)` with the most switches (a digit that stays itself is not a switch). Read the summed matrix
in the figure above first and guess; the check also runs your function on this run's matrix.
""",
    answer="most_common_switch",
    template='''
    import numpy as np


    def most_common_switch(matrix):
        """(before, after): the most frequent change of digit in a 10x10 transition matrix."""
        matrix = np.asarray(matrix)
        {solution}
    ''',
    solution="""
    switches = matrix - np.diag(np.diag(matrix))
    before, after = np.unravel_index(np.argmax(switches), matrix.shape)
    return int(before), int(after)
    """,
    hint="Zero the diagonal (np.diag(np.diag(matrix)) is the diagonal as a matrix), then np.argmax and "
    "np.unravel_index turn the flat position of the largest count into (row, column).",
    checker=_check_switch,
    check_args=", matrix=lab.matrices[1:].sum(axis=0)",
)


QUALITY_FACTOR = 1.5  # "comparable quality": a Frechet distance at most this many times the baseline's


def _best_change(runs: dict, baseline: str, noise: float) -> str | None:
    base = runs[baseline]
    if base["rate"] is None:
        return None
    fair = [
        name
        for name, run in runs.items()
        if name != baseline
        and run["rate"] is not None
        and run["modes"] == 10
        and run["frechet"] <= QUALITY_FACTOR * base["frechet"]
    ]
    best = min(fair, key=lambda name: runs[name]["rate"], default=None)
    return best if best is not None and runs[best]["rate"] <= base["rate"] - noise else None


def _run(rate: float | None, modes: int = 10, frechet: float = 20.0) -> dict:
    return {"rate": rate, "modes": modes, "frechet": frechet}


def _check_change(pick_change, hidden: bool = False, runs: dict | None = None, baseline: str = "report", **_) -> str:
    cases = [
        ({"report": _run(0.20), "paper": _run(0.17), "label smoothing": _run(0.12), "ema": _run(0.24)}, "report", 0.02),
        ({"report": _run(0.10), "paper": _run(0.09), "lr 1e-4": _run(0.095)}, "report", 0.02),
        ({"report": _run(0.15), "minimax": _run(None, 1, 315.0), "paper": _run(0.14)}, "report", 0.02),
        ({"report": _run(0.15), "frozen": _run(0.01, 10, 95.0), "paper": _run(0.11)}, "report", 0.02),
        ({"report": _run(0.15), "seven digits": _run(0.05, 7), "lr 1e-4": _run(0.14)}, "report", 0.02),
        ({"report": _run(None, 8, 90.0), "paper": _run(0.3)}, "report", 0.02),
    ]
    if hidden:
        cases = [({"base": _run(0.30), "a": _run(0.26, 10, 25.0), "b": _run(0.20, 10, 31.0)}, "base", 0.05)]
    if runs:
        cases.append(({name: dict(run) for name, run in runs.items()}, baseline, 0.02))
    for table, base, noise in cases:
        got = _call(pick_change, {name: dict(run) for name, run in table.items()}, base, noise)
        expected = _best_change(table, base, noise)
        if got == expected:
            continue
        shown = "; ".join(
            f"{name}: rate {'never formed' if r['rate'] is None else format(r['rate'], '.0%')}, {r['modes']} modes, "
            f"Frechet {r['frechet']:g}"
            for name, r in table.items()
        )
        where = f"for {{{shown}}} (baseline {base!r}, noise {noise:.0%})"
        if got == base:
            raise _Wrong(f"{where} you picked the baseline, which is no change at all")
        if got is not None and got not in table:
            raise _Wrong(f"{where} you returned {got!r}: return one of the runs' names, or None")
        if got is not None:
            run = table[got]
            if run["rate"] is None:
                raise _Wrong(f"{where} {got!r} never formed all ten digits, so it has no switch rate to compare")
            if run["modes"] < 10:
                raise _Wrong(
                    f"{where} {got!r} draws only {run['modes']} digits: a generator that covers fewer digits has "
                    "fewer to switch between. Compare only runs that cover all ten"
                )
            if run["frechet"] > QUALITY_FACTOR * table[base]["frechet"]:
                raise _Wrong(
                    f"{where} {got!r} switches little but its digits are far worse (Frechet {run['frechet']:g} "
                    f"against the baseline's {table[base]['frechet']:g}): a generator that stopped learning does not "
                    f"switch either. Keep runs within {QUALITY_FACTOR:g}x the baseline's Frechet distance"
                )
        if table[base]["rate"] is None:
            raise _Wrong(f"{where} the baseline never formed all ten digits, so nothing can beat it: return None")
        if expected is None:
            raise _Wrong(f"{where} no fair run switches less than the baseline by the noise margin: return None")
        raise _Wrong(f"{where} the answer is {expected!r} ({table[expected]['rate']:.0%}), you returned {got!r}")
    return (
        "a change counts only among runs that draw all ten digits at a comparable quality, and only if it beats "
        "the baseline by more than the run-to-run noise."
    )


_register(
    id="ex15",
    notebook="06_instability",
    title="Which change reduces switching?",
    task="""
Which change switched least once digits had formed, and is that a fair comparison? A run that draws fewer
digits, or much worse ones, has less to switch: a generator that stopped learning does not switch
either, and that is not stability. Write `pick_change(runs, baseline, noise)`: `runs` maps each run's
name to `{"rate": ..., "modes": ...,
"frechet": ...}` (`rate` is the switch rate after the run formed all ten digits, `None` if it never did).
Among the runs other than `baseline` that cover all 10 digits, have a rate, and a Frechet distance at most
1.5 times the baseline's, return the one with the lowest rate if it is at least `noise` below the
baseline's rate; else return `None` (also when the baseline itself never formed). The check tries it on
several tables and on the one above.
""",
    answer="pick_change",
    template='''
    def pick_change(runs, baseline, noise):
        """The fair change that switched least, if it beats the baseline by at least noise; else None."""
        {solution}
    ''',
    solution="""
    base = runs[baseline]
    if base["rate"] is None:
        return None
    fair = {}
    for name, run in runs.items():
        comparable = run["modes"] == 10 and run["frechet"] <= 1.5 * base["frechet"]
        if name != baseline and run["rate"] is not None and comparable:
            fair[name] = run["rate"]
    if not fair:
        return None
    best = min(fair, key=fair.get)
    return best if fair[best] <= base["rate"] - noise else None
    """,
    hint="First keep only the fair runs (not the baseline, a rate that is not None, 10 modes, Frechet at most 1.5 "
    "times the baseline's) in a dict of name -> rate; then min(fair, key=fair.get), and compare with the noise.",
    checker=_check_change,
    check_args=", runs=lab_table",
)


def _check_verdict(verdict, hidden: bool = False, **_) -> str:
    cases = [
        ((-0.06, -0.02, True), "the whole interval is below 0: the change lowers the switch rate for sure"),
        ((-0.04, 0.01, True), "the interval contains 0: with these seeds the change may do nothing at all"),
        ((3.1, 9.4, True), "the Frechet distance went up by 3 to 9 for sure, and lower is better"),
        ((0.2, 0.9, False), "the score went up for sure, and higher is better"),
        ((-0.5, -0.1, False), "the score went down for sure, and higher is better"),
        ((-1.2, 2.5, False), "the interval contains 0"),
    ]
    if hidden:
        cases = [((0.0001, 0.002, True), "the interval is above 0, however close"), ((-3.0, 0.0, False), "0 is in it")]
    for (low, high, lower), why in cases:
        got = _call(verdict, low, high, lower)
        want = verdict_rule(low, high, lower)
        if got not in ("helps", "hurts", "can't tell"):
            raise _Wrong(f"return 'helps', 'hurts' or \"can't tell\", got {_short(got)}")
        if got != want:
            direction = "lower" if lower else "higher"
            raise _Wrong(
                f"for a difference (change minus control) between {low:g} and {high:g}, where {direction} is "
                f"better, the answer is {want!r}, you said {got!r}: {why}"
            )
    return "a change helps only when the whole confidence interval of its difference lies on the good side of 0."


_register(
    id="ex19",
    notebook="06_instability",
    title="Does the change help? Decide from a confidence interval",
    task="""
A sweep ran the control and a change with several seeds each and reports, for each measure, the 95%
confidence interval of the difference *change minus control*. Write `verdict(low, high, lower_is_better)`:
`"helps"` when the whole interval lies on the good side of 0, `"hurts"` when it lies on the bad side, and
`"can't tell"` when it contains 0. Lower is better for the switch rate and the Frechet distance, higher for
the classifier score. Before you write it, decide by hand: a switch-rate difference of $[-0.04, +0.01]$;
a Frechet difference of $[+3.1, +9.4]$. Notebook 08 uses the same rule on the stabiliser sweep.
""",
    answer="verdict",
    template='''
    def verdict(low, high, lower_is_better):
        """'helps', 'hurts' or "can't tell" for a 95% interval [low, high] of change minus control."""
        {solution}
    ''',
    solution="""
    if low > 0:
        return "hurts" if lower_is_better else "helps"
    if high < 0:
        return "helps" if lower_is_better else "hurts"
    return "can't tell"
    """,
    hint="Three cases: the interval is entirely above 0 (low > 0), entirely below 0 (high < 0), or it contains 0. "
    "Then flip 'helps' and 'hurts' when higher is better.",
    checker=_check_verdict,
)
