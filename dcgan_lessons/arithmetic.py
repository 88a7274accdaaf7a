"""Latent arithmetic on the reference generator, measured: directions in z from averaged z's of judged digits
(Radford et al. 2015), applied to other z, against random directions of the same norm.

A direction is the mean z of one group of judged digits minus the mean z of another: the confident 8s minus
the confident 0s; and, within each digit the judge is sure of, the inkiest quarter minus the least inky (thick
minus thin strokes) and the most slanted quarter minus the most upright (slant from the image moments),
averaged over the digits so that the digit itself cancels out. Built from one half of a fresh set of z, a
direction is added to z of the other half, z + t d at several steps t, and the digits there are measured: the
change in ink and slant, how often the judge's label changes, and for 8-minus-0 how often a confident 0
becomes an 8. Random directions of the same norm go through the same: adding any vector that long to z
changes digits, and only what the attribute's direction does beyond them is its own. Several fresh sets
(seeds) repeat everything, the direction's estimate included, so the noise is the one the comparison has.

Notebook 06 found z of the reference run's fixed batch that switched from a 0 to an 8 during training;
:func:`switchers_alignment` asks whether those z point along the 8-minus-0 direction more than the others.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .analysis import CONFIDENT
from .claims import holm, t_quantile
from .judge import ink, slant

SOURCE, TARGET = 0, 8  # the digit direction: the confident 8s' mean z minus the confident 0s'
MEASURED = {  # each direction and the measure it is tested on: 0s that became 8s, the change in ink, in slant
    "eight_minus_zero": "became",
    "thick_minus_thin": "ink_change",
    "slanted_minus_upright": "slant_change",
}
STYLES = ("thick_minus_thin", "slanted_minus_upright")
STEPS = (0.5, 1.0, 1.5, 2.0)  # multiples of the direction: 1 adds the whole difference of the two groups' means
TESTED_STEP = 1.0  # the one step each direction is tested at; the others are shown as a curve
SEEDS = (0, 1, 2, 3, 4)  # fresh sets of z, each split into a half that builds and a half that is moved
SET_SIZE = 2000
RANDOM = 50  # random directions of the same norm per set and direction
STYLE_HELD_OUT = 100  # held-out confident digits moved along each style direction
SHARE = 0.25  # the quarters a style direction compares, within each digit
SALT = 27  # fresh sets use np.random.default_rng([seed, SALT]): not the noise the run trained or snapshotted with
PERMUTATIONS = 20_000
EXAMPLES = 4  # held-out 0s shown along the direction and along a random one
RESULT = "arithmetic.json"  # in the reference run's folder


def _group_mean(z: np.ndarray, mask: np.ndarray, what: str, threshold: float) -> np.ndarray:
    if not mask.any():
        raise ValueError(
            f"no z the judge reads as {what} with confidence >= {threshold:g}, so that group has no mean z; "
            "use more z or a lower threshold"
        )
    return z[mask].mean(axis=0)


def class_direction(
    z: np.ndarray,
    labels: np.ndarray,
    confidence: np.ndarray,
    source: int = SOURCE,
    target: int = TARGET,
    threshold: float = CONFIDENT,
) -> np.ndarray:
    """The mean z of the digits the judge reads as ``target`` (confidence >= ``threshold``) minus that of the
    ``source`` digits: a step from the typical source z to the typical target z."""
    z, labels, sure = np.asarray(z, np.float64), np.asarray(labels), np.asarray(confidence) >= threshold
    high = _group_mean(z, sure & (labels == target), f"a {target}", threshold)
    return high - _group_mean(z, sure & (labels == source), f"a {source}", threshold)


def style_direction(
    z: np.ndarray,
    values: np.ndarray,
    labels: np.ndarray,
    confidence: np.ndarray,
    share: float = SHARE,
    threshold: float = CONFIDENT,
) -> np.ndarray:
    """Within each digit the judge is sure of, the mean z of the ``share`` with the highest ``values`` (ink,
    slant) minus that of the ``share`` with the lowest, averaged over the digits with at least one z in each
    part: the digit cancels out, so the direction changes the style and not, by construction, the class."""
    z, values, labels = np.asarray(z, np.float64), np.asarray(values, np.float64), np.asarray(labels)
    sure = (np.asarray(confidence) >= threshold) & np.isfinite(values)
    differences = []
    for digit in np.unique(labels[sure]):
        members = np.flatnonzero(sure & (labels == digit))
        k = int(share * len(members))
        if k >= 1:
            order = members[np.argsort(values[members], kind="stable")]
            differences.append(z[order[-k:]].mean(axis=0) - z[order[:k]].mean(axis=0))
    if not differences:
        raise ValueError(
            f"no digit has enough z the judge is sure of (confidence >= {threshold:g}) to compare its top and "
            f"bottom {share:.0%}: use more z"
        )
    return np.mean(differences, axis=0)


def _norm(direction: np.ndarray) -> float:
    norm = float(np.linalg.norm(direction))
    if not norm > 0:
        raise ValueError("a direction of zero norm goes nowhere: the two groups' mean z are equal")
    return norm


def same_norm_random(direction: np.ndarray, count: int, seed: int | list[int] = 0) -> np.ndarray:
    """``count`` random directions (uniform on the sphere) with the norm of ``direction``, (count, latent)."""
    norm = _norm(direction)
    rng = np.random.default_rng(seed)
    random = rng.standard_normal((count, len(direction)))
    return norm * random / np.linalg.norm(random, axis=1, keepdims=True)


def along(z: np.ndarray, direction: np.ndarray, steps) -> np.ndarray:
    """z + t direction for each step t: float32 (steps, N, latent)."""
    _norm(direction)
    steps = np.asarray(steps, np.float64)
    return (np.asarray(z, np.float64)[None] + steps[:, None, None] * np.asarray(direction)[None, None]).astype(
        np.float32
    )


def moved(generator, judge, z: np.ndarray, directions: np.ndarray, steps, target: int | None = None) -> dict:
    """Each direction (row) added to every z at every step, and what the digits do there, each (directions, steps):
    ``ink_change`` and ``slant_change`` (means over the z of the moved digit's minus the unmoved one's),
    ``changed`` (how many z the judge now reads as another digit) and, with ``target``, ``became`` (how many it
    now reads as ``target``)."""
    from .latent import decode

    z, directions = np.asarray(z, np.float64), np.asarray(directions, np.float64)
    before = decode(generator, z)
    label = judge(before).labels
    points = np.concatenate([along(z, d, steps).reshape(-1, z.shape[1]) for d in directions])
    images = decode(generator, points)
    shape = (len(directions), len(steps), len(z))
    labels = judge(images).labels.reshape(shape)
    out = {
        "ink_change": (ink(images).reshape(shape) - ink(before)).mean(axis=2),
        "slant_change": np.nanmean(slant(images).reshape(shape) - slant(before), axis=2),
        "changed": (labels != label).sum(axis=2),
    }
    if target is not None:
        out["became"] = (labels == target).sum(axis=2)
    return out


def _rounded(value):
    array = np.asarray(value)
    return array.tolist() if array.dtype.kind in "iub" else np.round(array, 6).tolist()


def fresh_set(generator, judge, seed: int, size: int = SET_SIZE):
    """``size`` fresh z of set ``seed`` (not the noise the run trained or snapshotted with), their digits and the
    judge's view of them: (z, images, judgement)."""
    from .latent import decode

    z = np.random.default_rng([seed, SALT]).standard_normal((size, generator.input_shape[-1]))
    images = decode(generator, z)
    return z, images, judge(images)


