"""Training the DCGAN: the Keras model whose ``train_step`` plays one round of the game, the generator's
average, and :func:`train`, which writes everything into a run folder (the settings live in ``config``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import __version__
from .config import PRECISIONS, TrainConfig, config_to_resume, setting_differences
from .data import load_mnist, make_dataset, steps_per_epoch, to_uint8
from .files import write_json, write_npz, write_with
from .losses import discriminator_loss, generator_loss
from .models import build_discriminator, build_generator
from .runs import (
    CONFIG,
    DISCRIMINATOR,
    GENERATOR,
    GENERATOR_EMA,
    HISTORY,
    LOCK,
    RUN_FILES,
    SAMPLES,
    SNAPSHOTS,
    Run,
    RunError,
    checkpoint_path,
    checkpoints,
    load_run,
    locked,
)
from .speed import choose, describe


class DCGAN(keras.Model):
    """Generator and discriminator trained together; ``fit`` reports d_loss, g_loss, D(x), D(G(z)).

    Each step draws a batch of noise, runs the generator once, and updates both players from that
    one forward pass (two gradient tapes), as the TensorFlow DCGAN tutorial does."""

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        g_loss: str = "non_saturating",
        label_smoothing: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = generator.input_shape[-1]
        self.g_loss_kind = g_loss
        self.label_smoothing = label_smoothing
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = self.generator(noise, training=True)
            real_prob = self.discriminator(real_images, training=True)
            fake_prob = self.discriminator(fake_images, training=True)
            d_loss = discriminator_loss(real_prob, fake_prob, self.label_smoothing)
            g_loss = generator_loss(fake_prob, self.g_loss_kind)
        d_weights = self.discriminator.trainable_weights
        g_weights = self.generator.trainable_weights
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_weights), d_weights, strict=True))
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_weights), g_weights, strict=True))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(keras.ops.mean(real_prob))
        self.d_fake_tracker.update_state(keras.ops.mean(fake_prob))
        return {m.name: m.result() for m in self.metrics}

    def training_state(self) -> list:
        """Every variable a resumed run needs: both models, both optimizers, the noise seed."""
        return [
            *self.generator.variables,
            *self.discriminator.variables,
            *self.g_optimizer.variables,
            *self.d_optimizer.variables,
            self.noise_seed.state,
        ]


def build_gan(
    config: TrainConfig,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    step: Callable | None = None,
) -> DCGAN:
    """The report's two models (or your own), wrapped and compiled with Adam as ``config`` says.

    ``step`` replaces :meth:`DCGAN.train_step` (a function of ``(self, real_images)``): change the
    game in a notebook and train it with everything else as it is."""
    dtype = PRECISIONS[config.precision or "float32"]
    if generator is None:
        generator = build_generator(config.latent_dim, seed=config.seed, dtype=dtype)
    if discriminator is None:
        discriminator = build_discriminator(
            config.alpha, seed=config.seed, dtype=dtype, input_bn=config.d_input_bn, spectral_norm=config.spectral_norm
        )
    if generator.input_shape[-1] != config.latent_dim:
        raise ValueError(
            f"the generator takes z of size {generator.input_shape[-1]} but latent_dim is {config.latent_dim}; "
            f"make them agree"
        )
    gan_class = DCGAN if step is None else type("DCGAN", (DCGAN,), {"train_step": step})
    gan = gan_class(
        generator,
        discriminator,
        g_loss=config.g_loss,
        label_smoothing=config.label_smoothing,
        seed=config.seed,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(config.d_lr or config.lr, beta_1=config.beta_1),
        g_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        jit_compile=bool(config.xla),
    )
    gan.g_optimizer.build(gan.generator.trainable_variables)
    gan.d_optimizer.build(gan.discriminator.trainable_variables)
    return gan


@dataclass
class Record:
    """What a run has recorded so far, besides the models: saved in every checkpoint."""

    history: dict
    noise: np.ndarray
    snapshot_steps: list[int]
    snapshot_images: list[np.ndarray]
    snapshot_images_ema: list[np.ndarray] = field(default_factory=list)  # the averaged generator's, with --ema


class GeneratorAverage:
    """An exponential moving average of the generator's weights (Yazici et al. 2019), updated after
    every step: a copy of the generator that only reads the game's weights, so the raw run is the same
    with or without it. Batch normalization's running statistics are copied from the raw generator.

    ``debiased``: the average starts from nothing and is divided by ``1 - decay**t`` after ``t`` steps, as
    Adam corrects its moments, so the untrained generator weighs nothing and the average has no start-up
    lag; batch normalization's statistics are averaged like the weights, so the averaged weights draw
    with statistics that belong to them."""

    def __init__(self, generator: keras.Model, decay: float, debiased: bool = False):
        self.model = keras.models.clone_model(generator)
        self.model.set_weights(generator.get_weights())
        self.debiased = debiased
        pairs = list(zip(self.model.weights, generator.weights, strict=True))
        self.sums = [tf.Variable(tf.zeros_like(raw), trainable=False) for raw in generator.weights] if debiased else []
        self.count = tf.Variable(0.0, trainable=False)  # steps averaged so far

        @tf.function
        def update():
            self.count.assign_add(1.0)
            if debiased:
                correction = 1.0 - tf.pow(tf.constant(decay, tf.float32), self.count)
                for total, (average, raw) in zip(self.sums, pairs, strict=True):
                    total.assign(decay * total + (1 - decay) * raw)
                    average.assign(total / tf.cast(correction, total.dtype))
            else:
                for average, raw in pairs:
                    average.assign(decay * average + (1 - decay) * raw if raw.trainable else raw)

        self.update = update

    def state(self) -> list:
        """What a resumed run needs to continue the average exactly: its weights, running sums and step count."""
        return [*self.model.weights, *self.sums, self.count]


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


def generate_uint8(generator: keras.Model, noise: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The generator's digits for ``noise`` in inference mode, batch by batch (memory stays bounded)."""
    chunks = [to_uint8(generator(noise[i : i + batch_size], training=False)) for i in range(0, len(noise), batch_size)]
    return np.concatenate(chunks)


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
        self.record.snapshot_images.append(generate_uint8(self.model.generator, self.record.noise))
        if self.average:
            self.record.snapshot_images_ema.append(generate_uint8(self.average.model, self.record.noise))

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


