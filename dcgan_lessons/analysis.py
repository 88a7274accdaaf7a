"""Switching: which digit each fixed z draws through training, measured by the judge.

A run folder's ``snapshots.npz`` holds the generator's digits for the same N noise vectors at
many steps. The judge labels every one of them; then, between consecutive snapshots, a 10x10
transition matrix counts how many z went from digit i to digit j (the diagonal: no switch). From
those come the switch rate over training, the most frequent switches, every 0 -> 8 (and 8 -> 0)
switch with its steps, the lineage of one z, the class histogram over time (mode coverage,
collapse) and whether confident digits switch less than uncertain ones; and whether a switch such as
0 -> 8 happens more often than chance, between digits the judge is sure of, each z counted once per pair,
with Holm's correction for the 90 pairs tested (a chance model and a permutation test, both in
:mod:`dcgan_lessons.stats`).

Only ``snapshots.npz`` is read, so this works on any run: another seed or preset, a run still
training, or a folder built by hand from real digits.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import write_json
from .judge import (
    CLASSES,
    FRESH_SETS,
    MODE_SHARE,
    Judge,
    Judgement,
    digit_metrics,
    fresh_sets,
    load_judge,
    metrics_of,
    reference_metrics,
    spread,
)
from .runs import Run, RunError, load_run
from .stats import over_represented, transition_excess

CONFIDENT = 0.9  # a digit the judge gives at least this probability counts as confident
SETTLED_FRECHET = 10.0  # a run has formed its digits for good once every later snapshot is this close to real ones


def transition_matrix(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(10, 10) int counts: entry [i, j] is how many z were digit i before and digit j after."""
    matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(before), np.asarray(after)), 1)
    return matrix


def switch_counts(matrix: np.ndarray) -> dict[str, int]:
    """The off-diagonal entries that happened, most frequent first: {"i->j": count}."""
    pairs = [(int(matrix[i, j]), i, j) for i in range(CLASSES) for j in range(CLASSES) if i != j and matrix[i, j]]
    return {f"{i}->{j}": count for count, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2]))}


def formed_index(modes: list[int]) -> int | None:
    """The snapshot at which a run has formed digits: the first that covers all 10 (judge ``modes == 10``).
    None when no snapshot does. Switching before it is the generator learning to draw, not instability."""
    return next((k for k, m in enumerate(modes) if m == CLASSES), None)


def settled_index(modes: list[int], frechet: list[float], max_frechet: float = SETTLED_FRECHET) -> int | None:
    """The snapshot from which on a run has formed its digits *for good*: every snapshot from it to the last
    covers all ten digits at a Frechet distance of at most ``max_frechet``. None when the last snapshot does
    not. Stricter than :func:`formed_index`, which a run passes at its first passable snapshot even if it
    loses a digit again later."""
    good = [m == CLASSES and f is not None and f <= max_frechet for m, f in zip(modes, frechet, strict=True)]
    last_bad = max((k for k, ok in enumerate(good) if not ok), default=-1)
    return None if last_bad == len(good) - 1 else last_bad + 1


