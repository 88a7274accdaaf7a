"""A conditional generator, judged: does it draw the digit it is asked for, how well, does a fixed (z, label)
still switch digit during training, and does z keep the style while the label sets the class?

- **Class accuracy** (:func:`fresh_judgement`): fresh z under every label, several seeds of fresh z so the noise
  is the sampling noise; how often the judge reads the asked digit, per class with Wilson intervals, and the
  confusion matrix asked x read.
- **Quality per class**: the judge's confidence and the Frechet distance of each class's digits against the real
  test digits *of that class* (the reference half of the test set, as :mod:`dcgan_lessons.judge` does for all
  digits), beside real held-out digits of the class at the same N: the real-vs-real band.
- **Switching under a fixed label** (:func:`fixed_label_switching`): over the snapshots from where the run formed
  its digits for good (:meth:`dcgan_lessons.analysis.RunAnalysis.settled`), how often a confident digit changes
  (notebook 06's definition: the judge sure of both ends), how often the judged digit leaves the asked class, and
  the same change rate of the unconditional reference run on the same snapshots, with intervals (bootstrap over
  z) and permutation tests over z (Holm).
- **Style and class apart** (:func:`style_against_class`): one z drawn under all ten labels; the variance of ink
  and slant (:func:`dcgan_lessons.judge.ink`, :func:`dcgan_lessons.judge.slant`) split into the part across z,
  the part across labels and the rest (a two-way decomposition without replication), with a bootstrap over z.

:func:`findings` writes it all to the conditional run's ``analysis.json``; :func:`sentences` says it in words.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .analysis import CONFIDENT, RunAnalysis, transition_matrix
from .averaging import interval_rates
from .judge import CLASSES, Judge, Judgement, ink, metrics_of, reference_split, slant
from .stats import difference, holm, wilson

SEEDS = (0, 1, 2, 3, 4)  # sets of fresh z for class accuracy and quality
PER_CLASS = 200  # fresh z per asked digit and set: the N of each class's Frechet distance
STYLE_Z = 200  # fresh z drawn under all ten labels
BOOTSTRAP = 2000
PERMUTATIONS = 5000
SALT = 9  # fresh noise is np.random.default_rng([seed, SALT]): neither the training noise nor the snapshots'
RESULT = "analysis.json"  # in the conditional run's folder
STYLES = {"ink": ink, "slant": slant}
DRIFT = ("confident_switch_rate", "switching_z", "ink_drift", "slant_drift")  # compared with the reference run
DRIFT_WORDS = {
    "confident_switch_rate": "switch rate between confident digits (per snapshot interval)",
    "switching_z": "share of z that switch between confident digits at least once",
    "ink_drift": "mean change in ink from one snapshot to the next",
    "slant_drift": "mean change in slant from one snapshot to the next",
}


def fresh_noise(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """``n`` fresh z of set ``seed``, float32."""
    return np.random.default_rng([seed, SALT]).standard_normal((n, latent_dim)).astype(np.float32)


def class_accuracy(confusion: np.ndarray) -> list[dict]:
    """Per asked digit (rows of ``confusion``, asked x read): how many were asked, how many the judge read as
    asked, the rate and its Wilson 95% interval."""
    rows = []
    for digit, row in enumerate(np.asarray(confusion)):
        asked, correct = int(row.sum()), int(row[digit])
        low, high = wilson(correct, asked)
        rows.append(
            {"digit": digit, "asked": asked, "correct": correct, "rate": correct / asked, "low": low, "high": high}
        )
    return rows


def class_references(judge: Judge, test_images: np.ndarray, test_labels: np.ndarray) -> list[tuple]:
    """Each class's real feature statistics (mean, covariance) from the reference half of the test set, the
    half :meth:`dcgan_lessons.judge.Judge.reference` uses for all digits."""
    half = reference_split(len(test_images))[0]
    features = judge(test_images[half]).features
    labels = test_labels[half]
    return [(features[labels == c].mean(axis=0), np.cov(features[labels == c], rowvar=False)) for c in range(CLASSES)]


def real_class_sets(
    judge: Judge, test_images: np.ndarray, test_labels: np.ndarray, references: list, n: int, seeds
) -> list[list[dict]]:
    """Per class, one :func:`dcgan_lessons.judge.metrics_of` per seed of ``n`` real held-out digits of that class
    against its reference statistics: how far real digits of a class lie from their own class (the band)."""
    held_out = reference_split(len(test_images))[1]
    sets = []
    for c in range(CLASSES):
        pool = held_out[test_labels[held_out] == c]
        if n > len(pool):
            raise ValueError(f"only {len(pool)} held-out real {c}s, asked for {n}")
        chosen = [np.sort(np.random.default_rng([seed, SALT, c]).choice(pool, n, replace=False)) for seed in seeds]
        sets.append([metrics_of(judge(test_images[index]), references[c]) for index in chosen])
    return sets


def fresh_judgement(generator, judge: Judge, seed: int, per_class: int) -> tuple[np.ndarray, Judgement]:
    """``per_class`` fresh z under each label (set ``seed``): the asked labels and the judge's view."""
    from .gan import generate_uint8

    asked = np.repeat(np.arange(CLASSES), per_class)
    noise = fresh_noise(seed, len(asked), generator.inputs[0].shape[-1])
    return asked, judge(generate_uint8(generator, noise, asked))


