"""dcgan_lessons: the package behind the DCGAN-on-MNIST notebook series.

Importing it makes TensorFlow start quietly whenever it is first imported (without the C++ start-up
chatter that would otherwise land in every notebook), so import it before tensorflow or keras. It
does not import TensorFlow itself: its names and submodules load on first use (``dl.train``,
``dl.plots``, ``dl.notebooks``, ...), and only those that need TensorFlow import it.
"""

import importlib
import importlib.util
import os

__version__ = "0.1.0"

# TensorFlow reads this when it is first imported: keep its C++ start-up chatter out of notebooks.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ._quiet import install  # noqa: E402

install()

_EXPORTS = {
    "PRESETS": "config",
    "TrainConfig": "config",
    "make_config": "config",
    "load_mnist": "data",
    "make_dataset": "data",
    "discriminator_loss": "losses",
    "generator_loss": "losses",
    "build_discriminator": "models",
    "build_generator": "models",
    "Run": "runs",
    "load_run": "runs",
    "DCGAN": "gan",
    "sample": "training",
    "train": "training",
    "sweep": "sweep_runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f".{name}", __name__)  # submodules too: dl.plots, dl.notebooks, ...
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