@dataclass(frozen=True)
class RunAnalysis:
    """The judge's labels for every snapshot of a run, and everything counted from them.

    ``steps`` (S,), ``images`` (S, N, 28, 28), ``labels`` and ``confidence`` (S, N),
    ``snapshots``: one metrics dict per snapshot (see :func:`dcgan_lessons.judge.digit_metrics`)."""

    path: Path
    steps: np.ndarray
    images: np.ndarray
    labels: np.ndarray
    confidence: np.ndarray
    snapshots: list[dict]

    @property
    def matrices(self) -> np.ndarray:
        """(S - 1, 10, 10): one transition matrix per pair of consecutive snapshots."""
        pairs = zip(self.labels[:-1], self.labels[1:], strict=True)
        return np.array([transition_matrix(a, b) for a, b in pairs], dtype=np.int64).reshape(-1, CLASSES, CLASSES)

    @property
    def switch_rates(self) -> np.ndarray:
        """(S - 1,): the fraction of z whose digit changed between consecutive snapshots."""
        return np.mean(self.labels[1:] != self.labels[:-1], axis=1)

    def switches(self, source: int, target: int) -> list[dict]:
        """Every time a z went from digit ``source`` to ``target``: {"z", "from_step", "to_step"}."""
        t, z = np.nonzero((self.labels[:-1] == source) & (self.labels[1:] == target))
        order = np.lexsort((z, t))
        return [
            {"z": int(z[k]), "from_step": int(self.steps[t[k]]), "to_step": int(self.steps[t[k] + 1])} for k in order
        ]

    @property
    def formed(self) -> int | None:
        """The index of the first snapshot covering all ten digits (:func:`formed_index`), or None."""
        return formed_index([m["modes"] for m in self.snapshots])

    def switch_rate_from(self, start: int, threshold: float | None = None) -> float | None:
        """The fraction of z that change digit by the next snapshot, over the snapshots from ``start`` on;
        with ``threshold``, only z the judge was sure of (confidence >= threshold) before. None when there
        is nothing to count."""
        switched = self.labels[start + 1 :] != self.labels[start:-1]
        if threshold is not None:
            switched = switched[self.confidence[start:-1] >= threshold]
        return float(switched.mean()) if switched.size else None

    def confident_switches(self, start: int = 0, threshold: float = CONFIDENT) -> list[dict]:
        """Switches from snapshot ``start`` on between two digits the judge is sure of at both ends
        (confidence >= ``threshold``): {"z", "from_step", "to_step", "from", "to", "p_from", "p_to"}."""
        before, after = self.labels[start:-1], self.labels[start + 1 :]
        sure = (self.confidence[start:-1] >= threshold) & (self.confidence[start + 1 :] >= threshold)
        t, z = np.nonzero((before != after) & sure)
        order = np.lexsort((z, t))
        return [
            {
                "z": int(z[k]),
                "from_step": int(self.steps[start + t[k]]),
                "to_step": int(self.steps[start + t[k] + 1]),
                "from": int(before[t[k], z[k]]),
                "to": int(after[t[k], z[k]]),
                "p_from": round(float(self.confidence[start + t[k], z[k]]), 4),
                "p_to": round(float(self.confidence[start + t[k] + 1, z[k]]), 4),
            }
            for k in order
        ]

    def settled(self, max_frechet: float = SETTLED_FRECHET) -> int | None:
        """The index of the snapshot from which on the run has formed its digits for good (:func:`settled_index`)."""
        return settled_index([m["modes"] for m in self.snapshots], [m["frechet"] for m in self.snapshots], max_frechet)

    def confident_pairs(self, start: int = 0, threshold: float = CONFIDENT) -> np.ndarray:
        """(10, 10) int: entry [i, j] is how many different z switched from digit i to digit j between two
        snapshots from ``start`` on, the judge sure of both (:meth:`confident_switches`). A z that flips
        back and forth between i and j counts once for i -> j and once for j -> i, however often it flips."""
        cases = {(e["z"], e["from"], e["to"]) for e in self.confident_switches(start, threshold)}
        matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
        for _, source, target in cases:
            matrix[source, target] += 1
        return matrix

    def lineage(self, z: int) -> dict:
        """One z through training: its ``steps``, ``images``, ``labels`` and ``confidence``."""
        if not 0 <= z < self.labels.shape[1]:
            raise ValueError(f"z must be between 0 and {self.labels.shape[1] - 1}, got {z}")
        return {
            "z": z,
            "steps": self.steps,
            "images": self.images[:, z],
            "labels": self.labels[:, z],
            "confidence": self.confidence[:, z],
        }

    def stability(self, threshold: float = CONFIDENT) -> dict:
        """Do confident digits switch less? Over every consecutive pair of snapshots, the switch
        rate of the z the judge was sure about (confidence >= threshold) before, and of the rest."""
        switched = self.labels[1:] != self.labels[:-1]
        sure = self.confidence[:-1] >= threshold
        groups = {}
        for name, mask in (("confident", sure), ("uncertain", ~sure)):
            count = int(mask.sum())
            groups[name] = {"count": count, "switch_rate": float(switched[mask].mean()) if count else None}
        return {"threshold": threshold, **groups}

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready values (what ``dcgan-lessons analyze --json`` prints)."""
        matrices = self.matrices
        total = matrices.sum(axis=0)
        final = self.snapshots[-1]
        return {
            "run": str(self.path),
            "n": int(self.labels.shape[1]),
            "mode_rule": f"a class is a covered mode when at least {MODE_SHARE:g} x 1/{CLASSES} of the digits have it",
            "snapshots": [{"step": int(s), **m} for s, m in zip(self.steps, self.snapshots, strict=True)],
            "transitions": [
                {
                    "from_step": int(self.steps[t]),
                    "to_step": int(self.steps[t + 1]),
                    "matrix": matrices[t].tolist(),
                    "switch_rate": float(rate),
                }
                for t, rate in enumerate(self.switch_rates)
            ],
            "total": {
                "matrix": total.tolist(),
                "switches": switch_counts(total),
                "mean_switch_rate": float(self.switch_rates.mean()) if len(matrices) else None,
            },
            "zero_eight": {
                f"{a}->{b}": {"count": len(events), "events": events}
                for a, b in ((0, 8), (8, 0))
                for events in [self.switches(a, b)]
            },
            "stability": self.stability(),
            "final_step": int(self.steps[-1]),
            "modes": final["modes"],
            "score": final["score"],
            "frechet": final["frechet"],
        }


def formed_starts(analysis: RunAnalysis) -> dict[str, int]:
    """Where "formed" may start, named, for :func:`excess_by_subset`: the first snapshot with all ten digits, the
    one from which the run formed them for good (:meth:`RunAnalysis.settled`), the run's second half, and a
    stricter for good (Frechet at most 7); the ones a run never reaches are left out."""
    starts = {
        "first all ten": analysis.formed,
        "formed for good": analysis.settled(),
        "second half": len(analysis.steps) // 2,
        "Frechet ≤ 7 for good": analysis.settled(7.0),
    }
    return {name: start for name, start in starts.items() if start is not None}


def excess_by_subset(
    analysis: RunAnalysis,
    starts: dict[str, int],
    thresholds: tuple[float, ...] = (0.0, 0.8, CONFIDENT, 0.95, 0.99),
    watch: tuple[str, ...] = ("0->8", "8->0"),
) -> list[dict]:
    """How the ``watch`` switches fare against chance on each subset of switches: from each named start (a
    snapshot index) on, between digits the judge is at least each threshold sure of, each z counted once per
    pair (:meth:`RunAnalysis.confident_pairs`, :func:`dcgan_lessons.stats.transition_excess`). One row per
    (start, threshold):
    {"start", "step", "threshold", "cases", "significant", "strongest", "watch": {switch: row with "rank"}}."""
    out = []
    for name, start in starts.items():
        for threshold in thresholds:
            rows = transition_excess(analysis.confident_pairs(start, threshold))
            found = {r["switch"]: r | {"rank": k + 1} for k, r in enumerate(rows) if r["switch"] in watch}
            out.append(
                {
                    "start": name,
                    "step": int(analysis.steps[start]),
                    "threshold": threshold,
                    "cases": sum(r["observed"] for r in rows),
                    "pairs": len(rows),
                    "significant": len(over_represented(rows)),
                    "strongest": rows[0] if rows else None,
                    "watch": found,
                }
            )
    return out


def analyze_run(run: Run | str | os.PathLike, judge: Judge | None = None, ema: bool = False) -> RunAnalysis:
    """Label every snapshot of a run with the judge and compute each snapshot's metrics (``ema``: the
    snapshots of the generator's average, for a run trained with ``--ema``)."""
    run = run if isinstance(run, Run) else load_run(run)
    snaps = run.snapshots(ema=ema)
    images, steps = np.asarray(snaps.images), np.asarray(snaps.steps)
    shaped = images.ndim == 4 and images.shape[2:] == (28, 28) and images.dtype == np.uint8
    if not shaped or steps.ndim != 1 or len(steps) != len(images):
        raise RunError(
            f"{run.path}: snapshots.npz must hold images uint8 (S, N, 28, 28) and steps (S,); it holds images "
            f"{images.dtype} {images.shape} and steps {steps.shape}. Write it with dcgan_lessons.train, or "
            f"by hand with numpy.savez(path, images=..., steps=...)."
        )
    if len(steps) == 0 or images.shape[1] == 0:
        raise RunError(f"{run.path}: snapshots.npz holds no digits yet; train the run further.")
    if np.any(np.diff(steps) <= 0):
        raise RunError(f"{run.path}: the snapshot steps must increase, got {steps.tolist()}")
    judge = judge or load_judge()
    s, n = images.shape[:2]
    judged = judge(images.reshape(s * n, 28, 28))
    reference = judge.reference()
    snapshots = [
        metrics_of(Judgement(judged.probs[k * n : (k + 1) * n], judged.features[k * n : (k + 1) * n]), reference)
        for k in range(s)
    ]
    return RunAnalysis(run.path, steps, images, judged.labels.reshape(s, n), judged.confidence.reshape(s, n), snapshots)