def accuracy_and_quality(
    generator, judge: Judge, test_images: np.ndarray, test_labels: np.ndarray, seeds=SEEDS, per_class: int = PER_CLASS
) -> dict:
    """Class accuracy and quality per class on fresh z of ``generator`` (every seed a set), real digits beside."""
    references = class_references(judge, test_images, test_labels)
    real = real_class_sets(judge, test_images, test_labels, references, per_class, seeds)
    confusion = np.zeros((CLASSES, CLASSES), dtype=np.int64)
    by_seed, generated = [], [[] for _ in range(CLASSES)]
    for seed in seeds:
        asked, judged = fresh_judgement(generator, judge, seed, per_class)
        matrix = transition_matrix(asked, judged.labels)
        confusion += matrix
        by_seed.append((np.diag(matrix) / matrix.sum(axis=1)).round(6).tolist())
        for c in range(CLASSES):
            mine = asked == c
            generated[c].append(metrics_of(Judgement(judged.probs[mine], judged.features[mine]), references[c]))
    quality = []
    for c in range(CLASSES):
        ours, theirs = [m["frechet"] for m in generated[c]], [m["frechet"] for m in real[c]]
        quality.append(
            {
                "digit": c,
                "frechet": ours,
                "real_frechet": theirs,
                "confidence": [m["confidence"] for m in generated[c]],
                "real_confidence": [m["confidence"] for m in real[c]],
                "p": difference(ours, theirs)["p"],  # Welch's test, as sweeps compare seeds
            }
        )
    for row, adjusted in zip(quality, holm([q["p"] for q in quality]), strict=True):
        row["holm"] = adjusted
    return {
        "confusion": confusion.tolist(),
        "per_class": class_accuracy(confusion),
        "by_seed": by_seed,
        "quality": quality,
    }


