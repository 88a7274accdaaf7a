"""Fast by default on the machine at hand: which number format and compiler a run uses.

What is fastest depends on the processor. On an AVX2-only CPU XLA is the fastest setting and bfloat16
is emulated (slow); on a CPU with AVX-512 BF16 or AMX, oneDNN's bfloat16 kernels without XLA are the
fastest and XLA the slowest. So a run that leaves ``precision`` and ``xla`` open (None, the default)
gets them by measurement: a run of :data:`PROBE_MIN_STEPS` steps or more times a few real steps of
each candidate after compilation, in rounds that alternate between the candidates so that the load of a
shared machine falls on all of them alike (a minute or two), and takes the one with the fastest median
round; a shorter run, where the probe would cost more than it saves, follows :func:`rule`. The choice and
the measured rates are printed once and stored in ``config.json``, so a run is reproducible and a resumed run
keeps them.
Flags (``--precision``, ``--xla``/``--no-xla``) force a choice. bfloat16 changes the numbers slightly
(8 bits of mantissa in the layers; the losses and the output stay float32).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .config import PRECISIONS, TrainConfig

PROBE_MIN_STEPS = 500
PROBE_ROUNDS = 7  # timed rounds per candidate, interleaved; a candidate's rate is its median round
PROBE_STEPS = 4  # train steps per candidate and round
PROBE_WARMUP = 3  # untimed steps per candidate after compilation
PROBE_SCREEN = 2  # rounds after which a candidate at under half the best median stops
BF16_FLAGS = {"avx512_bf16", "amx_bf16"}  # CPUs with native bfloat16 arithmetic


def cpu_flags() -> set[str]:
    """The processor's feature flags (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((row for row in text.splitlines() if row.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def rule(flags: set[str], gpu: bool = False) -> tuple[str, bool]:
    """(precision, xla) for a short run, from measurements on both kinds of CPU (README, Performance):
    native bfloat16 without XLA where the CPU has it, float32 with XLA elsewhere and on GPUs."""
    if not gpu and flags & BF16_FLAGS:
        return "mixed_bfloat16", False
    return "float32", True


def label(precision: str, xla: bool) -> str:
    return f"{precision}{' + XLA' if xla else ''}"


def candidates(config: TrainConfig) -> list[tuple[str, bool]]:
    """Every (precision, xla) the config leaves open, float32 + XLA first."""
    precisions = [config.precision] if config.precision else list(PRECISIONS)
    xlas = [config.xla] if config.xla is not None else [True, False]
    return [(p, x) for p in precisions for x in xlas]


def runners(
    config: TrainConfig,
    images: np.ndarray,
    options: list[tuple[str, bool]],
    warmup: int = PROBE_WARMUP,
    labels: np.ndarray | None = None,
) -> dict[str, Callable[[int], None]]:
    """For each option (by :func:`label`), a function that runs that many steps of its compiled train_step on
    real batches and returns when they are done; each is compiled and warmed up here, so that no timing sees it."""
    from .data import make_dataset
    from .gan import build_gan

    subset = config.batch_size * max(PROBE_STEPS, warmup)
    batches = list(make_dataset(images, config.batch_size, config.seed, subset=min(subset, len(images)), labels=labels))
    found = {}
    for precision, xla in options:
        gan = build_gan(dataclasses.replace(config, precision=precision, xla=xla))
        gan.make_train_function()
        found[label(precision, xla)] = run = _stepper(gan.train_function, batches)
        run(warmup)
    return found


def _stepper(train_function, batches: list) -> Callable[[int], None]:
    def run(steps: int) -> None:
        for k in range(steps):
            logs = train_function(iter([batches[k % len(batches)]]))
        float(logs["d_loss"])  # the steps run asynchronously: wait for the last one

    return run


def probe(
    runners: dict[str, Callable[[int], None]],
    images_per_step: int,
    rounds: int = PROBE_ROUNDS,
    steps: int = PROBE_STEPS,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Images per second of each runner in each of ``rounds`` rounds of ``steps`` steps. A round times every
    candidate once, in alternating order (forwards, then backwards), so that a burst of load from elsewhere on
    the machine falls on one round of a candidate rather than on all of it, and a drift treats them alike.
    After :data:`PROBE_SCREEN` rounds a candidate whose fastest round is under half the best median stops (it
    cannot end near the best), so the time goes to the close ones: emulated bfloat16 on a CPU without native
    bfloat16 runs at about a tenth of the others' speed."""
    rates = {name: [] for name in runners}
    running = list(runners)
    for round_ in range(rounds):
        if round_ == PROBE_SCREEN:
            best = max(statistics.median(values) for values in rates.values())
            running = [name for name in running if max(rates[name]) >= best / 2]
        for name in running if round_ % 2 == 0 else running[::-1]:
            start = clock()
            runners[name](steps)
            rates[name].append(images_per_step * steps / (clock() - start))
    return rates


def measure(
    config: TrainConfig,
    images: np.ndarray,
    options: list[tuple[str, bool]],
    rounds: int = PROBE_ROUNDS,
    steps: int = PROBE_STEPS,
    warmup: int = PROBE_WARMUP,
    labels: np.ndarray | None = None,
) -> dict[str, float]:
    """Images per second of each option's compiled train_step on real batches (with their ``labels`` for a
    conditional GAN): the median over :func:`probe`'s interleaved rounds (compilation and warm-up not timed)."""
    rates = probe(runners(config, images, options, warmup, labels), config.batch_size, rounds, steps)
    return {name: round(statistics.median(values), 1) for name, values in rates.items()}


def choose(
    config: TrainConfig, images: np.ndarray, total_steps: int, labels: np.ndarray | None = None
) -> tuple[TrainConfig, dict]:
    """The config with precision and xla settled, and the record of how (for config.json); a conditional
    run's probe needs the images' ``labels``."""
    options = candidates(config)
    if len(options) == 1:
        precision, xla = options[0]
        return dataclasses.replace(config, precision=precision, xla=xla), {"chosen": label(*options[0]), "by": "flags"}
    flags = cpu_flags()
    record = {"cpu_bf16": sorted(flags & BF16_FLAGS)}
    if total_steps >= PROBE_MIN_STEPS:
        rates = measure(config, images, options, labels=labels)
        precision, xla = next(o for o in options if label(*o) == max(rates, key=rates.get))
        record |= {"by": "probe", "images_per_second": rates, "rounds": PROBE_ROUNDS, "steps_per_round": PROBE_STEPS}
    else:
        precision, xla = rule(flags, has_gpu())
        if (precision, xla) not in options:  # one of the two was forced: keep it, take the rule's other
            precision, xla = config.precision or precision, xla if config.xla is None else config.xla
        record |= {"by": "rule"}
    return dataclasses.replace(config, precision=precision, xla=xla), {"chosen": label(precision, xla), **record}


def describe(record: dict) -> str:
    """One line for the user: what was chosen, and why."""
    if record["by"] == "probe":
        rates = ", ".join(f"{name} {rate:g} img/s" for name, rate in record["images_per_second"].items())
        how = f" (medians of up to {record['rounds']} interleaved rounds)" if "rounds" in record else ""  # not in old
        return f"Speed probe on this machine{how}: {rates}; training with {record['chosen']}."
    return f"Training with {record['chosen']} ({'as asked' if record['by'] == 'flags' else 'the rule for this CPU'})."
