"""Where the committed results are, wherever the notebooks were copied: the repository's ``notebooks/``, a
course's ``source/<assignment>/`` or nbgrader's ``autograded/<student>/<assignment>/``, a grading scratch folder.

Notebooks 05-07 read the reference run, notebook 08 the stabiliser sweep and the first-row sweep beside it, notebook 09
the conditional run beside the reference run;
``../reference-run`` alone works only in the repository's own layout.
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE_VARIABLE = "DCGAN_LESSONS_REFERENCE_RUN"
FOLDER_NAME = "reference-run"
INSTALLED = Path(__file__).resolve().parent.parent / FOLDER_NAME  # beside the package, with pip install -e .
SWEEP_VARIABLE = "DCGAN_LESSONS_REFERENCE_SWEEP"
SWEEP_FOLDER = Path("sweeps") / "stabilisers"
INSTALLED_SWEEP = INSTALLED.parent / SWEEP_FOLDER
FIRST_ROW_FOLDER = "first_row"  # beside the stabiliser sweep
AVERAGING_FOLDER = "averaging"  # likewise: the raw and the averaged generator side by side
CONDITIONAL_VARIABLE = "DCGAN_LESSONS_CONDITIONAL_RUN"
CONDITIONAL_FOLDER = "conditional-run"
INSTALLED_CONDITIONAL = INSTALLED.parent / CONDITIONAL_FOLDER


def _is_run(path: Path) -> bool:
    return (path / "snapshots.npz").is_file()


def _is_sweep(path: Path) -> bool:
    return (path / "results.json").is_file()


def _find(variable: str, relative: Path, installed: Path, found, kind: str, start) -> Path | None:
    """``$variable`` when set (an error if it points at no ``kind``), else ``..``/``relative`` from ``start``
    (the current folder by default, so notebooks keep printing a short relative path), else ``installed``."""
    value = os.environ.get(variable, "")
    if value:
        path = Path(value).expanduser()
        if not found(path):
            raise FileNotFoundError(
                f"{variable}={value} is not a {kind}; "
                f"point it at the {relative}/ folder of the dcgan-lessons repository"
            )
        return path
    here = Path(start) if start is not None else Path()
    return next((path for path in (here / ".." / relative, installed) if found(path)), None)


def find_reference_run(start: str | os.PathLike | None = None) -> Path | None:
    """The reference run's folder, or None: ``$DCGAN_LESSONS_REFERENCE_RUN`` when set, else ``../reference-run``
    from ``start``, else the one in the repository the package was installed from in editable mode."""
    kind = "run folder (it has no snapshots.npz)"
    return _find(REFERENCE_VARIABLE, Path(FOLDER_NAME), INSTALLED, _is_run, kind, start)


def reference_run(start: str | os.PathLike | None = None) -> Path:
    """Like :func:`find_reference_run`, but a missing reference run is an error that says how to point at it."""
    path = find_reference_run(start)
    if path is None:
        raise FileNotFoundError(
            f"no reference run found (looked for ../{FOLDER_NAME} and {INSTALLED}); set {REFERENCE_VARIABLE} to "
            f"the {FOLDER_NAME}/ folder of the dcgan-lessons repository, or pass run_dir with another run folder"
        )
    return path


def conditional_run(start: str | os.PathLike | None = None) -> Path:
    """The committed conditional run (notebook 09), found like the reference run: ``$DCGAN_LESSONS_CONDITIONAL_RUN``
    when set, else ``../conditional-run`` from ``start``, else the installed repository's; a missing one is an error
    that says how to point at it."""
    kind = "run folder (it has no snapshots.npz)"
    path = _find(CONDITIONAL_VARIABLE, Path(CONDITIONAL_FOLDER), INSTALLED_CONDITIONAL, _is_run, kind, start)
    if path is None:
        raise FileNotFoundError(
            f"no conditional run found (looked for ../{CONDITIONAL_FOLDER} and {INSTALLED_CONDITIONAL}); set "
            f"{CONDITIONAL_VARIABLE} to the {CONDITIONAL_FOLDER}/ folder of the dcgan-lessons repository, or pass "
            "run_dir with a conditional run of yours"
        )
    return path


def reference_sweep(start: str | os.PathLike | None = None) -> Path:
    """The committed stabiliser sweep (its ``results.json``, ``summary.json`` and the runs' histories):
    ``$DCGAN_LESSONS_REFERENCE_SWEEP`` when set, else ``../sweeps/stabilisers`` from ``start``, else the
    installed repository's; a missing one is an error that says how to point at it."""
    kind = "sweep folder (it has no results.json)"
    path = _find(SWEEP_VARIABLE, SWEEP_FOLDER, INSTALLED_SWEEP, _is_sweep, kind, start)
    if path is None:
        raise FileNotFoundError(
            f"no stabiliser sweep found (looked for ../{SWEEP_FOLDER} and {INSTALLED_SWEEP}); set {SWEEP_VARIABLE} "
            f"to the {SWEEP_FOLDER}/ folder of the dcgan-lessons repository, or pass sweep_dir with a sweep of yours"
        )
    return path


def _beside(name: str, start, kind: str, spec: str, parameter: str) -> Path:
    """A committed sweep beside the stabiliser sweep (:func:`reference_sweep`), else the installed repository's;
    a missing one is an error that says what to run."""
    beside = reference_sweep(start).parent / name
    path = next((p for p in (beside, INSTALLED_SWEEP.parent / name) if _is_sweep(p)), None)
    if path is None:
        raise FileNotFoundError(
            f"no {kind} sweep at {beside}; run `dcgan-lessons sweep {spec} --out {beside}` or pass {parameter} with a "
            "sweep of yours"
        )
    return path


def first_row_sweep(start: str | os.PathLike | None = None) -> Path:
    """The committed first-row sweep (``sweeps/first_row``)."""
    return _beside(FIRST_ROW_FOLDER, start, "first-row", "sweeps/first_row.toml", "first_row_dir")


def averaging_sweep(start: str | os.PathLike | None = None) -> Path:
    """The committed averaging sweep (``sweeps/averaging``): its runs' raw and averaged generators side by side."""
    return _beside(AVERAGING_FOLDER, start, "averaging", "sweeps/averaging.toml", "averaging_dir")
