"""Notebook 09's exercises (ex23-ex25): what their tasks promise holds on the committed runs, the decision from
the accuracy table follows Holm's correction, and the grader decides them from handed-back data alone."""

import json

import dcgan_lessons as dl
from dcgan_lessons import classroom, exercises, handouts, verdicts
from dcgan_lessons.exercises import EXERCISES, ExerciseError, check
from dcgan_lessons.exercises import conditional as cond
from dcgan_lessons.verdicts import judge

import nbformat
import numpy as np
import pytest

from tests.conftest import ROOT
from tests.test_classroom import _cell, _write
from tests.test_grading_attacks import needs_sandbox

RUN, REFERENCE = ROOT / "conditional-run", ROOT / "reference-run"


@pytest.fixture(autouse=True)
def fresh_kernel():
    exercises.FIRST_ANSWERS.clear()
    yield
    exercises.FIRST_ANSWERS.clear()


def _solution(exercise_id: str):
    names = {"np": np, "dl": dl}
    exec(EXERCISES[exercise_id].solution_source(), names)
    return names[EXERCISES[exercise_id].answer]


def test_notebook_09_has_a_build_a_prediction_and_a_decision():
    found = exercises.for_notebook("09_asking_for_a_digit")
    assert [ex.id for ex in found] == ["ex23", "ex24", "ex25"]
    build, predict, decide = found
    assert build.points == 2 and build.hidden_tests and not build.first_answer_only
    assert predict.first_answer_only and decide.first_answer_only
    task, answer, check_cell = exercises.exercise_cells("ex24")
    assert task.source.startswith("### Exercise ex24: Predict, then measure")
    assert "### BEGIN SOLUTION" in answer.source and answer.metadata["nbgrader"]["solution"]
    assert check_cell.source == 'dl.exercises.check("ex24", switch_prediction, run=run)'
    assert exercises.exercise_cells("ex25")[2].source == 'dl.exercises.check("ex25", drawn_worse, run=run)'


def test_the_switching_exercise_is_about_what_its_task_says(capsys):
    """ex24's task: 500 fixed (z, label) pairs, 50 per digit, snapshotted every quarter epoch on the reference
    run's steps, compared once the conditional run has formed its digits for good, confident switches only."""
    run = dl.load_run(RUN)
    snaps = run.snapshots()
    assert snaps.noise.shape[0] == 500 and np.bincount(snaps.labels).tolist() == [50] * 10
    reference = dl.load_run(REFERENCE).snapshots().steps
    assert snaps.steps.tolist() == reference[: len(snaps.steps)].tolist()
    assert np.diff(snaps.steps).max() <= run.config["steps_per_epoch"] // 4 + 1
    switching = dl.conditional.load(RUN)[0]["switching"]
    assert switching["window"]["start"] == "formed for good" and switching["threshold"] == 0.9
    assert len(switching["compared"]) == 4  # the four measures Holm's correction runs over
    truth, said = cond._said_switching(switching)
    check("ex24", truth, run=RUN)
    assert said[1:] in capsys.readouterr().out  # the check capitalises its first letter


def test_the_accuracy_table_is_the_committed_runs_own():
    rows = cond.accuracy_against_rest(RUN)
    committed = dl.conditional.load(RUN)[0]["classes"]["per_class"]
    assert [{k: r[k] for k in committed[0]} for r in rows] == committed
    for r in rows:
        assert r["low"] <= r["rate"] <= r["high"] and 0 <= r["p"] <= 1
        others = [o for o in committed if o["digit"] != r["digit"]]
        assert r["rest"] == pytest.approx(sum(o["correct"] for o in others) / sum(o["asked"] for o in others))
    table = cond.accuracy_table(rows)
    assert table.count("\n") == 11 and f"({rows[9]['correct']} of {rows[9]['asked']})" in table
    assert _solution("ex25") == cond.drawn_worse(rows)


def _rows(rates: list[float], p: list[float]) -> list[dict]:
    """A made-up table: the rate per digit (of 1,000), the rest's as their mean, and the p-values given."""
    return [
        {
            "digit": d,
            "asked": 1000,
            "correct": round(a * 1000),
            "rate": a,
            "low": a - 0.01,
            "high": min(a + 0.01, 1.0),
            "rest": (sum(rates) - a) / 9,
            "p": p[d],
        }
        for d, a in enumerate(rates)
    ]


def test_a_p_below_five_percent_is_not_enough_among_ten_tests(monkeypatch):
    """Digit 9 is worse with p = 0.0001 (Holm: 0.001, real); digit 4 with p = 0.02 alone (Holm: 0.16, noise);
    digit 1 differs, but upwards; digit 2 is a little below the rest with p = 0.5."""
    rates = [0.98, 1.0, 0.965, 0.98, 0.96, 0.98, 0.98, 0.98, 0.98, 0.9]
    p = [0.8, 0.001, 0.5, 0.8, 0.02, 0.8, 0.8, 0.8, 0.8, 0.0001]
    monkeypatch.setattr(cond, "accuracy_against_rest", lambda run: _rows(rates, p))
    assert cond.drawn_worse(_rows(rates, p)) == [9]
    check("ex25", [9], run="made up")
    for answer, message in (
        ([4, 9], "below 0.05 alone, but with ten tests Holm compares the k-th smallest p with 0.05 / (11 - k)"),
        ([], "9 is read as asked 90.0% of the time"),
        ([1, 9], "it is read as asked more often than the rest, not less"),
        ([2, 9], "not below 0.05 even before the correction"),
    ):
        exercises.FIRST_ANSWERS.clear()
        with pytest.raises(ExerciseError, match="not right yet") as error:
            check("ex25", answer, run="made up")
        assert message in str(error.value)


