"""Classroom use: student versions of the notebooks (``dcgan-lessons assign``) and grading of submitted
notebooks (``dcgan-lessons grade``), compatible with nbgrader's markers and cell metadata.

A submission is a student's folder of notebooks (the folder's name is the student), or single notebook
files inside such folders: ``submissions/ada/01_mnist_data.ipynb`` is Ada's notebook 01. Each is graded
against the teacher's notebook of the same file name, as nbgrader does: the check cells (and every
other locked cell) are put back from the teacher's version, hidden tests included, the notebook is run
top to bottom in quick settings, and each check cell that ran without an error earns its points.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .exercises import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, exercise_cells
from .notebooks import NOTEBOOK_DIR, QUICK_VARIABLE

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
EXERCISE_TAG = "raises-exception"  # papermill runs on past an error in a cell with this tag


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _replace_regions(source: str, begin: str, end: str, replacement: list[str], where: str) -> str:
    """Replace every ``begin`` ... ``end`` block of lines (markers included) by ``replacement``, indented
    like the ``begin`` line; refuse unbalanced markers, which would otherwise leak a solution."""
    out, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == begin:
            if inside:
                raise ValueError(f"{where}: {begin!r} twice without {end!r} in between")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + r for r in replacement]
        elif marker == end:
            if not inside:
                raise ValueError(f"{where}: {end!r} without a {begin!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {begin!r} without {end!r}; close the region so that it can be removed")
    return "\n".join(out)


def student_version(nb, name: str = "notebook"):
    """A copy of ``nb`` for students: solutions replaced by nbgrader's stubs, hidden tests removed,
    outputs cleared; everything else, metadata included, as it was."""
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        stub = MARKDOWN_STUB if cell.cell_type == "markdown" else CODE_STUB
        cell.source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [], where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    return nb


def assign(source: str | os.PathLike, out: str | os.PathLike) -> list[Path]:
    """Write the student version of every notebook in the folder ``source`` into ``out``."""
    import nbformat

    source, out = Path(source), Path(out)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"{source} holds no notebooks (*.ipynb); name the folder with the teacher's notebooks")
    if out.resolve() == source.resolve():
        raise ValueError(
            f"the student versions would overwrite the teacher's notebooks in {source}; choose another OUT_DIR"
        )
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nb = student_version(nbformat.read(path, as_version=4), path.name)
        nbformat.write(nb, out / path.name)
        written.append(out / path.name)
    return written


def insert_exercises(notebook: str | os.PathLike, placements: dict[str, str]) -> None:
    """Put each exercise's cells (task, answer, check) into ``notebook`` right after the first cell whose
    source contains its anchor text: ``{"ex01": "make_dataset("}``. Cells of an exercise that is already
    there are replaced, so re-running this after editing an exercise updates the notebook."""
    import nbformat

    path = Path(notebook)
    nb = nbformat.read(path, as_version=4)
    for exercise_id, anchor in placements.items():
        new = exercise_cells(exercise_id)
        ids = {_nbgrader(c)["grade_id"] for c in new}
        nb.cells = [c for c in nb.cells if _nbgrader(c).get("grade_id") not in ids]
        at = next((i for i, c in enumerate(nb.cells) if anchor in c.source), None)
        if at is None:
            raise ValueError(f"{path.name}: no cell contains {anchor!r}, the anchor for {exercise_id}")
        nb.cells[at + 1 : at + 1] = new
    nbformat.write(nb, path)


# --- grading ----------------------------------------------------------------------------------


@dataclass
class Mark:
    """One student's result on one graded cell."""

    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    message: str = ""


@dataclass
class Gradebook:
    marks: list[Mark] = field(default_factory=list)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (student, notebook) -> where it stopped

    @property
    def students(self) -> list[str]:
        return list(dict.fromkeys(m.student for m in self.marks))

    @property
    def exercises(self) -> list[str]:
        return list(dict.fromkeys(m.exercise for m in self.marks))

    def rows(self) -> list[dict]:
        """One row per student: points per exercise, total, maximum, and notes on what went wrong."""
        rows = []
        for student in self.students:
            marks = [m for m in self.marks if m.student == student]
            row = {"student": student, **{m.exercise: _points(m.points) for m in marks}}
            row["total"] = _points(sum(m.points for m in marks))
            row["max"] = _points(sum(m.max_points for m in marks))
            notes = [f"{m.exercise}: {m.message}" for m in marks if m.message]
            notes += [f"{nb}: {why}" for (who, nb), why in self.failures.items() if who == student]
            row["notes"] = " | ".join(notes)
            rows.append(row)
        return rows

    def write_csv(self, path: str | os.PathLike) -> Path:
        from .runs import write_with

        columns = ["student", *self.exercises, "total", "max", "notes"]

        def save(tmp):
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=columns, restval="")
                writer.writeheader()
                writer.writerows(self.rows())

        path = Path(path)
        write_with(path, save)
        return path

    def table(self) -> str:
        """The grades as aligned text, with each student's notes below the table."""
        columns = ["student", *self.exercises, "total", "max"]
        rows = self.rows()
        cells = [columns] + [[str(r.get(c, "")) for c in columns] for r in rows]
        widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        for row in rows:
            if row["notes"]:
                lines.append(f"\n{row['student']}:\n  " + "\n  ".join(row["notes"].split(" | ")))
        return "\n".join(lines)


