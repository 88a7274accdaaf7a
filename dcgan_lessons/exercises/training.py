"""Exercises of notebook 05: the two halves of train_step, and who is winning."""

from __future__ import annotations

import numpy as np

from . import _call, _close, _Malformed, _number, _register, _short, _Wrong


def _tiny_gan(seed: int = 1):
    """The package's DCGAN with narrow layers and plain SGD: fast, and its updates are proportional to
    the gradient (Adam's first step is not), so a wrongly scaled loss shows in the weights."""
    import keras

    from ..gan import DCGAN
    from ..models import build_discriminator, build_generator

    gan = DCGAN(
        build_generator(latent_dim=8, filters=(8, 4, 2), seed=seed),
        build_discriminator(filters=(4, 8), seed=seed),
        seed=seed,
    )
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    return gan


def _weights(model) -> list[np.ndarray]:
    return [np.array(w.numpy()) for w in model.trainable_weights]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.allclose(x, y, rtol=1e-4, atol=1e-6) for x, y in zip(a, b, strict=True))


def _reference_step(seed: int, batch: int):
    """One step of the package's own DCGAN.train_step on a tiny batch: the numbers d_step and g_step must match."""
    import keras

    real = np.random.default_rng(seed).uniform(-1, 1, (batch, 28, 28, 1)).astype("float32")
    gan = _tiny_gan(seed)
    before = {"g": _weights(gan.generator), "d": _weights(gan.discriminator)}
    logs = gan.train_step(real)
    after = {"g": _weights(gan.generator), "d": _weights(gan.discriminator)}
    # train_step draws its noise from a SeedGenerator(seed); the first draw of a fresh one is the same noise
    noise = keras.random.normal((batch, 8), seed=keras.random.SeedGenerator(seed))
    probe = _tiny_gan(seed)
    fake_prob = probe.discriminator(probe.generator(noise, training=True), training=True)
    real_prob = probe.discriminator(real, training=True)
    return real, noise, before, after, logs, real_prob, fake_prob


def _check_update(got: list[np.ndarray], before, after, player: str, optimizer: str) -> None:
    if _same(got, before):
        raise _Wrong(
            f"the {player}'s weights did not change: apply the gradients with gan.{optimizer}.apply_gradients("
            f"zip(gradients, gan.{player}.trainable_weights))"
        )
    if _same(got, after):
        return
    wanted = [a - b for a, b in zip(after, before, strict=True)]
    moved = [g - b for g, b in zip(got, before, strict=True)]
    if all(np.allclose(m, -w, rtol=1e-3, atol=1e-6) for m, w in zip(moved, wanted, strict=True)):
        raise _Wrong(f"the {player}'s weights moved the wrong way: minimise the loss, do not climb it")
    raise _Wrong(
        f"your loss is right but the {player}'s update differs from the package's train_step: take the gradient of "
        f"that loss inside the tape, with respect to gan.{player}.trainable_weights, and apply it with gan.{optimizer}"
    )


def _check_d_step(d_step, hidden: bool = False, **_) -> str:
    from ..losses import discriminator_loss

    seed, batch = (5, 3) if hidden else (1, 4)
    real, noise, before, after, logs, real_prob, fake_prob = _reference_step(seed, batch)
    gan = _tiny_gan(seed)
    loss = _number(_call(d_step, gan, real, noise), "d_step's return value (the discriminator's loss)")
    if not _same(_weights(gan.generator), before["g"]):
        raise _Wrong(
            "d_step changed the generator's weights: apply gradients only to gan.discriminator.trainable_weights"
        )
    want = float(logs["d_loss"])
    if not _close(loss, want):
        known = {
            2 * want: "you added the real and the fake terms; dl.discriminator_loss reports their mean",
            float(discriminator_loss(fake_prob, real_prob)): "the labels are swapped: real digits are 1, fakes 0",
        }
        reason = next((m for v, m in known.items() if _close(loss, v)), None) or (
            "call both models with training=True (batch normalization behaves differently otherwise), and use "
            "dl.discriminator_loss(real_prob, fake_prob)"
        )
        raise _Wrong(f"d_step returned d_loss {loss:.4f}, the package's train_step gets {want:.4f}: {reason}")
    _check_update(_weights(gan.discriminator), before["d"], after["d"], "discriminator", "d_optimizer")
    return "this is the first half of DCGAN.train_step: D learns to say 1 to real digits and 0 to fakes."


