"""Shared fixtures: the committed MNIST slice, the full MNIST when $MNIST_DIR names it, and one
short real training run that several tests read."""

from __future__ import annotations

import os
from pathlib import Path

import dcgan_lessons as dl

import pytest

SLICE = Path(__file__).parent / "data" / "mnist-slice"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def mnist_slice_dir() -> Path:
    return SLICE


@pytest.fixture(scope="session")
def full_mnist_dir() -> Path:
    folder = os.environ.get("MNIST_DIR")
    if not folder or not Path(folder).is_dir():
        pytest.skip("the full MNIST is not here: set MNIST_DIR (CI sets it to ../shared/mnist)")
    return Path(folder).resolve()


QUICK = dict(
    epochs=2, batch_size=32, subset=256, log_every=2, snapshot_every=4, snapshot_size=40, xla=False, precision="float32"
)


@pytest.fixture(scope="session")
def short_run(tmp_path_factory):
    """Two real epochs of 8 steps on the MNIST slice."""
    return dl.train(dl.make_config(**QUICK), tmp_path_factory.mktemp("runs") / "short", mnist_dir=SLICE, verbose=0)
