"""Does an averaged generator switch digits less at equal quality? The raw generator and its average in the
same runs (trained with ``ema`` and ``ema_debiased``), judged side by side on the same fixed z.

Both generators play no game of their own: the average only reads the raw weights, so one run gives a paired
comparison, and the seeds give its noise. The window is the run's last part, where the debiased average's
memory (1/(1 - decay) steps) lies well inside the run, so neither the untrained generator nor a start-up lag
weighs in it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .runs import Run, load_run

MEASURES = {  # key: (what it is, lower is better)
    "confident_switch_rate": ("switch rate between confident digits", True),
    "switching_z": ("share of z that switch between confident digits at least once", True),
    "net_change": ("share of z drawing another confident digit at the window's end than at its start", True),
    "frechet": ("Frechet distance", True),
    "score": ("classifier score", False),
}
RESULT = "raw_vs_average.json"  # in the sweep's folder: the side-by-side judgement, small enough to commit


def window_start(steps: np.ndarray, last_part: float) -> int:
    """The index of the first snapshot in the run's last ``last_part`` (a fraction of its steps)."""
    return int(np.searchsorted(steps, steps[-1] - round(steps[-1] * last_part)))


def judged_measures(analysis, start: int, threshold: float) -> dict:
    """One generator's measures over the snapshots from ``start`` on: how often a z the judge is sure of
    at both ends of an interval changes digit, the share of z that do so at least once (each z counted
    once), the share of z sure at both ends of the whole window that ended on another digit (a slowly
    moving generator switches less between close snapshots by construction; this asks about the drift),
    and the mean Frechet distance and classifier score over those snapshots."""
    labels, confidence = analysis.labels[start:], analysis.confidence[start:]
    sure = (confidence[:-1] >= threshold) & (confidence[1:] >= threshold)
    switched = (labels[1:] != labels[:-1]) & sure
    ends = (confidence[0] >= threshold) & (confidence[-1] >= threshold)
    return {
        "confident_switch_rate": float(switched.sum() / max(sure.sum(), 1)),
        "switching_z": float(np.mean(switched.any(axis=0))),
        "net_change": float(np.sum((labels[0] != labels[-1]) & ends) / max(ends.sum(), 1)),
        "frechet": float(np.mean([m["frechet"] for m in analysis.snapshots[start:]])),
        "score": float(np.mean([m["score"] for m in analysis.snapshots[start:]])),
    }


def side_by_side(run: Run | str | os.PathLike, judge=None, last_part: float = 1 / 3) -> dict:
    """The raw generator and its average in one run, judged on the same snapshots of the run's last part."""
    from .analysis import CONFIDENT, analyze_run
    from .judge import load_judge

    run = run if isinstance(run, Run) else load_run(run)
    judge = judge or load_judge()
    raw, averaged = analyze_run(run, judge), analyze_run(run, judge, ema=True)
    start = window_start(raw.steps, last_part)
    return {
        "run": run.path.name,
        "seed": run.config["seed"],
        "decay": run.config["ema"],
        "window": [int(raw.steps[start]), int(raw.steps[-1])],
        "snapshots": len(raw.steps) - start,
        "raw": judged_measures(raw, start, CONFIDENT),
        "averaged": judged_measures(averaged, start, CONFIDENT),
        "curves": {
            "steps": raw.steps.tolist(),
            **{
                f"{name}_{key}": [round(float(m[key]), 4) for m in judged.snapshots]
                for name, judged in (("raw", raw), ("averaged", averaged))
                for key in ("frechet", "score")
            },
            **{
                f"{name}_confident_switch_rate": [
                    round(judged_measures(judged, k, CONFIDENT)["confident_switch_rate"], 6)
                    for k in range(len(judged.steps) - 1)
                ]
                for name, judged in (("raw", raw), ("averaged", averaged))
            },
        },
    }


def paired(rows: list[dict]) -> dict:
    """Averaged minus raw, per measure: each seed's difference, the mean with its 95% Student t interval
    across seeds, and in how many seeds the average came out lower."""
    from .sweeps import interval

    compared = {}
    for key in MEASURES:
        differences = [row["averaged"][key] - row["raw"][key] for row in rows]
        compared[key] = {
            "differences": [round(d, 6) for d in differences],
            **interval(differences),
            "lower_in": sum(d < 0 for d in differences),
        }
    return compared


def compare_sweep(out_dir: str | os.PathLike, last_part: float = 1 / 3) -> dict:
    """Every run of a sweep that kept a debiased average, side by side, and the paired comparison."""
    from .judge import load_judge

    judge = load_judge()
    folders = sorted(p.parent for p in Path(out_dir).glob("runs/*/seed_*/snapshots.npz"))
    rows = [side_by_side(folder, judge, last_part) for folder in folders]
    return {"last_part": last_part, "runs": rows, "averaged_minus_raw": paired(rows)}
