"""Exercises of notebook 07: spherical interpolation."""

from __future__ import annotations

import numpy as np

from ..stats import mean_interval
from . import _array, _call, _close, _register, _Wrong


def _check_slerp(slerp_by_hand, hidden: bool = False, **_) -> str:
    from ..latent import lerp, slerp

    z0, z1 = np.random.default_rng(4).standard_normal((2, 100))
    cases = [(z0, z1, t) for t in (0.0, 0.25, 0.5, 1.0)]
    if hidden:
        e0, e1 = np.eye(3)[:2]
        cases = [(e0, e1, 0.5), (z0, 2 * z0, 0.3), (z1, z0, 0.8)]
    for a, b, t in cases:
        got = _array(_call(slerp_by_hand, a, b, t), a.shape, f"slerp_by_hand(z0, z1, {t})")
        want = slerp(a, b, t)
        if _close(got, want, rtol=1e-4, atol=1e-5):
            continue
        where = f"at t = {t}"
        if np.isnan(got).any():
            raise _Wrong(
                f"{where} you returned NaN: the cosine of the angle is z0 . z1 / (|z0| |z1|), clip it to [-1, 1] "
                "before arccos, and when the angle is 0 (parallel vectors) return the straight line instead"
            )
        if _close(got, lerp(a, b, t), rtol=1e-4, atol=1e-5):
            raise _Wrong(
                f"{where} that is the straight line (lerp): its norm there is {np.linalg.norm(got):.2f}, "
                f"inside the shell, where slerp keeps {np.linalg.norm(want):.2f}"
            )
        if _close(got, slerp(a, b, 1 - t), rtol=1e-4, atol=1e-5):
            raise _Wrong(f"{where} you went from z1 to z0: t = 0 must give z0 and t = 1 give z1")
        raise _Wrong(f"{where} your point is {np.linalg.norm(got - want):.3f} away from the package's slerp")
    return "slerp keeps the walk on the shell where the generator's training noise lives (norm about 10)."


_register(
    id="ex16",
    notebook="07_evaluation_and_latent_space",
    title="Spherical interpolation by hand",
    task="""
Write `slerp_by_hand(z0, z1, t)` with NumPy, from the formula above: the point a fraction `t` (a number in
[0, 1]) of the way from `z0` to `z1` along the great circle. Compute $\\omega$ from the normalised dot product
(clip it to $[-1, 1]$ before `np.arccos`), and return the straight line when $\\omega$ is (almost) 0.
The check compares with the package's `latent.slerp`, shown after the check.
""",
    answer="slerp_by_hand",
    template='''
    def slerp_by_hand(z0, z1, t):
        """The point at fraction t of the great circle from z0 to z1."""
        z0, z1 = np.asarray(z0, dtype="float64"), np.asarray(z1, dtype="float64")
        {solution}
    ''',
    solution="""
    cosine = z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    """,
    hint="omega = np.arccos(np.clip(z0 @ z1 / (|z0| |z1|), -1, 1)); the weights are sin((1 - t) omega) / sin(omega) "
    "for z0 and sin(t omega) / sin(omega) for z1.",
    checker=_check_slerp,
)


def measured_ink(generator, noise: np.ndarray, pairs: int | None = None, seed: int = 0) -> np.ndarray:
    """Per pair of rows of ``noise`` (disjoint random pairs, :func:`dcgan_lessons.latent.random_pairs`; None: all
    ``len(noise) // 2``): the mean ink (pixel value in [0, 1]) at the midpoint of the straight path minus at the
    midpoint of the great circle, and the great circle's ink there: (pairs, 2). Pairs share no z, so the
    differences are independent, and one pair's two paths are compared with each other (a paired test)."""
    from ..latent import METHODS, path_digits, random_pairs

    ends = random_pairs(len(noise), pairs, seed)
    ink = {method: path_digits(generator, noise, ends, 3, method)[:, 1].mean(axis=(1, 2)) / 255 for method in METHODS}
    return np.stack([ink["linear"] - ink["spherical"], ink["spherical"]], axis=1)


def _check_ink(ink_prediction, hidden: bool = False, generator=None, noise=None, **_) -> str:
    choices = ("more", "less", "the same")
    if ink_prediction not in choices:
        raise _Wrong(f"answer with one of {', '.join(map(repr, choices))}, got {ink_prediction!r}")
    if generator is None or noise is None:
        raise _Wrong("the check needs the run's generator and fixed noise: check(..., generator=..., noise=...)")
    measured = measured_ink(generator, np.asarray(noise))
    mean, half = mean_interval(measured[:, 0])
    truth = "more" if mean - half > 0 else "less" if mean + half < 0 else "the same"
    said = (
        f"measured over all {len(measured)} disjoint pairs of the fixed z: {mean:+.4f} ink at the straight path's "
        f"midpoint (95% CI {mean - half:+.4f} to {mean + half:+.4f}), {mean / measured[:, 1].mean():+.1%} of the "
        "great circle's"
    )
    if ink_prediction != truth:
        raise _Wrong(
            f"{said}, so the straight path has {truth} ink. The midpoint's norm is about 71% of the shell's, "
            "and whether that makes the digits fainter or bolder is a property of this generator, not of geometry: "
            "the ink at each scale of z, further down, shows which way it goes. Set the answer the data give"
        )
    return f"{said}: the prediction held."


_register(
    id="ex20",
    notebook="07_evaluation_and_latent_space",
    title="Predict, then measure: does the straight path fade?",
    task="""
Predict before you run the measurement below: between two fixed $z$, the straight path's midpoint has a norm of
about 71% of the shell's, where the generator never trained. Compared with the great circle's midpoint, will
the generator's digits there carry `"more"` ink, `"less"` ink, or `"the same"`? Set `ink_prediction` and write
one line of why. The check measures it on this run's generator over all 250 disjoint pairs of the 500 fixed $z$,
one pair's two paths against each other: "more" or "less" when the 95% interval of the mean difference lies
wholly on that side of 0, "the same" when it includes 0 (with 250 pairs it is about $\\pm 0.001$ of pixel value
wide, under 1% of the ink). It tells you whether your reasoning held; if it did not, find out why below.
""",
    answer="ink_prediction",
    template="""
    # why: ...
    {solution}
    """,
    solution="""
    ink_prediction = "more"  # measured on the 35-epoch reference run; another generator may differ
    """,
    hint="Geometry says the midpoint is inside the shell; it does not say what the generator draws there. Scale one "
    "z by 0.71 and compare the mean pixel value with the original.",
    checker=_check_ink,
    hidden_tests=False,
    check_args=", generator=generator, noise=snaps.noise",
)