def directions(z: np.ndarray, images: np.ndarray, labels: np.ndarray, confidence: np.ndarray) -> dict:
    """The three attribute directions from z, their digits and the judge's labels and confidence: 8 minus 0
    (:func:`class_direction`), thick minus thin and slanted minus upright (:func:`style_direction` of the ink
    and of the slant). For a slider: ``z, images, judged = fresh_set(generator, judge, 0)``, then
    ``directions(z, images, judged.labels, judged.confidence)`` and :func:`along`."""
    given = dict(z=z, labels=labels, confidence=confidence)
    return {
        "eight_minus_zero": class_direction(**given),
        "thick_minus_thin": style_direction(values=ink(images), **given),
        "slanted_minus_upright": style_direction(values=slant(images), **given),
    }


def split_set(
    generator,
    judge,
    seed: int,
    size: int = SET_SIZE,
    random: int = RANDOM,
    steps=STEPS,
    style_held_out: int = STYLE_HELD_OUT,
) -> dict:
    """One fresh set of ``size`` z: each direction built from its first half, then the other half moved along
    it and along ``random`` random directions of the same norm (:func:`moved`). The digit direction moves the
    held-out z the judge reads confidently as 0s; the style directions the first ``style_held_out`` held-out z
    the judge is sure of."""
    z, images, judged = fresh_set(generator, judge, seed, size)
    sure = judged.confidence >= CONFIDENT
    build = np.arange(size) < size // 2
    built = directions(z[build], images[build], judged.labels[build], judged.confidence[build])
    held = {
        "eight_minus_zero": z[~build & sure & (judged.labels == SOURCE)],
        **dict.fromkeys(STYLES, z[~build & sure][:style_held_out]),
    }
    out = {
        "seed": seed,
        "size": size,
        "built_from": {
            "zeros": int(np.sum(build & sure & (judged.labels == SOURCE))),
            "eights": int(np.sum(build & sure & (judged.labels == TARGET))),
            "sure": int(np.sum(build & sure)),
        },
        "directions": {},
    }
    for k, (key, direction) in enumerate(built.items()):
        randoms = same_norm_random(direction, random, [seed, SALT, k])
        target = TARGET if key == "eight_minus_zero" else None
        measured = moved(generator, judge, held[key], np.vstack([direction, randoms]), steps, target)
        out["directions"][key] = {
            "norm": round(float(np.linalg.norm(direction)), 6),
            "held_out": len(held[key]),
            "direction": {name: _rounded(values[0]) for name, values in measured.items()},
            "random": {name: _rounded(values[1:]) for name, values in measured.items()},
        }
        if key == "eight_minus_zero":
            out["example"] = {
                "direction": _rounded(direction),
                "random": _rounded(randoms[0]),
                "z": _rounded(held[key][:EXAMPLES]),
            }
    out["vector"] = built["eight_minus_zero"]  # for the switchers; dropped before writing, like the example
    return out


