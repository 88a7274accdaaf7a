"""Classroom use: student versions of the notebooks (``dcgan-lessons assign``) and grading of submitted
notebooks (``dcgan-lessons grade``), compatible with nbgrader's markers and cell metadata.

A submission is a student's folder of notebooks (the folder's name is the student), or single notebook
files inside such folders: ``submissions/ada/01_mnist_data.ipynb`` is Ada's notebook 01. Each is graded
against the teacher's notebook of the same file name, as nbgrader does: the check cells (and every
other locked cell) are put back from the teacher's version, hidden tests included, the notebook is run
top to bottom in quick settings, and each check cell that ran without an error earns its points.
Only the teacher's graded cells count, with the teacher's points, and every teacher's notebook with graded
cells is expected from every student's folder: a missing or unreadable one scores 0 of its maximum.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import check_cluster, dask_client
from .exercises import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, exercise_cells
from .notebooks import NOTEBOOK_DIR, QUICK_VARIABLE
from .reference import FOLDER_NAME, REFERENCE_VARIABLE, find_reference_run

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
EXERCISE_TAG = "raises-exception"  # papermill runs on past an error in a cell with this tag


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}  # a student's notebook may hold anything


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
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (student, notebook) -> why it earned less
    ignored: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (student, notebook) -> cells not counted
    order: list[str] = field(default_factory=list)  # the teacher's exercises: notebooks by name, cells top down

    @property
    def students(self) -> list[str]:
        return list(dict.fromkeys([*(m.student for m in self.marks), *(who for who, _ in self.failures)]))

    @property
    def exercises(self) -> list[str]:
        rank = {name: i for i, name in enumerate(self.order)}
        return sorted(dict.fromkeys(m.exercise for m in self.marks), key=lambda name: rank.get(name, len(rank)))

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
            notes += [f"{nb}: {n}" for (who, nb), more in self.ignored.items() if who == student for n in more]
            row["notes"] = " | ".join(notes)
            rows.append(row)
        return rows

    def write_csv(self, path: str | os.PathLike) -> Path:
        from .files import write_with

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


class Unreadable(ValueError):
    """A file that is not a notebook nbformat can read: not JSON, not UTF-8, cells without a source, ..."""


def read_notebook(path: Path):
    """The notebook in ``path``; anything unreadable becomes one line (the error's type and first line)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        return nb
    except Exception as error:  # a student's file can fail in any of nbformat's ways; the caller names it
        raise Unreadable(f"{type(error).__name__}: {str(error).strip().splitlines()[0][:120]}") from None


def _graded(nb) -> list:
    """The cells that earn points: code cells with nbgrader's ``grade: true`` (checked by running them)."""
    return [c for c in nb.cells if c.cell_type == "code" and _nbgrader(c).get("grade") and _nbgrader(c).get("grade_id")]


def _exercise(cell) -> str:
    return _nbgrader(cell)["grade_id"].removesuffix("_check")


def expected_notebooks(source: Path) -> dict:
    """The teacher's notebooks that hold graded cells, by file name in order: what every student hands in."""
    expected = {}
    for path in sorted(source.glob("*.ipynb")):
        try:
            nb = read_notebook(path)
        except Unreadable as error:
            message = f"the teacher's {path.name} is not a readable notebook ({error}); fix it or move it away"
            raise ValueError(message) from None
        if _graded(nb):
            expected[path.name] = nb
    if not expected:
        raise ValueError(
            f"{source} holds no notebook with graded cells (nbgrader's grade: true); "
            "--source must name the folder with the teacher's notebooks"
        )
    return expected


def find_submissions(paths: Iterable[str | os.PathLike], expected: Iterable[str]) -> list[tuple[str, str, Path | None]]:
    """(student, notebook name, file or None) triples. A folder is one student's whole submission: every expected
    notebook, None where it is missing, then its other notebooks (renamed ones). A file is one notebook of the
    student its folder is named after."""
    expected = list(expected)
    found = {}
    for path in map(Path, paths):
        if path.is_dir():
            student, notebooks = path.resolve().name, sorted(path.glob("*.ipynb"))
            if not notebooks and any(sub.is_dir() and any(sub.glob("*.ipynb")) for sub in path.iterdir()):
                raise ValueError(
                    f"{path} holds folders, not notebooks: pass the students' folders ({path}/*), not their parent"
                )
            for name in expected:
                found.setdefault((student, name), path / name if (path / name).is_file() else None)
            for notebook in notebooks:
                found.setdefault((student, notebook.name), notebook)
        elif path.suffix == ".ipynb" and path.is_file():
            found.setdefault((path.resolve().parent.name, path.name), path)
        else:
            raise ValueError(f"{path} is neither a student's folder nor a notebook file")
    return [(student, name, path) for (student, name), path in found.items()]


def _grade_ids(nb) -> set[str]:
    return {i for c in nb.cells if isinstance(i := _nbgrader(c).get("grade_id"), str)}


def _stray(path: Path, expected: dict) -> str:
    """Why a notebook with a name the teacher does not use earns nothing, and which name it should have."""
    why = "not graded: not one of the teacher's notebooks"
    try:
        ids = _grade_ids(read_notebook(path))
    except Unreadable:
        ids = set()
    overlap = {name: len(ids & _grade_ids(nb)) for name, nb in expected.items()}
    best = max(overlap, key=overlap.get)
    if overlap[best]:
        return f"{why}; it holds the cells of {best}, so rename it {best}"
    return f"{why} ({', '.join(expected)}); name it after the one it answers"


def prepare(submission, teacher):
    """The notebook to run: the student's cells, with every locked cell (checks and hidden tests included) and
    every cell's nbgrader metadata (points included) taken from the teacher's version; graded cells the teacher
    did not write, or second copies, count for nothing. Exercise cells may fail without stopping the run.
    Returns the notebook and a note for each ignored cell."""
    import copy

    nb = copy.deepcopy(submission)
    originals = {}
    for cell in teacher.cells:
        originals.setdefault(_nbgrader(cell).get("grade_id"), cell)
    originals.pop(None, None)
    seen, ignored = set(), []
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id") if isinstance(meta.get("grade_id"), str) else None
        exercise = grade_id in originals and grade_id not in seen
        if exercise:
            seen.add(grade_id)
            original = originals[grade_id]
            if _nbgrader(original).get("locked"):
                cell.source, cell.cell_type = original.source, original.cell_type
            cell.metadata["nbgrader"] = dict(_nbgrader(original))
        elif meta.get("grade"):
            why = "a second cell with this grade_id" if grade_id in seen else "not one of the teacher's graded cells"
            ignored.append(f"cell {index + 1} ({grade_id}) ignored: {why}")
            cell.metadata["nbgrader"] = {k: v for k, v in meta.items() if k != "points"} | {"grade": False}
        meta = _nbgrader(cell)
        if cell.cell_type == "code" and (exercise or meta.get("solution") or meta.get("grade")):
            tags = cell.metadata.setdefault("tags", [])
            if EXERCISE_TAG not in tags:
                tags.append(EXERCISE_TAG)
    return _cleared(nb), ignored


def _cleared(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def _execute(notebook: Path, output: Path, cwd: Path, timeout: int, env: dict[str, str]) -> str | None:
    """Run ``notebook`` with papermill in quick settings in a child process; returns None, or why the
    run stopped early when the time limit was reached."""
    env = {**os.environ, QUICK_VARIABLE: "1", "TF_CPP_MIN_LOG_LEVEL": "2", **env}
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


def _scratch(folder: Path, source: Path, reference: Path | None) -> tuple[Path, dict[str, str]]:
    """A student's own copy of the project's layout, so that their runs, figures and temporary files stay theirs:
    ``folder/<source's name>/`` (the working folder: ``../runs``, ``../figures`` land in ``folder``), a copy of the
    reference run in ``folder/reference-run/`` (found as ``../reference-run`` and by the variable), ``folder/tmp/``.
    Returns the working folder and the environment for the run."""
    work, tmp = folder / source.resolve().name, folder / "tmp"
    work.mkdir()
    tmp.mkdir()
    env = {"TMPDIR": str(tmp)}  # quick figures (plots.figures_dir) and tempfile folders
    if reference is not None:
        shutil.copytree(reference, folder / FOLDER_NAME)
        env[REFERENCE_VARIABLE] = str(folder / FOLDER_NAME)
    return work, env


def _error(cell) -> str | None:
    """The cell's error as one line, "ExerciseError: ex03 (...): not right yet. ...", or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename', 'Error')}: {(output.get('evalue') or '').split(chr(10))[0]}"
    return None


def _first_line(cell) -> str:
    line = next((ln.strip() for ln in cell.source.split("\n") if ln.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def grade_notebook(
    student: str,
    name: str,
    submission,
    teacher,
    source: Path,
    timeout: int,
    keep: Path | None = None,
    reference: Path | None = None,
) -> tuple[list[Mark], str | None, list[str]]:
    """Run one submitted notebook in a scratch folder of its own and mark the teacher's graded cells; returns
    (marks, why it stopped or None, notes on ignored cells)."""
    import nbformat

    nb, ignored = prepare(submission, teacher)
    with tempfile.TemporaryDirectory(prefix="dcgan-grade-") as tmp:
        work, env = _scratch(Path(tmp), source, reference)
        prepared, executed = work / name, Path(tmp) / "executed.ipynb"
        nbformat.write(nb, prepared)
        stopped = _execute(prepared, executed, work, timeout, env)
        ran = nbformat.read(executed, as_version=4) if executed.is_file() else nb
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            nbformat.write(ran, keep / name)
    ran.cells = [c for c in ran.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]

    stop_at = None
    for index, cell in enumerate(ran.cells):
        error = _error(cell) if cell.cell_type == "code" else None
        if error and EXERCISE_TAG not in cell.metadata.get("tags", []):  # papermill stops there
            stop_at = f"stopped at cell {index + 1} ({_first_line(cell)}): {error}"
            if stopped:
                stop_at = f"{stopped} while cell {index + 1} ({_first_line(cell)}) ran"
            break
        if stopped and cell.cell_type == "code" and cell.get("execution_count") is None:
            stop_at = f"{stopped} before cell {index + 1} ({_first_line(cell)}) ran"
            break
    stop_index = index if stop_at else len(ran.cells)

    found = {}
    for index, cell in enumerate(ran.cells):
        if cell.cell_type == "code" and _nbgrader(cell).get("grade"):
            found.setdefault(_nbgrader(cell).get("grade_id"), (index, cell))
    marks, stem = [], Path(name).stem
    for original in _graded(teacher):
        exercise, points = _exercise(original), float(_nbgrader(original).get("points", 0))
        index, cell = found.get(_nbgrader(original)["grade_id"], (None, None))
        error = _error(cell) if cell is not None else None
        if cell is None:
            marks.append(Mark(student, stem, exercise, 0, points, "check cell deleted"))
        elif index >= stop_index or (cell.get("execution_count") is None and not error):
            marks.append(Mark(student, stem, exercise, 0, points, "not reached: the notebook stopped before it"))
        elif error:
            marks.append(Mark(student, stem, exercise, 0, points, error))
        else:
            marks.append(Mark(student, stem, exercise, points, points))
    return marks, stop_at, ignored


def _zeros(student: str, name: str, teacher) -> list[Mark]:
    """No points on any of a notebook's graded cells, out of their maximum (the notes say why)."""
    stem = Path(name).stem
    return [Mark(student, stem, _exercise(c), 0, float(_nbgrader(c).get("points", 0))) for c in _graded(teacher)]


Outcome = tuple[list[Mark], str | None, list[str]]  # marks, why the notebook earned less or None, ignored cells


def grade(
    submissions: Sequence[str | os.PathLike],
    source: str | os.PathLike = NOTEBOOK_DIR,
    timeout: int = 600,
    csv_path: str | os.PathLike | None = None,
    keep: str | os.PathLike | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Gradebook:
    """Grade every submitted notebook against the teacher's notebooks in ``source``; ``timeout`` is the
    time limit per notebook in seconds. Writes ``csv_path`` if given and the executed notebooks (the
    students' feedback) into ``keep/<student>/`` if given. A notebook that is missing, unreadable or
    renamed earns nothing and gets a note; the others are graded all the same.

    With ``workers`` (a local Dask cluster of that many processes) or ``scheduler`` (tcp://host:port, whose
    workers must see the same files) the notebooks are graded in parallel, into the same gradebook."""
    check_cluster(scheduler, workers)
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"--source {source} is not a folder; it must hold the teacher's notebooks")
    if timeout < 1:
        raise ValueError(f"the time limit must be at least 1 second, got {timeout}")
    expected = expected_notebooks(source)
    try:
        reference = find_reference_run(source)
    except FileNotFoundError as error:
        raise ValueError(str(error)) from None
    here, reference = source.resolve(), reference.resolve() if reference else None  # a worker may run elsewhere
    # ((student, notebook), outcome, job): a job (grade_notebook's arguments) replaces the outcome, its zeros if lost
    entries: list[tuple[tuple[str, str], Outcome, tuple | None]] = []
    for student, name, path in find_submissions(submissions, expected):
        teacher, key = expected.get(name), (student, Path(name).stem)
        if teacher is None:
            entries.append(((student, name), ([], _stray(path, expected), []), None))
            continue
        zeros = _zeros(student, name, teacher)
        if path is None:
            entries.append((key, (zeros, f"missing: {student}/ has no {name}", []), None))
            continue
        try:
            submission = read_notebook(path)
        except Unreadable as error:
            why = f"not graded: {student}/{name} is not a readable notebook ({error})"
            entries.append((key, (zeros, why, []), None))
            continue
        folder = Path(keep).resolve() / student if keep is not None else None
        job = (student, name, submission, teacher, here, timeout, folder, reference)
        entries.append((key, (zeros, None, []), job))
    book = Gradebook(order=[_exercise(c) for nb in expected.values() for c in _graded(nb)])
    for (key, _, _), (marks, why, ignored) in zip(entries, _outcomes(entries, scheduler, workers), strict=True):
        book.marks += marks
        if why:
            book.failures[key] = why
        if ignored:
            book.ignored[key] = ignored
    if csv_path is not None:
        book.write_csv(csv_path)
    return book


def _outcomes(entries: list, scheduler: str | None, workers: int | None) -> list[Outcome]:
    """The entries' outcomes in their order, running their notebooks here one after another or on Dask in
    parallel. A notebook whose Dask job was lost (its worker died) scores its zeros with a note, so the
    gradebook of everyone else survives it."""
    if not (scheduler or workers):
        return [grade_notebook(*job) if job else outcome for _, outcome, job in entries]
    from distributed import KilledWorker

    outcomes = []
    with dask_client(scheduler, workers) as client:
        futures = [client.submit(grade_notebook, *job, pure=False) if job else None for _, _, job in entries]
        for (_, outcome, _), future in zip(entries, futures, strict=True):
            try:
                outcomes.append(future.result() if future else outcome)
                continue
            except KilledWorker:
                why = "the Dask worker grading it died"
            except Exception as error:  # the job's own error on a worker, such as a folder it cannot see
                why = "its Dask job failed: " + " ".join(f"{type(error).__name__}: {error}".split())[:160]
            outcomes.append((outcome[0], f"not graded: {why}; grade it again", []))
    return outcomes
