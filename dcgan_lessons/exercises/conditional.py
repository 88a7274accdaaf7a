"""Exercises of notebook 09: the conditional generator's input, switching under a fixed label, and which digits
the conditional generator draws worse than the rest.

ex24 and ex25 are measured on committed runs: the conditional run's snapshots and generator and the reference
run's snapshots. The notebook passes its runs to the check; the grader gives its own copies (``verdicts``)."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from . import _array, _call, _Malformed, _register, _short, _Wrong

CLASSES = 10  # the digits (models.CLASSES; not imported: `assign` and `grade` import the exercises without Keras)


def _one_hot(labels, classes: int) -> np.ndarray:
    return np.eye(classes)[np.asarray(labels)]


def _generator_variation(latent_dim: int = 100, seed: int = 0) -> tuple[int, int, float]:
    """(parameters of the report's generator, of the conditional one, the mean absolute pixel difference
    between one z drawn under digit 0 and under each other digit by the untrained conditional generator)."""
    from ..gan import generate_uint8
    from ..models import build_conditional_generator, build_generator

    conditional = build_conditional_generator(latent_dim, seed=seed)
    z = np.repeat(np.random.default_rng(seed).standard_normal((1, latent_dim)), CLASSES, axis=0).astype("float32")
    images = generate_uint8(conditional, z, np.arange(CLASSES)).astype("float64")
    change = float(np.abs(images[1:] - images[0]).mean())
    return build_generator(latent_dim, seed=seed).count_params(), conditional.count_params(), change


def _check_join(join_label, hidden: bool = False, **_) -> str:
    rng = np.random.default_rng(23)
    cases = [(rng.standard_normal((4, 100)).astype("float32"), np.array([3, 0, 9, 3]), 10)]
    cases.append((rng.standard_normal((1, 100)).astype("float32"), np.array([7]), 10))
    if hidden:  # another noise size and another number of classes: nothing may assume 100 and 10
        cases = [(rng.standard_normal((3, 7)).astype("float32"), np.array([2, 0, 1]), 3)]
        cases.append((rng.standard_normal((10, 5)).astype("float32"), np.arange(10)[::-1].copy(), 10))
    for z, labels, classes in cases:
        n, latent = z.shape
        where = f"for z of shape {z.shape}, labels {labels.tolist()} and {classes} classes"
        got = np.asarray(_call(join_label, z, labels, classes))
        if got.shape == (n, latent + 1):
            raise _Wrong(
                f"{where} you returned shape {got.shape}: the label joined as one number says 9 is nine times 1. "
                f"Join its one-hot code instead, {classes} numbers with a single 1"
            )
        if got.shape == (n, latent):
            raise _Wrong(f"{where} you returned shape {got.shape}, z alone: join the label's one-hot code to it")
        got = _array(got, (n, latent + classes), f"join_label(z, labels, {classes})")
        want = np.concatenate([z, _one_hot(labels, classes)], axis=1)
        if np.allclose(got, want, atol=1e-6):
            continue
        if np.allclose(got, np.concatenate([_one_hot(labels, classes), z], axis=1), atol=1e-6):
            raise _Wrong(
                f"{where} you put the one-hot code first: the package's generator takes z first, then the code "
                "(keras.layers.Concatenate()([z, one_hot])), and its first Dense layer's weights are in that order"
            )
        if not np.allclose(got[:, :latent], z, atol=1e-6):
            raise _Wrong(f"{where} the first {latent} numbers of each row must be z itself, unchanged")
        code = got[:, latent:]
        if any(np.allclose(code, _one_hot((labels + shift) % classes, classes), atol=1e-6) for shift in (-1, 1)):
            raise _Wrong(f"{where} each 1 is one place off: digit d is column d of the code (0 is column 0)")
        if np.allclose(code, 2 * _one_hot(labels, classes) - 1, atol=1e-6):
            raise _Wrong(f"{where} the code holds -1 where it should hold 0: a one-hot code is 0 except one 1")
        first = next(i for i in range(n) if not np.allclose(code[i], want[i, latent:], atol=1e-6))
        raise _Wrong(
            f"{where} row {first}'s code is {np.round(code[first], 3).tolist()}: for the label {labels[first]} it "
            f"must be 0 everywhere except a 1 in column {labels[first]}"
        )
    plain, conditional, change = _generator_variation()
    return (
        f"the package's conditional generator feeds exactly this to the report's generator: its first Dense layer "
        f"takes 110 numbers instead of 100, so it has {conditional - plain:,} more weights ({conditional:,} against "
        f"{plain:,}), one more 7x7x256 pattern per digit. Untrained, one z asked for each of the ten digits gives "
        f"images that differ from the 0's by {change:.1f} of 255 per pixel on average: the label's weights start as "
        "small as the others, and training is what makes them draw the asked digit."
    )


_register(
    id="ex23",
    notebook="09_asking_for_a_digit",
    title="The conditional generator's input",
    task="""