_register(
    id="ex11",
    notebook="05_training",
    title="The discriminator's half of train_step",
    task="""
Write `d_step(gan, real_images, noise)`: one update of `gan.discriminator`, as the first half of the package's
`DCGAN.train_step`. Make fakes with `gan.generator(noise, training=True)`, score real digits and fakes with the
discriminator (`training=True`), take `dl.discriminator_loss(real_prob, fake_prob)` inside a `tf.GradientTape`,
and apply its gradient to `gan.discriminator.trainable_weights` with `gan.d_optimizer`. Return the loss.
The check runs your function on a tiny copy of the package's DCGAN and compares with its own `train_step`.
""",
    answer="d_step",
    template='''
    import tensorflow as tf


    def d_step(gan, real_images, noise):
        """Update the discriminator once: real digits -> 1, fakes -> 0. Returns its loss."""
        {solution}
    ''',
    solution="""
    fake_images = gan.generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_prob = gan.discriminator(real_images, training=True)
        fake_prob = gan.discriminator(fake_images, training=True)
        d_loss = dl.discriminator_loss(real_prob, fake_prob)
    weights = gan.discriminator.trainable_weights
    gan.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))
    return d_loss
    """,
    hint="Only the discriminator's forward pass and loss need to be inside `with tf.GradientTape() as tape:`; "
    "then tape.gradient(d_loss, weights) and gan.d_optimizer.apply_gradients(zip(grads, weights, strict=True)).",
    checker=_check_d_step,
    points=2,
)


def _check_g_step(g_step, hidden: bool = False, **_) -> str:
    from ..losses import generator_loss

    seed, batch = (5, 3) if hidden else (1, 4)
    _, noise, before, after, logs, _, fake_prob = _reference_step(seed, batch)
    gan = _tiny_gan(seed)
    loss = _number(_call(g_step, gan, noise), "g_step's return value (the generator's loss)")
    if not _same(_weights(gan.discriminator), before["d"]):
        raise _Wrong(
            "g_step changed the discriminator's weights: apply gradients only to gan.generator.trainable_weights"
        )
    want = float(logs["g_loss"])
    if not _close(loss, want):
        minimax = float(generator_loss(fake_prob, "minimax"))
        known = {
            minimax: "that is the minimax loss log(1 - D(G(z))); the report (and the package) use the "
            "non-saturating -log D(G(z)): dl.generator_loss(fake_prob)",
            -minimax: "you labelled the fakes 0, the discriminator's target. The generator wants D to call its "
            "fakes real: target 1",
        }
        reason = next((m for v, m in known.items() if _close(loss, v)), None) or (
            "score the fakes with gan.discriminator(..., training=True) and use dl.generator_loss(fake_prob)"
        )
        raise _Wrong(f"g_step returned g_loss {loss:.4f}, the package's train_step gets {want:.4f}: {reason}")
    _check_update(_weights(gan.generator), before["g"], after["g"], "generator", "g_optimizer")
    return "the generator learns only through the discriminator's judgement of its fakes: it never sees a real digit."