def epoch_quality(run: Run | str | os.PathLike, judge: Judge | None = None, sets: int = FRESH_SETS) -> list[dict]:
    """The judge's numbers at each finished epoch's last snapshot (the run's fixed z), each with its noise.

    ``score_sd`` and ``frechet_sd`` are the standard deviations of those numbers over ``sets`` sets of N
    fresh z of the run's final generator (:func:`dcgan_lessons.judge.fresh_sets`, N the snapshot's size):
    how much one N-digit number moves with other z. A run keeps only its final generator, so the same
    noise stands for every epoch: an estimate, fair where the epochs draw digits of similar quality."""
    run = run if isinstance(run, Run) else load_run(run)
    snaps = run.snapshots()
    steps_per_epoch = run.config["steps_per_epoch"]
    judge = judge or load_judge()
    noise = fresh_sets(run.generator(), snaps.images.shape[1], sets, judge)
    sd = {f"{key}_sd": round(spread(noise, key)[1], 6) for key in ("score", "frechet")}
    rows = []
    for row in run.history["epochs"]:
        end = row["epoch"] * steps_per_epoch
        index = int(np.searchsorted(snaps.steps, end, side="right")) - 1
        if index < 0 or snaps.steps[index] <= end - steps_per_epoch:
            continue  # no snapshot inside this epoch
        metrics = digit_metrics(np.asarray(snaps.images[index]), judge)
        rows.append(
            {
                "epoch": row["epoch"],
                "step": int(snaps.steps[index]),
                "n": metrics["n"],
                **{k: metrics[k] for k in ("modes", "score", "frechet", "confidence")},
                **sd,
                "d_loss": row["d_loss"],
                "g_loss": row["g_loss"],
            }
        )
    return rows


