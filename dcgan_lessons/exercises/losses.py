"""Exercises of notebook 04: binary cross-entropy and the two players' losses."""

from __future__ import annotations

import math

import numpy as np

from . import _array, _call, _close, _number, _register, _short, _Wrong


def _check_bce(bce, hidden: bool = False, **_) -> str:
    from ..losses import binary_cross_entropy

    targets = np.array([1.0, 1.0, 0.0, 0.0])
    probs = np.array([0.9, 0.6, 0.2, 0.5])
    if hidden:
        targets = np.array([1.0, 0.0, 1.0, 0.9, 0.0])
        probs = np.array([0.0, 0.0, 0.75, 0.3, 0.999])
    value = _call(bce, targets, probs)
    call = f"bce({targets.tolist()}, {probs.tolist()})"
    try:
        got = float(np.asarray(value))
    except (TypeError, ValueError):
        raise _Wrong(f"{call} should return one number (the mean over the batch), got {_short(value)}") from None
    expected = float(binary_cross_entropy(targets, probs))
    if not math.isfinite(got):
        raise _Wrong(
            f"{call} gave {got}: log(0) is -inf. Clip the probabilities to [1e-7, 1 - 1e-7] first, as Keras does"
        )
    if _close(got, expected, rtol=1e-4):
        return f"BCE here is {expected:.4f}; a confident wrong answer (p near 0 for a real digit) costs the most."
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    terms = targets * np.log(p) + (1 - targets) * np.log(1 - p)
    known = [
        (-terms.mean(), None),
        (terms.mean(), "the sign is wrong: log of a probability is negative, so BCE needs a minus in front"),
        (-terms.sum(), "you summed over the batch; BCE is the mean, so it does not grow with the batch size"),
        (
            -(targets * np.log(p)).mean(),
            "only the t log p term is there: add (1 - t) log(1 - p), the term of the fakes",
        ),
        (
            -(targets * np.log10(p) + (1 - targets) * np.log10(1 - p)).mean(),
            "you used log10; cross-entropy uses the natural log (np.log)",
        ),
    ]
    for value_, message in known:
        if message and _close(got, value_, rtol=1e-4):
            raise _Wrong(f"{call} should be {expected:.4f}, you gave {got:.4f}: {message}")
    raise _Wrong(f"{call} should be {expected:.4f} (Keras' BCE), you gave {got:.4f}")


_register(
    id="ex08",
    notebook="04_adversarial_losses",
    title="Binary cross-entropy by hand",
    task="""
Write `bce(targets, probs)` with NumPy: the mean over the batch of $-[t \\log p + (1 - t) \\log(1 - p)]$, with
the probabilities clipped to $[10^{-7}, 1 - 10^{-7}]$ as Keras does (so that $p = 0$ costs a lot, not infinity).
Work one example by hand first: $t = 1$, $p = 0.9$ gives $-\\ln 0.9 = 0.105$.
""",
    answer="bce",
    template='''
    def bce(targets, probs):
        """Mean binary cross-entropy of probabilities probs against targets (1 = real, 0 = fake)."""
        targets = np.asarray(targets, dtype="float64")
        probs = np.asarray(probs, dtype="float64")
        {solution}
    ''',
    solution="""
    probs = np.clip(probs, 1e-7, 1 - 1e-7)
    return -np.mean(targets * np.log(probs) + (1 - targets) * np.log(1 - probs))
    """,
    hint="np.clip(probs, 1e-7, 1 - 1e-7), then -np.mean(...) of the two terms; np.log is the natural log.",
    checker=_check_bce,
)


def _check_d_terms(d_loss_terms, hidden: bool = False, **_) -> str:
    from ..losses import binary_cross_entropy, discriminator_loss

    real = np.array([0.9, 0.8, 0.6])
    fake = np.array([0.1, 0.3, 0.5])
    if hidden:
        real, fake = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    value = _call(d_loss_terms, real, fake)
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise _Wrong(f"return three numbers, (real_term, fake_term, d_loss); got {_short(value)}")
    real_term, fake_term, total = (
        _number(v, name) for v, name in zip(value, ("real_term", "fake_term", "d_loss"), strict=True)
    )
    want_real = float(binary_cross_entropy(1.0, real))
    want_fake = float(binary_cross_entropy(0.0, fake))
    call = f"d_loss_terms({real.tolist()}, {fake.tolist()})"
    if not _close(real_term, want_real):
        swapped = " real digits have target 1, not 0" if _close(real_term, binary_cross_entropy(0.0, real)) else ""
        raise _Wrong(f"{call}: the real term should be {want_real:.4f}, you gave {real_term:.4f}.{swapped}")
    if not _close(fake_term, want_fake):
        swapped = " fakes have target 0, not 1" if _close(fake_term, binary_cross_entropy(1.0, fake)) else ""
        raise _Wrong(f"{call}: the fake term should be {want_fake:.4f}, you gave {fake_term:.4f}.{swapped}")
    want_total = float(discriminator_loss(real, fake))
    if _close(total, real_term + fake_term) and not _close(total, want_total):
        raise _Wrong(
            f"{call}: d_loss should be {want_total:.4f}, you gave {total:.4f}: you added the two terms. The course "
            "(and the report's log) reports their mean, so that a D that says 0.5 to everything scores ln 2 = 0.693"
        )
    if not _close(total, want_total):
        raise _Wrong(f"{call}: both terms are right but d_loss should be {want_total:.4f}, you gave {total:.4f}")
    return "at D = 0.5 everywhere d_loss is ln 2 = 0.693: the value the report's d_loss settles at."


