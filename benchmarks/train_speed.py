"""Training throughput: the project's train_step against a plain tf.function + two GradientTape loop.

Both train the report's models (2,343,681 + 213,633 parameters) on real MNIST batches of the same
size. Every (precision, XLA) candidate the package chooses among is timed, in alternating rounds after
a warm-up (compilation excluded), so that a machine whose load drifts treats them alike; the figure
is the median over rounds. The last lines say what the package's default picks on this machine.

    MNIST_DIR=../shared/mnist python benchmarks/train_speed.py [--batch-size 32] [--steps 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import dcgan_lessons as dl  # first: TensorFlow starts quietly
from dcgan_lessons import speed
from dcgan_lessons.data import load_mnist, make_dataset
from dcgan_lessons.gan import build_gan

import keras
import numpy as np
import tensorflow as tf


def plain_loop(batch_size: int):
    """The TensorFlow DCGAN tutorial's loop: float32, no XLA, written out by hand."""
    config = dl.make_config(batch_size=batch_size, xla=False)
    generator = dl.build_generator(seed=0)
    discriminator = dl.build_discriminator(config.alpha, seed=0)
    g_opt = keras.optimizers.Adam(config.lr, beta_1=config.beta_1)
    d_opt = keras.optimizers.Adam(config.lr, beta_1=config.beta_1)
    bce = keras.losses.BinaryCrossentropy()

    @tf.function
    def step(real):
        noise = tf.random.normal((batch_size, config.latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_out = discriminator(real, training=True)
            fake_out = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_vars, d_vars = generator.trainable_variables, discriminator.trainable_variables
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars, strict=True))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars, strict=True))
        return d_loss

    def run(batches):
        for batch in batches:
            loss = step(batch)
        float(loss)

    return run


def project_step(batch_size: int, **settings):
    """The package's DCGAN.train_step, compiled as ``fit`` compiles it."""
    gan = build_gan(dl.make_config(batch_size=batch_size, **settings))
    gan.make_train_function()
    train_function = gan.train_function

    def run(batches):
        logs = None
        for batch in batches:
            logs = train_function(iter([batch]))
        float(logs["d_loss"])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per variant and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    images = load_mnist().train_images
    dataset = make_dataset(images, args.batch_size, seed=0, subset=args.batch_size * args.steps)
    batches = list(dataset)
    variants = {"plain loop, float32 (baseline)": plain_loop(args.batch_size)}
    for precision, xla in speed.candidates(dl.make_config()):
        name = f"package, {speed.label(precision, xla)}"
        variants[name] = project_step(args.batch_size, precision=precision, xla=xla)
    for run in variants.values():  # warm-up: tracing and compilation are not timed
        run(batches[:3])
    seconds = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            start = time.perf_counter()
            run(batches)
            seconds[name].append(time.perf_counter() - start)

    cpu = next((line.split(":")[1].strip() for line in open("/proc/cpuinfo") if "model name" in line), "?")
    flags = speed.cpu_flags()
    simd = " ".join(sorted(f for f in flags if f.startswith(("avx", "amx")))) or "none listed"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu}; TensorFlow {tf.__version__}")
    print(f"CPU vector flags: {simd}")
    print(f"batch {args.batch_size}, {args.steps} steps x {args.rounds} rounds, median images per second:")
    base = None
    for name, times in seconds.items():
        rate = args.batch_size * args.steps / statistics.median(times)
        base = base or rate
        ms = np.median(times) / args.steps * 1000
        print(f"  {name:34s} {rate:7.1f} img/s   {rate / base:4.2f}x   ({ms:.0f} ms/step)")
    print(f"the rule for short runs picks: {speed.label(*speed.rule(flags, speed.has_gpu()))}")
    print("runs of 500+ steps measure the candidates themselves (config.json records the choice)")


if __name__ == "__main__":
    main()
