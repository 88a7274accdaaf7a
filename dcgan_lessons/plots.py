"""Pictures: digit grids, loss curves and the like, shared by the notebooks and the run folders."""

from __future__ import annotations

import numpy as np


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