def try_reference(n: int, judge: Judge | None = None) -> dict | None:
    """:func:`reference_metrics` for ``n`` digits, or None when MNIST cannot be read (or n is too big)."""
    from .data import MnistError

    try:
        return reference_metrics(n, judge)
    except (MnistError, ValueError):
        return None


def save_analysis(run: Run | RunAnalysis | str | os.PathLike, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """The analysis as figures, ``analysis.json`` and ``epochs.json`` (:func:`epoch_quality`, for a run with
    a history) in ``RUN_DIR/analysis`` (or ``out_dir``)."""
    import matplotlib.pyplot as plt

    from . import plots

    analysis = run if isinstance(run, RunAnalysis) else analyze_run(run)
    result = analysis.to_dict()
    result["reference"] = try_reference(result["n"])
    out = Path(out_dir) if out_dir else analysis.path / "analysis"
    figures = {
        "class_histogram": plots.plot_class_histogram(analysis.steps, analysis.snapshots, result["n"]),
        "switch_rate": plots.plot_switch_rate(analysis.steps[1:], analysis.switch_rates).figure,
        "metrics": plots.plot_judge_metrics(analysis.steps, analysis.snapshots, result["reference"]),
        "transitions": plots.plot_transition_matrix(np.array(result["total"]["matrix"]), "all switches, summed"),
        "lineages": plots.plot_lineages(switch_lineages(analysis)),
    }
    written = []
    for name, fig in figures.items():
        written.append(plots.save_figure(fig, name, out))
        plt.close(fig)
    write_json(out / "analysis.json", result)
    written.append(out / "analysis.json")
    run = load_run(analysis.path)
    if run.history["epochs"]:
        write_json(out / "epochs.json", epoch_quality(run))
        written.append(out / "epochs.json")
    return written


def switch_lineages(
    analysis: RunAnalysis,
    source: int = 0,
    target: int = 8,
    count: int = 4,
    width: int = 10,
    start: int = 0,
    threshold: float | None = None,
) -> list:
    """Lineages of up to ``count`` z that switched ``source`` -> ``target`` (else the most frequent
    switch), each cut to ``width`` snapshots around its first such switch, for pictures. Only switches from
    snapshot ``start`` on count; with ``threshold``, only those between digits the judge is that sure of at
    both ends."""
    pool = analysis.confident_switches(start, 0.0 if threshold is None else threshold)
    counts = Counter((e["from"], e["to"]) for e in pool)
    if counts and (source, target) not in counts:
        source, target = min(counts, key=lambda pair: (-counts[pair], pair))  # the most frequent, then the lowest
    events = [e for e in pool if (e["from"], e["to"]) == (source, target)]
    chosen, seen = [], set()
    for event in events:
        if event["z"] not in seen:
            seen.add(event["z"])
            chosen.append(event)
    lineages = []
    for event in chosen[:count]:
        t = int(np.searchsorted(analysis.steps, event["to_step"]))
        start = max(0, min(t - width // 2, len(analysis.steps) - width))
        window = slice(start, start + width)
        full = analysis.lineage(event["z"])
        lineages.append({k: (v[window] if isinstance(v, np.ndarray) else v) for k, v in full.items()})
    return lineages


def compare_runs(runs: dict[str, Run | str | os.PathLike], judge: Judge | None = None) -> list[dict]:
    """One row per named run: its final losses, when it formed digits (``formed_step``: the first snapshot
    covering all ten), how often a z still changes digit from then on (``formed_switch_rate``, None when the
    run never formed all ten), and its final snapshot's modes, score, Frechet distance and confidence."""
    judge = judge or load_judge()
    rows = []
    for name, run in runs.items():
        run = run if isinstance(run, Run) else load_run(run)
        judged = analyze_run(run, judge)
        formed = judged.formed
        last_epoch = (run.history["epochs"] or [{}])[-1]
        final = judged.snapshots[-1]
        rows.append(
            {
                "run": name,
                "steps": int(judged.steps[-1]),
                "d_loss": last_epoch.get("d_loss"),
                "g_loss": last_epoch.get("g_loss"),
                "formed_step": None if formed is None else int(judged.steps[formed]),
                "formed_switch_rate": None if formed is None else judged.switch_rate_from(formed),
                **{k: final[k] for k in ("modes", "score", "frechet", "confidence")},
            }
        )
    return rows