def _window(conditional: RunAnalysis, reference: RunAnalysis) -> tuple[int, str, np.ndarray]:
    """Where the conditional run formed its digits for good (else first drew all ten, else its second half), and
    the reference run's snapshot indices at the same steps (an error when the schedules differ)."""
    candidates = [("formed for good", conditional.settled()), ("first all ten", conditional.formed)]
    usable = [(name, k) for name, k in candidates if k is not None and k < len(conditional.steps) - 1]
    name, start = usable[0] if usable else ("second half", len(conditional.steps) // 2)
    return start, name, same_steps(conditional.steps, reference.steps)


def same_steps(steps: np.ndarray, other: np.ndarray) -> np.ndarray:
    """The indices of ``other`` at ``steps``: an error when another run was not snapshotted on the same schedule."""
    where = np.minimum(np.searchsorted(other, steps), len(other) - 1)
    if np.any(other[where] != steps):
        raise ValueError(
            f"the reference run has no snapshots at the conditional run's steps {steps.tolist()}: compare runs "
            "snapshotted on the same schedule"
        )
    return where


def _per_z(labels: np.ndarray, confidence: np.ndarray, images: np.ndarray, threshold: float) -> dict:
    """Per z over a window of snapshots (S, N): pairs of consecutive snapshots sure at both ends, confident
    switches among them, whether the z switched at least once, and its mean absolute change of ink and slant."""
    sure = (confidence[:-1] >= threshold) & (confidence[1:] >= threshold)
    switched = (labels[1:] != labels[:-1]) & sure
    s, n = labels.shape
    style = {name: measure(images.reshape(-1, 28, 28)).reshape(s, n) for name, measure in STYLES.items()}
    return {
        "sure": sure.sum(axis=0),
        "switches": switched.sum(axis=0),
        "switching_z": switched.any(axis=0).astype(np.float64),
        **{f"{name}_drift": np.nanmean(np.abs(np.diff(v, axis=0)), axis=0) for name, v in style.items()},
    }


def _statistic(key: str, units: dict, index) -> float:
    """A measure over the z in ``index``: a pooled rate for the switch rate, a mean over z for the others."""
    if key == "confident_switch_rate":
        return float(units["switches"][index].sum() / max(units["sure"][index].sum(), 1))
    return float(np.nanmean(units[key][index]))


def _compare(ours: dict, theirs: dict, rounds: int, seed: int) -> dict:
    """Each measure of both runs with a bootstrap 95% interval over z, and a permutation test of the difference
    (z shuffled between the two runs), Holm over the measures."""
    rng = np.random.default_rng(seed)
    n, m = len(ours["sure"]), len(theirs["sure"])
    pooled = {key: np.concatenate([ours[key], theirs[key]]) for key in ours}
    out = {}
    for key in DRIFT:
        sides = {}
        for name, units in (("conditional", ours), ("reference", theirs)):
            size = len(units["sure"])
            boot = [_statistic(key, units, rng.integers(0, size, size)) for _ in range(rounds)]
            value = _statistic(key, units, slice(None))
            sides[name] = {"value": value, "interval": np.percentile(boot, [2.5, 97.5]).tolist()}
        observed = sides["conditional"]["value"] - sides["reference"]["value"]
        null = []
        for _ in range(rounds):
            order = rng.permutation(n + m)
            null.append(_statistic(key, pooled, order[:n]) - _statistic(key, pooled, order[n:]))
        p = (1 + int(np.sum(np.abs(null) >= abs(observed) - 1e-12))) / (1 + rounds)
        out[key] = {**sides, "difference": observed, "p": p}
    for key, adjusted in zip(DRIFT, holm([out[k]["p"] for k in DRIFT]), strict=True):
        out[key]["holm"] = adjusted
    return out


def fixed_label_switching(
    conditional: RunAnalysis,
    asked: np.ndarray,
    reference: RunAnalysis,
    threshold: float = CONFIDENT,
    rounds: int = BOOTSTRAP,
    seed: int = 0,
) -> dict:
    """Switching of the conditional run's fixed (z, label) pairs against the reference run's fixed z, over the
    same snapshots (from where the conditional run formed its digits). Besides the shared measures
    (:func:`_compare`): how often a z the judge read as its asked digit leaves it for another confident digit by
    the next snapshot (``leaves``), and the share of judged digits that are not the asked one (``off_class``)."""
    start, name, everywhere = _window(conditional, reference)
    where = everywhere[start:]
    same_schedule = SimpleNamespace(labels=reference.labels[everywhere], confidence=reference.confidence[everywhere])
    labels, confidence = conditional.labels[start:], conditional.confidence[start:]
    ours = _per_z(labels, confidence, conditional.images[start:], threshold)
    theirs = _per_z(reference.labels[where], reference.confidence[where], reference.images[where], threshold)
    sure = (confidence[:-1] >= threshold) & (confidence[1:] >= threshold)
    from_asked = sure & (labels[:-1] == asked)
    left = int((from_asked & (labels[1:] != asked)).sum())
    off = labels != asked
    return {
        "window": {"start": name, "steps": [int(conditional.steps[start]), int(conditional.steps[-1])]},
        "snapshots": len(labels),
        "threshold": threshold,
        "leaves": {
            "count": left,
            "of": int(from_asked.sum()),
            "interval": list(wilson(left, max(int(from_asked.sum()), 1))),
        },
        "off_class": {
            "share": float(off.mean()),
            "z_ever": int(off.any(axis=0).sum()),
            "z_last": int(off[-1].sum()),
            "z": int(labels.shape[1]),
        },
        "compared": _compare(ours, theirs, rounds, seed),
        "frechet": {
            "conditional": float(np.mean([m["frechet"] for m in conditional.snapshots[start:]])),
            "reference": float(np.mean([reference.snapshots[k]["frechet"] for k in where])),
        },
        "curves": {
            "steps": conditional.steps.tolist(),
            "conditional": np.round(interval_rates(conditional, threshold), 6).tolist(),
            "reference": np.round(interval_rates(same_schedule, threshold), 6).tolist(),
            "off_class": np.round(np.mean(conditional.labels != asked, axis=1), 6).tolist(),
        },
    }


def variance_shares(values: np.ndarray) -> dict:
    """A (z, label) table's variance split three ways (two-way decomposition without replication): the share
    of the total sum of squares across z (row means), across labels (column means) and the rest (interaction)."""
    values = np.asarray(values, dtype=np.float64)
    grand = values.mean()
    total = np.sum((values - grand) ** 2)
    rows = values.shape[1] * np.sum((values.mean(axis=1) - grand) ** 2)
    columns = values.shape[0] * np.sum((values.mean(axis=0) - grand) ** 2)
    return {"z": rows / total, "label": columns / total, "rest": (total - rows - columns) / total}


def under_every_label(generator, noise: np.ndarray) -> np.ndarray:
    """Each z drawn under every label: uint8 (N, 10, 28, 28), row z, column the asked digit."""
    from .gan import generate_uint8

    asked = np.tile(np.arange(CLASSES), len(noise))
    return generate_uint8(generator, np.repeat(noise, CLASSES, axis=0), asked).reshape(len(noise), CLASSES, 28, 28)


def style_against_class(
    generator, judge: Judge, n: int = STYLE_Z, seed: int = len(SEEDS), rounds: int = BOOTSTRAP
) -> dict:
    """``n`` fresh z, each drawn under all ten labels: per style measure its variance shares with bootstrap
    intervals over z and the z share when each label's column is shuffled over z (no style kept by z); and how
    often the judge reads the asked digit there. Digits without ink (NaN slant) drop their z."""
    noise = fresh_noise(seed, n, generator.inputs[0].shape[-1])
    asked = np.tile(np.arange(CLASSES), n)
    images = under_every_label(generator, noise).reshape(-1, 28, 28)
    read = judge(images)
    rng = np.random.default_rng([seed, SALT])
    out = {"z": n, "read_as_asked": int(np.sum(read.labels == asked)), "digits": len(asked), "measures": {}}
    for name, measure in STYLES.items():
        table = measure(images).reshape(n, CLASSES)
        table = table[~np.isnan(table).any(axis=1)]
        shares = variance_shares(table)
        boot = [variance_shares(table[rng.integers(0, len(table), len(table))]) for _ in range(rounds)]
        shuffled = [variance_shares(rng.permuted(table, axis=0))["z"] for _ in range(rounds)]
        out["measures"][name] = {
            "z_used": len(table),
            **{key: float(value) for key, value in shares.items()},
            "intervals": {key: np.percentile([b[key] for b in boot], [2.5, 97.5]).tolist() for key in shares},
            "z_shuffled": np.percentile(shuffled, [2.5, 50, 97.5]).tolist(),
        }
    zeros = (read.labels[asked == 0] == 0) & (read.confidence[asked == 0] >= CONFIDENT)  # as arithmetic.moved counts
    became, started = int(np.sum(zeros & (read.labels[asked == 8] == 8))), int(zeros.sum())
    out["zero_to_eight"] = {"became": became, "of": started, "interval": list(wilson(became, max(started, 1)))}
    return out


def findings(
    run_dir: str | os.PathLike | None = None,
    reference_dir: str | os.PathLike | None = None,
    judge: Judge | None = None,
    seeds=SEEDS,
    per_class: int = PER_CLASS,
    style_z: int = STYLE_Z,
    rounds: int = BOOTSTRAP,
    mnist_dir: str | os.PathLike | None = None,
) -> dict:
    """Everything above on a conditional run (the committed one by default) against the reference run. Seeded:
    the same arguments give the same result."""
    from .analysis import analyze_run
    from .data import load_mnist
    from .judge import load_judge
    from .reference import conditional_run, reference_run
    from .runs import load_run

    run = load_run(run_dir or conditional_run())
    if not run.config.get("conditional"):
        raise ValueError(f"{run.path} is not a conditional run (its config has no conditional)")
    judge = judge or load_judge()
    mnist = load_mnist(mnist_dir)
    generator = run.generator()
    judged, reference = analyze_run(run, judge), analyze_run(reference_dir or reference_run(), judge)
    return {
        "run": run.path.name,
        "epochs": len(run.history["epochs"]),
        "settings": {"seeds": list(seeds), "per_class": per_class, "style_z": style_z, "rounds": rounds},
        "classes": accuracy_and_quality(generator, judge, mnist.test_images, mnist.test_labels, seeds, per_class),
        "switching": fixed_label_switching(judged, run.snapshots().labels, reference, rounds=rounds),
        "style": style_against_class(generator, judge, style_z, seed=len(seeds), rounds=rounds),
    }


def write(run_dir: str | os.PathLike | None = None, **settings) -> Path:
    """:func:`findings` written to the run's ``analysis.json``."""
    from .files import write_json
    from .reference import conditional_run

    folder = Path(run_dir or conditional_run())
    write_json(folder / RESULT, findings(folder, **settings))
    return folder / RESULT


def load(run_dir: str | os.PathLike | None = None) -> tuple[dict, Path]:
    """The committed result (``conditional-run/analysis.json`` by default) and the file it came from."""
    from .reference import conditional_run
    from .runs import read_json

    path = Path(run_dir or conditional_run()) / RESULT
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent} has no {RESULT}; make it with dcgan_lessons.conditional.write()")
    return read_json(path), path


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _interval(pair) -> str:
    return f"{_pct(pair[0])} to {_pct(pair[1])}"


