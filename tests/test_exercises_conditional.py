"""Notebook 09's exercises (ex23-ex25): what their tasks promise holds on the committed runs, the decision from
the accuracy table follows Holm's correction, and the grader decides them from handed-back data alone."""

import json

import dcgan_lessons as dl
from dcgan_lessons import exercises, verdicts
from dcgan_lessons.exercises import EXERCISES, ExerciseError, check
from dcgan_lessons.exercises import conditional as cond
from dcgan_lessons.verdicts import judge

import numpy as np
import pytest

from tests.conftest import ROOT

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
    assert check_cell.source == 'dl.exercises.check("ex24", switch_prediction, run=run, reference=reference)'
    assert exercises.exercise_cells("ex25")[2].source == 'dl.exercises.check("ex25", drawn_worse, run=run)'


def test_the_switching_exercise_measures_what_its_task_says():
    """ex24's task: 500 fixed (z, label) pairs, 50 per digit, snapshotted every quarter epoch on the reference
    run's steps, compared over the second half of the conditional run's training."""
    snaps = dl.load_run(RUN).snapshots()
    assert snaps.noise.shape[0] == 500 and np.bincount(snaps.labels).tolist() == [50] * 10
    reference = dl.load_run(REFERENCE).snapshots().steps
    assert snaps.steps.tolist() == reference[: len(snaps.steps)].tolist()
    per_epoch = dl.load_run(RUN).config["steps_per_epoch"]
    assert np.diff(snaps.steps).max() <= per_epoch // 4 + 1
    found = cond.fixed_label_switching(RUN, REFERENCE)
    assert (found["from"], found["to"]) == (int(snaps.steps[len(snaps.steps) // 2]), int(snaps.steps[-1]))
    assert found["intervals"] == len(snaps.steps) - 1 - len(snaps.steps) // 2 and found["z"] == 500
    assert found["low"] <= found["conditional"] - found["reference"] <= found["high"]
    assert 0 <= found["off_label"] <= 1


def test_the_accuracy_table_is_the_runs_own():
    rows = cond.class_accuracy(RUN)
    assert [r["digit"] for r in rows] == list(range(10)) and {r["n"] for r in rows} == {cond.PER_CLASS}
    for r in rows:
        assert r["low"] <= r["accuracy"] <= r["high"] and 0 <= r["p"] <= 1
    table = cond.accuracy_table(rows)
    assert table.count("\n") == 11 and f"({rows[8]['read']} of 500)" in table
    assert _solution("ex25") == cond.drawn_worse(rows)


def _rows(accuracies: list[float], p: list[float]) -> list[dict]:
    """A made-up table: accuracy per digit (of 500), the rest's as their mean, and the p-values given."""
    return [
        {
            "digit": d,
            "n": 500,
            "read": round(a * 500),
            "accuracy": a,
            "low": a - 0.01,
            "high": min(a + 0.01, 1.0),
            "rest": (sum(accuracies) - a) / 9,
            "p": p[d],
        }
        for d, a in enumerate(accuracies)
    ]


def test_a_p_below_five_percent_is_not_enough_among_ten_tests(monkeypatch):
    """Digit 9 is worse with p = 0.0001 (Holm: 0.001, real); digit 4 with p = 0.02 alone (Holm: 0.16, noise);
    digit 1 differs, but upwards; digit 2 is a little below the rest with p = 0.5."""
    accuracies = [0.98, 1.0, 0.965, 0.98, 0.96, 0.98, 0.98, 0.98, 0.98, 0.9]
    p = [0.8, 0.001, 0.5, 0.8, 0.02, 0.8, 0.8, 0.8, 0.8, 0.0001]
    monkeypatch.setattr(cond, "class_accuracy", lambda run: _rows(accuracies, p))
    assert cond.drawn_worse(_rows(accuracies, p)) == [9]
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


def test_a_join_hard_wired_to_ten_classes_passes_the_visible_cases_only(capsys):
    hard_wired = lambda z, labels, classes: np.concatenate([z, np.eye(10)[labels]], axis=1)  # noqa: E731
    check("ex23", hard_wired)
    assert "125,440 more weights" in capsys.readouterr().out  # 10 one-hot inputs x 7*7*256 units of the first layer
    with pytest.raises(ExerciseError, match=r"join_label\(z, labels, 3\) should have shape \(3, 10\), got \(3, 17\)"):
        check("ex23", hard_wired, hidden=True)


def test_the_grader_decides_notebook_09_from_handed_back_data(tmp_path, monkeypatch):
    """ex23: what the student's join returned on the check's inputs, visible and hidden, decides; a value changed
    by hand fails. ex24 and ex25: the grader measures its own committed runs, whatever the notebook passed; a
    set of digits comes back as a set."""
    monkeypatch.setenv(verdicts.ANSWERS_VARIABLE, str(tmp_path))
    verdicts.record("ex23", _solution("ex23"))
    handed = json.loads((tmp_path / "ex23.json").read_text())
    assert judge("ex23", json.dumps(handed)) is None
    assert len(handed["calls"]) == 4  # two visible and two hidden batches
    returned = handed["calls"][-1][1]["returned"]
    returned["data"][-1] = 1 - returned["data"][-1]  # the last row's code changed by hand
    assert "row 9's code" in judge("ex23", json.dumps(handed))
    verdicts.record("ex24", _solution("ex24"), run="/nowhere", reference="/nowhere")
    assert judge("ex24", (tmp_path / "ex24.json").read_text()) is None
    verdicts.record("ex25", set(_solution("ex25")), run="/nowhere")
    assert json.loads((tmp_path / "ex25.json").read_text())["answer"] == verdicts.encode(set(_solution("ex25")))
    assert judge("ex25", (tmp_path / "ex25.json").read_text()) is None
    wrong = {"more", "less"} - {_solution("ex24")}
    verdicts.record("ex24", wrong.pop(), run=RUN, reference=REFERENCE)
    assert "Set the answer the data give" in judge("ex24", (tmp_path / "ex24.json").read_text())