_register(
    id="ex12",
    notebook="05_training",
    title="The generator's half of train_step",
    task="""
Write `g_step(gan, noise)`: one update of `gan.generator`, as the second half of `DCGAN.train_step`. Inside a
`tf.GradientTape`, make fakes from `noise`, score them with the discriminator (both calls with `training=True`)
and take the non-saturating loss `dl.generator_loss(fake_prob)`; apply its gradient to
`gan.generator.trainable_weights` with `gan.g_optimizer`, and return the loss.
""",
    answer="g_step",
    template='''
    def g_step(gan, noise):
        """Update the generator once, so that D calls its fakes real. Returns its loss."""
        {solution}
    ''',
    solution="""
    with tf.GradientTape() as tape:
        fake_prob = gan.discriminator(gan.generator(noise, training=True), training=True)
        g_loss = dl.generator_loss(fake_prob)
    weights = gan.generator.trainable_weights
    gan.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))
    return g_loss
    """,
    hint="This time the generator's forward pass must be inside the tape too: the gradient flows from the loss, "
    "through the discriminator, back into the generator's weights.",
    checker=_check_g_step,
    points=2,
)


SIDES = ("discriminator", "generator", "neither")


def _check_winner(winning_side, hidden: bool = False, **_) -> str:
    cases = [(0.95, 0.05), (0.5, 0.5), (0.3, 0.7), (0.55, 0.48), (0.62, 0.45)]
    if hidden:
        cases = [(0.45, 0.6), (0.56, 0.47), (0.8, 0.6)]
    for d_real, d_fake in cases:
        got = _call(winning_side, d_real, d_fake)
        if got not in SIDES:
            raise _Wrong(
                f"winning_side({d_real}, {d_fake}) returned {got!r}; return one of {', '.join(map(repr, SIDES))}"
            )
        gap = d_real - d_fake
        expected = "discriminator" if gap > 0.1 else "generator" if gap < -0.1 else "neither"
        if got != expected:
            reading = {
                "discriminator": "D(x) is well above D(G(z)): D tells real from fake, so D is winning",
                "generator": "D(G(z)) is above D(x): D takes the fakes for more real than the real digits",
                "neither": "the two are within 0.1 of each other: D cannot tell them apart",
            }[expected]
            raise _Wrong(
                f"at D(x) = {d_real}, D(G(z)) = {d_fake} the answer is {expected!r}, you said {got!r}: {reading}"
            )
    return "near 0.5 and 0.5, neither side wins: the balance the report's losses (both near ln 2) show."


_register(
    id="ex13",
    notebook="05_training",
    title="Who is winning?",
    task="""
Read the D(x) and D(G(z)) curves above. Write `winning_side(d_real, d_fake)` that says who is winning at one
moment: `"discriminator"` when D(x) is more than 0.1 above D(G(z)) (it tells them apart), `"generator"` when
D(G(z)) is more than 0.1 above D(x) (the fakes look more real to D than the real digits), else `"neither"`.
Then apply it to the first and the last epoch of the run above: which side won early, and which late?
""",
    answer="winning_side",
    template='''
    def winning_side(d_real, d_fake):
        """'discriminator', 'generator' or 'neither', from the mean D(x) and D(G(z)) at one moment."""
        {solution}
    ''',
    solution="""
    gap = d_real - d_fake
    if gap > 0.1:
        return "discriminator"
    if gap < -0.1:
        return "generator"
    return "neither"
    """,
    hint="Compare the gap d_real - d_fake with +0.1 and -0.1.",
    checker=_check_winner,
)


