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
import re
import socket
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .data import pixels_to_uint8

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
        except PermissionError as err:
            raise RunError(f"{path} cannot be read: permission denied; fix its permissions (chmod u+r).") from err
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
            raise RunError(f"{path} cannot be read ({err}); write it with numpy.savez.") from err
        return Snapshots(noise, np.asarray(steps).astype(np.int64), images)

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
