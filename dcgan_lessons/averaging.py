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
from .stats import holm, interval, t_p_value

MEASURES = {  # key: (what it is, lower is better)
    "confident_switch_rate": ("switch rate between confident digits", True),
    "switching_z": ("share of z that switch between confident digits at least once", True),
    "net_change": ("share of z drawing another confident digit at the window's end than at its start", True),
    "frechet": ("Frechet distance", True),
    "score": ("classifier score", False),
}
CUT = 20  # the switching panel's top (%): the first few hundred steps, when digits first form, go far above it
RESULT = "raw_vs_average.json"  # in the sweep's folder: the side-by-side judgement, small enough to commit


def window_start(steps: np.ndarray, last_part: float) -> int:
    """The index of the first snapshot in the run's last ``last_part`` (a fraction of its steps)."""
    return int(np.searchsorted(steps, steps[-1] - round(steps[-1] * last_part)))


def _confident_switches(labels: np.ndarray, confidence: np.ndarray, threshold: float):
    """Per pair of consecutive snapshots and z: sure at both ends, and sure at both ends with another digit."""
    sure = (confidence[:-1] >= threshold) & (confidence[1:] >= threshold)
    return sure, (labels[1:] != labels[:-1]) & sure


def judged_measures(analysis, start: int, threshold: float) -> dict:
    """One generator's measures over the snapshots from ``start`` on: how often a z the judge is sure of
    at both ends of an interval changes digit, the share of z that do so at least once (each z counted
    once), the share of z sure at both ends of the whole window that ended on another digit (a slowly
    moving generator switches less between close snapshots by construction; this asks about the drift),
    and the mean Frechet distance and classifier score over those snapshots."""
    labels, confidence = analysis.labels[start:], analysis.confidence[start:]
    sure, switched = _confident_switches(labels, confidence, threshold)
    ends = (confidence[0] >= threshold) & (confidence[-1] >= threshold)
    return {
        "confident_switch_rate": float(switched.sum() / max(sure.sum(), 1)),
        "switching_z": float(np.mean(switched.any(axis=0))),
        "net_change": float(np.sum((labels[0] != labels[-1]) & ends) / max(ends.sum(), 1)),
        "frechet": float(np.mean([m["frechet"] for m in analysis.snapshots[start:]])),
        "score": float(np.mean([m["score"] for m in analysis.snapshots[start:]])),
    }


def interval_rates(analysis, threshold: float) -> list[float]:
    """For each pair of consecutive snapshots, the share of z sure at both ends (``threshold``) that changed digit."""
    sure, switched = _confident_switches(analysis.labels, analysis.confidence, threshold)
    return (switched.sum(axis=1) / np.maximum(sure.sum(axis=1), 1)).tolist()


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
                f"{name}_confident_switch_rate": [round(rate, 6) for rate in interval_rates(judged, CONFIDENT)]
                for name, judged in (("raw", raw), ("averaged", averaged))
            },
        },
    }


def paired(rows: list[dict]) -> dict:
    """Averaged minus raw, per measure: each seed's difference, the mean with its 95% Student t interval
    across seeds, and in how many seeds the average came out lower."""
    compared = {}
    for key in MEASURES:
        differences = [row["averaged"][key] - row["raw"][key] for row in rows]
        compared[key] = {
            "differences": [round(d, 6) for d in differences],
            **interval(differences),
            "lower_in": sum(d < 0 for d in differences),
        }
    return compared


def debiased_runs(out_dir: str | os.PathLike) -> list[Path]:
    """The run folders of a sweep that kept a debiased average and still hold their snapshots."""
    folders = sorted(p.parent for p in Path(out_dir).glob("runs/*/seed_*/snapshots.npz"))
    return [folder for folder in folders if load_run(folder).config.get("ema_debiased")]


def compare_sweep(out_dir: str | os.PathLike, last_part: float = 1 / 3) -> dict:
    """Every run of a sweep that kept a debiased average, side by side, and the paired comparison."""
    from .judge import load_judge

    judge = load_judge()
    rows = [side_by_side(folder, judge, last_part) for folder in debiased_runs(out_dir)]
    return {"last_part": last_part, "runs": rows, "averaged_minus_raw": paired(rows)}


def tested(compared: dict) -> dict:
    """Each measure's paired t test (averaged minus raw, over seeds) with Holm's adjustment over the measures:
    ``p`` and ``holm`` added to each entry; None where every seed gives the same difference (nothing to test)."""
    p_values = {}
    for key, entry in compared.items():
        n, sd = entry["n"], entry["sd"]
        p_values[key] = t_p_value(entry["mean"] / (sd / n**0.5), n - 1) if n > 1 and sd else None
    adjusted = dict(zip(p_values, holm(list(p_values.values())), strict=True))
    return {key: {**entry, "p": p_values[key], "holm": adjusted[key]} for key, entry in compared.items()}


