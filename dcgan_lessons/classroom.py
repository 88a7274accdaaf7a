"""Grading a class (``dcgan-lessons grade``), compatible with nbgrader's markers and cell metadata; the student
versions it grades are made by :mod:`dcgan_lessons.handouts` (``dcgan-lessons assign``).

A submission is a student's folder of notebooks (the folder's name is the student), or single notebook
files inside such folders: ``submissions/ada/01_mnist_data.ipynb`` is Ada's notebook 01. Each is graded
against the teacher's notebook of the same file name, as nbgrader does: the check cells (and every
other locked cell) are put back from the teacher's version, hidden tests included, and the notebook is run
top to bottom in quick settings in a sandbox (:mod:`dcgan_lessons.sandbox`). An exercise of this package earns
its points when the grader's own check passes on the answer the notebook hands back (:mod:`dcgan_lessons.verdicts`);
any other graded cell, when it ran without an error. Only the teacher's graded cells count, with the teacher's
points, and every teacher's notebook with graded cells is expected from every student's folder: a missing or
unreadable one scores 0 of its maximum.
"""

from __future__ import annotations

import csv
import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .cluster import check_cluster, dask_client
from .exercises import BEGIN_SOLUTION, EXERCISES
from .exercises import get as get_exercise
from .notebooks import NOTEBOOK_DIR, QUICK_VARIABLE
from .reference import (
    CONDITIONAL_FOLDER,
    CONDITIONAL_VARIABLE,
    FOLDER_NAME,
    REFERENCE_VARIABLE,
    SWEEP_FOLDER,
    conditional_run,
    find_reference_run,
    reference_sweep,
)
from .verdicts import ANSWERS_VARIABLE, judge

EXERCISE_TAG = "raises-exception"  # papermill runs on past an error in a cell with this tag
RECORD_TAG = "dcgan-lessons-record"  # the grader's cells that hand answers back


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}  # a student's notebook may hold anything


# marks, why the notebook earned less or None, ignored cells, the executed notebook (feedback) or None
Outcome = tuple[list, str | None, list[str], object]


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


MAX_BYTES = 50_000_000  # a notebook larger than this is not read (answers and submissions alike)


