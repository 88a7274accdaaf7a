"""Sentences about a sweep's committed results, worded by the numbers: which differences from the control hold up
(Holm), how the first epoch's losses compare with the report's row, what the generator's average lags, which
generators the discriminator cut off. Notebook 08 and ``docs/results.md`` show them; the numbers come from
:mod:`dcgan_lessons.sweeps` and :mod:`dcgan_lessons.stats`.
"""

from __future__ import annotations

import math

import numpy as np

from .claims import span
from .sweeps import run_key


def sweep_findings(compared: list[dict], names: dict[str, str], level: float = 0.05) -> str:
    """What holds up in a sweep (rows of :func:`dcgan_lessons.sweeps.against_control`): the differences whose
    95% interval lies on one side of 0, which of them survive the correction for testing them all at once
    (Holm, family-wise ``level``: ``verdict``), and how wide the intervals of the others were."""
    tested = [r for r in compared if r.get("p") is not None]
    nominal = [r for r in tested if r["interval_says"] in ("helps", "hurts")]
    holds = [r for r in tested if r["verdict"] in ("helps", "hurts")]
    counts = [n for r in compared if r["ci_low"] is not None for n in r["seeds"]]
    seeds = f"{max(counts)}" if counts else "no"
    fewer = f" (as few as {min(counts)} where runs lack the measure)" if counts and min(counts) < max(counts) else ""
    shown = lambda r: (  # noqa: E731
        f"{r['condition']} {r['interval_says']} the {names[r['measure']]} ({r['difference']:+.3g}, 95% interval "
        f"{r['ci_low']:+.3g} to {r['ci_high']:+.3g}, p {r['p']:.2g})"
    )
    lines = [
        f"With {seeds} seeds a condition{fewer}, {len(tested)} differences from the control have a Welch test (the "
        f"seeds' spread is the noise); {len(nominal)} of them have a 95% interval on one side of 0"
        + (", which taken alone would say: " + "; ".join(shown(r) for r in nominal) + "." if nominal else ".")
    ]
    if tested:
        family = f"all {len(tested)} at once (Holm, family-wise {level:.0%})"
        if holds:
            kept = "; ".join(f"{r['condition']} {r['verdict']} the {names[r['measure']]}" for r in holds)
            lines.append(
                f"Corrected for testing {family}, {len(holds)} of them "
                f"{'holds' if len(holds) == 1 else 'hold'} up: {kept}."
            )
        else:
            best = min(tested, key=lambda r: r["p"])
            lines.append(
                f"Even if no condition changed anything, about {0.05 * len(tested):.1f} of {len(tested)} intervals at "
                f"95% would miss 0 by chance alone; corrected for testing {family}, none holds up: the smallest p, "
                f"{best['p']:.2g} ({best['condition']}, {names[best['measure']]}), would have to be below "
                f"{level:g}/{len(tested)} = {level / len(tested):.2g}."
            )
    open_rows = [r for r in tested if r["interval_says"] == "can't tell"]
    if open_rows:
        widths = {}
        for r in open_rows:
            widths.setdefault(r["measure"], []).append((r["ci_high"] - r["ci_low"]) / 2)
        lines.append(
            (
                f"The intervals of the {len(open_rows)} others hold 0: they reach "
                if len(open_rows) > 1
                else "The interval of the other holds 0: it reaches "
            )
            + ", ".join(f"±{np.median(w):.3g} for the {names[m]}" for m, w in widths.items())
            + f" (the median half-width), so smaller effects would go unseen with {seeds} seeds."
        )
    same = [r for r in compared if r["ci_low"] is not None and r.get("p") is None]
    if same:
        alike = {}
        for r in same:
            alike.setdefault(r["measure"], []).append(r["condition"])
        which = "; ".join(f"the {names[m]} of {', '.join(labels)}" for m, labels in alike.items())
        lines.append(f"In {len(same)} more ({which}) every seed on both sides gave the same value: nothing to test.")
    pending = sum(r["ci_low"] is None for r in compared)
    if pending:
        lines.append(
            f"{pending} more {'has' if pending == 1 else 'have'} no interval: fewer than two seeds on a side have the "
            "measure."
        )
    return " ".join(lines)


NEAR_REPORT = {"d_loss": 0.05, "g_loss": 0.25}  # how near a batch's losses must be to the report's row to count


