"""Pictures: digit grids, loss curves and the like, shared by the notebooks and the run folders."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

FIGURES_DIR = Path(__file__).resolve().parent.parent / "figures"


def tile(images: np.ndarray, columns: int = 10, pad: int = 2) -> np.ndarray:
    """Lay (N, H, W) images out in a grid with ``columns`` columns and a dark border: one array."""
    images = np.asarray(images)
    n, h, w = images.shape
    rows = -(-n // columns)
    grid = np.zeros((rows * (h + pad) + pad, columns * (w + pad) + pad), dtype=images.dtype)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w] = image
    return grid


def save_figure(fig, name: str, folder: str | os.PathLike | None = None) -> Path:
    """Save a matplotlib figure as ``<project>/figures/<name>.png`` (atomically), for the README and
    slides; returns the path. ``name`` is a stable id such as ``"02_generator_shapes"``."""
    from .runs import write_with

    path = Path(folder or FIGURES_DIR) / f"{name}.png"
    write_with(path, lambda tmp: fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png"))
    return path
