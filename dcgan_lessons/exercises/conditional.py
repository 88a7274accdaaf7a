"""Exercises of notebook 09: the conditional generator's input, switching under a fixed label, and which digits
the conditional generator draws worse than the rest.

ex24 and ex25 read the conditional run's judged result (its ``analysis.json``, :mod:`dcgan_lessons.conditional`):
the notebook passes its run to the check; the grader reads its own copy of the committed run (``verdicts``)."""

from __future__ import annotations

import numpy as np

from ..stats import holm, two_proportion_p
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


def _measured(run) -> dict:
    """The conditional run's judged result (``analysis.json``, :func:`dcgan_lessons.conditional.findings`), from a
    Run (the notebook's) or a folder (the grader's copy of the committed run)."""
    from ..conditional import load  # here, not above: it starts Keras

    return load(run.path if hasattr(run, "path") else run)[0]


PREDICTIONS = ("more", "less", "the same")


def _said_switching(switching: dict) -> tuple[str, str]:
    """The answer the measurement gives, and the measurement in words."""
    rate = switching["compared"]["confident_switch_rate"]
    truth = "the same" if rate["holm"] >= 0.05 else "less" if rate["difference"] < 0 else "more"
    window, off = switching["window"]["steps"], switching["off_class"]
    ours, theirs = rate["conditional"], rate["reference"]
    said = (
        f"from step {window[0]:,} (where the conditional run had formed its digits for good) to {window[1]:,}, "
        f"{switching['snapshots']} snapshots: of the intervals between snapshots with the judge sure at both ends, "
        f"{ours['value']:.1%} ended on another digit ({ours['interval'][0]:.1%} to {ours['interval'][1]:.1%}) "
        f"under a fixed label, against {theirs['value']:.1%} "
        f"({theirs['interval'][0]:.1%} to {theirs['interval'][1]:.1%}) for the reference run's z on the same "
        f"snapshots (Holm-adjusted p {rate['holm']:.2g}); {off['share']:.1%} of the conditional run's digits there "
        "were not the asked one"
    )
    return truth, said


def _check_switching(switch_prediction, hidden: bool = False, run=None, **_) -> str:
    if switch_prediction not in PREDICTIONS:
        raise _Malformed(f"answer with one of {', '.join(map(repr, PREDICTIONS))}, got {_short(switch_prediction)}")
    if run is None:
        raise _Malformed("the check needs the conditional run: check(..., run=<the conditional run>)")
    truth, said = _said_switching(_measured(run)["switching"])
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
Predict before you look at the switching measurements below. The conditional run kept 500 fixed pairs
$(z, \\text{label})$, 50 per digit, and drew them every quarter epoch, on the same steps as the reference run's
500 fixed $z$. Once the conditional run has formed its digits for good, will its pairs change from one confident
digit to another (the judge at least 90% sure at both snapshots, notebook 06's measure) `"more"` often, `"less"`
often, or about as often (`"the same"`) as the reference run's $z$ on the same snapshots? Set
`switch_prediction` and write one line of why. The check reads the measurement (bootstrap intervals over $z$,
a permutation test, Holm's correction over the four measures compared; "the same" when the adjusted p is not
below 0.05) and tells you whether your reasoning held.
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
    check_args=", run=run",
)


def accuracy_against_rest(run) -> list[dict]:
    """The conditional run's class accuracy on fresh digits (:func:`dcgan_lessons.conditional.class_accuracy`'s
    rows: asked, correct, rate and its 95% Wilson interval), each beside the other nine digits pooled (``rest``)
    and the two-sided p of this digit against them (unadjusted: ten tests, so adjust them with Holm before calling
    one real)."""
    rows = _measured(run)["classes"]["per_class"]
    correct, asked = sum(r["correct"] for r in rows), sum(r["asked"] for r in rows)
    return [
        r
        | {
            "rest": (correct - r["correct"]) / (asked - r["asked"]),
            "p": two_proportion_p(r["correct"], r["asked"], correct - r["correct"], asked - r["asked"]),
        }
        for r in rows
    ]


def accuracy_table(rows: list[dict]) -> str:
    """:func:`accuracy_against_rest`'s rows as the Markdown table ex25 is decided from."""
    lines = ["| asked | read as asked | 95% interval | the other nine | p against them |", "|---" * 5 + "|"]
    lines += [
        f"| {r['digit']} | {r['rate']:.1%} ({r['correct']} of {r['asked']}) | {r['low']:.1%} to {r['high']:.1%} "
        f"| {r['rest']:.1%} | {r['p']:.2g} |"
        for r in rows
    ]
    return "\n".join(lines)


def drawn_worse(rows: list[dict], level: float = 0.05) -> list[int]:
    """The digits read as asked less often than the other nine beyond noise: Holm-adjusted p below ``level``."""

    adjusted = holm([r["p"] for r in rows])
    return [r["digit"] for r, p in zip(rows, adjusted, strict=True) if p < level and r["rate"] < r["rest"]]


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

    said = _digits(answer)
    if run is None:
        raise _Malformed("the check needs the conditional run: check(..., run=<the conditional run>)")
    rows = accuracy_against_rest(run)
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
            f"{digit} is read as asked {r['rate']:.1%} of the time ({r['low']:.1%} to {r['high']:.1%}), the "
            f"other nine {r['rest']:.1%}, p = {r['p']:.2g}, Holm-adjusted {adjusted[digit]:.2g}"
        )
        if digit in truth:
            reasons.append(f"{shown}: below 0.05 even after the correction, so {digit} is really drawn worse.")
        elif r["rate"] >= r["rest"]:
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
The table above asked the conditional run's final generator for fresh digits of each class (the same digits as
the class accuracy above) and counts how often the judge read the asked digit, with its 95% interval, beside
the other nine digits pooled and the p-value of a test of this digit against them. Which digits does the
generator draw *less reliably than the rest*, beyond noise? Ten tests at once: call a digit worse only when its
accuracy is below the rest's and its p passes Holm's correction at the 5% level (sort the ten p-values; the
smallest must be below 0.05/10, the next below 0.05/9, and so on; stop at the first that is not). Set
`drawn_worse` to a list of those digits (`[]` if none).
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