def save_checkpoint(
    run_dir: Path, gan: DCGAN, record: Record, epochs_done: int, average: GeneratorAverage | None = None
) -> None:
    """The whole training state after ``epochs_done`` epochs in one atomically written file: the
    moment the epoch counts as finished. Every other file of the run folder can be rebuilt from it."""
    arrays = {f"v{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(gan.training_state())}
    if average:
        arrays |= {f"ema{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(average.state())}
        arrays["snapshot_images_ema"] = np.stack(record.snapshot_images_ema)
    write_npz(
        checkpoint_path(run_dir, epochs_done),
        epochs_done=np.int64(epochs_done),
        history=np.array(json.dumps(record.history, allow_nan=False)),
        noise=record.noise,
        snapshot_steps=np.asarray(record.snapshot_steps, dtype=np.int64),
        snapshot_images=np.stack(record.snapshot_images),
        **arrays,
    )


def load_checkpoint(path: Path, gan: DCGAN, average: GeneratorAverage | None = None) -> Record:
    """Load a checkpoint into ``gan`` (and the generator's average); returns what the run had recorded."""
    state = gan.training_state()
    try:
        with np.load(path) as data:
            if sum(name.startswith("v") for name in data.files) != len(state):
                raise RunError(f"{path} does not fit this model; start over with --overwrite.")
            for i, variable in enumerate(state):
                variable.assign(data[f"v{i:04d}"])
            if average:
                for i, variable in enumerate(average.state()):
                    name = f"ema{i:04d}"
                    if name in data.files:  # a checkpoint made before the average kept its step count lacks it
                        variable.assign(data[name])
            return Record(
                history=json.loads(str(data["history"])),
                noise=data["noise"],
                snapshot_steps=data["snapshot_steps"].tolist(),
                snapshot_images=list(data["snapshot_images"]),
                snapshot_images_ema=list(data["snapshot_images_ema"]) if average else [],
            )
    except PermissionError as err:
        raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise RunError(
            f"{path} is damaged ({type(err).__name__}: {err}); delete it to resume from the checkpoint before it, "
            f"or start over with --overwrite."
        ) from err


def write_run_files(
    run_dir: Path, gan: DCGAN, record: Record, epochs_done: int, average: GeneratorAverage | None = None
) -> None:
    """The files derived from a checkpoint: snapshots, the epoch's sample grid, both models, and the
    history last. Older checkpoints are dropped, all but the one before (in case the newest is damaged)."""
    from PIL import Image

    from .plots import tile

    averaged = {"images_ema": np.stack(record.snapshot_images_ema)} if average else {}
    write_npz(
        run_dir / SNAPSHOTS,
        noise=record.noise,
        steps=np.asarray(record.snapshot_steps, dtype=np.int64),
        images=np.stack(record.snapshot_images),
        **averaged,
    )
    grid = tile(record.snapshot_images[-1][:100], columns=10)
    write_with(run_dir / SAMPLES / f"epoch_{epochs_done:03d}.png", Image.fromarray(grid).save)
    if average:
        write_with(run_dir / GENERATOR_EMA, average.model.save)
    write_with(run_dir / GENERATOR, gan.generator.save)
    write_with(run_dir / DISCRIMINATOR, gan.discriminator.save)
    write_json(run_dir / HISTORY, record.history)
    for epoch, path in checkpoints(run_dir).items():
        if epoch < epochs_done - 1:
            path.unlink(missing_ok=True)


def _versions() -> dict:
    return {
        "dcgan_lessons": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _threads() -> dict:
    """TensorFlow's thread counts (set in code, else by TF_NUM_*_THREADS, else one per core): they set the order
    of floating-point sums, so a seed repeats bit for bit only on the same counts."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threading = tf.config.threading
    return {
        "cores": cores,
        "intra_op": threading.get_intra_op_parallelism_threads()
        or int(os.environ.get("TF_NUM_INTRAOP_THREADS", cores)),
        "inter_op": threading.get_inter_op_parallelism_threads()
        or int(os.environ.get("TF_NUM_INTEROP_THREADS", cores)),
    }


PREVIOUS = ".previous"  # an overwritten run waits here until the new one has finished an epoch


def _is_run(run_dir: Path) -> bool:
    """A folder this package wrote: its config.json holds a run's settings."""
    try:
        return "steps_per_epoch" in load_run(run_dir).config
    except RunError:
        return False


def _run_files(folder: Path) -> list[Path]:
    return [folder / name for name in RUN_FILES if (folder / name).exists()]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        shutil.rmtree(path) if path.is_dir() else path.unlink()


def _move_run(source: Path, target: Path) -> None:
    target.mkdir(exist_ok=True)
    for path in _run_files(source):
        path.rename(target / path.name)


def _prepare_folder(run_dir: Path, config: TrainConfig, resume: bool, overwrite: bool) -> int:
    """Check the folder against the request and make room; returns the epochs already finished.

    Nothing but a run's own files is ever moved or deleted. A run that holds finished epochs is only
    replaced with ``overwrite``, and then set aside in ``.previous`` until the new run finishes its
    first epoch; a folder with no finished epoch holds nothing to keep and is replaced by any new run."""
    previous = run_dir / PREVIOUS
    if previous.is_dir() and (not _is_run(run_dir) or load_run(run_dir).finished_epochs == 0):
        _remove(_run_files(run_dir))  # an overwrite was killed before its first epoch: bring the old run back
        _move_run(previous, run_dir)
        shutil.rmtree(previous)
    others = [p.name for p in run_dir.iterdir() if p.name not in (*RUN_FILES, LOCK, PREVIOUS)]
    if not _is_run(run_dir):
        if others or _run_files(run_dir):
            raise RunError(
                f"{run_dir} holds files that are not a run's ({', '.join(sorted(others)) or 'a damaged run'}); "
                f"nothing there is deleted, even with --overwrite: choose a new or empty --run-dir."
            )
        if resume:
            raise RunError(f"{run_dir} holds no run to resume; leave out --resume to start one.")
        return 0
    run = load_run(run_dir)
    done = run.finished_epochs
    if done == 0:
        if resume:
            raise RunError(f"{run_dir} has no finished epoch to resume from; leave out --resume to start over.")
        _remove(_run_files(run_dir))
        return 0
    if overwrite:
        _move_run(run_dir, previous)
        return 0
    if not resume:
        raise RunError(f"{run_dir} already holds a run; pass --resume to continue it or --overwrite to start over.")
    if not checkpoints(run_dir):
        raise RunError(f"{run_dir} has no checkpoint to resume from (only its results were kept).")
    differ = setting_differences(run.config, config.to_dict())
    if differ:
        raise RunError(
            f"{run_dir} holds a different run ({'; '.join(differ)}); resume it with its own "
            f"settings, or pass --overwrite to start over."
        )
    if config.epochs < done:
        raise RunError(f"{run_dir} has {done} finished epochs already; --epochs must be at least {done}.")
    return done


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
    if config is None:
        config = config_to_resume(load_run(run_dir).config) if resume else TrainConfig()
    mnist = load_mnist(mnist_dir)
    steps = steps_per_epoch(len(mnist.train_images), config.batch_size, config.subset)
    if steps == 0:
        raise ValueError(
            f"{len(mnist.train_images)} training images make no full batch of {config.batch_size}; "
            f"use a smaller batch size"
        )
    if resume and (run_dir / CONFIG).is_file():  # open speed settings are the run's own
        stored = load_run(run_dir).config
        config = dataclasses.replace(
            config,
            precision=config.precision or stored.get("precision"),
            xla=stored.get("xla") if config.xla is None else config.xla,
        )
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        with locked(run_dir):
            try:
                first_epoch = _prepare_folder(run_dir, config, resume, overwrite)
                pieces = {"generator": generator, "discriminator": discriminator, "step": step}
                custom = sorted(name for name, piece in pieces.items() if piece is not None)
                stored = load_run(run_dir).config if first_epoch else {"custom": custom}
                if (theirs := stored.get("custom", [])) != custom:
                    raise RunError(
                        f"{run_dir} was trained with your own pieces ({', '.join(theirs) or 'none'}), "
                        f"not these ({', '.join(custom) or 'none'}); resume it with the same pieces."
                    )
                config, speed = choose(config, mnist.train_images, (config.epochs - first_epoch) * steps)
                if first_epoch:  # a resumed run keeps the record of how its settings were chosen
                    speed = stored.get("speed", speed)
                elif verbose:
                    print(describe(speed), flush=True)
                keras.utils.set_random_seed(config.seed)
                gan = build_gan(config, generator, discriminator, step)
                return _train_locked(
                    gan, config, run_dir, first_epoch, mnist.train_images, steps, verbose, custom, speed
                )
            except BaseException:
                _undo_unfinished(run_dir)
                raise
    finally:
        if created and run_dir.is_dir() and not any(run_dir.iterdir()):
            run_dir.rmdir()


def _undo_unfinished(run_dir: Path) -> None:
    """After a failure: a new run with no finished epoch leaves nothing behind, and a run it was to
    replace comes back."""
    if _is_run(run_dir) and load_run(run_dir).finished_epochs == 0:
        _remove(_run_files(run_dir))
    if (run_dir / PREVIOUS).is_dir():
        _move_run(run_dir / PREVIOUS, run_dir)
        shutil.rmtree(run_dir / PREVIOUS)


def _train_locked(
    gan: DCGAN,
    config: TrainConfig,
    run_dir: Path,
    first_epoch: int,
    images: np.ndarray,
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
        record = Record({"epochs": [], "steps": []}, noise, [], [])

    write_json(
        run_dir / CONFIG,
        {
            **config.to_dict(),
            "steps_per_epoch": steps,
            "train_images": steps * config.batch_size,
            "custom": custom,
            "speed": speed,
            "versions": _versions(),
            "threads": _threads(),
        },
    )
    if first_epoch < config.epochs:
        previous = run_dir / PREVIOUS
        recorder = RunRecorder(
            run_dir, config, steps, record, average, on_commit=lambda: previous.is_dir() and shutil.rmtree(previous)
        )
        dataset = make_dataset(images, config.batch_size, config.seed, config.epochs, first_epoch, config.subset)
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


def iter_samples(
    run: Run | str | os.PathLike, n: int = 64, seed: int = 0, batch_size: int = 1024, ema: bool = False
) -> Iterator[np.ndarray]:
    """``n`` new digits from a run's final generator (``ema``: its average), as uint8 batches (at most
    ``batch_size``, 28, 28): memory stays bounded however many are asked for. The noise depends only on
    ``seed`` and ``n``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    run = run if isinstance(run, Run) else load_run(run)
    generator = run.generator(ema=ema)
    rng = np.random.default_rng(seed)
    for start in range(0, n, batch_size):
        noise = rng.standard_normal((min(batch_size, n - start), generator.input_shape[-1])).astype(np.float32)
        yield generate_uint8(generator, noise)


def sample(run: Run | str | os.PathLike, n: int = 64, seed: int = 0, ema: bool = False) -> np.ndarray:
    """``n`` new digits from a run's final generator (``ema``: its average), as uint8 (n, 28, 28)."""
    return np.concatenate(list(iter_samples(run, n, seed, ema=ema)))
