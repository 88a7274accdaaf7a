"""Training the DCGAN: the config with the report's defaults, the Keras model whose ``train_step``
plays one round of the game, and :func:`train`, which writes everything into a run folder.
"""

from __future__ import annotations

import os
import platform
import shutil
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import (
    __version__,  # noqa: F401  (import TensorFlow quietly, before keras)
)
from .config import PRECISIONS, TrainConfig
from .data import load_mnist, make_dataset, steps_per_epoch, to_uint8
from .losses import discriminator_loss, generator_loss
from .models import build_discriminator, build_generator
from .runs import (
    CHECKPOINTS,
    CONFIG,
    DISCRIMINATOR,
    GENERATOR,
    HISTORY,
    SAMPLES,
    SNAPSHOTS,
    Run,
    RunError,
    load_run,
    write_json,
    write_npz,
    write_with,
)


class DCGAN(keras.Model):
    """Generator and discriminator trained together; ``fit`` reports d_loss, g_loss, D(x), D(G(z)).

    Each step draws a batch of noise, runs the generator once, and updates both players from that
    one forward pass (two gradient tapes), as the TensorFlow DCGAN tutorial and the report do."""

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


def build_gan(config: TrainConfig) -> DCGAN:
    """The report's two models, wrapped and compiled with Adam as ``config`` says."""
    dtype = PRECISIONS[config.precision]
    gan = DCGAN(
        build_generator(config.latent_dim, seed=config.seed, dtype=dtype),
        build_discriminator(config.alpha, seed=config.seed, dtype=dtype),
        g_loss=config.g_loss,
        label_smoothing=config.label_smoothing,
        seed=config.seed,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        g_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        jit_compile=config.xla,
    )
    gan.g_optimizer.build(gan.generator.trainable_variables)
    gan.d_optimizer.build(gan.discriminator.trainable_variables)
    return gan