def read_file(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most MAX_BYTES, read once; a symbolic link (to the
    teacher's notebook, to a system file) is refused, not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Unreadable("a symbolic link, not a file of its own") from None
        raise Unreadable(f"{type(error).__name__}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Unreadable("not a regular file")
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Unreadable(f"larger than {MAX_BYTES // 1_000_000} MB")
    return data


def read_notebook(path: Path):
    """The notebook in ``path`` (a regular file: see :func:`read_file`); anything unreadable becomes one line
    (the error's type and first line)."""
    import nbformat

    data = read_file(path)
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
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
            nb = read_notebook(path.resolve())  # the teacher's own files: a link is theirs to make
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


def _names(folders: list[Path]) -> dict[Path, str]:
    """Each student's row name: their folder's name, or with as many parent folders as it takes to tell apart
    folders of the same name (``class-a/ada`` and ``class-b/ada``)."""
    names = {}
    for folder in dict.fromkeys(folders):
        depth = 1
        while sum(f.parts[-depth:] == folder.parts[-depth:] for f in set(folders)) > 1 and depth < len(folder.parts):
            depth += 1
        names[folder] = "/".join(folder.parts[-depth:])
    return names


def find_submissions(paths: Iterable[str | os.PathLike], expected: Iterable[str]) -> list[tuple[str, str, Path | None]]:
    """(student, notebook name, file or None) triples. A folder is one student's whole submission: every expected
    notebook, None where it is missing, then its other notebooks (renamed ones). A file is one notebook of the
    student its folder is named after. Links are listed as they are (reading one refuses it)."""
    expected = list(expected)
    found = {}
    for path in map(Path, paths):
        if path.is_dir():
            folder, notebooks = path.resolve(), sorted(path.glob("*.ipynb"))
            if not notebooks and any(sub.is_dir() and any(sub.glob("*.ipynb")) for sub in path.iterdir()):
                raise ValueError(
                    f"{path} holds folders, not notebooks: pass the students' folders ({path}/*), not their parent"
                )
            for name in expected:
                there = folder / name
                found.setdefault((folder, name), there if there.is_file() or there.is_symlink() else None)
            for notebook in notebooks:
                found.setdefault((folder, notebook.name), folder / notebook.name)
        elif path.suffix == ".ipynb" and (path.is_file() or path.is_symlink()):
            folder = path.absolute().parent.resolve()
            found.setdefault((folder, path.name), folder / path.name)
        else:
            raise ValueError(f"{path} is neither a student's folder nor a notebook file")
    names = _names([folder for folder, _ in found])
    return [(names[folder], name, path) for (folder, name), path in found.items()]


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
    nb.cells = [c for cell in nb.cells for c in [cell, *_record_cell(cell)]]
    return _cleared(nb), ignored


def _judged_outside(cell) -> str | None:
    """The exercise whose mark the grader decides in its own process from what this check cell's exercise hands
    back (see :mod:`dcgan_lessons.verdicts`), or None for a check cell judged by running it."""
    grade_id = _nbgrader(cell).get("grade_id")
    exercise = grade_id.removesuffix("_check") if isinstance(grade_id, str) else None
    return exercise if exercise in EXERCISES else None


def _record_cell(cell) -> list:
    """After an exercise's check cell, the grader's cell that hands the student's answer back (none for others)."""
    import nbformat

    exercise = _judged_outside(cell) if _nbgrader(cell).get("grade") else None
    if exercise is None:
        return []
    ex = get_exercise(exercise)
    source = f'__import__("dcgan_lessons.verdicts").verdicts.record("{ex.id}", {ex.answer}{ex.check_args})'
    return [nbformat.v4.new_code_cell(source, metadata={"tags": [EXERCISE_TAG, RECORD_TAG]})]


def _cleared(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def _execute(
    notebook: Path, output: Path, work: Path, timeout: int, env: dict, reads: list, sandboxed: bool
) -> str | None:
    """Run ``notebook`` with papermill in quick settings, in the sandbox unless ``sandboxed`` is False; returns
    None, or why the run stopped early when the time limit was reached. When this returns, every process the
    notebook started is gone (the sandbox's PID namespace; without it, the process group)."""
    env = {QUICK_VARIABLE: "1", "TF_CPP_MIN_LOG_LEVEL": "2", **env}
    papermill = [sys.executable, "-m", "papermill", str(notebook), str(output), "--cwd", str(work)]
    papermill += ["-k", "python3", "--no-progress-bar", "--execution-timeout", str(timeout)]
    if sandboxed:
        # inside, SIGINT at the time limit lets papermill save what ran and shut its kernel down
        process = sandbox.popen(["timeout", "-s", "INT", str(timeout), *papermill], work.parent, work, reads, env)
        try:
            process.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            process.kill()  # the sandbox's first process: the kernel then ends all the others
            process.communicate()
            return f"the time limit of {timeout} s was reached"
        return f"the time limit of {timeout} s was reached" if process.returncode == 124 else None
    env = {**os.environ, **env}
    process = subprocess.Popen(
        papermill, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        return f"the time limit of {timeout} s was reached"
    return None


def _scratch(
    folder: Path,
    source: Path,
    reference: Path | None,
    sandboxed: bool,
    conditional: Path | None = None,
    sweeps: Path | None = None,
) -> tuple[Path, dict, list]:
    """A student's own copy of the project's layout, so that their runs, figures and temporary files stay theirs:
    ``folder/<source's name>/`` (the working folder: ``../runs``, ``../figures`` land in ``folder``), the reference
    run as ``folder/reference-run/`` and the conditional run as ``folder/conditional-run/`` (found as
    ``../reference-run`` and by the variable, and likewise; in the sandbox bound read-only, else a copy), the
    committed sweeps as ``folder/sweeps/`` (notebook 08 finds ``../sweeps/stabilisers``), ``folder/answers/`` for
    what the exercises hand back. Returns the working folder, the environment for the run
    and the (host path, path inside) pairs the sandbox reads."""
    work, answers = folder / source.resolve().name, folder / "answers"
    work.mkdir()
    answers.mkdir()
    env, reads = {ANSWERS_VARIABLE: str(answers)}, []
    if sandboxed:
        env |= sandbox.environment(folder)
        mnist = os.environ.get("MNIST_DIR")
        if mnist and Path(mnist).is_dir():
            env["MNIST_DIR"] = str(Path(mnist).resolve())
            reads.append((Path(mnist).resolve(), Path(mnist).resolve()))
    else:
        (folder / "tmp").mkdir()
        env["TMPDIR"] = str(folder / "tmp")  # quick figures (plots.figures_dir) and tempfile folders
    for run, name, variable in (
        (reference, FOLDER_NAME, REFERENCE_VARIABLE),
        (conditional, CONDITIONAL_FOLDER, CONDITIONAL_VARIABLE),
        (sweeps, SWEEP_FOLDER.parts[0], None),
    ):
        if run is None:
            continue
        if sandboxed:
            (folder / name).mkdir()
            reads.append((run, folder / name))
        else:
            shutil.copytree(run, folder / name)
        if variable:
            env[variable] = str(folder / name)
    return work, env, reads


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
    reference: Path | None = None,
    sandboxed: bool = True,
    conditional: Path | None = None,
    sweeps: Path | None = None,
) -> Outcome:
    """Run one submitted notebook in a scratch folder of its own (in the sandbox unless ``sandboxed`` is False)
    and mark the teacher's graded cells once it has ended; returns (marks, why it stopped or None, notes on
    ignored cells, the executed notebook as feedback)."""
    import nbformat

    nb, ignored = prepare(submission, teacher)
    handed: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="dcgan-grade-", ignore_cleanup_errors=True) as tmp:
        work, env, reads = _scratch(Path(tmp), source, reference, sandboxed, conditional, sweeps)
        prepared, executed = work / name, Path(tmp) / "executed.ipynb"
        nbformat.write(nb, prepared)
        stopped = _execute(prepared, executed, work, timeout, env, reads, sandboxed)
        # the notebook's processes are gone: what they left is read as data, regular files only
        try:
            ran = read_notebook(executed)
        except Unreadable:
            ran = nb
        for original in _graded(teacher):
            exercise = _judged_outside(original)
            if exercise:
                try:
                    handed[exercise] = read_file(Path(env[ANSWERS_VARIABLE]) / f"{exercise}.json")
                except Unreadable:  # not handed back (or not as a file of its own)
                    pass
    ran.cells = [c for c in ran.cells if not {"papermill-error-cell-tag", RECORD_TAG} & set(c.metadata.get("tags", []))]

    stop_at = None
    for index, cell in enumerate(ran.cells):
        error = _error(cell) if cell.cell_type == "code" else None
        interrupted = stopped and error and error.startswith("KeyboardInterrupt")  # the cell the time limit stopped
        if interrupted or (error and EXERCISE_TAG not in cell.metadata.get("tags", [])):  # papermill stops there
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
            why = "check cell deleted"
        elif index == stop_index and stopped:
            why = f"{stopped} while it ran"
        elif index >= stop_index or (cell.get("execution_count") is None and not error):
            why = "not reached: the notebook stopped before it"
        elif _judged_outside(original):
            if exercise in handed:
                why = judge(exercise, handed[exercise].decode("utf-8", "replace"))
            else:
                why = f"no answer handed back ({error})" if error else "no answer handed back"
        else:
            why = error
        marks.append(Mark(student, stem, exercise, 0 if why else points, points, why or ""))
    return marks, stop_at, ignored, ran


def _zeros(student: str, name: str, teacher) -> list[Mark]:
    """No points on any of a notebook's graded cells, out of their maximum (the notes say why)."""
    stem = Path(name).stem
    return [Mark(student, stem, _exercise(c), 0, float(_nbgrader(c).get("points", 0))) for c in _graded(teacher)]


def _kept(keep: Path, student: str, name: str, submissions: list[Path]) -> Path:
    """Where the executed notebook of ``student``'s ``name`` goes: never onto a handed-in file."""
    target = keep / student / name
    if target.exists() and any(target.samefile(path) for path in submissions):
        raise ValueError(f"--keep {keep} would replace the submission {target}; keep the feedback elsewhere")
    return target


def _student_versions(expected: dict) -> list[str]:
    """The teacher's notebooks with answer cells but no solution in any: student versions, which would be graded
    without hidden tests."""
    answers = {name: [c for c in nb.cells if _nbgrader(c).get("solution")] for name, nb in expected.items()}
    return [name for name, cells in answers.items() if cells and not any(BEGIN_SOLUTION in c.source for c in cells)]


def grade(
    submissions: Sequence[str | os.PathLike],
    source: str | os.PathLike = NOTEBOOK_DIR,
    timeout: int = 600,
    csv_path: str | os.PathLike | None = None,
    keep: str | os.PathLike | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    unsandboxed: bool = False,
) -> Gradebook:
    """Grade every submitted notebook against the teacher's notebooks in ``source``; ``timeout`` is the
    time limit per notebook in seconds. Writes ``csv_path`` if given and the executed notebooks (the
    students' feedback) into ``keep/<student>/`` if given, once every notebook has ended. A notebook that is
    missing, unreadable, a link or renamed earns nothing and gets a note; the others are graded all the same.

    Each notebook runs in the sandbox (:mod:`dcgan_lessons.sandbox`); without one, only if ``unsandboxed`` says
    the teacher accepts running the students' code as themselves. With ``workers`` (a local Dask cluster of that
    many processes) or ``scheduler`` (tcp://host:port, whose workers must see the same files) the notebooks are
    graded in parallel, into the same gradebook."""
    check_cluster(scheduler, workers)
    source = Path(source)
    if not source.is_dir():
        raise ValueError(f"--source {source} is not a folder; it must hold the teacher's notebooks")
    if timeout < 1:
        raise ValueError(f"the time limit must be at least 1 second, got {timeout}")
    if not unsandboxed and sandbox.tool() is None:
        raise ValueError(
            f"no sandbox to run the students' notebooks in: {sandbox.INSTALL}, or pass --unsandboxed to run "
            "their code as yourself, with your files and network (only for code you trust)"
        )
    expected = expected_notebooks(source)
    if copies := _student_versions(expected):
        raise ValueError(
            f"--source {source} holds student versions ({', '.join(copies)}: no solutions); "
            "name the folder with the teacher's notebooks"
        )
    try:
        reference = find_reference_run(source)
    except FileNotFoundError as error:
        raise ValueError(str(error)) from None
    try:  # notebook 09's run; without it, 09 stops where it reads the run, saying how to point at it
        conditional = conditional_run(source).resolve()
    except FileNotFoundError:
        conditional = None
    try:  # notebook 08's committed sweeps (the stabilisers, and those beside them)
        sweeps = reference_sweep(source).resolve().parent
    except FileNotFoundError:
        sweeps = None
    here, reference = source.resolve(), reference.resolve() if reference else None  # a worker may run elsewhere
    found = find_submissions(submissions, expected)
    handed_in = [path for _, _, path in found if path is not None]
    keep = Path(keep).resolve() if keep is not None else None
    # ((student, notebook), outcome, job): a job (grade_notebook's arguments) replaces the outcome, its zeros if lost
    entries: list[tuple[tuple[str, str], Outcome, tuple | None]] = []
    for student, name, path in found:  # every submission is read here, once, before any student's code runs
        teacher, key = expected.get(name), (student, Path(name).stem)
        if teacher is None:
            entries.append(((student, name), ([], _stray(path, expected), [], None), None))
            continue
        zeros = _zeros(student, name, teacher)
        if path is None:
            entries.append((key, (zeros, f"missing: {student}/ has no {name}", [], None), None))
            continue
        try:
            submission = read_notebook(path)
        except Unreadable as error:
            why = f"not graded: {student}/{name} is not a readable notebook ({error})"
            entries.append((key, (zeros, why, [], None), None))
            continue
        if keep is not None:
            _kept(keep, student, name, handed_in)
        job = (student, name, submission, teacher, here, timeout, reference, not unsandboxed, conditional, sweeps)
        entries.append((key, (zeros, None, [], None), job))
    book = Gradebook(order=[_exercise(c) for nb in expected.values() for c in _graded(nb)])
    outcomes = _outcomes(entries, scheduler, workers)
    for (key, _, _), (marks, why, ignored, _) in zip(entries, outcomes, strict=True):
        book.marks += marks
        if why:
            book.failures[key] = why
        if ignored:
            book.ignored[key] = ignored
    # every notebook has ended: the grader alone writes the feedback and the grades
    if keep is not None:
        import nbformat

        from .files import write_with

        for (_, _, job), (*_, ran) in zip(entries, outcomes, strict=True):
            if job is not None and ran is not None:
                target = _kept(keep, job[0], job[1], handed_in)
                target.parent.mkdir(parents=True, exist_ok=True)
                write_with(target, lambda tmp, ran=ran: nbformat.write(ran, tmp))
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
            outcomes.append((outcome[0], f"not graded: {why}; grade it again", [], None))
    return outcomes