def first_row_against(
    rows: list[dict], histories: dict[str, dict], report: tuple[float, float], control: str = "control"
) -> str:
    """The report's epoch-1 (d_loss, g_loss) against a sweep's one-epoch runs: inside the control seeds'
    range or not, the nearest condition, and the nearest 50-step window of any run (``histories`` by run)."""
    d_report, g_report = report
    mine = [r for r in rows if r["condition"] == control and r.get("d_loss") is not None]
    inside = min(r["d_loss"] for r in mine) <= d_report <= max(r["d_loss"] for r in mine) and min(
        r["g_loss"] for r in mine
    ) <= g_report <= max(r["g_loss"] for r in mine)
    lines = [
        f"The report's first row (d_loss {d_report:.3f}, g_loss {g_report:.3f} after epoch 1) is "
        f"{'inside' if inside else 'outside'} the range of our {len(mine)} control seeds, whose epoch-1 means are "
        f"d_loss {span([r['d_loss'] for r in mine])} and g_loss {span([r['g_loss'] for r in mine])}."
    ]
    distance = lambda d, g: math.hypot(d - d_report, g - g_report)  # noqa: E731
    by_condition = {}
    for r in rows:
        if r.get("d_loss") is not None:
            by_condition.setdefault(r["condition"], []).append(r)
    means = {
        label: (float(np.mean([r["d_loss"] for r in runs])), float(np.mean([r["g_loss"] for r in runs])))
        for label, runs in by_condition.items()
    }
    nearest = min(means, key=lambda label: distance(*means[label]))
    d_near, g_near = means[nearest]
    lines.append(
        f"Of the {len(means)} conditions, the nearest on average is {nearest} (d_loss {d_near:.3f}, g_loss "
        f"{g_near:.3f})."
    )
    near = d_report + NEAR_REPORT["d_loss"]
    cut = _cut_off(histories)
    learning = {run: history for run, history in histories.items() if run not in cut}
    which = f"the {len(learning)} runs" + (f" whose generator kept its gradient (of {len(histories)})" if cut else "")
    low = [(run, w) for run, history in learning.items() for w in history["steps"] if w["d_loss"] <= near]
    if learning and not low:
        lines.append(f"No 50-step window of {which} has a d_loss as low as {near:.2f}.")
    elif low:
        last = max(w["step"] for _, w in low)
        g_low = [w["g_loss"] for _, w in low]
        g_inside = min(g_low) <= g_report <= max(g_low)
        lines.append(
            f"Within epoch 1, 50-step windows with d_loss at most {near:.2f} occur in "
            f"{len({run for run, _ in low})} of {which}, all by step {last}, with g_loss "
            f"{span(g_low, '.2f')} there: the report's d_loss looks like our first {last} steps, and its g_loss "
            f"{'is' if g_inside else 'is not'} in their range."
        )
    return " ".join(lines)


def _near(row: dict, report: tuple[float, float]) -> bool:
    return all(abs(row[key] - value) <= NEAR_REPORT[key] for key, value in zip(NEAR_REPORT, report, strict=True))