def _points(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def find_submissions(paths: Iterable[str | os.PathLike], source: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs: a folder is one student's notebooks, a file is one notebook of the
    student its folder is named after. Only notebooks with a teacher's version in ``source`` count."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            notebooks = [p for p in sorted(path.glob("*.ipynb")) if (source / p.name).is_file()]
            if not notebooks:
                raise ValueError(f"{path} holds none of the notebooks in {source}; a submission is a student's folder")
            found += [(path.name, p) for p in notebooks]
        elif path.suffix == ".ipynb" and path.is_file():
            if not (source / path.name).is_file():
                raise ValueError(f"{path}: there is no {path.name} in {source} to grade it against")
            found.append((path.resolve().parent.name, path))
        else:
            raise ValueError(f"{path} is neither a student's folder nor a notebook file")
    return found


def prepare(submission, teacher):
    """The notebook to run: the student's cells, with every locked cell (checks and hidden tests
    included) taken from the teacher's version; exercise cells may fail without stopping the run.
    Returns the notebook and the grade cells the student deleted."""
    import copy

    nb = copy.deepcopy(submission)
    locked = {
        _nbgrader(c)["grade_id"]: c for c in teacher.cells if _nbgrader(c).get("locked") and "grade_id" in _nbgrader(c)
    }
    seen = set()
    for cell in nb.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in locked and grade_id not in seen:
            seen.add(grade_id)
            cell.source = locked[grade_id].source
            cell.cell_type = locked[grade_id].cell_type
            cell.metadata["nbgrader"] = dict(_nbgrader(locked[grade_id]))
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            tags = cell.metadata.setdefault("tags", [])
            if EXERCISE_TAG not in tags:
                tags.append(EXERCISE_TAG)
    missing = [c for gid, c in locked.items() if gid not in seen and _nbgrader(c).get("grade")]
    return _cleared(nb), missing


def _cleared(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _execute(notebook: Path, output: Path, cwd: Path, timeout: int) -> str | None:
    """Run ``notebook`` with papermill in quick settings in a child process; returns None, or why the
    run stopped early when the time limit was reached."""
    env = {**os.environ, QUICK_VARIABLE: "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [sys.executable, "-m", "papermill", str(notebook), str(output), "--cwd", str(cwd)]
    command += ["-k", "python3", "--no-progress-bar", "--execution-timeout", str(timeout)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGINT lets papermill shut its kernel down; what ran so far is saved after every cell
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        return f"the time limit of {timeout} s was reached"
    return None


def _error(cell) -> str | None:
    """The cell's error as one line, "ExerciseError: ex03 (...): not right yet. ...", or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {(output.get('evalue') or '').split(chr(10))[0]}"
    return None


def _first_line(cell) -> str:
    line = next((ln.strip() for ln in cell.source.split("\n") if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def grade_notebook(student: str, submission: Path, source: Path, timeout: int, keep: Path | None = None):
    """Run one submitted notebook and mark its check cells; returns (marks, why it stopped or None)."""
    import nbformat

    teacher = nbformat.read(source / submission.name, as_version=4)
    nb, missing = prepare(nbformat.read(submission, as_version=4), teacher)
    with tempfile.TemporaryDirectory(prefix="dcgan-grade-") as tmp:
        prepared, executed = Path(tmp) / "in.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(nb, prepared)
        stopped = _execute(prepared, executed, source.resolve(), timeout)
        ran = nbformat.read(executed, as_version=4) if executed.is_file() else nb
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(ran, keep / submission.name)
    ran.cells = [c for c in ran.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]

    stop_at = None
    for index, cell in enumerate(ran.cells):
        meta = _nbgrader(cell)
        error = _error(cell) if cell.cell_type == "code" else None
        if error and not (meta.get("solution") or meta.get("grade")):
            stop_at = f"stopped at cell {index + 1} ({_first_line(cell)}): {error}"
            if stopped:
                stop_at = f"{stopped} while cell {index + 1} ({_first_line(cell)}) ran"
            break
        if stopped and cell.cell_type == "code" and cell.get("execution_count") is None:
            stop_at = f"{stopped} before cell {index + 1} ({_first_line(cell)}) ran"
            break
    stop_index = index if stop_at else len(ran.cells)

    marks = []
    for index, cell in enumerate(ran.cells):
        meta = _nbgrader(cell)
        if not meta.get("grade") or cell.cell_type != "code":
            continue
        name = meta["grade_id"].removesuffix("_check")
        points = float(meta.get("points", 0))
        error = _error(cell)
        if index >= stop_index or (cell.get("execution_count") is None and not error):
            marks.append(Mark(student, submission.stem, name, 0, points, "not reached: the notebook stopped before it"))
        elif error:
            marks.append(Mark(student, submission.stem, name, 0, points, error))
        else:
            marks.append(Mark(student, submission.stem, name, points, points))
    for cell in missing:
        name = _nbgrader(cell)["grade_id"].removesuffix("_check")
        marks.append(
            Mark(student, submission.stem, name, 0, float(_nbgrader(cell).get("points", 0)), "check cell deleted")
        )
    return marks, stop_at


def grade(
    submissions: Sequence[str | os.PathLike],
    source: str | os.PathLike = NOTEBOOK_DIR,
    timeout: int = 600,
    csv_path: str | os.PathLike | None = None,
    keep: str | os.PathLike | None = None,
) -> Gradebook:
    """Grade every submitted notebook against the teacher's notebooks in ``source``; ``timeout`` is the
    time limit per notebook in seconds. Writes ``csv_path`` if given and the executed notebooks (the
    students' feedback) into ``keep/<student>/`` if given."""
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"--source {source} is not a folder; it must hold the teacher's notebooks")
    if timeout < 1:
        raise ValueError(f"the time limit must be at least 1 second, got {timeout}")
    book = Gradebook()
    for student, notebook in find_submissions(submissions, source):
        folder = Path(keep) / student if keep is not None else None
        marks, stopped = grade_notebook(student, notebook, source, timeout, folder)
        book.marks += marks
        if stopped:
            book.failures[(student, notebook.stem)] = stopped
    if csv_path is not None:
        book.write_csv(csv_path)
    return book
