"""Executing the notebook series with papermill: the one command that produces the committed
outputs (``dcgan-lessons notebooks``), and the parameter checks a notebook's parameters cell uses.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

QUICK_VARIABLE = "DCGAN_LESSONS_QUICK"
METADATA = "dcgan_lessons"  # a notebook's metadata key for how its committed outputs were made
NOTEBOOK_DIR = Path("notebooks")  # the series, from the project folder (the current directory)


def quick() -> bool:
    """True when the notebooks should use their quick, real settings (CI and nbval set this)."""
    return os.environ.get(QUICK_VARIABLE, "") not in ("", "0")


def series(folder: str | os.PathLike = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks, in order."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def execute(
    notebooks: Iterable[str | os.PathLike],
    parameters: dict | None = None,
    quick_settings: bool = False,
    timeout: int = 3600,
) -> list[Path]:
    """Run each notebook top to bottom in place with papermill (outputs saved into the file), from
    its own folder, so relative paths such as ``../figures`` work as they do in JupyterLab."""
    import papermill as pm

    done = []
    env = {QUICK_VARIABLE: "1" if quick_settings else "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        for notebook in map(Path, notebooks):
            print(f"executing {notebook}", flush=True)
            start = time.perf_counter()
            pm.execute_notebook(
                notebook,
                notebook,
                parameters=parameters or {},
                cwd=notebook.parent,
                kernel_name="python3",
                execution_timeout=timeout,
                progress_bar=False,
            )
            _keep_outputs_only(notebook, {"seconds": round(time.perf_counter() - start), "quick": quick_settings})
            done.append(notebook)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return done


def _keep_outputs_only(path: Path, made: dict) -> None:
    """papermill stamps run times into every cell; the committed notebooks keep cells and outputs only,
    so that re-running changes nothing but what the code shows, plus one record of how long the whole
    notebook took and in which settings (``metadata["dcgan_lessons"]``, shown by :func:`run_time`)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata[METADATA] = made
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)


def run_time(path: str | os.PathLike) -> str | None:
    """How long making a notebook's committed outputs took, as the README's table says it ("< 1 min",
    "~8 min", "~3 min (quick settings)"), or None for a notebook executed before this was recorded."""
    import nbformat

    made = nbformat.read(path, as_version=4).metadata.get(METADATA)
    if not made:
        return None
    minutes = "< 1 min" if made["seconds"] < 60 else f"~{round(made['seconds'] / 60)} min"
    return minutes + (" (quick settings)" if made["quick"] else "")