def first_row_candidates(
    rows: list[dict], histories: dict[str, dict], report: tuple[float, float], tail: float = 0.1
) -> str:
    """Whether a sweep's conditions, logged every step (``histories`` by run), give the report's epoch-1 row:
    as the epoch mean the package logs, or as the epoch's last batch, which a Keras log shows when
    ``train_step`` returns a batch's raw losses. Which batch ends an epoch is chance, so the share of the
    last ``tail`` of the epoch's batches near the row (:data:`NEAR_REPORT`) is how often such a log would show it."""
    d_report, g_report = report
    near = f"within {NEAR_REPORT['d_loss']} of its d_loss and {NEAR_REPORT['g_loss']} of its g_loss"
    lines, means_match, tail_shares = [], [], {}
    for condition in dict.fromkeys(r["condition"] for r in rows):
        runs = [r for r in rows if r["condition"] == condition and r.get("d_loss") is not None]
        d, g = [r["d_loss"] for r in runs], [r["g_loss"] for r in runs]
        inside = min(d) <= d_report <= max(d) and min(g) <= g_report <= max(g)
        if inside:
            means_match.append(condition)
        batches = [histories[run_key(r)]["steps"] for r in runs]
        last = [steps[-1] for steps in batches]
        late = [row for steps in batches for row in steps[len(steps) - max(1, round(tail * len(steps))) :]]
        hits = sum(_near(row, report) for row in late)
        tail_shares[condition] = hits / len(late)
        anywhere = [row["step"] for steps in batches for row in steps if _near(row, report)]
        seeds = f"{len(runs)} {'seed' if len(runs) == 1 else 'seeds'}"
        spread = {key: np.percentile([row[key] for row in late], [5, 95]) for key in NEAR_REPORT}
        lines.append(
            f"{condition} ({seeds}, {runs[0]['steps']} steps an epoch): epoch-1 means d_loss {span(d)}, "
            f"g_loss {span(g)}, so the report's row is {'inside' if inside else 'outside'} their range. In the "
            f"last {tail:.0%} of each epoch single batches spread over d_loss {spread['d_loss'][0]:.2f} to "
            f"{spread['d_loss'][1]:.2f} and g_loss {spread['g_loss'][0]:.2f} to {spread['g_loss'][1]:.2f} (5th to "
            f"95th percentile); the last batch had d_loss {span([r['d_loss'] for r in last])}, g_loss "
            f"{span([r['g_loss'] for r in last])}; {hits} of those {len(late)} late batches ({hits / len(late):.1%}) "
            f"lie {near}"
            + (
                f", and {len(anywhere)} of all {sum(map(len, batches))} batches do, the last at step {max(anywhere)}."
                if anywhere
                else ", and none of its batches does."
            )
        )
    best = max(tail_shares, key=tail_shares.get)
    verdict = (
        f"So the report's row is an epoch mean of {' and '.join(means_match)}"
        if means_match
        else "So none of these conditions gives the report's row as an epoch mean"
    ) + (
        f"; as a last-batch log it would show up in about {tail_shares[best]:.1%} of epochs under {best}, the most "
        "of any condition."
        if tail_shares[best]
        else "; nor would a last-batch log show it: no late batch of any run lies that near."
    )
    return " ".join(
        [f"Against the report's first row (d_loss {d_report:.3f}, g_loss {g_report:.3f}):", *lines, verdict]
    )


def one_epoch_apart(rows: list[dict], a: str, b: str) -> str:
    """What one epoch buys under two conditions' settings (sweep result rows, each with its ``config``):
    the digits, classifier score and Frechet distance after it, and how many steps of what size it took.
    An epoch is the same 60,000 images under any batch size, so runs compared "after one epoch" can differ
    by many times the number of steps."""
    runs = {k: [r for r in rows if r["condition"] == k and r.get("score") is not None] for k in (a, b)}
    missing = [k for k, judged in runs.items() if not judged]
    if missing:
        return f"One epoch of {a} and of {b} cannot be set side by side: no judged run of {' or '.join(missing)} here."
    scores = {k: [r["score"] for r in runs[k]] for k in runs}
    parts = []
    for k, judged in runs.items():
        config = judged[0]["config"]
        parts.append(
            f"{k} ({len(judged)} seeds; {judged[0]['steps']:,} steps of batch {config['batch_size']}, Adam "
            f"{config['lr']:g}) covers {span([r['modes'] for r in judged], 'd')} digits, classifier score "
            f"{span(scores[k], '.2f')}, Frechet {span([r['frechet'] for r in judged], '.0f')}"
        )
    lead, other = sorted(runs, key=lambda k: min(scores[k]), reverse=True)
    if min(scores[lead]) > max(scores[other]):
        first, second = runs[lead][0], runs[other][0]
        steps, lr = first["steps"] / second["steps"], first["config"]["lr"] / second["config"]["lr"]
        batch = second["config"]["batch_size"] / first["config"]["batch_size"]
        ending = (
            f"Every {lead} run scores above every {other} run. Both made one pass over the training set, yet one "
            f"epoch meant {steps:.1f}x the updates for {lead}, at {lr:.1f}x the learning rate, with batches "
            f'{batch:g}x smaller. So "after one epoch" is no common yardstick; and since these runs change all three '
            "at once, they cannot say which of them matters."
        )
    else:
        ending = "Their classifier scores overlap: these seeds do not separate what one epoch buys under the two."
    return "After one epoch, " + "; ".join(parts) + ". " + ending


