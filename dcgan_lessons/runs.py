"""Run folders: the contract between training, the notebooks, the analysis and teachers' scripts.

A run folder holds ``config.json``, ``history.json``, ``snapshots.npz``, ``generator.keras``,
``discriminator.keras``, ``checkpoints/epoch_NNN.npz`` and ``samples/epoch_NNN.png``. Every file is
written to a temporary name and renamed into place, so a killed run never leaves half a file behind.
An epoch is *finished* once its checkpoint is in place: the checkpoint holds the whole state (models,
optimizers, history, snapshots), and every other file is derived from it, so resuming repairs a
folder that a kill left between two epochs. ``.lock`` marks a folder a training is writing into.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .config import TrainConfig, config_to_resume
from .data import pixels_to_uint8
from .files import write_json, write_npz, write_with

CONFIG = "config.json"
HISTORY = "history.json"
SNAPSHOTS = "snapshots.npz"
GENERATOR = "generator.keras"
GENERATOR_EMA = "generator_ema.keras"  # the average of the generator's weights, for runs with --ema
DISCRIMINATOR = "discriminator.keras"
CHECKPOINTS = "checkpoints"
SAMPLES = "samples"
ANALYSIS = "analysis"
LOCK = ".lock"
# What belongs to a run: only these are ever moved or deleted when a run is replaced.
RUN_FILES = (CONFIG, HISTORY, SNAPSHOTS, GENERATOR, GENERATOR_EMA, DISCRIMINATOR, CHECKPOINTS, SAMPLES, ANALYSIS)
_CHECKPOINT_NAME = re.compile(r"epoch_(\d{3,})\.npz")


class RunError(RuntimeError):
    """A folder is not the run it was taken for; the message says what to do."""


def read_json(path: Path) -> dict:
    """Read a JSON file of a run folder; a damaged or unreadable one is named in a RunError."""
    try:
        return json.loads(path.read_text())
    except PermissionError as err:
        raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunError(f"{path} is damaged (not valid JSON: {err}); restore it or start the run over.") from err


def checkpoint_path(run_dir: Path, epoch: int) -> Path:
    return run_dir / CHECKPOINTS / f"epoch_{epoch:03d}.npz"


def checkpoints(run_dir: Path) -> dict[int, Path]:
    """The run's checkpoints by the number of epochs they finish, oldest first."""
    found = {}
    for path in (run_dir / CHECKPOINTS).glob("epoch_*.npz"):
        match = _CHECKPOINT_NAME.fullmatch(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


@contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir/.lock`` (with this process's id) while a training writes into the folder.

    A lock whose process is gone (a killed run on this machine) is stale and taken over; a live one
    means another training is writing here, and that is refused."""
    path = run_dir / LOCK
    me = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = path.read_text().strip() if path.is_file() else ""
            host, _, pid = owner.rpartition(" ")
            if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
                path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            raise RunError(
                f"{run_dir} is in use by another training (process {owner or 'unknown'}); wait for it to "
                f"finish or stop it, or choose another --run-dir. (If no training runs, delete {path}.)"
            ) from None
        with os.fdopen(fd, "w") as f:
            f.write(me)
        break
    try:
        yield
    finally:
        if path.is_file() and path.read_text().strip() == me:
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True


@dataclass(frozen=True)
class Snapshots:
    """The generator's output on one fixed noise batch through training.

    ``noise`` (N, latent) float32, ``steps`` (S,) int64, ``images`` (S, N, 28, 28) uint8. A file
    written by hand may leave out ``noise`` and ``steps`` (then 0, 1, 2, ...) and hold float images."""

    noise: np.ndarray
    steps: np.ndarray
    images: np.ndarray
    labels: np.ndarray | None = None  # the digit asked of each z, in a conditional run


class Run:
    """A run folder, read lazily: ``config`` and ``history`` are dicts, the models load on demand."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path} is a file, not a run folder; give the folder `dcgan-lessons train` wrote.")
        if not self.path.is_dir():
            raise RunError(f"{self.path} does not exist; give the folder that `dcgan-lessons train` wrote.")
        if not (self.path / CONFIG).is_file() and not (self.path / SNAPSHOTS).is_file():
            raise RunError(
                f"{self.path} is not a run folder: it has neither {CONFIG} nor {SNAPSHOTS}. A run folder "
                f"is made by `dcgan-lessons train --run-dir DIR` (or dcgan_lessons.train)."
            )

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    @cached_property
    def config(self) -> dict:
        path = self.path / CONFIG
        if not path.is_file():
            raise RunError(f"{self.path} has no {CONFIG}: it holds snapshots only, not a run to resume or sample.")
        return read_json(path)

    @property
    def history(self) -> dict:
        path = self.path / HISTORY
        if not path.is_file():
            return {"epochs": [], "steps": []}
        return read_json(path)

    @property
    def finished_epochs(self) -> int:
        """How many epochs are saved: by the newest checkpoint, or by the history of a folder without any."""
        saved = checkpoints(self.path)
        return max(saved) if saved else len(self.history["epochs"])

    @property
    def complete(self) -> bool:
        """True when every epoch the config asks for has finished (a folder made by hand, whose config
        names no epochs or that has no config, counts as complete: there is nothing it still waits for)."""
        asked = self.config.get("epochs", 0) if (self.path / CONFIG).is_file() else 0
        return len(self.history["epochs"]) >= asked

    def snapshots(self, ema: bool = False) -> Snapshots:
        """The fixed noise's digits through training (``ema``: the averaged generator's, with --ema)."""
        path = self.path / SNAPSHOTS
        if not path.is_file():
            raise RunError(f"{self.path} has no {SNAPSHOTS} yet: the run has not reached its first snapshot.")
        try:
            with np.load(path) as data:
                if "images" not in data:
                    raise RunError(f"{path} has no `images` array (it has {', '.join(data.files) or 'nothing'}).")
                key = "images_ema" if ema else "images"
                if key not in data:
                    raise RunError(f"{path} has no averaged generator's snapshots; train with --ema DECAY.")
                images = data[key]
                if np.issubdtype(images.dtype, np.floating) and not np.isfinite(images).all():
                    raise RunError(
                        f"{path} holds {int((~np.isfinite(images)).sum())} NaN or infinite pixels; "
                        f"a generator that diverged draws nothing to judge. Write finite pixels."
                    )
                images = pixels_to_uint8(images)
                steps = data["steps"] if "steps" in data else np.arange(len(images))
                noise = data["noise"] if "noise" in data else np.zeros((images.shape[1] if images.ndim > 1 else 0, 0))
                labels = data["labels"] if "labels" in data else None
        except PermissionError as err:
            raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise RunError(f"{path} cannot be read ({err}); write it with numpy.savez.") from err
        return Snapshots(noise, np.asarray(steps).astype(np.int64), images, labels)

    def _model(self, name: str):
        import keras

        path = self.path / name
        if not path.is_file():
            raise RunError(
                f"{self.path} has no {name} yet: the run has not finished its first epoch. Resume it "
                f"with `dcgan-lessons train --run-dir {self.path} --resume`."
            )
        try:
            return keras.saving.load_model(path)
        except PermissionError as err:
            raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
        except Exception as err:  # Keras raises many kinds for a damaged archive
            raise RunError(
                f"{path} is damaged and cannot be loaded ({type(err).__name__}); resume the run "
                f"(`dcgan-lessons train --run-dir {self.path} --resume`) to rewrite it from its checkpoint."
            ) from err

    def generator(self, ema: bool = False):
        """The generator after the last finished epoch (the final one once the run is complete);
        ``ema``: the average of its weights, for a run trained with ``--ema``."""
        if ema and not (self.path / GENERATOR_EMA).is_file() and not self.config.get("ema"):
            raise RunError(f"{self.path} kept no average of the generator; train with --ema DECAY to keep one.")
        return self._model(GENERATOR_EMA if ema else GENERATOR)

    def discriminator(self):
        """The discriminator after the last finished epoch."""
        return self._model(DISCRIMINATOR)

    def sample_grids(self) -> list[Path]:
        """The per-epoch sample grids, in order."""
        return sorted((self.path / SAMPLES).glob("epoch_*.png"))


def finished_epochs(path: str | os.PathLike) -> int:
    """How many epochs a folder holds saved: 0 for a folder that is no run (or not there)."""
    try:
        return Run(path).finished_epochs
    except RunError:
        return 0


def load_run(path: str | os.PathLike) -> Run:
    """Open a run folder written by :func:`dcgan_lessons.train`; fails clearly on anything else."""
    return Run(path)


# Writing a run: the checkpoint is the commit, every other file is derived from it.


@dataclass
class Record:
    """What a run has recorded so far, besides the models: saved in every checkpoint."""

    history: dict
    noise: np.ndarray
    snapshot_steps: list[int]
    snapshot_images: list[np.ndarray]
    snapshot_images_ema: list[np.ndarray] = field(default_factory=list)  # the averaged generator's, with --ema
    labels: np.ndarray | None = None  # the digit asked of each fixed z, in a conditional run


def save_checkpoint(run_dir: Path, gan, record: Record, epochs_done: int, average=None) -> None:
    """The whole training state after ``epochs_done`` epochs in one atomically written file: the
    moment the epoch counts as finished. Every other file of the run folder can be rebuilt from it."""
    arrays = {f"v{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(gan.training_state())}
    if average:
        arrays |= {f"ema{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(average.state())}
        arrays["snapshot_images_ema"] = np.stack(record.snapshot_images_ema)
    if record.labels is not None:
        arrays["labels"] = record.labels
    write_npz(
        checkpoint_path(run_dir, epochs_done),
        epochs_done=np.int64(epochs_done),
        history=np.array(json.dumps(record.history, allow_nan=False)),
        noise=record.noise,
        snapshot_steps=np.asarray(record.snapshot_steps, dtype=np.int64),
        snapshot_images=np.stack(record.snapshot_images),
        **arrays,
    )


def load_checkpoint(path: Path, gan, average=None) -> Record:
    """Load a checkpoint into ``gan`` (a DCGAN, and the generator's average); returns what the run had recorded."""
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
                labels=data["labels"] if "labels" in data.files else None,
            )
    except PermissionError as err:
        raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise RunError(
            f"{path} is damaged ({type(err).__name__}: {err}); delete it to resume from the checkpoint before it, "
            f"or start over with --overwrite."
        ) from err


def write_run_files(run_dir: Path, gan, record: Record, epochs_done: int, average=None) -> None:
    """The files derived from a checkpoint: snapshots, the epoch's sample grid, both models, and the
    history last. Older checkpoints are dropped, all but the one before (in case the newest is damaged)."""
    from PIL import Image

    from .plots import tile

    averaged = {"images_ema": np.stack(record.snapshot_images_ema)} if average else {}
    asked = {} if record.labels is None else {"labels": record.labels}
    write_npz(
        run_dir / SNAPSHOTS,
        noise=record.noise,
        steps=np.asarray(record.snapshot_steps, dtype=np.int64),
        images=np.stack(record.snapshot_images),
        **averaged,
        **asked,
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


def versions() -> dict:
    """The versions that made a run (config.json records them)."""
    import keras
    import tensorflow as tf

    from . import __version__

    return {
        "dcgan_lessons": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def threads() -> dict:
    """TensorFlow's thread counts (set in code, else by TF_NUM_*_THREADS, else one per core): they set the order
    of floating-point sums, so a seed repeats bit for bit only on the same counts."""
    import tensorflow as tf

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


def resume_config(run_dir: Path, asked: dict) -> TrainConfig:
    """The settings of the run in ``run_dir`` to continue, the one rule for the command line and Python alike:
    its own stored settings, where ``asked`` (None: keep) may change only ``epochs``, and not below the epochs
    it has finished."""
    run = load_run(run_dir)
    config = config_to_resume(run.config, **asked)
    if config.epochs < run.finished_epochs:
        raise RunError(
            f"{run_dir} has {run.finished_epochs} finished epochs; --epochs must be at least {run.finished_epochs}."
        )
    return config


def prepare_folder(run_dir: Path, config: TrainConfig, resume: bool, overwrite: bool) -> int:
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
    return done


def undo_unfinished(run_dir: Path) -> None:
    """After a failure: a new run with no finished epoch leaves nothing behind, and a run it was to
    replace comes back."""
    if _is_run(run_dir) and load_run(run_dir).finished_epochs == 0:
        _remove(_run_files(run_dir))
    if (run_dir / PREVIOUS).is_dir():
        _move_run(run_dir / PREVIOUS, run_dir)
        shutil.rmtree(run_dir / PREVIOUS)