def _cosines(z: np.ndarray, direction: np.ndarray) -> np.ndarray:
    z = np.asarray(z, np.float64)
    return z @ direction / (np.linalg.norm(z, axis=1) * _norm(direction))


def permutation_p(a: np.ndarray, b: np.ndarray, rounds: int = PERMUTATIONS, seed: int = 0) -> float:
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


def switchers_alignment(analysis, noise: np.ndarray, direction: np.ndarray, rounds: int = PERMUTATIONS) -> dict:
    """Do the fixed z that switched from a confident 0 to a confident 8 (notebook 06's switches: from the
    snapshot where the run formed its digits for good, else its second half, on) point along ``direction`` more
    than the other z? Their cosines with it against all the other z, and against the other z that end (at the
    last snapshot) as a confident 0 or 8, the digits the switchers moved between (a direction built from 0s and 8s
    sets both apart from the other digits): two permutation tests, Holm. ``switchers_end_as``: what they end as."""
    from .analysis import formed_starts

    starts = formed_starts(analysis)
    start = starts.get("formed for good", starts["second half"])
    switched = sorted(
        {e["z"] for e in analysis.confident_switches(start, CONFIDENT) if (e["from"], e["to"]) == (SOURCE, TARGET)}
    )
    cosines = _cosines(noise, direction)
    others = np.ones(len(cosines), bool)
    others[switched] = False
    final, sure = analysis.labels[-1], analysis.confidence[-1] >= CONFIDENT
    ending = others & sure & np.isin(final, (SOURCE, TARGET))
    groups = {
        "switchers": ~others,
        "others": others,
        "others_ending_0_or_8": ending,
        "others_ending_0": ending & (final == SOURCE),
        "others_ending_8": ending & (final == TARGET),
    }
    ends = {"0": sure & (final == SOURCE), "8": sure & (final == TARGET)}
    found = {
        "from_step": int(analysis.steps[start]),
        "z": len(cosines),
        "switchers": switched,
        "switchers_end_as": {
            **{digit: int(np.sum(mask[switched])) for digit, mask in ends.items()},
            "other": int(len(switched) - sum(np.sum(mask[switched]) for mask in ends.values())),
        },
        "groups": {
            name: {
                "count": int(mask.sum()),
                "mean_cosine": round(float(cosines[mask].mean()), 6) if mask.any() else None,
            }
            for name, mask in groups.items()
        },
    }
    if switched:
        tests = {
            name: permutation_p(cosines[~others], cosines[groups[name]], rounds)
            for name in ("others", "others_ending_0_or_8")
            if groups[name].any()
        }
        adjusted = dict(zip(tests, holm(list(tests.values())), strict=True))
        found["tests"] = {name: {"p": round(p, 6), "holm": round(adjusted[name], 6)} for name, p in tests.items()}
    return found