def _accuracy_text(classes: dict, seeds: int) -> str:
    rows = classes["per_class"]
    confusion = np.array(classes["confusion"])
    asked, correct = int(confusion.sum()), int(np.trace(confusion))
    worst = min(rows, key=lambda r: (r["rate"], r["digit"]))
    best = max(rows, key=lambda r: (r["rate"], -r["digit"]))
    off = confusion - np.diag(np.diag(confusion))
    i, j = np.unravel_index(int(np.argmax(off)), off.shape)
    low, high = wilson(correct, asked)
    spread = np.array(classes["by_seed"]).mean(axis=1)
    return (
        f"Asked for each digit {rows[0]['asked'] // seeds} times in each of {seeds} sets of fresh $z$ ({asked} digits "
        f"in all), the generator drew the asked digit {_pct(correct / asked)} of the time (95% Wilson interval "
        f"{_interval((low, high))}; the sets gave {_pct(spread.min())} to {_pct(spread.max())}). The weakest digit "
        f"is {worst['digit']} ({_pct(worst['rate'])}, {_interval((worst['low'], worst['high']))}), the strongest "
        f"{best['digit']} ({_pct(best['rate'])}, {_interval((best['low'], best['high']))}). "
        + (
            f"The most frequent confusion: asked for a {i}, it drew what the judge reads as a {j}, {off[i, j]} "
            f"times of {rows[i]['asked']}."
            if off[i, j]
            else "The judge read every digit as the one asked."
        )
    )