class RunRecorder(keras.callbacks.Callback):
    """Writes the run folder while ``fit`` runs: step and epoch history, snapshots of the fixed
    noise, and at every epoch's end a sample grid, both models and a checkpoint. Everything is written atomically,
    so after a kill the folder holds the last finished epoch, ready for ``resume``."""

    def __init__(self, run_dir: Path, config: TrainConfig, steps: int, noise: np.ndarray, state: dict):
        super().__init__()
        self.run_dir = run_dir
        self.config = config
        self.steps = steps
        self.noise = noise
        self.history = state["history"]
        self.snapshot_steps = list(state["snapshot_steps"])
        self.snapshot_images = list(state["snapshot_images"])
        self.snapshot_every = config.snapshot_every or max(1, steps // 4)

    def set_model(self, model):
        super().set_model(model)
        generator = model.generator
        self._generate = tf.function(lambda z: generator(z, training=False))

    def _snapshot(self, step: int) -> None:
        self.snapshot_steps.append(step)
        self.snapshot_images.append(to_uint8(self._generate(self.noise).numpy()))

    def on_train_begin(self, logs=None):
        if not self.snapshot_steps:
            self._snapshot(0)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()
        self.last_logged = (0, None)

    def on_train_batch_end(self, batch, logs=None):
        done = batch + 1
        step = self.epoch * self.steps + done
        if step % self.config.log_every == 0 or done == self.steps:
            # Keras reports the mean since the epoch began; turn it into the mean since the last log.
            before, previous = self.last_logged
            means = {k: float(logs[k]) for k in ("d_loss", "g_loss", "d_real", "d_fake")}
            row = {"step": step}
            for key, mean in means.items():
                total = mean * done - (previous[key] * before if previous else 0.0)
                row[key] = round(total / (done - before), 6)
            self.history["steps"].append(row)
            self.last_logged = (done, means)
        if step % self.snapshot_every == 0:
            self._snapshot(step)

    def on_epoch_end(self, epoch, logs=None):
        self.history["epochs"].append(
            {
                "epoch": epoch + 1,
                "steps": (epoch + 1) * self.steps,
                "seconds": round(time.perf_counter() - self.epoch_start, 2),
                **{k: round(float(logs[k]), 6) for k in ("d_loss", "g_loss", "d_real", "d_fake")},
            }
        )
        self.save_sample_grid(epoch + 1)
        self.save_snapshots()
        write_with(self.run_dir / GENERATOR, self.model.generator.save)
        write_with(self.run_dir / DISCRIMINATOR, self.model.discriminator.save)
        save_checkpoint(self.run_dir, self.model, epoch + 1)
        # history last: the epoch counts as done only once its checkpoint is in place
        write_json(self.run_dir / HISTORY, self.history)

    def save_snapshots(self) -> None:
        write_npz(
            self.run_dir / SNAPSHOTS,
            noise=self.noise,
            steps=np.asarray(self.snapshot_steps, dtype=np.int64),
            images=np.stack(self.snapshot_images),
        )

    def save_sample_grid(self, epoch: int) -> None:
        from PIL import Image

        from .plots import tile

        grid = tile(self.snapshot_images[-1][:100], columns=10)
        write_with(self.run_dir / SAMPLES / f"epoch_{epoch:03d}.png", Image.fromarray(grid).save)


def save_checkpoint(run_dir: Path, gan: DCGAN, epochs_done: int) -> None:
    """The whole training state after ``epochs_done`` epochs, in one atomically written file."""
    arrays = {f"v{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(gan.training_state())}
    write_npz(run_dir / CHECKPOINTS / "latest.npz", epochs_done=np.int64(epochs_done), **arrays)


def restore_checkpoint(run_dir: Path, gan: DCGAN) -> int:
    """Load the latest checkpoint into ``gan``; returns the number of epochs it had finished."""
    path = run_dir / CHECKPOINTS / "latest.npz"
    if not path.is_file():
        return 0
    state = gan.training_state()
    with np.load(path) as data:
        if len(data.files) - 1 != len(state):
            raise RunError(f"{path} does not fit this model; start over with overwrite.")
        for i, variable in enumerate(state):
            variable.assign(data[f"v{i:04d}"])
        return int(data["epochs_done"])


def _versions() -> dict:
    return {
        "dcgan_lessons": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _prepare_folder(run_dir: Path, config: TrainConfig, resume: bool, overwrite: bool) -> None:
    """Refuse to mix two runs in one folder; with ``resume`` the stored config must match."""
    if overwrite and run_dir.exists():
        shutil.rmtree(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()):
        if not (run_dir / CONFIG).is_file():
            raise RunError(
                f"{run_dir} is not empty and is not a run folder; choose another --run-dir "
                f"or pass --overwrite to replace what is there."
            )
        stored = load_run(run_dir).config
        if not resume:
            raise RunError(f"{run_dir} already holds a run; pass --resume to continue it or --overwrite to start over.")
        differ = [
            f"{k}: stored {stored.get(k)!r}, asked {v!r}"
            for k, v in config.to_dict().items()
            if k != "epochs" and k in stored and stored[k] != v  # a setting newer than the run is no conflict
        ]
        if differ:
            raise RunError(
                f"{run_dir} holds a different run ({'; '.join(differ)}); resume it with its own "
                f"settings, or pass --overwrite to start over."
            )


def train(
    config: TrainConfig | None = None,
    run_dir: str | os.PathLike = "runs/latest",
    resume: bool = False,
    overwrite: bool = False,
    mnist_dir: str | os.PathLike | None = None,
    verbose: int | str = "auto",
) -> Run:
    """Train the DCGAN on MNIST as ``config`` says and write the run folder; returns the run.

    With ``resume`` an interrupted run continues from its last finished epoch and ends where an
    uninterrupted one would (the data order, noise and weights depend only on the seed). A
    ``resume`` with a larger ``epochs`` extends a finished run."""
    config = config or TrainConfig()
    run_dir = Path(run_dir)
    _prepare_folder(run_dir, config, resume, overwrite)
    mnist = load_mnist(mnist_dir)
    steps = steps_per_epoch(len(mnist.train_images), config.batch_size, config.subset)

    keras.utils.set_random_seed(config.seed)
    gan = build_gan(config)
    first_epoch = restore_checkpoint(run_dir, gan) if resume else 0
    if first_epoch:
        run = load_run(run_dir)
        history = run.history
        history["epochs"] = history["epochs"][:first_epoch]
        history["steps"] = [r for r in history["steps"] if r["step"] <= first_epoch * steps]
        snaps = run.snapshots()
        keep = snaps.steps <= first_epoch * steps
        noise = snaps.noise
        state = {
            "history": history,
            "snapshot_steps": snaps.steps[keep].tolist(),
            "snapshot_images": list(snaps.images[keep]),
        }
    else:
        noise = (
            np.random.default_rng([config.seed, 1])
            .standard_normal((config.snapshot_size, config.latent_dim))
            .astype(np.float32)
        )
        state = {"history": {"epochs": [], "steps": []}, "snapshot_steps": [], "snapshot_images": []}

    write_json(
        run_dir / CONFIG,
        {
            **config.to_dict(),
            "steps_per_epoch": steps,
            "train_images": steps * config.batch_size,
            "versions": _versions(),
        },
    )
    if first_epoch < config.epochs:
        recorder = RunRecorder(run_dir, config, steps, noise, state)
        dataset = make_dataset(
            mnist.train_images, config.batch_size, config.seed, config.epochs, first_epoch, config.subset
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
    return load_run(run_dir)


def sample(run: Run | str | os.PathLike, n: int = 64, seed: int = 0) -> np.ndarray:
    """``n`` new digits from a run's final generator, as uint8 (n, 28, 28)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    run = run if isinstance(run, Run) else load_run(run)
    generator = run.generator()
    noise = np.random.default_rng(seed).standard_normal((n, generator.input_shape[-1])).astype(np.float32)
    return to_uint8(generator.predict(noise, batch_size=256, verbose=0))