RUNS = {  # three committed runs after their first epoch: losses, D's outputs, the judge's numbers on 500 fixed z
    "A": {"d_loss": 0.522, "g_loss": 1.213, "d_real": 0.631, "d_fake": 0.368, "modes": 10, "score": 6.48},
    "B": {"d_loss": 0.505, "g_loss": 1.033, "d_real": 0.667, "d_fake": 0.388, "modes": 2, "score": 1.39},
    "C": {"d_loss": 0.008, "g_loss": 15.58, "d_real": 0.997, "d_fake": 0.005, "modes": 1, "score": 1.02},
}
SOURCES = {  # where each run's numbers come from (the epoch's row of history.json; the judge's of result.json)
    "A": "reference-run, epoch 1 (history.json; the judge's numbers from analysis/epochs.json)",
    "B": "sweeps/first_row/runs/tutorial/seed_2 (history.json, result.json)",
    "C": "sweeps/stabilisers/runs/two_time_scales/seed_1 (history.json, result.json)",
}
DIAGNOSES = {"A": "healthy", "B": "not formed yet", "C": "discriminator won"}
_A, _B, _C = RUNS["A"], RUNS["B"], RUNS["C"]
WHY = {
    "A": f"A is the reference run after its first epoch, with the report's settings: D is ahead (D(x) "
    f"{_A['d_real']:.3f} against D(G(z)) {_A['d_fake']:.3f}), and the judge finds all {_A['modes']} digits "
    f"with a score of {_A['score']:.2f}: nothing is wrong",
    "B": "B is a run with the TensorFlow tutorial's settings (batch 256 and Adam 1e-4, so its epoch is 234 steps, "
    "not 1,875; sweeps/first_row, tutorial seed 2): its losses and D's outputs look like A's, but the judge reads "
    f"its samples as only {_B['modes']} kinds of digit with a score of {_B['score']:.2f} (1 is the floor): its "
    "digits have not formed yet, which the losses cannot show",
    "C": f"C is the stabiliser sweep's two_time_scales run, seed 1 (D learning at 4e-4): d_loss {_C['d_loss']:.3f} "
    f"with D(x) {_C['d_real']:.3f} and D(G(z)) {_C['d_fake']:.3f}: D separates everything, the generator gets no "
    f"useful signal (g_loss {_C['g_loss']:.1f}), and the judge reads all its samples as {_C['modes']} digit "
    f"(score {_C['score']:.2f})",
}


def _runs_table() -> str:
    """The task's table, from RUNS: the numbers are written once."""
    rows = [
        f"| {run} | {r['d_loss']:.3f} | {r['g_loss']:.3f} | {r['d_real']:.3f} | {r['d_fake']:.3f} | {r['modes']} "
        f"| {r['score']:.2f} |"
        for run, r in RUNS.items()
    ]
    header = "| run | d_loss | g_loss | D(x) | D(G(z)) | modes (of 10) | classifier score (of 10) |"
    return "\n".join([header, "|---" * 7 + "|", *rows])


def _check_diagnosis(diagnosis, hidden: bool = False, **_) -> str:
    if not isinstance(diagnosis, dict) or set(diagnosis) != set(RUNS):
        raise _Malformed(f"diagnosis must be a dict with the keys 'A', 'B' and 'C', got {_short(diagnosis)}")
    allowed = set(DIAGNOSES.values())
    for run, verdict in diagnosis.items():
        if verdict not in allowed:
            raise _Malformed(f"diagnosis[{run!r}] is {verdict!r}; use one of {', '.join(map(repr, sorted(allowed)))}")
    wrong = [run for run, verdict in sorted(diagnosis.items()) if verdict != DIAGNOSES[run]]
    if wrong:
        raise _Wrong(" ".join(f"Run {run} is not {diagnosis[run]!r}: {WHY[run]}." for run in wrong))
    return (
        "the losses tell who is winning; only a look at the digits (the judge) tells unformed digits from health. "
        + " ".join(f"{run}: {source}." for run, source in SOURCES.items())
    )


_register(
    id="ex18",
    notebook="05_training",
    title="Diagnose three runs",
    task=f"""
Three committed runs of this series after their first epoch (not all with the report's settings; the check
names where each comes from). For each, the epoch means of the losses and of D's outputs, and the judge's
numbers (notebook 06) on 500 fixed noise vectors:

{_runs_table()}

Diagnose each: `"healthy"`, `"discriminator won"` (D separates real from fake almost perfectly and G learns
nothing useful) or `"not formed yet"` (G does not draw digits the judge can read yet). Set `diagnosis` to a dict
from run name to verdict. Which run could you not diagnose from the losses alone?
""",
    answer="diagnosis",
    template="""
    {solution}
    """,
    solution="""
    diagnosis = {"A": "healthy", "B": "not formed yet", "C": "discriminator won"}
    """,
    hint="Compare A and B column by column: where do they differ? Then look at C's D(x) and D(G(z)).",
    checker=_check_diagnosis,
    hidden_tests=False,
    first_answer_only=True,
)
