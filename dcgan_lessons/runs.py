"""Run folders: the contract between training, the notebooks, the analysis and teachers' scripts.

A run folder holds ``config.json``, ``history.json``, ``snapshots.npz``, ``generator.keras``,
``discriminator.keras``, ``checkpoints/`` and ``samples/epoch_NNN.png``. Every file is written to a
temporary name and renamed into place, so a killed run never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
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
DISCRIMINATOR = "discriminator.keras"
CHECKPOINTS = "checkpoints"
SAMPLES = "samples"


class RunError(RuntimeError):
    """A folder is not the run it was taken for; the message says what to do."""


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix, so savers that check it are happy);
    on success rename it onto ``path`` in one step, on failure remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; a run folder is meant to be shared
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | os.PathLike, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """Write compressed arrays, atomically."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)


def write_with(path: str | os.PathLike, save: Callable[[str], object]) -> None:
    """Atomically write a file through a saver that takes a path (``model.save``, ``Image.save``)."""
    with atomic_path(path) as tmp:
        save(str(tmp))


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
        return json.loads(path.read_text())

    @property
    def history(self) -> dict:
        path = self.path / HISTORY
        if not path.is_file():
            return {"epochs": [], "steps": []}
        return json.loads(path.read_text())

    @property
    def complete(self) -> bool:
        """True when every epoch the config asks for has finished."""
        return len(self.history["epochs"]) >= self.config["epochs"]

    def snapshots(self) -> Snapshots:
        path = self.path / SNAPSHOTS
        if not path.is_file():
            raise RunError(f"{self.path} has no {SNAPSHOTS} yet: the run has not reached its first snapshot.")
        try:
            with np.load(path) as data:
                if "images" not in data:
                    raise RunError(f"{path} has no `images` array (it has {', '.join(data.files) or 'nothing'}).")
                images = pixels_to_uint8(data["images"])
                steps = data["steps"] if "steps" in data else np.arange(len(images))
                noise = data["noise"] if "noise" in data else np.zeros((images.shape[1] if images.ndim > 1 else 0, 0))
        except (OSError, ValueError, zipfile.BadZipFile) as err:
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
        return keras.saving.load_model(path)

    def generator(self):
        """The generator after the last finished epoch (the final one once the run is complete)."""
        return self._model(GENERATOR)

    def discriminator(self):
        """The discriminator after the last finished epoch."""
        return self._model(DISCRIMINATOR)

    def sample_grids(self) -> list[Path]:
        """The per-epoch sample grids, in order."""
        return sorted((self.path / SAMPLES).glob("epoch_*.png"))


def load_run(path: str | os.PathLike) -> Run:
    """Open a run folder written by :func:`dcgan_lessons.train`; fails clearly on anything else."""
    return Run(path)