def test_the_committed_table_holds_the_trap_the_task_warns_of():
    """Digit 8's p is below 0.05 alone but not after Holm's correction: reading p < 0.05 digit by digit fails."""
    rows = cond.accuracy_against_rest(RUN)
    naive = [r["digit"] for r in rows if r["p"] < 0.05 and r["rate"] < r["rest"]]
    assert len(naive) > len(cond.drawn_worse(rows))
    with pytest.raises(ExerciseError, match="below 0.05 alone, but with ten tests Holm"):
        check("ex25", naive, run=RUN)


def test_a_join_hard_wired_to_ten_classes_passes_the_visible_cases_only(capsys):
    hard_wired = lambda z, labels, classes: np.concatenate([z, np.eye(10)[labels]], axis=1)  # noqa: E731
    check("ex23", hard_wired)
    assert "125,440 more weights" in capsys.readouterr().out  # 10 one-hot inputs x 7*7*256 units of the first layer
    with pytest.raises(ExerciseError, match=r"join_label\(z, labels, 3\) should have shape \(3, 10\), got \(3, 17\)"):
        check("ex23", hard_wired, hidden=True)


def test_the_grader_decides_notebook_09_from_handed_back_data(tmp_path, monkeypatch):
    """ex23: what the student's join returned on the check's inputs, visible and hidden, decides; a value changed
    by hand fails. ex24 and ex25: the grader reads its own committed run, whatever the notebook passed; a set of
    digits comes back as a set."""
    monkeypatch.setenv(verdicts.ANSWERS_VARIABLE, str(tmp_path))
    verdicts.record("ex23", _solution("ex23"))
    handed = json.loads((tmp_path / "ex23.json").read_text())
    assert judge("ex23", json.dumps(handed)) is None
    assert len(handed["calls"]) == 4  # two visible and two hidden batches
    returned = handed["calls"][-1][1]["returned"]
    returned["data"][-1] = 1 - returned["data"][-1]  # the last row's code changed by hand
    assert "row 9's code" in judge("ex23", json.dumps(handed))
    verdicts.record("ex24", _solution("ex24"), run="/nowhere")
    assert judge("ex24", (tmp_path / "ex24.json").read_text()) is None
    verdicts.record("ex24", "more" if _solution("ex24") != "more" else "less", run=RUN)
    assert "Set the answer the data give" in judge("ex24", (tmp_path / "ex24.json").read_text())
    verdicts.record("ex25", set(_solution("ex25")), run="/nowhere")
    assert json.loads((tmp_path / "ex25.json").read_text())["answer"] == verdicts.encode(set(_solution("ex25")))
    assert judge("ex25", (tmp_path / "ex25.json").read_text()) is None


@needs_sandbox
def test_notebook_09s_exercises_graded_in_the_sandbox(tmp_path):
    """grade binds the committed conditional run into the sandbox beside the reference run: the teacher's answers
    earn every point; wrong answers behind a replaced checker earn none."""
    setup = "import dcgan_lessons as dl\nimport numpy as np\n\nrun = dl.load_run(dl.reference.conditional_run())"
    cells = [nbformat.v4.new_code_cell(setup)]
    cells += [cell for exercise in ("ex23", "ex24", "ex25") for cell in exercises.exercise_cells(exercise)]
    teacher = _write(cells, tmp_path / "src" / "09_asking_for_a_digit.ipynb")
    _write(nbformat.read(teacher, as_version=4).cells, tmp_path / "subs" / "solved" / teacher.name)
    student = handouts.student_version(nbformat.read(teacher, as_version=4))
    wrong = {"ex23": "def join_label(z, labels, classes):\n    return z", "ex24": 'switch_prediction = "more"'}
    wrong["ex25"] = "drawn_worse = [8, 9]"
    for exercise, source in wrong.items():
        _cell(student, f"{exercise}_answer").source = source
    student.cells.insert(1, nbformat.v4.new_code_cell("dl.exercises.check = lambda *a, **k: None"))
    _write(student.cells, tmp_path / "subs" / "forger" / teacher.name)
    book = classroom.grade([tmp_path / "subs" / "solved", tmp_path / "subs" / "forger"], teacher.parent, timeout=600)
    rows = {row["student"]: row for row in book.rows()}
    assert (rows["solved"]["total"], rows["solved"]["max"], rows["forger"]["total"]) == (4, 4, 0)
    assert "ex25: ExerciseError" in rows["forger"]["notes"] and "Holm" in rows["forger"]["notes"]