def _quality_text(classes: dict, alpha: float = 0.05) -> str:
    quality = classes["quality"]
    mean = lambda q, key: float(np.mean(q[key]))  # noqa: E731
    worse = [
        q
        for q in quality
        if q["holm"] is not None and q["holm"] < alpha and mean(q, "frechet") > mean(q, "real_frechet")
    ]
    gap = max(quality, key=lambda q: mean(q, "frechet") - mean(q, "real_frechet"))
    sets = len(quality[0]["frechet"])
    said = (
        f"Each class's digits against the real test digits of that class, {sets} sets each: the generated digits' "
        f"Frechet distance lies between {min(mean(q, 'frechet') for q in quality):.1f} and "
        f"{max(mean(q, 'frechet') for q in quality):.1f} (mean over the sets), real held-out digits of the class "
        f"between {min(mean(q, 'real_frechet') for q in quality):.1f} and "
        f"{max(mean(q, 'real_frechet') for q in quality):.1f}. The widest gap is digit {gap['digit']}'s "
        f"({mean(gap, 'frechet'):.1f} against {mean(gap, 'real_frechet'):.1f}). "
    )
    test = "beyond the sets' noise (Welch t, Holm over the ten)"
    if len(worse) == len(quality):
        said += f"Every class is farther from its real digits than real digits are, {test}."
    elif worse:
        said += (
            f"{test.capitalize()} {len(worse)} classes are farther from their real "
            f"digits than real digits are: {', '.join(str(q['digit']) for q in worse)}; the others are not "
            "distinguishable from real digits at this N."
        )
    else:
        said += f"No class is farther from its real digits than real digits are, {test}."
    confidence = [mean(q, "confidence") for q in quality]
    return said + f" The judge's mean confidence per class runs from {min(confidence):.3f} to {max(confidence):.3f}."


