"""Switching: which digit each fixed z draws through training, measured by the judge.

A run folder's ``snapshots.npz`` holds the generator's digits for the same N noise vectors at
many steps. The judge labels every one of them; then, between consecutive snapshots, a 10x10
transition matrix counts how many z went from digit i to digit j (the diagonal: no switch). From
those come the switch rate over training, the most frequent switches, every 0 -> 8 (and 8 -> 0)
switch with its steps, the lineage of one z, the class histogram over time (mode coverage,
collapse) and whether confident digits switch less than uncertain ones.

Only ``snapshots.npz`` is read, so this works on any run: another seed or preset, a run still
training, or a folder built by hand from real digits.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .files import write_json
from .judge import CLASSES, MODE_SHARE, Judge, Judgement, load_judge, metrics_of, reference_metrics
from .runs import Run, RunError, load_run

CONFIDENT = 0.9  # a digit the judge gives at least this probability counts as confident


def transition_matrix(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(10, 10) int counts: entry [i, j] is how many z were digit i before and digit j after."""
    matrix = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(before), np.asarray(after)), 1)
    return matrix


def switch_counts(matrix: np.ndarray) -> dict[str, int]:
    """The off-diagonal entries that happened, most frequent first: {"i->j": count}."""
    pairs = [(int(matrix[i, j]), i, j) for i in range(CLASSES) for j in range(CLASSES) if i != j and matrix[i, j]]
    return {f"{i}->{j}": count for count, i, j in sorted(pairs, key=lambda p: (-p[0], p[1], p[2]))}


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


def _show(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def summary(result: dict, reference: dict | None = None) -> str:
    """A readable account of :meth:`RunAnalysis.to_dict` (what ``dcgan-lessons analyze`` prints)."""
    snaps = result["snapshots"]
    final = snaps[-1]
    lines = [
        f"Run {result['run']}: {len(snaps)} snapshots of the same {result['n']} z, steps {snaps[0]['step']} "
        f"to {snaps[-1]['step']}.",
        f"Final snapshot (step {final['step']}): {final['modes']}/10 modes, classifier score {final['score']:.2f}, "
        f"Frechet {_show(final['frechet'])}, "
        f"confidence {final['confidence']:.3f}, KL to uniform "
        f"{final['kl_uniform']:.3f}.",
    ]
    if reference:
        lines.append(
            f"Real test digits (N={reference['n']}): {reference['modes']}/10 modes, score {reference['score']:.2f}, "
            f"Frechet {reference['frechet']:.2f}, confidence {reference['confidence']:.3f}."
        )
    lines.append("Digits drawn (%): " + " ".join(f"{d}:{100 * h:.0f}" for d, h in enumerate(final["hist"])))
    transitions = result["transitions"]
    if not transitions:
        lines.append("Only one snapshot: nothing can switch yet.")
        return "\n".join(lines)
    rates = [t["switch_rate"] for t in transitions]
    lines.append(
        f"Switch rate between snapshots: first {rates[0]:.1%}, last {rates[-1]:.1%}, mean {np.mean(rates):.1%}."
    )
    top = list(result["total"]["switches"].items())[:8]
    lines.append("Most frequent switches: " + (", ".join(f"{k} ({v})" for k, v in top) or "none"))
    for key, entry in result["zero_eight"].items():
        steps = sorted({e["to_step"] for e in entry["events"]})
        where = f" (by steps {', '.join(map(str, steps[:12]))}{', ...' if len(steps) > 12 else ''})" if steps else ""
        lines.append(f"{key}: {entry['count']} switches{where}.")
    stab = result["stability"]
    sure, unsure = stab["confident"], stab["uncertain"]
    lines.append(
        f"Confident digits (p >= {stab['threshold']}) switch {_show(sure['switch_rate'], '.1%')} of the time "
        f"({sure['count']} cases), uncertain ones {_show(unsure['switch_rate'], '.1%')} ({unsure['count']} cases)."
    )
    return "\n".join(lines)


def try_reference(n: int, judge: Judge | None = None) -> dict | None:
    """:func:`reference_metrics` for ``n`` digits, or None when MNIST cannot be read (or n is too big)."""
    from .data import MnistError

    try:
        return reference_metrics(n, judge)
    except (MnistError, ValueError):
        return None


def save_analysis(run: Run | RunAnalysis | str | os.PathLike, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """The analysis as figures and ``analysis.json`` in ``RUN_DIR/analysis`` (or ``out_dir``)."""
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
    return [*written, out / "analysis.json"]


def switch_lineages(analysis: RunAnalysis, source: int = 0, target: int = 8, count: int = 4, width: int = 10) -> list:
    """Lineages of up to ``count`` z that switched ``source`` -> ``target`` (else the most frequent
    switch), each cut to ``width`` snapshots around its first such switch, for pictures."""
    events = analysis.switches(source, target)
    if not events:
        top = switch_counts(analysis.matrices.sum(axis=0))
        if not top:
            return []
        source, target = map(int, next(iter(top)).split("->"))
        events = analysis.switches(source, target)
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
    """One row per named run: its final losses, its switch rate over the second half of training
    (``late_switch_rate``: once digits have formed, how often does a z still change digit?) and its
    final snapshot's modes, score, Frechet distance and confidence."""
    judge = judge or load_judge()
    rows = []
    for name, run in runs.items():
        run = run if isinstance(run, Run) else load_run(run)
        result = analyze_run(run, judge).to_dict()
        late = [t["switch_rate"] for t in result["transitions"] if t["to_step"] > result["final_step"] / 2]
        last_epoch = (run.history["epochs"] or [{}])[-1]
        final = result["snapshots"][-1]
        rows.append(
            {
                "run": name,
                "steps": result["final_step"],
                "d_loss": last_epoch.get("d_loss"),
                "g_loss": last_epoch.get("g_loss"),
                "late_switch_rate": float(np.mean(late)) if late else None,
                **{k: final[k] for k in ("modes", "score", "frechet", "confidence")},
            }
        )
    return rows