def compute(
    run_dir: str | os.PathLike | None = None,
    seeds=SEEDS,
    size: int = SET_SIZE,
    random: int = RANDOM,
    steps=STEPS,
    style_held_out: int = STYLE_HELD_OUT,
    rounds: int = PERMUTATIONS,
    judge=None,
) -> dict:
    """The whole experiment on a run's final generator (the reference run by default): every fresh set
    (:func:`split_set`) and the switchers' alignment with the sets' mean 8-minus-0 direction. Seeded: the same
    arguments give the same result."""
    from .analysis import analyze_run
    from .judge import load_judge
    from .reference import reference_run
    from .runs import load_run

    if TESTED_STEP not in steps:
        raise ValueError(f"steps must include the tested step {TESTED_STEP}, got {list(steps)}")
    run = load_run(run_dir or reference_run())
    generator, judge = run.generator(), judge or load_judge()
    sets = [split_set(generator, judge, seed, size, random, steps, style_held_out) for seed in seeds]
    direction = np.mean([s.pop("vector") for s in sets], axis=0)
    example = [s.pop("example") for s in sets][0]  # the first set's, for the figure
    switchers = switchers_alignment(analyze_run(run, judge), run.snapshots().noise, direction, rounds)
    return {
        "run": run.path.name,
        "settings": {
            "seeds": list(seeds),
            "size": size,
            "random": random,
            "steps": [float(t) for t in steps],
            "tested_step": TESTED_STEP,
            "style_held_out": style_held_out,
            "share": SHARE,
            "threshold": CONFIDENT,
            "permutations": rounds,
        },
        "sets": sets,
        "switchers": switchers,
        "example": example,
    }


def write(run_dir: str | os.PathLike | None = None, **settings) -> Path:
    """:func:`compute` on a run (the reference run by default), written to its ``arithmetic.json``."""
    from .files import write_json
    from .reference import reference_run

    folder = Path(run_dir or reference_run())
    path = folder / RESULT
    write_json(path, compute(folder, **settings))
    return path