A conditional generator is told which digit to draw. The package joins the label to the noise before the
report's generator sees it: for each row, $z$ followed by the label's one-hot code (a 1 in the label's column, 0
elsewhere). Write `join_label(z, labels, classes)`: `z` has shape (N, latent), `labels` holds N whole numbers
from 0 to `classes - 1`; return the (N, latent + classes) array the generator's first layer reads. Use NumPy
or `keras.ops` (`keras.ops.one_hot`, `keras.ops.concatenate`). The check compares it with the package's
`build_conditional_generator` on several batches, and says what the label costs in weights.
""",
    answer="join_label",
    template='''
    import keras


    def join_label(z, labels, classes):
        """z (N, latent) and N labels -> (N, latent + classes): each z followed by its label's one-hot code."""
        {solution}
    ''',
    solution="""
    one_hot = keras.ops.one_hot(keras.ops.convert_to_tensor(labels, dtype="int32"), classes)
    return keras.ops.concatenate([keras.ops.cast(z, "float32"), one_hot], axis=1)
    """,
    hint="keras.ops.one_hot(labels, classes) (or np.eye(classes)[labels]) is the code, one row per label; "
    "join it after z along the last axis (axis=1). The order matters: z first.",
    checker=_check_join,
    points=2,
)


def _folder(run) -> Path:
    """A run's folder, from a Run (the notebook's) or a path (the grader's)."""
    return Path(run.path if hasattr(run, "path") else run).resolve()


def _judged(folder: Path, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The judge's digit for every fixed z at each of ``steps`` (S, N), and the digit asked of each z (or None)."""
    from ..judge import load_judge
    from ..runs import load_run

    snaps = load_run(folder).snapshots()
    index = {int(step): k for k, step in enumerate(snaps.steps)}
    missing = [int(s) for s in steps if int(s) not in index]
    if missing:
        raise _Wrong(f"{folder} has no snapshots at steps {missing[:3]}: compare runs snapshotted on the same schedule")
    images = snaps.images[[index[int(s)] for s in steps]]
    labels = load_judge()(images.reshape(-1, 28, 28)).labels.reshape(images.shape[:2])
    return labels, snaps.labels


@functools.cache
def _switching(conditional: Path, reference: Path) -> dict:
    from ..runs import load_run

    steps = load_run(conditional).snapshots().steps
    window = steps[len(steps) // 2 :]  # the conditional run's second half, digits long formed
    judged = {
        name: _judged(folder, window) for name, folder in (("conditional", conditional), ("reference", reference))
    }
    per_z = {name: np.mean(labels[1:] != labels[:-1], axis=0) for name, (labels, _) in judged.items()}
    labels, asked = judged["conditional"]
    difference = per_z["conditional"].mean() - per_z["reference"].mean()
    half = 1.96 * math.sqrt(sum(r.var(ddof=1) / len(r) for r in per_z.values()))
    return {
        "from": int(window[0]),
        "to": int(window[-1]),
        "intervals": len(window) - 1,
        "z": len(per_z["conditional"]),
        "conditional": float(per_z["conditional"].mean()),
        "reference": float(per_z["reference"].mean()),
        "low": float(difference - half),
        "high": float(difference + half),
        "off_label": float(np.mean(labels != asked)),
    }


def fixed_label_switching(run, reference) -> dict:
    """How often the conditional ``run``'s fixed (z, label) pairs change digit (as the judge reads them) between
    consecutive snapshots over the second half of its training, against the unconditional ``reference`` run's
    fixed z on the same steps: each run's rate (the mean over z of each z's fraction of intervals with a
    switch), the 95% interval of the difference (conditional minus reference; the z of the two runs are
    independent samples), and the fraction of the conditional run's reads that were not the asked digit."""
    return _switching(_folder(run), _folder(reference))


PREDICTIONS = ("more", "less", "the same")


def _check_switching(switch_prediction, hidden: bool = False, run=None, reference=None, **_) -> str:
    if switch_prediction not in PREDICTIONS:
        raise _Malformed(f"answer with one of {', '.join(map(repr, PREDICTIONS))}, got {_short(switch_prediction)}")
    if run is None or reference is None:
        raise _Wrong("the check needs both runs: check(..., run=<the conditional run>, reference=<the reference run>)")
    found = fixed_label_switching(run, reference)
    truth = "less" if found["high"] < 0 else "more" if found["low"] > 0 else "the same"
    said = (
        f"from step {found['from']:,} to {found['to']:,} ({found['intervals']} intervals a quarter epoch apart, "
        f"{found['z']} fixed z each), the conditional run's z changed digit in {found['conditional']:.1%} of the "
        f"intervals, the reference run's in {found['reference']:.1%} (difference {found['low']:+.1%} to "
        f"{found['high']:+.1%}, 95% interval over z); {found['off_label']:.1%} of the conditional run's reads "
        "there were not the asked digit"
    )
    if switch_prediction != truth:
        raise _Wrong(
            f"{said}, so the conditional run switches {'as often' if truth == 'the same' else truth}. Under a fixed "
            "label every switch is a moment the judge read another digit than the one asked, at one end or both; "
            "the discriminator punishes exactly that. Set the answer the data give"
        )
    return f"{said}. Every switch under a fixed label is a failure of the condition, at one end or both."


_register(
    id="ex24",
    notebook="09_asking_for_a_digit",
    title="Predict, then measure: does a fixed label stop the switching?",
    task="""
Predict before you measure. The conditional run kept 500 fixed pairs $(z, \\text{label})$, 50 per digit, and
drew them every quarter epoch, on the same steps as the reference run's 500 fixed $z$. Over the second half of
the conditional run's training, will its pairs change digit (as the judge reads them) between one snapshot and
the next `"more"` often, `"less"` often, or about as often (`"the same"`) as the reference run's $z$ did over
the same steps? Set `switch_prediction` and write one line of why. The check measures it: each $z$'s fraction of
intervals with a switch, the two runs' means compared with a 95% interval over $z$ ("the same" when the
interval of the difference includes 0). It tells you whether your reasoning held.
""",
    answer="switch_prediction",
    template="""
    # why: ...
    {solution}
    """,
    solution="""
    switch_prediction = "less"  # measured on the committed conditional and reference runs; other runs may differ
    """,
    hint="What does the generator's loss punish when a (z, 8) pair draws a good 3? Notebook 06 measured how "
    "often the reference run's z changed digit once digits had formed.",
    checker=_check_switching,
    hidden_tests=False,
    first_answer_only=True,
    check_args=", run=run, reference=reference",
)


PER_CLASS = 500  # fresh digits asked of each class: the table's intervals are about +-1.5% near 98% accuracy


def _wilson(read: int, n: int) -> tuple[float, float]:
    """The 95% Wilson interval of a proportion (it stays inside [0, 1] near 100%, where the normal one does not)."""
    z = 1.959964
    centre, spread = (read + z * z / 2) / (n + z * z), z * math.sqrt(read * (n - read) / n + z * z / 4) / (n + z * z)
    return centre - spread, centre + spread


def _against_rest(read: int, n: int, rest_read: int, rest_n: int) -> float:
    """Two-sided p of a two-proportion z test (pooled): is this class read as asked as often as the others?"""
    pooled = (read + rest_read) / (n + rest_n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest_n))
    return 1.0 if se == 0 else math.erfc(abs(read / n - rest_read / rest_n) / se / math.sqrt(2))


@functools.cache
def _accuracy(folder: Path, per_class: int, seed: int) -> tuple[dict, ...]:
    from ..judge import load_judge
    from ..training import sample

    images = sample(folder, CLASSES * per_class, seed=seed)  # every digit asked in turn: 0, 1, ..., 9, 0, ...
    read = load_judge()(images).labels.reshape(per_class, CLASSES) == np.arange(CLASSES)
    right = read.sum(axis=0)
    rows = []
    for digit in range(CLASSES):
        rest, rest_n = int(right.sum() - right[digit]), per_class * (CLASSES - 1)
        low, high = _wilson(int(right[digit]), per_class)
        rows.append(
            {
                "digit": digit,
                "n": per_class,
                "read": int(right[digit]),
                "accuracy": float(right[digit] / per_class),
                "low": low,
                "high": high,
                "rest": rest / rest_n,
                "p": _against_rest(int(right[digit]), per_class, rest, rest_n),
            }
        )
    return tuple(rows)


def class_accuracy(run, per_class: int = PER_CLASS, seed: int = 0) -> list[dict]:
    """How often the judge reads the asked digit, per digit, on ``per_class`` fresh digits asked of each class
    from the conditional ``run``'s final generator (seeded noise, so the grader measures the same digits): each
    row's accuracy with its 95% Wilson interval, the other nine digits' accuracy pooled, and the two-sided p of
    this digit against them (unadjusted: ten tests, so adjust them with Holm before calling one real)."""
    return [dict(row) for row in _accuracy(_folder(run), per_class, seed)]


def accuracy_table(rows: list[dict]) -> str:
    """:func:`class_accuracy`'s rows as the Markdown table ex25 is decided from."""
    lines = ["| asked | read as asked | 95% interval | the other nine | p against them |", "|---" * 5 + "|"]
    lines += [
        f"| {r['digit']} | {r['accuracy']:.1%} ({r['read']} of {r['n']}) | {r['low']:.1%} to {r['high']:.1%} "
        f"| {r['rest']:.1%} | {r['p']:.2g} |"
        for r in rows
    ]
    return "\n".join(lines)


def drawn_worse(rows: list[dict], level: float = 0.05) -> list[int]:
    """The digits read as asked less often than the other nine beyond noise: Holm-adjusted p below ``level``."""
    from ..claims import holm

    adjusted = holm([r["p"] for r in rows])
    return [r["digit"] for r, p in zip(rows, adjusted, strict=True) if p < level and r["accuracy"] < r["rest"]]


def _digits(answer) -> list[int]:
    if not isinstance(answer, list | tuple | set) or not all(
        isinstance(d, int | np.integer) and not isinstance(d, bool) for d in answer
    ):
        raise _Malformed(
            f"drawn_worse should be a list of digits, each one of 0 to 9, e.g. [3, 5], or [] for none; "
            f"got {_short(answer)}"
        )
    if not all(0 <= d < CLASSES for d in answer):
        raise _Malformed(f"each digit should be one of 0 to 9, got {sorted(answer)}")
    return sorted({int(d) for d in answer})


def _check_worse(answer, hidden: bool = False, run=None, **_) -> str:
    from ..claims import holm

    said = _digits(answer)
    if run is None:
        raise _Wrong("the check needs the conditional run: check(..., run=<the conditional run>)")
    rows = class_accuracy(run)
    adjusted = dict(zip(range(CLASSES), holm([r["p"] for r in rows]), strict=True))
    truth = drawn_worse(rows)
    if said == truth:
        named = ", ".join(map(str, truth)) or "no digit"
        return (
            f"{named}: of ten tests, only a p that survives Holm's correction says a digit is really drawn worse; "
            "a p below 0.05 alone is expected about once in twenty tests of digits that do not differ at all."
        )
    reasons = []
    for digit in sorted(set(said) ^ set(truth)):
        r = rows[digit]
        shown = (
            f"{digit} is read as asked {r['accuracy']:.1%} of the time ({r['low']:.1%} to {r['high']:.1%}), the "
            f"other nine {r['rest']:.1%}, p = {r['p']:.2g}, Holm-adjusted {adjusted[digit]:.2g}"
        )
        if digit in truth:
            reasons.append(f"{shown}: below 0.05 even after the correction, so {digit} is really drawn worse.")
        elif r["accuracy"] >= r["rest"]:
            reasons.append(f"{shown}: it is read as asked more often than the rest, not less.")
        elif r["p"] < 0.05:
            reasons.append(
                f"{shown}: below 0.05 alone, but with ten tests Holm compares the k-th smallest p with "
                f"0.05 / (11 - k), and this one does not pass: it could be noise."
            )
        else:
            reasons.append(f"{shown}: not below 0.05 even before the correction, so it could be noise.")
    raise _Wrong(" ".join(reasons))


_register(
    id="ex25",
    notebook="09_asking_for_a_digit",
    title="Which digits does it draw worse? Decide from the table",
    task="""
The table above asked the conditional run's final generator for 500 fresh digits of each class and counts how
often the judge read the asked digit, with its 95% interval, beside the other nine digits pooled and the p-value
of a test of this digit against them. Which digits does the generator draw *less reliably than the rest*, beyond
noise? Ten tests at once: call a digit worse only when its accuracy is below the rest's and its p passes Holm's
correction at the 5% level (sort the ten p-values; the smallest must be below 0.05/10, the next below 0.05/9,
and so on; stop at the first that is not). Set `drawn_worse` to a list of those digits (`[]` if none).
""",
    answer="drawn_worse",
    template="""
    {solution}
    """,
    solution="""
    drawn_worse = [9]  # the committed conditional run's table; another run's may differ
    """,
    hint="Sort the p column from smallest to largest. Compare the first with 0.005, the second with 0.05/9 = "
    "0.0056, the third with 0.05/8 = 0.00625, ...; the digits before the first that fails are real, and of "
    "those, keep the ones read as asked less often than the other nine.",
    checker=_check_worse,
    hidden_tests=False,
    first_answer_only=True,
    check_args=", run=run",
)


def committed_conditional_run() -> Path:
    """The committed conditional run, beside the reference run: what the grader measures ex24 and ex25 on."""
    from ..reference import reference_run

    return reference_run().parent / "conditional-run"