def average_lag(rows: list[dict], condition: str = "ema", control: str = "control") -> str:
    """What a sweep's averaged generator is after its run: how much of it is still the early generator (the
    decay's arithmetic), and how far its raw game drifted from the control's seeds (both from ``rows``)."""
    runs = [r for r in rows if r["condition"] == condition]
    decay, steps = runs[0]["config"]["ema"], runs[0]["steps"]
    memory = 1 / (1 - decay)
    text = (
        f"The {condition} runs judge an average of G's weights with decay {decay:g}: its memory is "
        f"1/(1 - {decay:g}) = {memory:.0f} steps, {memory / steps:.0%} of the {steps}-step run, so at the end the "
        f"untrained generator still weighs {decay**steps:.0%} in it and the run's first half "
        f"{decay ** (steps / 2):.0%}."
    )
    controls = {r["seed"]: r for r in rows if r["condition"] == control}
    pairs = [(r, controls[r["seed"]]) for r in runs if r["seed"] in controls]
    if not pairs:
        return text
    gaps = {loss: max(abs(a[loss] - b[loss]) for a, b in pairs) for loss in ("d_loss", "g_loss")}
    if not any(gaps.values()):
        return (
            text
            + f" Its raw game is the control's: the raw epoch-1 losses equal the control's for all {len(pairs)} seeds."
        )
    return text + (
        f" Its raw game has the control's settings and seeds, yet its raw epoch-1 losses differ from the control's by "
        f"up to {gaps['d_loss']:.3f} (d_loss) and {gaps['g_loss']:.3f} (g_loss): the number of TensorFlow threads sets "
        "the order of floating-point sums, so a seed repeats bit for bit only on the same thread count, and two runs "
        "that differ in the last bit drift apart."
    )


def _clipped_loss() -> float:
    """-ln(EPSILON): the loss of a fake that D scores below the clip (imported here: losses starts TensorFlow)."""
    from .losses import EPSILON

    return -math.log(EPSILON)


def _cut_off(histories: dict[str, dict]) -> dict[str, tuple[int, int, int]]:
    """Runs whose last 50-step mean g_loss sits within 0.01 of -ln(EPSILON): (the first such window's step, how
    many windows from there sit so, how many windows there are from there)."""
    floor = _clipped_loss()
    cut = {}
    for run, history in histories.items():
        stuck = [w["g_loss"] >= floor - 0.01 for w in history["steps"]]
        if stuck and stuck[-1]:
            first = stuck.index(True)
            cut[run] = (history["steps"][first]["step"], sum(stuck[first:]), len(stuck) - first)
    return cut


def cut_off_generators(rows: list[dict], histories: dict[str, dict]) -> str:
    """Runs whose generator stopped getting a gradient: the last 50-step mean of g_loss, and most before it
    since the first such, lie within 0.01 of -ln(EPSILON), the clipped loss of a fake that D scores below
    EPSILON, where the non-saturating gradient is exactly 0 (``histories`` by run, as
    :func:`dcgan_lessons.sweeps.histories`)."""
    floor = _clipped_loss()
    by_run = {run_key(r): r for r in rows}
    cut = _cut_off(histories)
    if not cut:
        return (
            f"In none of the {len(histories)} runs did the generator's loss end at {floor:.2f} = -ln(10^-7): no "
            "generator was cut off from its gradient."
        )

    def shown(run: str, step: int, stuck: int, windows: int) -> str:
        row = by_run[run]
        return (
            f"{run}, from step {step} on ({stuck} of the {windows} windows from there; it ends with {row['modes']} "
            f"{'mode' if row['modes'] == 1 else 'modes'}, classifier score {row['score']:.2f}, Frechet "
            f"{row['frechet']:.0f})"
        )

    return (
        f"In {len(cut)} of the {len(histories)} runs the generator was cut off from its gradient: "
        + "; ".join(shown(run, *found) for run, found in cut.items())
        + f". In those windows the 50-step mean of g_loss lies within 0.01 of {floor:.2f} = -ln(10^-7), so almost "
        "every fake in every batch scored below 10^-7, where the clip makes the non-saturating gradient exactly 0: "
        "the discriminator had won so completely that the generator's loss no longer told it anything."
    )