_register(
    id="ex09",
    notebook="04_adversarial_losses",
    title="The discriminator's loss, term by term",
    task="""
Write `d_loss_terms(real_prob, fake_prob)` returning `(real_term, fake_term, d_loss)`: the BCE of the
discriminator's outputs on real digits (target 1) and on fakes (target 0), and the discriminator's loss as the
course reports it, the **mean** of the two terms. Use the package's `dl.losses.binary_cross_entropy(target, prob)`.
""",
    answer="d_loss_terms",
    template='''
    def d_loss_terms(real_prob, fake_prob):
        """(real_term, fake_term, d_loss) of the discriminator's outputs D(x) and D(G(z)), as floats."""
        {solution}
    ''',
    solution="""
    real_term = float(dl.losses.binary_cross_entropy(1.0, real_prob))
    fake_term = float(dl.losses.binary_cross_entropy(0.0, fake_prob))
    return real_term, fake_term, (real_term + fake_term) / 2
    """,
    hint="The discriminator wants D(x) -> 1 and D(G(z)) -> 0, so the real term's target is 1 and the fake term's 0. "
    "d_loss is their average.",
    checker=_check_d_terms,
)


def _check_grads(generator_grads, hidden: bool = False, **_) -> str:
    from ..losses import generator_loss_curve

    d_fake = np.array([0.001, 0.01, 0.1, 0.5, 0.9])
    if hidden:
        d_fake = np.array([0.0001, 0.3, 0.7, 0.99])
    value = _call(generator_grads, d_fake)
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise _Wrong(f"return two arrays, (minimax, non_saturating); got {_short(value)}")
    minimax = _array(value[0], d_fake.shape, "the minimax gradient")
    non_saturating = _array(value[1], d_fake.shape, "the non-saturating gradient")
    want_mm = generator_loss_curve(d_fake, "minimax", wrt="logit")[1]
    want_ns = generator_loss_curve(d_fake, "non_saturating", wrt="logit")[1]
    ok_mm, ok_ns = _close(minimax, want_mm, atol=1e-4), _close(non_saturating, want_ns, atol=1e-4)
    if ok_mm and ok_ns:
        return (
            "when D(G(z)) = 0.001 (the generator is losing) the minimax gradient is -0.001 but the non-saturating one "
            "is -0.999: only the non-saturating loss still teaches a losing generator."
        )
    if _close(minimax, want_ns, atol=1e-4) and _close(non_saturating, want_mm, atol=1e-4):
        raise _Wrong("the two are swapped: return (minimax, non_saturating) in that order")
    label, got, want, by_prob = (
        ("minimax", minimax, want_mm, -1 / (1 - d_fake))
        if not ok_mm
        else ("non-saturating", non_saturating, want_ns, -1 / d_fake)
    )
    i = int(np.argmax(np.abs(got - want)))
    where = f"at D(G(z)) = {d_fake[i]:g} the {label} gradient should be {want[i]:.4f}, you gave {got[i]:.4f}"
    if _close(got, by_prob, rtol=1e-3):
        raise _Wrong(
            f"{where}: that is the derivative by D(G(z)) itself. Take it by the logit a, through "
            "D = sigmoid(a): multiply by dD/da = D (1 - D)"
        )
    if _close(got, -want, atol=1e-4):
        raise _Wrong(f"{where}: the sign of the {label} term is off")
    raise _Wrong(f"{where}: the {label} term is off")


_register(
    id="ex10",
    notebook="04_adversarial_losses",
    title="Gradients of the minimax and the non-saturating loss",
    task="""
The generator's gradient reaches it through the discriminator's logit $a$, with $D(G(z)) = \\sigma(a)$. Write
`generator_grads(d_fake)`: for an array of values of $D(G(z))$, return `(minimax, non_saturating)`, the
derivatives by $a$ of the minimax loss $\\log(1 - \\sigma(a))$ and of the non-saturating loss $-\\log \\sigma(a)$.
Use $\\sigma'(a) = \\sigma(a)(1 - \\sigma(a))$; the check compares with `tf.GradientTape` through the package's losses.
""",
    answer="generator_grads",
    template='''
    def generator_grads(d_fake):
        """d loss / d logit of the minimax and the non-saturating generator losses, at D(G(z)) = d_fake."""
        d_fake = np.asarray(d_fake, dtype="float64")
        {solution}
    ''',
    solution="""
    minimax = -d_fake
    non_saturating = d_fake - 1.0
    return minimax, non_saturating
    """,
    hint="With D = sigma(a): d/da log(1 - D) = -D'/(1 - D) = -D (1 - D) / (1 - D) = -D, and "
    "d/da -log D = -D'/D = -(1 - D) = D - 1. Here D is d_fake.",
    checker=_check_grads,
)
