"""The speed probe, repeated on this machine: does the setting it picks run within 5% of the fastest one?

Before a default run of 500+ steps, ``dcgan_lessons.speed`` times every (precision, XLA) candidate in rounds that
alternate between them and picks the fastest median round. This script compiles every candidate once, then runs
that timing ``--repeats`` times, each beside the probe as it was before (12 steps per candidate, one candidate
after the other), and times the candidates for longer, before and after the repetitions (``--long-rounds``
interleaved rounds of ``--long-steps`` steps each time), to say which is fastest. For each repetition it prints
what each probe picked and the chosen/best ratio of the long timing's medians. Nothing here is a test: the
figures depend on the machine and on what else runs on it.

    MNIST_DIR=../shared/mnist python benchmarks/speed_probe.py [--repeats 5] [--long-rounds 6] [--long-steps 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import dcgan_lessons as dl  # first: TensorFlow starts quietly
from dcgan_lessons import speed

import numpy as np

OLD_STEPS = 12  # the probe before the rounds: 12 timed steps per candidate, one candidate after the other


def one_after_the_other(runners: dict, images_per_step: int) -> dict[str, float]:
    """The old probe's timing (after the same warm-up): each candidate's 12 steps in one block."""
    rates = {}
    for name, run in runners.items():
        start = time.perf_counter()
        run(OLD_STEPS)
        rates[name] = images_per_step * OLD_STEPS / (time.perf_counter() - start)
    return rates


def fastest(rates: dict[str, float]) -> str:
    return max(rates, key=rates.get)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="repetitions of both probes")
    parser.add_argument("--long-rounds", type=int, default=6, help="rounds of the long timing, before and after")
    parser.add_argument("--long-steps", type=int, default=10, help="steps per candidate and round of the long timing")
    args = parser.parse_args()

    config = dl.make_config()  # the report's settings, precision and XLA left open: what a default run probes
    options = speed.candidates(config)
    images = dl.load_mnist().train_images
    start = time.perf_counter()
    runners = speed.runners(config, images, options)
    compiled = time.perf_counter() - start
    batch = config.batch_size

    long = {name: [] for name in runners}
    for name, values in speed.probe(runners, batch, args.long_rounds, args.long_steps).items():
        long[name] += values
    picks, seconds = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        rounds = speed.probe(runners, batch)
        seconds.append(time.perf_counter() - start)
        new = fastest({name: statistics.median(values) for name, values in rounds.items()})
        picks.append((new, fastest(one_after_the_other(runners, batch))))
    for name, values in speed.probe(runners, batch, args.long_rounds, args.long_steps).items():
        long[name] += values

    print(f"{os.cpu_count()} cores; batch {batch}; load average {os.getloadavg()[0]:.2f} at the end")
    print(f"compiling and warming up the {len(runners)} candidates: {compiled:.0f} s (both probes pay it once)")
    print(
        f"probe: {speed.PROBE_ROUNDS} interleaved rounds of {speed.PROBE_STEPS} steps, "
        f"{statistics.median(seconds):.0f} s of timing (median of {args.repeats}); "
        f"old probe: {OLD_STEPS} steps per candidate in one block"
    )
    median = {name: statistics.median(values) for name, values in long.items()}
    best = fastest(median)
    print(f"long timing, {2 * args.long_rounds} interleaved rounds of {args.long_steps} steps, img/s:")
    for name, values in long.items():
        low, high = np.percentile(values, [25, 75])
        print(f"  {name:22s} median {median[name]:6.1f} (quartiles {low:.1f} to {high:.1f})")
    print(f"fastest by the long timing: {best}")
    within = {"probe": 0, "old": 0}
    for k, (new, old) in enumerate(picks, 1):
        ratios = {"probe": median[new] / median[best], "old": median[old] / median[best]}
        within = {key: within[key] + (ratios[key] >= 0.95) for key in within}
        print(f"  repetition {k}: probe picks {new} ({ratios['probe']:.3f} of the best), ", end="")
        print(f"old probe {old} ({ratios['old']:.3f})")
    print(f"within 5% of the best: probe {within['probe']} of {len(picks)}, old probe {within['old']} of {len(picks)}")


if __name__ == "__main__":
    main()