def _switching_text(switching: dict, alpha: float = 0.05) -> str:
    window, compared = switching["window"], switching["compared"]
    leaves, off = switching["leaves"], switching["off_class"]
    lines = [
        f"Over the conditional run's snapshots from step {window['steps'][0]} ({window['start']}) to "
        f"{window['steps'][1]}, {switching['snapshots']} snapshots of {off['z']} fixed (z, label) pairs, against the "
        f"reference run's {off['z']} fixed z on the same snapshots (intervals: bootstrap over z; tests: z shuffled "
        f"between the runs, Holm over the {len(DRIFT)} measures):"
    ]
    for key in DRIFT:
        entry = compared[key]
        show = _pct if key in ("confident_switch_rate", "switching_z") else (lambda v: f"{v:.4f}")
        ours, theirs = entry["conditional"], entry["reference"]
        if entry["holm"] < alpha:
            verdict = f"{'lower' if entry['difference'] < 0 else 'higher'} with the label (Holm p {entry['holm']:.2g})"
        else:
            verdict = f"no difference beyond the noise (Holm p {entry['holm']:.2g})"
        lines.append(
            f"- {DRIFT_WORDS[key]}: conditional {show(ours['value'])} ({show(ours['interval'][0])} to "
            f"{show(ours['interval'][1])}), reference {show(theirs['value'])} ({show(theirs['interval'][0])} to "
            f"{show(theirs['interval'][1])}): {verdict}"
        )
    lines.append(
        f"- the asked digit, left: of {leaves['of']} times a pair was read confidently as its asked digit, it was a "
        f"confident other digit at the next snapshot {leaves['count']} times "
        f"({_pct(leaves['count'] / max(leaves['of'], 1))}, Wilson {_interval(leaves['interval'])}); over the window "
        f"{_pct(off['share'])} of the judged digits were not the asked one, {off['z_ever']} of {off['z']} pairs "
        f"missed it at some snapshot and {off['z_last']} at the last"
    )
    lines.append(
        f"\nBoth runs over the window: mean Frechet distance {switching['frechet']['conditional']:.1f} (conditional) "
        f"and {switching['frechet']['reference']:.1f} (reference)"
        + (
            ": the conditional run also draws digits closer to real ones on these snapshots, so the comparison "
            "holds the label together with the quality it brings. "
            if switching["frechet"]["conditional"] < switching["frechet"]["reference"]
            else ". "
        )
        + _verdict(compared, alpha)
    )
    return "\n".join(lines)


def _verdict(compared: dict, alpha: float) -> str:
    """What the label removed and what it did not, from the tests above."""

    def said(key: str) -> str:
        entry = compared[key]
        if entry["holm"] >= alpha:
            return "about as much as"
        return "less than" if entry["difference"] < 0 else "more than"

    switches, strokes = said("confident_switch_rate"), {said("ink_drift"), said("slant_drift")}
    strokes_said = " and ".join(sorted(strokes)) if len(strokes) > 1 else strokes.pop()
    return (
        f"So with the label fixed, a confident digit changes {switches} in the reference run on the same snapshots, "
        f"while the strokes (ink, slant) still move from snapshot to snapshot, {strokes_said} in the reference run: "
        + (
            "the label holds which digit a pair draws, not how it draws it."
            if switches == "less than"
            else "in these runs the label did not calm the switching between digits."
        )
    )