def load(run_dir: str | os.PathLike | None = None) -> tuple[dict, Path]:
    """The committed result (the reference run's ``arithmetic.json`` by default) and the file it came from."""
    from .reference import reference_run
    from .runs import read_json

    path = Path(run_dir or reference_run()) / RESULT
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.parent} has no {RESULT}; make it with dcgan_lessons.arithmetic.write({str(path.parent)!r})"
        )
    return read_json(path), path


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a rate: sound near 0 and 1, where the normal one leaves [0, 1]."""
    if trials <= 0:
        raise ValueError(f"a rate needs at least one trial, got {trials}")
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def summarize(result: dict, alpha: float = 0.05) -> dict:
    """What :func:`compute`'s sets say together, per direction and step: the direction's effect over all sets
    (a rate pooled over the sets with its Wilson interval; a mean change averaged over the sets), ``across_sets``
    the Student t interval of the sets' values (each set with its own direction), each set's value, and the random
    directions' mean
    and middle 95% (over every random direction of every set); ``changed``, the share of z the judge reads as
    another digit, likewise. At the tested step each direction is tested against the random ones: per set
    p = (1 + random directions at least as strong, of all sets) / (1 + their number); a direction counts only
    when it holds in every set (the largest p of the sets), Holm over the directions."""
    settings, sets = result["settings"], result["sets"]
    tested = settings["steps"].index(settings["tested_step"])
    out = {}
    for key in MEASURED:
        entries = [s["directions"][key] for s in sets]
        held = np.array([e["held_out"] for e in entries])
        entry = {"norm": float(np.mean([e["norm"] for e in entries])), "held_out": int(held.sum()), "steps": {}}
        for name in (MEASURED[key], "changed"):
            own = np.array([e["direction"][name] for e in entries], np.float64)  # (sets, steps)
            random = np.array([e["random"][name] for e in entries], np.float64)  # (sets, directions, steps)
            counted = name in ("became", "changed")
            if counted:
                own, random = own / held[:, None], random / held[:, None, None]
            random = random.reshape(-1, random.shape[-1])
            rows = []
            for i in range(own.shape[1]):
                row = {
                    "sets": np.round(own[:, i], 6).tolist(),
                    "random_mean": round(float(random[:, i].mean()), 6),
                    "random_band": np.round(np.percentile(random[:, i], [2.5, 97.5]), 6).tolist(),
                }
                mean = float(own[:, i].mean())
                half = t_quantile(len(own) - 1) * float(own[:, i].std(ddof=1)) / math.sqrt(len(own))
                row["across_sets"] = [mean - half, mean + half]  # Student t across the sets
                if counted:
                    hits, trials = int(round(float(own[:, i] @ held))), int(held.sum())
                    row |= {"value": hits / trials, "interval": list(wilson(hits, trials))}
                else:
                    row |= {"value": mean, "interval": row["across_sets"]}
                if name == MEASURED[key] and i == tested:
                    per_set = [(1 + np.sum(random[:, i] >= v)) / (1 + len(random)) for v in own[:, i]]
                    row |= {"p_sets": [float(p) for p in per_set], "p": float(max(per_set))}
                rows.append(row)
            entry["steps"][name] = rows
        out[key] = entry
    p = [out[key]["steps"][MEASURED[key]][tested]["p"] for key in MEASURED]
    for key, adjusted in zip(MEASURED, holm(p), strict=True):
        out[key]["holm"] = adjusted
        out[key]["beyond_random"] = adjusted < alpha
    return out


def _share(value: float) -> str:
    return f"{100 * value:.0f}%"


def _said_rate(row: dict) -> str:
    (low, high), (set_low, set_high) = row["interval"], row["across_sets"]
    band = " to ".join(_share(v) for v in row["random_band"])
    return (
        f"{_share(row['value'])} (95% {_share(low)} to {_share(high)} pooled, {_share(max(set_low, 0))} to "
        f"{_share(min(set_high, 1))} across the sets; per set {_share(min(row['sets']))} to "
        f"{_share(max(row['sets']))}) against {_share(row['random_mean'])} for random directions of the same norm "
        f"(middle 95% of them {band})"
    )


def _signed(value: float) -> str:
    return f"{round(value, 3) + 0.0:+.3f}"  # + 0.0: no "-0.000"


def _said_change(row: dict) -> str:
    low, high = row["interval"]
    band = " to ".join(_signed(v) for v in row["random_band"])
    return (
        f"{_signed(row['value'])} (95% {_signed(low)} to {_signed(high)}) against {_signed(row['random_mean'])} for "
        f"random directions of the same norm (middle 95% of them {band})"
    )


def _test(entry: dict, row: dict, count: int, sets: int) -> str:
    p = f"largest p of the sets {row['p']:.2g}, Holm {entry['holm']:.2g}"
    if not entry["beyond_random"]:
        return f"not beyond the random directions in all {sets} sets ({p})"
    beaten = "stronger than" if row["p"] * (1 + count) <= 1 + 1e-9 else "stronger than most of"
    return f"{beaten} the random directions in every set ({p})"


def findings(result: dict, alpha: float = 0.05) -> str:
    """The experiment's answer in words, from :func:`compute`'s result (:func:`summarize`)."""
    settings, summary = result["settings"], summarize(result, alpha)
    sets, random, steps = len(settings["seeds"]), settings["random"], settings["steps"]
    tested = steps.index(settings["tested_step"])
    count = sets * random
    t = f"t = {settings['tested_step']:g}"
    lines = [
        f"{sets} fresh sets of {settings['size']:,} $z$ (seeds {', '.join(map(str, settings['seeds']))}), each split "
        f"in half: a direction is built from one half and added to $z$ of the other, $z + t\\,d$ at t = "
        f"{', '.join(f'{s:g}' for s in steps)}, and so are {random} random directions of the same norm per set "
        f"({count} in all). A rate is pooled over the sets with its Wilson 95% interval (the noise of the held-out "
        f"$z$), and also given with the Student t 95% interval of the {sets} sets' rates (the noise of the direction's "
        f"own estimate as well); mean changes are averaged over the sets with that t interval; the random band is the "
        f"middle 95% of the {count} random directions; each direction is tested at {t} against them, in every set, "
        f"with Holm's correction over the {len(MEASURED)} directions."
    ]
    digit = summary["eight_minus_zero"]
    became, changed = digit["steps"]["became"], digit["steps"]["changed"]
    curve = "; ".join(
        f"t = {s:g}: {_share(r['value'])} (random {_share(r['random_mean'])}, band up to {_share(r['random_band'][1])})"
        for s, r in zip(steps, became, strict=True)
        if s != settings["tested_step"]
    )
    built = {k: [s["built_from"][k] for s in result["sets"]] for k in ("zeros", "eights")}
    lines.append(
        f"- **8 minus 0** (norm {digit['norm']:.2f}, the mean $z$ of the confident 8s minus that of the confident 0s, "
        f"{min(built['eights'])} to {max(built['eights'])} 8s and {min(built['zeros'])} to {max(built['zeros'])} 0s "
        f"per half): added to the {digit['held_out']} held-out $z$ the judge reads confidently as 0s, at {t} the judge "
        f"reads an 8 in {_said_rate(became[tested])}: {_test(digit, became[tested], count, sets)}. Along the way: "
        f"{curve}. At {t} the judge reads another digit than a 0 in {_share(changed[tested]['value'])} of them, "
        f"after a random direction in {_share(changed[tested]['random_mean'])}."
    )
    for key, what in (("thick_minus_thin", "ink (mean pixel)"), ("slanted_minus_upright", "slant (mu11 / mu02)")):
        entry = summary[key]
        own, changed = entry["steps"][MEASURED[key]], entry["steps"]["changed"]
        name = "Thick minus thin" if key == "thick_minus_thin" else "Slanted minus upright"
        lines.append(
            f"- **{name}** (norm {entry['norm']:.2f}, within each digit the top quarter's mean $z$ minus the bottom "
            f"quarter's): on {entry['held_out']} held-out confident digits, at {t} it changes the {what} by "
            f"{_said_change(own[tested])}: {_test(entry, own[tested], count, sets)}. The judge reads another digit "
            f"in {_said_rate(changed[tested])}."
        )
    if digit["beyond_random"]:
        verdict = (
            f"So adding the 8-minus-0 direction does turn 0s into 8s, {_share(became[tested]['value'])} of them at "
            f"{t}, where a random step of the same length makes {_share(became[tested]['random_mean'])} into 8s"
        )
    else:
        verdict = (
            "So these sets cannot say that adding the 8-minus-0 direction turns 0s into 8s more than a random step"
        )
    lines.append(f"\n{verdict}.")
    lines.append("\n" + alignment(result["switchers"]))
    return "\n".join(lines)


def alignment(found: dict, alpha: float = 0.05) -> str:
    """:func:`switchers_alignment`'s answer in words."""
    groups, n = found["groups"], len(found["switchers"])
    head = (
        f"Of the reference run's {found['z']} fixed $z$, {n} switched from a confident 0 to a confident 8 from step "
        f"{found['from_step']:,} on (notebook 06's switches)"
    )
    if not n:
        return head + ", so none can be compared with the 8-minus-0 direction."
    end = found["switchers_end_as"]
    head += (
        f"; at the last snapshot {end['8']} of them are confident 8s, {end['0']} confident 0s, {end['other']} neither"
    )
    compared = {"others": "the other $z$", "others_ending_0_or_8": "the other $z$ that end as a confident 0 or 8"}
    compared = {name: what for name, what in compared.items() if name in found["tests"]}

    def against(name: str) -> str:
        group, test = groups[name], found["tests"][name]
        shown = f"permutation p {test['p']:.2g}, Holm {test['holm']:.2g}"
        return f"{_signed(group['mean_cosine'])} for the {group['count']} {compared[name][4:]} ({shown})"

    ends = [
        f"{_signed(groups[name]['mean_cosine'])} for those ending as {digit}s"
        for name, digit in (("others_ending_0", SOURCE), ("others_ending_8", TARGET))
        if groups[name]["count"]
    ]
    text = (
        f"{head}. Their mean cosine with the 8-minus-0 direction (the mean of the sets' directions) is "
        f"{_signed(groups['switchers']['mean_cosine'])}, against {' and '.join(against(name) for name in compared)}"
        + (f" ({', '.join(ends)})" if ends else "")
    )

    beyond = [name for name in compared if found["tests"][name]["holm"] < alpha]
    parts = [
        f"lie {'further' if groups['switchers']['mean_cosine'] > groups[name]['mean_cosine'] else 'less far'} along "
        f"the direction than {compared[name]}"
        for name in beyond
    ]
    within = [compared[name] for name in compared if name not in beyond]
    if within:
        parts.append(f"lie neither further along the direction nor less far than {' or '.join(within)}, beyond chance")
    return f"{text}. So the $z$ that switched 0 -> 8 {', and '.join(parts)}."


