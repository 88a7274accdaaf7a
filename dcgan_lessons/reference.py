"""Where the reference run is, wherever the notebooks were copied: the repository's ``notebooks/``, a course's
``source/<assignment>/`` or nbgrader's ``autograded/<student>/<assignment>/``, a grading scratch folder.

Notebooks 05-07 read it; ``../reference-run`` alone works only in the repository's own layout.
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE_VARIABLE = "DCGAN_LESSONS_REFERENCE_RUN"
FOLDER_NAME = "reference-run"
INSTALLED = Path(__file__).resolve().parent.parent / FOLDER_NAME  # beside the package, with pip install -e .


def _is_run(path: Path) -> bool:
    return (path / "snapshots.npz").is_file()


def find_reference_run(start: str | os.PathLike | None = None) -> Path | None:
    """The reference run's folder, or None: ``$DCGAN_LESSONS_REFERENCE_RUN`` when set, else ``../reference-run``
    from ``start`` (the current folder by default, so notebooks keep printing a short relative path), else the
    one in the repository the package was installed from in editable mode."""
    value = os.environ.get(REFERENCE_VARIABLE, "")
    if value:
        path = Path(value).expanduser()
        if not _is_run(path):
            raise FileNotFoundError(
                f"{REFERENCE_VARIABLE}={value} is not a run folder (it has no snapshots.npz); "
                f"point it at the {FOLDER_NAME}/ folder of the dcgan-lessons repository"
            )
        return path
    here = Path(start) if start is not None else Path()
    for path in (here / ".." / FOLDER_NAME, INSTALLED):
        if _is_run(path):
            return path
    return None


def reference_run(start: str | os.PathLike | None = None) -> Path:
    """Like :func:`find_reference_run`, but a missing reference run is an error that says how to point at it."""
    path = find_reference_run(start)
    if path is None:
        raise FileNotFoundError(
            f"no reference run found (looked for ../{FOLDER_NAME} and {INSTALLED}); set {REFERENCE_VARIABLE} to "
            f"the {FOLDER_NAME}/ folder of the dcgan-lessons repository, or pass run_dir with another run folder"
        )
    return path