def _style_text(style: dict) -> str:
    lines = [
        f"{style['z']} fresh $z$, each drawn under all ten labels ({style['read_as_asked']} of the {style['digits']} "
        "digits read as asked); the variance of each style measure split into the part across $z$ (the same $z$ "
        "under every label), across labels, and the rest (95% intervals: bootstrap over $z$):"
    ]
    for name, m in style["measures"].items():
        low, mid, high = m["z_shuffled"]
        lines.append(
            f"- **{name}**: across $z$ {_pct(m['z'])} ({_interval(m['intervals']['z'])}), across labels "
            f"{_pct(m['label'])} ({_interval(m['intervals']['label'])}), the rest {_pct(m['rest'])}; with each "
            f"label's column shuffled over $z$ (no style kept by $z$) the $z$ share would be {_pct(mid)} "
            f"({_interval((low, high))})."
        )
    return "\n".join(lines)


def sentences(result: dict, alpha: float = 0.05) -> dict[str, str]:
    """The notebook's measured sentences, one Markdown text per section: ``accuracy``, ``quality``,
    ``switching`` and ``style`` (:func:`swap_against_arithmetic` the last)."""
    classes = result["classes"]
    return {
        "accuracy": _accuracy_text(classes, len(result["settings"]["seeds"])),
        "quality": _quality_text(classes, alpha),
        "switching": _switching_text(result["switching"], alpha),
        "style": _style_text(result["style"]),
    }


def draw(result: dict):
    """The confusion matrix (asked x read, share of each row) and the per-class accuracy with Wilson intervals."""
    import matplotlib.pyplot as plt

    confusion = np.array(result["classes"]["confusion"], dtype=np.float64)
    shares = confusion / confusion.sum(axis=1, keepdims=True)
    rows = result["classes"]["per_class"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1, 1.2]})
    image = left.imshow(np.log10(np.maximum(shares, 1e-4)), cmap="viridis", vmin=-4, vmax=0)
    for i in range(CLASSES):
        for j in range(CLASSES):
            if confusion[i, j]:
                left.text(
                    j,
                    i,
                    f"{int(confusion[i, j])}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="w" if shares[i, j] < 0.5 else "k",
                )
    left.set(
        xticks=range(CLASSES),
        yticks=range(CLASSES),
        xlabel="read by the judge",
        ylabel="asked for",
        title="Asked x read (counts; colour: log10 share of the row)",
    )
    fig.colorbar(image, ax=left, shrink=0.8)
    rate = np.array([r["rate"] for r in rows])
    errors = np.array([[r["rate"] - r["low"] for r in rows], [r["high"] - r["rate"] for r in rows]])
    right.errorbar(range(CLASSES), 100 * rate, yerr=100 * errors, fmt="o", color="tab:blue", capsize=3)
    right.set(
        xticks=range(CLASSES),
        xlabel="asked digit",
        ylabel="% read as asked",
        title="Class accuracy on fresh z (95% Wilson intervals)",
    )
    right.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def swap_against_arithmetic(result: dict, arithmetic_result: dict) -> str:
    """Two ways to turn a 0 into an 8, side by side: swap the label with z fixed (this run), or add the
    8-minus-0 direction to z of the unconditional reference generator (:mod:`dcgan_lessons.arithmetic`)."""
    from .arithmetic import summarize

    settings = arithmetic_result["settings"]
    row = summarize(arithmetic_result)["eight_minus_zero"]["steps"]["became"][
        settings["steps"].index(settings["tested_step"])
    ]
    swap = result["style"]["zero_to_eight"]
    rate = swap["became"] / max(swap["of"], 1)
    low, high = row["interval"]
    return (
        f"Swapping the label with $z$ fixed turns {swap['became']} of the {swap['of']} $z$ drawn as a confident 0 "
        f"under label 0 into 8s under label 8 ({_pct(rate)}, Wilson {_interval(swap['interval'])}); "
        f"adding the 8-minus-0 direction to $z$ of the unconditional generator turns {_pct(row['value'])} of them "
        f"into 8s (the judge's reading, Wilson {_interval((low, high))}), where a random step of the same length "
        f"gives {_pct(row['random_mean'])}. "
        + (
            "The label is the stronger handle."
            if swap["interval"][0] > high
            else "The direction in $z$ is the stronger handle."
            if low > swap["interval"][1]
            else "Their intervals overlap: neither handle is measurably stronger here."
        )
    )
