"""Student versions hold no solutions and no hidden tests; grading runs the notebooks and marks the checks."""

import csv
import json

from dcgan_lessons import classroom
from dcgan_lessons.cli import main
from dcgan_lessons.exercises import EXERCISES, exercise_cells, for_notebook

import nbformat
import pytest

from tests.conftest import ROOT

v4 = nbformat.v4
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def _write(cells, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = v4.new_notebook(cells=cells, metadata={**KERNEL, "language_info": {"name": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture
def teacher(tmp_path):
    """A teacher's notebook with two exercises, a markdown answer region and an executed output."""
    code = v4.new_code_cell("import dcgan_lessons as dl\nprint('ready')", execution_count=1)
    code.outputs = [v4.new_output("stream", name="stdout", text="ready\n")]
    answer = v4.new_markdown_cell("Why [-1, 1]?\n\n### BEGIN SOLUTION\nBecause of tanh.\n### END SOLUTION")
    cells = [v4.new_markdown_cell("# Test"), code, answer, *exercise_cells("ex01"), v4.new_code_cell("x = 1")]
    return _write([*cells, *exercise_cells("ex02")], tmp_path / "teacher" / "01_mnist_data.ipynb")


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
        classroom.assign(tmp_path / "src", tmp_path / "out")


def test_assign_refuses_to_overwrite_the_teachers_notebooks(teacher, tmp_path):
    with pytest.raises(ValueError, match="would overwrite the teacher's notebooks"):
        classroom.assign(teacher.parent, teacher.parent)
    with pytest.raises(ValueError, match="holds no notebooks"):
        classroom.assign(tmp_path / "nothing", tmp_path / "out")


def test_insert_exercises_places_cells_after_the_anchor_and_can_be_rerun(tmp_path):
    path = _write(
        [v4.new_code_cell("import dcgan_lessons as dl"), v4.new_markdown_cell("## Batches")], tmp_path / "n.ipynb"
    )
    for _ in range(2):
        classroom.insert_exercises(path, {"ex02": "## Batches", "ex01": "import dcgan_lessons"})
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells]
    assert ids == [None, "ex01_task", "ex01_answer", "ex01_check", None, "ex02_task", "ex02_answer", "ex02_check"]
    with pytest.raises(ValueError, match="n.ipynb: no cell contains '## Nowhere', the anchor for ex03"):
        classroom.insert_exercises(path, {"ex03": "## Nowhere"})


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_grade_marks_each_exercise_and_writes_the_table(teacher, tmp_path, capsys):
    classroom.assign(teacher.parent, tmp_path / "student")
    student = tmp_path / "student" / teacher.name
    subs = tmp_path / "submissions"
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

    out_csv = tmp_path / "grades.csv"
    code = main(["grade", *map(str, sorted(subs.iterdir())), "--source", str(teacher.parent), "--csv", str(out_csv)])
    assert code == 0
    printed = capsys.readouterr().out
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


def test_a_notebook_over_its_time_limit_keeps_what_it_earned(teacher, tmp_path):
    slow = nbformat.read(teacher, as_version=4)
    slow.cells[6].source = "import time\n\ntime.sleep(120)"
    _write(slow.cells, tmp_path / "subs" / "eve" / teacher.name)
    book = classroom.grade([tmp_path / "subs" / "eve" / teacher.name], teacher.parent, timeout=12, keep=tmp_path / "fb")
    assert [(m.exercise, m.points) for m in book.marks] == [("ex01", 1), ("ex02", 0)]
    assert book.failures == {
        ("eve", "01_mnist_data"): "the time limit of 12 s was reached while cell 7 (import time) ran"
    }
    assert (tmp_path / "fb" / "eve" / teacher.name).is_file()  # the executed notebook, as feedback


def test_submissions_that_cannot_be_matched_are_named(teacher, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds none of the notebooks"):
        classroom.grade([tmp_path / "empty"], teacher.parent)
    with pytest.raises(ValueError, match="is neither a student's folder nor a notebook file"):
        classroom.grade([tmp_path / "nope.txt"], teacher.parent)
    with pytest.raises(ValueError, match="is not a folder"):
        classroom.grade([tmp_path], tmp_path / "missing")


def _graded_notebooks() -> list:
    """The real notebooks the grading test runs: 01 and 04 need no training, so they run in seconds."""
    paths = [ROOT / "notebooks" / f"{stem}.ipynb" for stem in ("01_mnist_data", "04_adversarial_losses")]
    paths = [p for p in paths if p.is_file() and "BEGIN SOLUTION" in p.read_text()]
    if not paths:
        pytest.skip("neither notebook 01 nor 04 holds its exercises yet")
    return paths


def test_assign_on_the_real_notebooks_leaves_no_solution_text(tmp_path):
    classroom.assign(ROOT / "notebooks", tmp_path)
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


def test_grading_real_notebooks_gives_full_marks_solved_and_zero_unsolved(tmp_path, full_mnist_dir):
    teacher = _graded_notebooks()
    subs = tmp_path / "subs"
    for path in teacher:
        _write(nbformat.read(path, as_version=4).cells, subs / "solved" / path.name)
    classroom.assign(ROOT / "notebooks", tmp_path / "student")
    _write(
        nbformat.read(tmp_path / "student" / teacher[0].name, as_version=4).cells, subs / "unsolved" / teacher[0].name
    )
    book = classroom.grade(
        [subs / "solved", subs / "unsolved"], ROOT / "notebooks", timeout=300, csv_path=tmp_path / "g.csv"
    )
    rows = {r["student"]: r for r in book.rows()}
    expected = [ex.id for path in teacher for ex in for_notebook(path.stem)]
    assert book.exercises == expected and not book.failures
    assert rows["solved"]["total"] == rows["solved"]["max"] == sum(EXERCISES[e].points for e in expected)
    assert rows["unsolved"]["total"] == 0 and rows["unsolved"]["max"] == sum(
        EXERCISES[e].points for e in expected if EXERCISES[e].notebook == teacher[0].stem
    )
    assert (tmp_path / "g.csv").read_text().startswith("student," + ",".join(expected) + ",total,max,notes")
