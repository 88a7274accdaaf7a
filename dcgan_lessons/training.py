"""Training: :func:`train` plays the game of ``gan`` on MNIST, batch after batch, and writes everything into a
run folder (``runs``) as it goes; :func:`sample` draws new digits from a finished run.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np

from .config import TrainConfig
from .data import load_mnist, make_dataset, steps_per_epoch
from .files import write_json
from .gan import DCGAN, GeneratorAverage, build_gan, generate_uint8
from .models import CLASSES
from .runs import (
    CONFIG,
    PREVIOUS,
    Record,
    Run,
    RunError,
    checkpoints,
    load_checkpoint,
    load_run,
    locked,
    prepare_folder,
    resume_config,
    save_checkpoint,
    threads,
    undo_unfinished,
    versions,
    write_run_files,
)
from .speed import choose, describe


class TrainingDiverged(RunError):
    """The losses stopped being finite numbers; the message says where and what to change."""


def snapshot_schedule(config: TrainConfig, steps: int, epoch: int) -> list[int]:
    """The steps of epoch ``epoch`` (counted from 0) after which the fixed noise is drawn: four a quarter
    epoch apart (or every ``snapshot_every`` steps), and always the epoch's last step, so that every
    epoch's sample grid and saved generator show the same moment."""
    first, last = epoch * steps, (epoch + 1) * steps
    if config.snapshot_every is None:
        due = {first + k * steps // 4 for k in range(1, 5)}
    else:
        every = config.snapshot_every
        due = set(range((first // every + 1) * every, last + 1, every))
    return sorted({step for step in due if step > first} | {last})


class RunRecorder(keras.callbacks.Callback):
    """Writes the run folder while ``fit`` runs: the step history, snapshots of the fixed noise, and at
    every epoch's end a checkpoint (the commit) and the files derived from it. It stops a run whose
    losses are no longer finite before that epoch is saved."""

    def __init__(
        self,
        run_dir: Path,
        config: TrainConfig,
        steps: int,
        record: Record,
        average: GeneratorAverage | None = None,
        on_commit=None,
    ):
        super().__init__()
        self.run_dir = run_dir
        self.config = config
        self.steps = steps
        self.record = record
        self.average = average
        self.on_commit = on_commit
        self.diverged: str | None = None

    def on_train_begin(self, logs=None):
        if not self.record.snapshot_steps:
            self._snapshot(0)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()
        self.last_logged = (0, None)
        self.due = set(snapshot_schedule(self.config, self.steps, epoch))

    def _snapshot(self, step: int) -> None:
        self.record.snapshot_steps.append(step)
        noise, labels = self.record.noise, self.record.labels
        self.record.snapshot_images.append(generate_uint8(self.model.generator, noise, labels))
        if self.average:
            self.record.snapshot_images_ema.append(generate_uint8(self.average.model, noise, labels))

    def on_train_batch_end(self, batch, logs=None):
        if self.average:
            self.average.update()
        done = batch + 1
        step = self.epoch * self.steps + done
        if step % self.config.log_every == 0 or done == self.steps:
            # Keras reports the mean since the epoch began; turn it into the mean since the last log.
            before, previous = self.last_logged
            means = {k: float(logs[k]) for k in METRICS}
            if self._check_finite(means, step):
                row = {"step": step}
                for key, mean in means.items():
                    total = mean * done - (previous[key] * before if previous else 0.0)
                    row[key] = round(total / (done - before), 6)
                self.record.history["steps"].append(row)
                self.last_logged = (done, means)
        if step in self.due and not self.diverged:
            self._snapshot(step)

    def _check_finite(self, means: dict, step: int) -> bool:
        bad = [f"{k} {v}" for k, v in means.items() if not np.isfinite(v)]
        if bad and not self.diverged:
            self.diverged = f"step {step} ({', '.join(bad)})"
            self.model.stop_training = True
        return not bad

    def on_epoch_end(self, epoch, logs=None):
        means = {k: float(logs[k]) for k in METRICS}
        if not self._check_finite(means, (epoch + 1) * self.steps) or self.diverged:
            return  # a diverged epoch is never saved
        self.record.history["epochs"].append(
            {
                "epoch": epoch + 1,
                "steps": (epoch + 1) * self.steps,
                "seconds": round(time.perf_counter() - self.epoch_start, 2),
                **{k: round(v, 6) for k, v in means.items()},
            }
        )
        save_checkpoint(self.run_dir, self.model, self.record, epoch + 1, self.average)
        if self.on_commit:
            self.on_commit()
        write_run_files(self.run_dir, self.model, self.record, epoch + 1, self.average)


METRICS = ("d_loss", "g_loss", "d_real", "d_fake")


def train(
    config: TrainConfig | None = None,
    run_dir: str | os.PathLike = "runs/latest",
    resume: bool = False,
    overwrite: bool = False,
    mnist_dir: str | os.PathLike | None = None,
    verbose: int | str = "auto",
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    step: Callable | None = None,
) -> Run:
    """Train the DCGAN on MNIST as ``config`` says and write the run folder; returns the run.

    ``generator``, ``discriminator`` (untrained Keras models) and ``step`` (a ``train_step(self,
    real_images)``) train your own pieces instead of the package's, with the same run folder,
    snapshots, resume and analysis; ``config.json`` records which pieces were yours, and resuming such
    a run asks for them again.

    With ``resume`` an interrupted run continues from its last finished epoch and ends where an
    uninterrupted one would (the data order, noise and weights depend only on the seed); without a
    ``config`` it keeps the run's own settings. A ``resume`` with a larger ``epochs`` extends a run.
    Everything that can fail on bad input is checked before the folder is touched."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(f"{run_dir} is a file, not a folder; choose another --run-dir.")
    if resume and overwrite:
        raise ValueError("resume continues a run and overwrite replaces it: choose one")
    if resume and (run_dir / CONFIG).is_file():
        config = resume_config(run_dir, config.to_dict() if config else {})
    config = config or TrainConfig()
    mnist = load_mnist(mnist_dir)
    steps = steps_per_epoch(len(mnist.train_images), config.batch_size, config.subset)
    if steps == 0:
        raise ValueError(
            f"{len(mnist.train_images)} training images make no full batch of {config.batch_size}; "
            f"use a smaller batch size"
        )
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with locked(run_dir):
            try:
                first_epoch = prepare_folder(run_dir, config, resume, overwrite)
                pieces = {"generator": generator, "discriminator": discriminator, "step": step}
                custom = sorted(name for name, piece in pieces.items() if piece is not None)
                stored = load_run(run_dir).config if first_epoch else {"custom": custom}
                if (theirs := stored.get("custom", [])) != custom:
                    raise RunError(
                        f"{run_dir} was trained with your own pieces ({', '.join(theirs) or 'none'}), "
                        f"not these ({', '.join(custom) or 'none'}); resume it with the same pieces."
                    )
                labels = mnist.train_labels if config.conditional else None
                config, speed = choose(config, mnist.train_images, (config.epochs - first_epoch) * steps, labels)
                if first_epoch:  # a resumed run keeps the record of how its settings were chosen
                    speed = stored.get("speed", speed)
                elif verbose:
                    print(describe(speed), flush=True)
                keras.utils.set_random_seed(config.seed)
                gan = build_gan(config, generator, discriminator, step)
                return _train_locked(
                    gan, config, run_dir, first_epoch, mnist.train_images, labels, steps, verbose, custom, speed
                )
            except BaseException:
                undo_unfinished(run_dir)
                raise
    finally:
        if created and run_dir.is_dir() and not any(run_dir.iterdir()):
            run_dir.rmdir()


def _train_locked(
    gan: DCGAN,
    config: TrainConfig,
    run_dir: Path,
    first_epoch: int,
    images: np.ndarray,
    labels: np.ndarray | None,
    steps: int,
    verbose: int | str,
    custom: list[str],
    speed: dict,
) -> Run:
    average = GeneratorAverage(gan.generator, config.ema, config.ema_debiased) if config.ema else None
    if first_epoch:
        record = load_checkpoint(checkpoints(run_dir)[first_epoch], gan, average)
        write_run_files(run_dir, gan, record, first_epoch, average)  # repairs a folder a kill left half-written
    else:
        noise = (
            np.random.default_rng([config.seed, 1])
            .standard_normal((config.snapshot_size, config.latent_dim))
            .astype(np.float32)
        )
        asked = np.arange(config.snapshot_size) % CLASSES if config.conditional else None  # every digit in turn
        record = Record({"epochs": [], "steps": []}, noise, [], [], labels=asked)

    write_json(
        run_dir / CONFIG,
        {
            **config.to_dict(),
            "steps_per_epoch": steps,
            "train_images": steps * config.batch_size,
            "custom": custom,
            "speed": speed,
            "versions": versions(),
            "threads": threads(),
        },
    )
    if first_epoch < config.epochs:
        previous = run_dir / PREVIOUS
        recorder = RunRecorder(
            run_dir, config, steps, record, average, on_commit=lambda: previous.is_dir() and shutil.rmtree(previous)
        )
        dataset = make_dataset(
            images, config.batch_size, config.seed, config.epochs, first_epoch, config.subset, labels
        )
        gan.fit(
            dataset,
            epochs=config.epochs,
            initial_epoch=first_epoch,
            steps_per_epoch=steps,
            callbacks=[recorder],
            verbose=verbose,
            shuffle=False,  # make_dataset already shuffles, reproducibly per epoch
        )
        if recorder.diverged:
            kept = load_run(run_dir).finished_epochs
            raise TrainingDiverged(
                f"training diverged at {recorder.diverged}: the losses are no longer finite numbers. "
                + (f"{run_dir} keeps the last good epoch ({kept}). " if kept else "Nothing was saved. ")
                + "Try a smaller learning rate (--lr) or the report's settings."
            )
    return load_run(run_dir)


def asked_labels(label: int | None, n: int, conditional: bool) -> np.ndarray | None:
    """The digit asked of each of ``n`` samples: ``label`` for all, or every digit in turn (0, 1, ..., 9, 0, ...)
    from a conditional generator that was asked for none; None for an unconditional one, which takes no label."""
    if not conditional:
        if label is not None:
            raise ValueError(
                f"this run's generator is unconditional: it cannot be asked for a {label}; leave out the label, "
                f"or train with --conditional"
            )
        return None
    if label is None:
        return np.arange(n) % CLASSES
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label < CLASSES:
        raise ValueError(f"label must be a digit from 0 to {CLASSES - 1}, got {label!r}")
    return np.full(n, label)


def iter_samples(
    run: Run | str | os.PathLike,
    n: int = 64,
    seed: int = 0,
    batch_size: int = 1024,
    ema: bool = False,
    label: int | None = None,
) -> Iterator[np.ndarray]:
    """``n`` new digits from a run's final generator (``ema``: its average), as uint8 batches (at most
    ``batch_size``, 28, 28): memory stays bounded however many are asked for. The noise depends only on
    ``seed`` and ``n``. A conditional run draws the digit ``label`` (default: every digit in turn)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    run = run if isinstance(run, Run) else load_run(run)
    labels = asked_labels(label, n, bool(run.config.get("conditional")))
    generator = run.generator(ema=ema)
    rng = np.random.default_rng(seed)
    for start in range(0, n, batch_size):
        noise = rng.standard_normal((min(batch_size, n - start), generator.inputs[0].shape[-1])).astype(np.float32)
        yield generate_uint8(generator, noise, None if labels is None else labels[start : start + len(noise)])


def sample(
    run: Run | str | os.PathLike, n: int = 64, seed: int = 0, ema: bool = False, label: int | None = None
) -> np.ndarray:
    """``n`` new digits from a run's final generator (``ema``: its average), as uint8 (n, 28, 28); a
    conditional run draws the digit ``label`` (default: every digit in turn)."""
    return np.concatenate(list(iter_samples(run, n, seed, ema=ema, label=label)))
