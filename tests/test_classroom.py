"""Student versions hold no solutions and no hidden tests; grading runs the notebooks and marks the checks."""

import contextlib
import csv
import io
import json
import os
import tempfile
from pathlib import Path

from dcgan_lessons import classroom, handouts
from dcgan_lessons.cli import main
from dcgan_lessons.exercises import EXERCISES, exercise_cells, for_notebook, nbgrader_metadata
from dcgan_lessons.notebooks import series

import nbformat
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers

v4 = nbformat.v4
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def _write(cells, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = v4.new_notebook(cells=cells, metadata={**KERNEL, "language_info": {"name": "python"}})
    nbformat.write(nb, path)
    return path


def _tiny(path, questions):
    """A notebook that starts in seconds (no TensorFlow): per question an answer cell and a locked check cell."""
    cells = []
    for q in questions:
        answer = v4.new_code_cell(f"### BEGIN SOLUTION\n{q} = 42\n### END SOLUTION")
        answer.metadata["nbgrader"] = nbgrader_metadata(f"{q}_answer", solution=True)
        check = v4.new_code_cell(f"assert {q} == 42, 'not yet'")
        check.metadata["nbgrader"] = nbgrader_metadata(f"{q}_check", grade=True, points=1)
        cells += [answer, check]
    return _write(cells, path)


def _graded_cell(source, grade_id, points):
    cell = v4.new_code_cell(source)
    cell.metadata["nbgrader"] = nbgrader_metadata(grade_id, grade=True, points=points)
    return cell


def _teacher(folder):
    """A teacher's notebook with two exercises, a markdown answer region and an executed output."""
    code = v4.new_code_cell("import dcgan_lessons as dl\nprint('ready')", execution_count=1)
    code.outputs = [v4.new_output("stream", name="stdout", text="ready\n")]
    answer = v4.new_markdown_cell("Why [-1, 1]?\n\n### BEGIN SOLUTION\nBecause of tanh.\n### END SOLUTION")
    cells = [v4.new_markdown_cell("# Test"), code, answer, *exercise_cells("ex01"), v4.new_code_cell("x = 1")]
    return _write([*cells, *exercise_cells("ex02")], folder / "01_mnist_data.ipynb")


@pytest.fixture
def teacher(tmp_path):
    return _teacher(tmp_path / "teacher")


def _sources(path):
    return [c.source for c in nbformat.read(path, as_version=4).cells]


def test_assign_writes_student_versions_without_solutions_or_hidden_tests(teacher, tmp_path, capsys):
    assert main(["assign", str(teacher.parent), str(tmp_path / "student")]) == 0
    assert "Wrote 1 student notebook(s)" in capsys.readouterr().out
    student = nbformat.read(tmp_path / "student" / teacher.name, as_version=4)
    original = nbformat.read(teacher, as_version=4)
    text = json.dumps(student)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "hidden=True", "Because of tanh", "127.5", "//"):
        assert marker not in text
    assert student.cells[2].source == "Why [-1, 1]?\n\nYOUR ANSWER HERE"
    assert student.cells[4].source == (
        'def scale_pixels(images):\n    """uint8 pixels in [0, 255] -> float32 values in [-1, 1]."""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert student.cells[5].source == 'dl.exercises.check("ex01", scale_pixels)'
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    # everything else is unchanged: the other cells and every cell's metadata
    assert [c.metadata for c in student.cells] == [c.metadata for c in original.cells]
    same = [i for i in range(len(original.cells)) if i not in (2, 4, 5, 8, 9)]
    assert [student.cells[i].source for i in same] == [original.cells[i].source for i in same]


@pytest.mark.parametrize(
    "source, message",
    [
        ("x = 1\n### BEGIN SOLUTION\ny = 2", "'### BEGIN SOLUTION' without '### END SOLUTION'"),
        ("### END HIDDEN TESTS", "'### END HIDDEN TESTS' without a '### BEGIN HIDDEN TESTS' before it"),
    ],
)
def test_unbalanced_markers_are_refused_rather_than_leaked(tmp_path, source, message):
    _write([v4.new_code_cell("x = 0"), v4.new_code_cell(source)], tmp_path / "src" / "02_x.ipynb")
    with pytest.raises(ValueError, match=f"02_x.ipynb, cell 1: {message}"):
        handouts.assign(tmp_path / "src", tmp_path / "out")


def test_assign_refuses_to_overwrite_the_teachers_notebooks(teacher, tmp_path):
    with pytest.raises(ValueError, match="would overwrite the teacher's notebooks"):
        handouts.assign(teacher.parent, teacher.parent)
    with pytest.raises(ValueError, match="holds no notebooks"):
        handouts.assign(tmp_path / "nothing", tmp_path / "out")


@pytest.mark.parametrize("link", ["symlink", "hardlink", "student"])
def test_assign_never_writes_through_links_nor_over_work_unless_told(teacher, tmp_path, capsys, link):
    """A folder of links to the teacher's notebooks, or a student's filled-in copy, is not overwritten: refused,
    then with --replace set aside and replaced by a new file; the teacher's notebook keeps its solutions."""
    out, before = tmp_path / "class", teacher.read_bytes()
    out.mkdir()
    target = out / teacher.name
    if link == "symlink":
        target.symlink_to(teacher)
    elif link == "hardlink":
        os.link(teacher, target)
    else:
        handouts.assign(teacher.parent, out)
        assert main(["assign", str(teacher.parent), str(out)]) == 0  # the same student version: nothing to keep
        work = nbformat.read(target, as_version=4)
        _cell(work, "ex01_answer").source = "def scale_pixels(images):\n    return images / 127.5 - 1  # mine"
        nbformat.write(work, target)
    mine = target.read_bytes()
    assert main(["assign", str(teacher.parent), str(out)]) == 2
    assert f"{out} already holds {teacher.name}, different from the fresh student version" in capsys.readouterr().err
    assert target.read_bytes() == mine and teacher.read_bytes() == before
    assert main(["assign", str(teacher.parent), str(out), "--replace"]) == 0
    assert teacher.read_bytes() == before and "BEGIN SOLUTION" in teacher.read_text()
    assert not target.is_symlink() and "BEGIN SOLUTION" not in target.read_text()
    (kept,) = (out / handouts.BACKUP_FOLDER).iterdir()
    assert kept.name == teacher.name and kept.read_bytes() == mine


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def four_students(tmp_path_factory):
    """Four submissions of the teacher's notebook, graded one after another by the CLI: its arguments (without
    --csv), the CSV it wrote and what it printed. The Dask test grades the same submissions."""
    tmp = tmp_path_factory.mktemp("four")
    teacher = _teacher(tmp / "teacher")
    handouts.assign(teacher.parent, tmp / "student")
    student = tmp / "student" / teacher.name
    subs = tmp / "submissions"
    # ada hands in the solved notebook; bob the student version untouched
    _write(nbformat.read(teacher, as_version=4).cells, subs / "ada" / teacher.name)
    _write(nbformat.read(student, as_version=4).cells, subs / "bob" / teacher.name)
    # cy solves ex01, then a cell of hers crashes before ex02
    cy = nbformat.read(teacher, as_version=4)
    cy.cells[6].source = "x = 1 / 0"
    _write(cy.cells, subs / "cy" / teacher.name)
    # dan's ex02 passes the visible cases only, and he replaced both check cells: the teacher's come back
    dan = nbformat.read(student, as_version=4)
    _cell(dan, "ex01_answer").source = "def scale_pixels(images):\n    return images.astype('float32') / 127.5 - 1"
    _cell(dan, "ex02_answer").source = "def batches_per_epoch(n, b):\n    return n // b if n > 100 else round(n / b)"
    _cell(dan, "ex01_check").source = _cell(dan, "ex02_check").source = "pass"
    _write(dan.cells, subs / "dan" / teacher.name)

    args = ["grade", *map(str, sorted(subs.iterdir())), "--source", str(teacher.parent)]
    out_csv = tmp / "grades.csv"
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        assert main([*args, "--csv", str(out_csv)]) == 0
    return args, out_csv, printed.getvalue()


def test_grade_marks_each_exercise_and_writes_the_table(four_students):
    _, out_csv, printed = four_students
    rows = {r["student"]: r for r in csv.DictReader(out_csv.open())}
    assert list(rows["ada"])[:5] == ["student", "ex01", "ex02", "total", "max"]
    assert [(r["ex01"], r["ex02"], r["total"], r["max"]) for r in rows.values()] == [
        ("1", "1", "2", "2"),
        ("0", "0", "0", "2"),
        ("1", "0", "1", "2"),
        ("1", "0", "1", "2"),
    ]
    assert rows["ada"]["notes"] == ""
    assert "ex01: ExerciseError: ex01 (Scale pixels to [-1, 1]): not done yet." in rows["bob"]["notes"]
    assert "01_mnist_data: stopped at cell 7 (x = 1 / 0): ZeroDivisionError: division by zero" in rows["cy"]["notes"]
    assert "ex02: not reached" in rows["cy"]["notes"]
    assert "batches_per_epoch(31, 32) should be 0, you gave 1" in rows["dan"]["notes"]
    assert printed.splitlines()[0].split() == ["student", "ex01", "ex02", "total", "max"]
    assert printed.splitlines()[2].split() == ["ada", "1", "1", "2", "2"] and f"Wrote {out_csv}" in printed


def test_grading_on_a_local_dask_cluster_gives_the_serial_grades(four_students, tmp_path, capsys):
    args, serial_csv, serial_printed = four_students
    assert main([*args, "--workers", "2", "--csv", str(tmp_path / "g.csv")]) == 0
    assert (tmp_path / "g.csv").read_text() == serial_csv.read_text()
    assert capsys.readouterr().out.replace(str(tmp_path / "g.csv"), str(serial_csv)) == serial_printed


def test_a_dask_worker_that_dies_loses_only_its_own_notebook(tmp_path, monkeypatch):
    import dask

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the dead worker's scratch folder stays here
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1"])
    bob, ada = tmp_path / "subs" / "bob" / teacher.name, tmp_path / "subs" / "ada" / teacher.name
    _write(nbformat.read(teacher, as_version=4).cells, ada)
    # bob's notebook kills the worker grading it: the kernel's parent is papermill, papermill's the worker (were
    # the grading not on Dask, pytest: spared). Only outside the sandbox, which hides the worker from the kernel.
    kill = f"import os, psutil\n\nworker = psutil.Process().parent().parent()\nif worker.pid != {os.getpid()}:\n"
    _write([v4.new_code_cell(kill + "    os.kill(worker.pid, 9)"), *nbformat.read(teacher, as_version=4).cells], bob)
    # one job per worker, and bob's is not tried again on ada's worker (Dask's default tries it on 4)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        book = classroom.grade([bob.parent, ada.parent], teacher.parent, workers=2, unsandboxed=True)
    assert [(m.student, m.points, m.max_points) for m in book.marks] == [("bob", 0, 1), ("ada", 1, 1)]
    assert book.failures == {("bob", "01_a"): "not graded: the Dask worker grading it died; grade it again"}


def test_a_notebook_over_its_time_limit_keeps_what_it_earned(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1", "q2"])  # no TensorFlow: q1 is reached in seconds
    slow = nbformat.read(teacher, as_version=4)
    slow.cells.insert(2, v4.new_code_cell("import time\n\ntime.sleep(120)"))
    _write(slow.cells, tmp_path / "subs" / "eve" / teacher.name)
    book = classroom.grade([tmp_path / "subs" / "eve" / teacher.name], teacher.parent, timeout=15, keep=tmp_path / "fb")
    assert [(m.exercise, m.points) for m in book.marks] == [("q1", 1), ("q2", 0)]
    assert book.failures == {("eve", "01_a"): "the time limit of 15 s was reached while cell 3 (import time) ran"}
    assert (tmp_path / "fb" / "eve" / teacher.name).is_file()  # the executed notebook, as feedback


def test_the_time_limit_names_the_exercise_cell_that_was_running(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1", "q2"])
    nb = nbformat.read(teacher, as_version=4)
    nb.cells[1].source = "import time\n\ntime.sleep(120)"  # q1's check cell
    _write(nb.cells, teacher)
    _write(nb.cells, tmp_path / "subs" / "eve" / teacher.name)
    book = classroom.grade([tmp_path / "subs" / "eve"], teacher.parent, timeout=15)
    assert book.failures == {("eve", "01_a"): "the time limit of 15 s was reached while cell 2 (import time) ran"}
    assert [(m.exercise, m.message) for m in book.marks] == [
        ("q1", "the time limit of 15 s was reached while it ran"),
        ("q2", "not reached: the notebook stopped before it"),
    ]


def test_submissions_that_cannot_be_matched_are_named(teacher, tmp_path):
    (tmp_path / "subs" / "empty").mkdir(parents=True)
    book = classroom.grade([tmp_path / "subs" / "empty"], teacher.parent)  # handed in nothing: a row of zeros
    assert [(r["student"], r["total"], r["max"]) for r in book.rows()] == [("empty", 0, 2)]
    assert book.failures == {("empty", "01_mnist_data"): "missing: empty/ has no 01_mnist_data.ipynb"}
    _write(nbformat.read(teacher, as_version=4).cells, tmp_path / "subs" / "ada" / teacher.name)
    with pytest.raises(ValueError, match="holds folders, not notebooks: pass the students' folders"):
        classroom.grade([tmp_path / "subs"], teacher.parent)
    with pytest.raises(ValueError, match="is neither a student's folder nor a notebook file"):
        classroom.grade([tmp_path / "nope.txt"], teacher.parent)
    with pytest.raises(ValueError, match="is not a folder"):
        classroom.grade([tmp_path], tmp_path / "missing")
    (tmp_path / "bare").mkdir()
    _write([v4.new_code_cell("x = 1")], tmp_path / "bare" / "notes.ipynb")
    with pytest.raises(ValueError, match="bare holds no notebook with graded cells"):
        classroom.grade([tmp_path / "subs" / "empty"], tmp_path / "bare")
    (tmp_path / "bare" / "02_broken.ipynb").write_text("{")
    with pytest.raises(ValueError, match=r"the teacher's 02_broken.ipynb is not a readable notebook \(NotJSONError"):
        classroom.grade([tmp_path / "subs" / "empty"], tmp_path / "bare")


def test_only_the_teachers_graded_cells_count_with_the_teachers_points(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1", "q2"])
    nb = nbformat.read(teacher, as_version=4)
    nb.cells[2].source = "q2 = 0"  # q2 is wrong
    nb.cells[3].metadata["nbgrader"]["points"] = 50  # the teacher's 1 point comes back
    nb.cells.insert(2, _graded_cell("pass", "q1_check", 10))  # a second copy of q1's check
    nb.cells.append(_graded_cell("pass", "bonus", 50))  # a graded cell the teacher never wrote
    _write(nb.cells, tmp_path / "subs" / "eve" / teacher.name)
    book = classroom.grade([tmp_path / "subs" / "eve"], teacher.parent)
    assert [(m.exercise, m.points, m.max_points) for m in book.marks] == [("q1", 1, 1), ("q2", 0, 1)]
    (row,) = book.rows()
    assert (row["total"], row["max"], list(row)[1:3]) == (1, 2, ["q1", "q2"])
    assert "01_a: cell 3 (q1_check) ignored: a second cell with this grade_id" in row["notes"]
    assert "01_a: cell 6 (bonus) ignored: not one of the teacher's graded cells" in row["notes"]


def test_unreadable_renamed_and_missing_notebooks_are_rows_with_notes(tmp_path):
    src = tmp_path / "src"
    first, second = _tiny(src / "01_a.ipynb", ["q1", "q2"]), _tiny(src / "02_b.ipynb", ["q3"])
    _write([v4.new_markdown_cell("# Welcome")], src / "00_intro.ipynb")  # no graded cells: not expected
    subs = tmp_path / "subs"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "01_a.ipynb").write_text('{"cells": [')  # cut off while saving
    _write(nbformat.read(first, as_version=4).cells, subs / "ben" / "01_a (1).ipynb")  # renamed, nothing else
    _write(nbformat.read(second, as_version=4).cells, subs / "cat" / "02_b.ipynb")
    book = classroom.grade(sorted(subs.iterdir()), src, csv_path=tmp_path / "g.csv")
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "g.csv").open())}
    assert list(rows["ann"]) == ["student", "q1", "q2", "q3", "total", "max", "notes"]
    totals = [(s, r["total"], r["max"]) for s, r in rows.items()]
    assert totals == [("ann", "0", "3"), ("ben", "0", "3"), ("cat", "1", "3")]
    assert book.failures == {
        ("ann", "01_a"): "not graded: ann/01_a.ipynb is not a readable notebook "
        "(NotJSONError: Notebook does not appear to be JSON: '{\"cells\": [')",
        ("ann", "02_b"): "missing: ann/ has no 02_b.ipynb",
        ("ben", "01_a (1).ipynb"): "not graded: not one of the teacher's notebooks; it holds the cells of "
        "01_a.ipynb, so rename it 01_a.ipynb",
        ("ben", "01_a"): "missing: ben/ has no 01_a.ipynb",
        ("ben", "02_b"): "missing: ben/ has no 02_b.ipynb",
        ("cat", "01_a"): "missing: cat/ has no 01_a.ipynb",
    }
    assert "00_intro" not in json.dumps(book.rows())


