"""Executing the notebook series with papermill: the one command that produces the committed
outputs (``dcgan-lessons notebooks``), and the parameter checks a notebook's parameters cell uses.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

QUICK_VARIABLE = "DCGAN_LESSONS_QUICK"
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
            pm.execute_notebook(
                notebook,
                notebook,
                parameters=parameters or {},
                cwd=notebook.parent,
                kernel_name="python3",
                execution_timeout=timeout,
                progress_bar=False,
            )
            _drop_papermill_metadata(notebook)
            done.append(notebook)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return done


def _drop_papermill_metadata(path: Path) -> None:
    """papermill stamps run times into every cell; the committed notebooks keep cells and outputs
    only, so that re-running changes nothing but what the code shows."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
