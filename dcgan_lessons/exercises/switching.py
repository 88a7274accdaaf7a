"""Exercises of notebook 06: reading the switching measurements."""

from __future__ import annotations

import numpy as np

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


def _best_change(rates: dict, baseline: str, noise: float) -> str | None:
    best = min((name for name in rates if name != baseline), key=rates.get)
    return best if rates[best] <= rates[baseline] - noise else None


def _check_change(pick_change, hidden: bool = False, rates: dict | None = None, baseline: str = "report", **_) -> str:
    cases = [
        ({"report": 0.20, "paper": 0.17, "label smoothing": 0.12, "more epochs": 0.24}, "report", 0.02),
        ({"report": 0.10, "paper": 0.09, "lr 1e-4": 0.095}, "report", 0.02),
        ({"report": 0.05, "minimax": 0.09, "paper": 0.06}, "report", 0.02),
        ({"baseline": 0.30, "a": 0.26, "b": 0.27}, "baseline", 0.05),
    ]
    if rates:
        measured = {name: float(rate) for name, rate in rates.items() if rate is not None}
        cases.append((measured, baseline, 0.02))
    for table, base, noise in cases:
        got = _call(pick_change, dict(table), base, noise)
        expected = _best_change(table, base, noise)
        if got == expected:
            continue
        shown = ", ".join(f"{name} {rate:.1%}" for name, rate in table.items())
        where = f"for {shown} (baseline {base!r}, noise {noise:.0%})"
        if got == base:
            raise _Wrong(f"{where} you picked the baseline, which is no change at all")
        if got is not None and got not in table:
            raise _Wrong(f"{where} you returned {got!r}: return one of the runs' names, or None")
        if expected is None:
            if got is not None and table[got] < table[base]:
                raise _Wrong(
                    f"{where} you picked {got!r}, only {table[base] - table[got]:.1%} below the baseline: "
                    "within the noise, so it is not a measured improvement. Return None"
                )
            raise _Wrong(f"{where} no change switches less than the baseline by the noise margin: return None")
        raise _Wrong(f"{where} the answer is {expected!r} ({table[expected]:.1%}), you returned {got!r}")
    return "a change counts only if it beats the baseline by more than the run-to-run noise."


_register(
    id="ex15",
    notebook="06_instability",
    title="Which change reduces switching?",
    task="""
Read the table above: which change switched least late in training, and is it far enough below the report's
settings to believe? Write `pick_change(rates, baseline, noise)`: `rates` maps each run's name to its late
switch rate; return the name of the run (other than `baseline`) with the lowest rate if it is at least
`noise` below the baseline's rate, else `None` (no change beats the noise). The check tries it on several
tables and on the one above.
""",
    answer="pick_change",
    template='''
    def pick_change(rates, baseline, noise):
        """The change that switched least, if it beats the baseline by at least noise; else None."""
        {solution}
    ''',
    solution="""
    best = min((name for name in rates if name != baseline), key=rates.get)
    if rates[best] <= rates[baseline] - noise:
        return best
    return None
    """,
    hint="min(..., key=rates.get) finds the name with the smallest rate; leave the baseline out, then compare "
    "the two rates with the noise margin.",
    checker=_check_change,
    check_args=', rates={r["run"]: r["late_switch_rate"] for r in rows}',
)