def draw(result: dict, generator):
    """Held-out 0s walked along the 8-minus-0 direction and along a random direction of the same norm (rows: z,
    columns: steps), and the share the judge reads as 8 at each step with its Wilson interval, each set's share,
    and the random directions' mean and middle 95%. Save it with the data it is drawn from, e.g.
    ``plots.save_figure(fig, name, sources=[load()[1], run.path / "generator.keras"])``."""
    import matplotlib.pyplot as plt

    from .latent import decode
    from .plots import tile

    example, steps = result["example"], [0.0, *result["settings"]["steps"]]
    z = np.asarray(example["z"])
    became = summarize(result)["eight_minus_zero"]["steps"]["became"]
    fig = plt.figure(figsize=(13, 4.2))
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 1.3])
    for row, (name, title) in enumerate(
        (("direction", "along 8 minus 0"), ("random", "along a random direction, same norm"))
    ):
        ax = fig.add_subplot(grid[row, 0])
        images = decode(
            generator, along(z, np.asarray(example[name]), steps).transpose(1, 0, 2).reshape(-1, z.shape[1])
        )
        ax.imshow(tile(images, columns=len(steps)), cmap="gray")
        ax.set_title(f"{title}: t = {', '.join(f'{s:g}' for s in steps)}", fontsize=9)
        ax.axis("off")
    ax = fig.add_subplot(grid[:, 1])
    value = [0.0] + [100 * r["value"] for r in became]
    low = [0.0] + [100 * r["interval"][0] for r in became]
    high = [0.0] + [100 * r["interval"][1] for r in became]
    ax.fill_between(
        steps,
        [0.0] + [100 * r["random_band"][0] for r in became],
        [0.0] + [100 * r["random_band"][1] for r in became],
        color="0.85",
        label="random directions, middle 95%",
    )
    ax.plot(steps, [0.0] + [100 * r["random_mean"] for r in became], "--", color="0.4", label="random directions, mean")
    ax.errorbar(
        steps,
        value,
        yerr=[np.subtract(value, low), np.subtract(high, value)],
        fmt="o-",
        color="C3",
        capsize=3,
        label="8 minus 0, all sets (Wilson 95%)",
    )
    for k in range(len(became[0]["sets"])):
        ax.plot(
            steps[1:],
            [100 * r["sets"][k] for r in became],
            ".",
            color="C3",
            alpha=0.4,
            label="each set" if k == 0 else None,
        )
    ax.set(xlabel="step t (multiples of the direction)", ylabel="% of held-out 0s the judge reads as 8", ylim=(-2, 102))
    ax.set_title("Held-out confident 0s moved by t d: how many become 8s", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