def test_columns_follow_the_teachers_notebooks_and_cells_not_the_submission_order(tmp_path):
    _tiny(tmp_path / "src" / "01_a.ipynb", ["q2", "q1"])
    _tiny(tmp_path / "src" / "02_b.ipynb", ["q0"])
    for name in ("01_a.ipynb", "02_b.ipynb"):
        _write(nbformat.read(tmp_path / "src" / name, as_version=4).cells, tmp_path / "subs" / "fay" / name)
    files = [tmp_path / "subs" / "fay" / "02_b.ipynb", tmp_path / "subs" / "fay" / "01_a.ipynb"]
    book = classroom.grade(files, tmp_path / "src", csv_path=tmp_path / "g.csv")
    assert book.exercises == ["q2", "q1", "q0"]
    assert (tmp_path / "g.csv").read_text().startswith("student,q2,q1,q0,total,max,notes")


def test_each_student_runs_in_a_scratch_folder_of_their_own(tmp_path):
    """A notebook writes ../runs and ../figures, and cannot write into ../reference-run; none of it reaches the
    teacher's folders or the next student, and the reference run (and the conditional run beside it) is still there
    to read."""
    course = tmp_path / "course"
    (course / "reference-run").mkdir(parents=True)
    (course / "reference-run" / "snapshots.npz").write_text("teacher")
    (course / "conditional-run").mkdir()
    (course / "conditional-run" / "snapshots.npz").write_text("teacher's conditional")
    (course / "figures").mkdir()
    (course / "figures" / "05_losses.png").write_text("teacher")
    quick_figure = f"graded-{tmp_path.name}.png"
    writes = f"""import os, tempfile
from pathlib import Path

assert Path("../reference-run/snapshots.npz").read_text() == "teacher", "no reference run"
assert Path(os.environ["DCGAN_LESSONS_REFERENCE_RUN"]).resolve() == Path("../reference-run").resolve()
assert Path(os.environ["DCGAN_LESSONS_CONDITIONAL_RUN"], "snapshots.npz").read_text() == "teacher's conditional"
assert not Path("../runs/05_training").exists(), "another student's run is here"
Path("../runs/05_training").mkdir(parents=True)
Path("../figures").mkdir(exist_ok=True)
for path in ("../runs/05_training/config.json", "../figures/05_losses.png"):
    Path(path).write_text("student")
try:
    Path("../reference-run/snapshots.npz").write_text("student")
except OSError as error:
    assert error.errno == 30, error  # EROFS: the reference run is bound read-only
else:
    raise AssertionError("the reference run can be written")
quick = Path(tempfile.gettempdir()) / "dcgan_lessons_quick_figures"
quick.mkdir(exist_ok=True)
(quick / "{quick_figure}").write_text("student")"""
    notebook = _write([_graded_cell(writes, "runs_check", 1)], course / "notebooks" / "05_training.ipynb")
    for student in ("ada", "bob"):
        _write(nbformat.read(notebook, as_version=4).cells, tmp_path / "subs" / student / notebook.name)
    book = classroom.grade(sorted((tmp_path / "subs").iterdir()), course / "notebooks")
    assert [(m.student, m.points, m.message) for m in book.marks] == [("ada", 1, ""), ("bob", 1, "")]
    assert sorted(p.name for p in course.iterdir()) == ["conditional-run", "figures", "notebooks", "reference-run"]
    assert [p.name for p in (course / "notebooks").iterdir()] == ["05_training.ipynb"]
    assert (course / "figures" / "05_losses.png").read_text() == "teacher"
    assert (course / "reference-run" / "snapshots.npz").read_text() == "teacher"
    assert not (Path(tempfile.gettempdir()) / "dcgan_lessons_quick_figures" / quick_figure).exists()