def _said(key: str, entry: dict, raw: float, averaged: float, alpha: float = 0.05) -> str:
    what, lower_is_better = MEASURES[key]
    percent = key != "frechet" and key != "score"
    show = (lambda v: f"{100 * v:.1f}%") if percent else (lambda v: f"{v:.2f}")
    if entry["holm"] is None:
        word = (
            "equal in every seed" if entry["mean"] == 0 else f"the same difference in every seed ({entry['mean']:+.3g})"
        )
    elif entry["holm"] < alpha:
        word = "lower" if entry["mean"] < 0 else "higher"
        word = f"{word} (Holm p {entry['holm']:.2g})"
    else:
        word = f"no difference beyond the seeds' noise (Holm p {entry['holm']:.2g})"
    return (
        f"{what}: raw {show(raw)}, averaged {show(averaged)}, {word}; the average came out lower in "
        f"{entry['lower_in']} of {entry['n']} seeds"
    )


def findings(result: dict, alpha: float = 0.05) -> str:
    """The experiment's answer in words, from :func:`compare_sweep`'s result: each measure raw against averaged
    (means over the seeds), the paired test with Holm's correction, and what it does and does not say."""
    rows, compared = result["runs"], tested(result["averaged_minus_raw"])
    mean = {
        side: {key: float(np.mean([r[side][key] for r in rows])) for key in MEASURES} for side in ("raw", "averaged")
    }
    first, last = rows[0]["window"]
    steps = int(np.median(np.diff(rows[0]["curves"]["steps"])))
    decay = rows[0]["decay"]
    lines = [
        f"{len(rows)} runs, each judged on its last {result['last_part']:.0%} (steps {first} to {last}, snapshots "
        f"{steps} steps apart), the raw generator against its debiased average (decay {decay:g}, memory "
        f"{1 / (1 - decay):.0f} steps); averaged minus raw per seed, a paired t test over the seeds and Holm's "
        f"correction over the {len(MEASURES)} measures:"
    ]
    lines += [f"- {_said(key, compared[key], mean['raw'][key], mean['averaged'][key], alpha)}" for key in MEASURES]

    def lower(key: str) -> bool:
        entry = compared[key]
        return entry["holm"] is not None and entry["holm"] < alpha and entry["mean"] < 0

    def worse(key: str) -> bool:
        entry = compared[key]
        return entry["holm"] is not None and entry["holm"] < alpha and (entry["mean"] > 0) == MEASURES[key][1]

    slow = (
        f"between two snapshots it moves only {1 - decay**steps:.0%} of the way to the raw weights "
        f"(1 - {decay:g}^{steps}), so its slowness alone gives some of that"
    )
    if not lower("confident_switch_rate"):
        verdict = "So these runs cannot say that the averaged generator switches less between close snapshots"
    elif lower("net_change"):
        verdict = (
            f"So the averaged generator switches less: between close snapshots ({slow}) and across the whole window, "
            f"where the raw generator's flicker at the window's two ends counts in its net change too"
        )
    else:
        verdict = (
            f"So the averaged generator switches less between close snapshots ({slow}), but these runs cannot say "
            f"that it drifts less across the whole window"
        )
    quality = "worse" if worse("frechet") or worse("score") else "not worse beyond the seeds' noise"
    lines.append(f"\n{verdict}; its quality is {quality}.")  # a paragraph of its own, not the list's last item
    return "\n".join(lines)


def draw(result: dict):
    """Each run's raw generator (solid) and its average (dashed) over training: the Frechet distance, and the
    switch rate between confident digits from one snapshot to the next; the judged window shaded."""
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4))
    for k, row in enumerate(result["runs"]):
        curves, colour = row["curves"], f"C{k}"
        steps = np.asarray(curves["steps"])
        for side, style in (("raw", "-"), ("averaged", "--")):
            label = f"seed {row['seed']}, {side}"
            left.plot(steps, curves[f"{side}_frechet"], style, color=colour, lw=1.2, label=label)
            right.plot(steps[1:], 100 * np.asarray(curves[f"{side}_confident_switch_rate"]), style, color=colour, lw=1)
    first, last = result["runs"][0]["window"]
    for ax in (left, right):
        ax.axvspan(first, last, color="0.9", zorder=0)
        ax.set_xlabel("training step")
    left.set(yscale="log", ylabel="Frechet distance (log)", title="Quality: raw (solid) and averaged (dashed)")
    left.set_yticks([10, 20, 50, 100, 200], ["10", "20", "50", "100", "200"])
    left.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    right.set(
        ylabel="% of confident z that switch",
        ylim=(-0.5, CUT),
        title=f"Switching between confident digits, snapshot to snapshot (cut at {CUT}%)",
    )
    left.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def load(out_dir: str | os.PathLike) -> tuple[dict, Path]:
    """A sweep's side-by-side result (written by ``dcgan-lessons sweep-report``) and the file it came from."""
    from .runs import read_json

    path = Path(out_dir) / RESULT
    if not path.is_file():
        raise FileNotFoundError(
            f"{out_dir} has no {RESULT}; run `dcgan-lessons sweep-report {out_dir}` on a sweep whose runs kept a "
            "debiased average (--ema DECAY --ema-debiased) and their snapshots"
        )
    return read_json(path), path