def _graded_notebooks() -> list:
    """The real notebooks the grading test runs: 01 and 04 need no training, so they run in seconds."""
    paths = [ROOT / "notebooks" / f"{stem}.ipynb" for stem in ("01_mnist_data", "04_adversarial_losses")]
    paths = [p for p in paths if p.is_file() and "BEGIN SOLUTION" in p.read_text()]
    if not paths:
        pytest.skip("neither notebook 01 nor 04 holds its exercises yet")
    return paths


def test_assign_on_the_real_notebooks_leaves_no_solution_text(tmp_path):
    handouts.assign(ROOT / "notebooks", tmp_path)
    answers = {}
    for path in sorted(tmp_path.glob("*.ipynb")):
        text = path.read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "hidden=True" not in text
        nb = nbformat.read(path, as_version=4)
        answers.update({c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if "nbgrader" in c.metadata})
    inserted = [ex for ex in EXERCISES.values() if f"{ex.id}_answer" in answers]
    if not inserted:
        pytest.skip("no notebook holds exercises yet")
    for ex in inserted:
        answer = answers[f"{ex.id}_answer"]
        assert "raise NotImplementedError()" in answer
        for line in ex.solution.strip().splitlines():
            assert line.strip() not in answer, (ex.id, line)


def _exercises_in_order(path: Path) -> list[str]:
    """A notebook's graded exercises in the order of their check cells: the gradebook's column order."""
    cells = nbformat.read(path, as_version=4).cells
    graded = [c.metadata["nbgrader"]["grade_id"] for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    return [grade_id.removesuffix("_check") for grade_id in graded if grade_id.endswith("_check")]


def test_grading_real_notebooks_gives_full_marks_solved_and_zero_unsolved(tmp_path, full_mnist_dir):
    teacher = _graded_notebooks()
    subs = tmp_path / "subs"
    for path in teacher:
        _write(nbformat.read(path, as_version=4).cells, subs / "solved" / path.name)
    handouts.assign(ROOT / "notebooks", tmp_path / "student")
    _write(
        nbformat.read(tmp_path / "student" / teacher[0].name, as_version=4).cells, subs / "unsolved" / teacher[0].name
    )
    book = classroom.grade(
        [subs / "solved", subs / "unsolved"], ROOT / "notebooks", timeout=300, csv_path=tmp_path / "g.csv"
    )
    rows = {r["student"]: r for r in book.rows()}
    every = [e for path in series(ROOT / "notebooks") for e in _exercises_in_order(path)]  # as the cells come
    handed_in = [e for path in teacher for e in _exercises_in_order(path)]
    assert book.exercises == every
    assert rows["solved"]["total"] == sum(EXERCISES[e].points for e in handed_in)
    assert rows["unsolved"]["total"] == 0
    assert rows["solved"]["max"] == rows["unsolved"]["max"] == sum(EXERCISES[e].points for e in every)
    expected = {p.stem for p in series(ROOT / "notebooks") if for_notebook(p.stem)}
    assert book.failures == {
        (who, stem): f"missing: {who}/ has no {stem}.ipynb"
        for who, handed in (("solved", teacher), ("unsolved", teacher[:1]))
        for stem in sorted(expected - {p.stem for p in handed})
    }
    assert (tmp_path / "g.csv").read_text().startswith("student," + ",".join(every) + ",total,max,notes")
