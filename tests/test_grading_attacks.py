"""Grading a class safely (issue 25): what a student's notebook tries against the grader, and what it gets.

The students' notebooks run in bubblewrap's sandbox (they see only their scratch copy, the package and the
reference run; no network; every process ends with the run), and the exercises' marks are decided by the grader
from the answers the notebook hands back, so replacing the checker or IPython's traceback earns nothing."""

import csv
import json
import os
import socket
import uuid
from pathlib import Path

from dcgan_lessons import classroom, handouts, sandbox
from dcgan_lessons.cli import main
from dcgan_lessons.exercises import EXERCISES
from dcgan_lessons.verdicts import decode, encode, judge

import nbformat
import numpy as np
import pytest

from tests.test_classroom import _cell, _graded_cell, _teacher, _tiny, _write

v4 = nbformat.v4
needs_sandbox = pytest.mark.skipif(sandbox.tool() is None, reason=f"no sandbox here: {sandbox.INSTALL}")
RIGHT = {
    "ex01": "def scale_pixels(images):\n    return images.astype('float32') / 127.5 - 1",
    "ex02": "def batches_per_epoch(n, b):\n    return n // b",
}
WRONG = {
    "ex01": "def scale_pixels(images):\n    return images",
    "ex02": "def batches_per_epoch(n, b):\n    return 1",
}


def _student(teacher: Path, folder: Path, answers: dict, first: str = "", after: str = "") -> Path:
    """The student version of the teacher's notebook with ``answers`` in the answer cells, ``first`` run right after
    the first cell and ``after`` at the end."""
    nb = handouts.student_version(nbformat.read(teacher, as_version=4))
    for ex, source in answers.items():
        _cell(nb, f"{ex}_answer").source = source
    if first:
        nb.cells.insert(2, v4.new_code_cell(first))
    if after:
        nb.cells.append(v4.new_code_cell(after))
    return _write(nb.cells, folder / teacher.name)


@pytest.fixture(scope="module")
def attacks(tmp_path_factory):
    """One class graded by the CLI, serially: an honest student and the attacks on the marks."""
    tmp = tmp_path_factory.mktemp("attacks")
    teacher = _teacher(tmp / "teacher")
    subs, token = tmp / "subs", uuid.uuid4().hex
    csv_path = tmp / "grades.csv"
    _student(teacher, subs / "honest", RIGHT)
    # the checker replaced in the student's own kernel, with wrong answers
    _student(
        teacher, subs / "forger", WRONG, first="import dcgan_lessons as dl\ndl.exercises.check = lambda *a, **k: None"
    )
    # errors hidden: IPython's traceback display replaced, the exercises still raising NotImplementedError
    _student(teacher, subs / "silencer", {}, first="get_ipython().showtraceback = lambda *a, **k: None")
    # the grader's own hand-back replaced, and the registry's checker swapped for one that calls nothing
    _student(
        teacher,
        subs / "recorder",
        WRONG,
        first="import dataclasses\nimport dcgan_lessons.verdicts as v\nfrom dcgan_lessons import exercises as e\n"
        "e.EXERCISES['ex02'] = dataclasses.replace(e.EXERCISES['ex02'], checker=lambda *a, **k: 'fine')\n"
        "record = v.record\n"
        "v.record = lambda ex, *a, **k: None if ex == 'ex01' else record(ex, *a, **k)",
    )
    # a process in its own session that outlives the notebook and rewrites the CSV; it reads the grader's command
    detach = f"""import subprocess, sys
code = '''
import os, pathlib, time  # {token}
for _ in range(600):
    for pid in os.listdir('/proc'):
        try:
            line = pathlib.Path(f'/proc/{{pid}}/cmdline').read_bytes().split(b'\\\\0')
        except OSError:
            continue
        for arg in line:
            if arg.endswith(b'.csv'):
                pathlib.Path(arg.decode()).write_text('student,total\\\\ndetached,99\\\\n')
    time.sleep(0.5)
'''
subprocess.Popen([sys.executable, '-c', code], start_new_session=True)"""
    _student(teacher, subs / "detacher", WRONG, first=detach)
    assert (
        main(["grade", *map(str, sorted(subs.iterdir())), "--source", str(teacher.parent), "--csv", str(csv_path)]) == 0
    )
    return {r["student"]: r for r in csv.DictReader(csv_path.open())}, token


@needs_sandbox
def test_an_honest_student_scores_full_marks(attacks):
    rows, _ = attacks
    assert (rows["honest"]["ex01"], rows["honest"]["ex02"], rows["honest"]["notes"]) == ("1", "1", "")


@needs_sandbox
def test_replacing_the_checker_in_the_kernel_earns_nothing(attacks):
    rows, _ = attacks
    assert rows["forger"]["total"] == "0"
    assert "ex01: ExerciseError: ex01 (Scale pixels to [-1, 1]): not right yet." in rows["forger"]["notes"]


@needs_sandbox
def test_hiding_tracebacks_earns_nothing(attacks):
    rows, _ = attacks
    assert rows["silencer"]["total"] == "0"
    assert "ex02: ExerciseError: ex02 (Batches in an epoch): not done yet." in rows["silencer"]["notes"]


@needs_sandbox
def test_replacing_what_the_notebook_hands_back_earns_nothing(attacks):
    rows, _ = attacks
    assert rows["recorder"]["total"] == "0"
    assert "ex01: no answer handed back" in rows["recorder"]["notes"]
    assert "it was not run on these inputs in the notebook" in rows["recorder"]["notes"]


@needs_sandbox
def test_a_detached_process_dies_with_its_notebook_and_never_touches_the_grades(attacks):
    rows, token = attacks
    assert rows["detacher"]["total"] == "0" and "detached" not in rows  # the CSV is the grader's alone
    alive = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            alive += [pid] if token.encode() in Path(f"/proc/{pid}/cmdline").read_bytes() else []
        except OSError:
            continue
    assert alive == []  # gone when grade returned: the sandbox's PID namespace ended with the notebook


@needs_sandbox
def test_the_sandbox_shows_nothing_of_the_teacher_the_class_or_the_grader(tmp_path, monkeypatch):
    """The teacher's own graded cells, run inside the sandbox, assert what a student's code can see and do."""
    monkeypatch.setenv("DCGAN_LESSONS_TEST_SECRET", "a token the grader holds")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    keep, subs, source = tmp_path / "keep", tmp_path / "subs", tmp_path / "src"
    (keep / "ada").mkdir(parents=True)
    (keep / "ada" / "old.ipynb").write_text("feedback")
    secret = Path.home() / f".dcgan-lessons-test-{uuid.uuid4().hex}"
    secret.write_text("secret")
    checks = {
        "cmdline": "import os, pathlib\n"
        "lines = [pathlib.Path(f'/proc/{p}/cmdline').read_bytes() for p in os.listdir('/proc') if p.isdigit()]\n"
        f"assert not [x for x in lines if {str(tmp_path)!r}.encode() in x or b'pytest' in x], lines",
        "parent": f"import os\nassert os.getppid() != {os.getpid()} and not os.path.exists('/proc/{os.getpid()}')",
        "folders": "from pathlib import Path\n"
        f"for folder in {[str(source), str(subs / 'bob'), str(keep), str(tmp_path)]!r}:\n"
        "    assert not Path(folder).exists(), folder\n"
        f"for folder in {[str(source), str(subs / 'bob'), str(keep), str(tmp_path)]!r}:\n"
        "    try:\n"
        "        Path(folder).mkdir(parents=True)\n"
        "        (Path(folder) / 'x').write_text('student')\n"
        "    except OSError:\n"
        "        pass\n",
        "secret": f"from pathlib import Path\nassert not Path({str(secret)!r}).exists()",
        "network": f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
        "except OSError:\n    pass\nelse:\n    raise AssertionError('reached the host')",
        "environment": "import os\nassert 'DCGAN_LESSONS_TEST_SECRET' not in os.environ",
    }
    cells = [
        _graded_cell(f"### BEGIN SOLUTION\n### END SOLUTION\n{code}", f"{name}_check", 1)
        for name, code in checks.items()
    ]
    cells[0].metadata["nbgrader"]["solution"] = True
    teacher = _write(cells, source / "01_a.ipynb")
    for student in ("ada", "bob"):
        _write(nbformat.read(teacher, as_version=4).cells, subs / student / teacher.name)
    try:
        book = classroom.grade([subs / "ada", subs / "bob"], source, keep=keep, csv_path=tmp_path / "g.csv")
    finally:
        listener.close()
        secret.unlink()
    assert [(m.exercise, m.points, m.message) for m in book.marks if m.student == "ada"] == [
        (name, 1, "") for name in checks
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv", "keep", "src", "subs"]
    assert sorted(p.name for p in source.iterdir()) == ["01_a.ipynb"]
    assert sorted(p.name for p in (subs / "bob").iterdir()) == ["01_a.ipynb"]
    assert sorted(p.name for p in (keep / "ada").iterdir()) == ["01_a.ipynb", "old.ipynb"]


@needs_sandbox
def test_linked_submissions_are_refused_not_followed(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1"])
    (tmp_path / "subs" / "eve").mkdir(parents=True)
    (tmp_path / "subs" / "eve" / "01_a.ipynb").symlink_to(teacher)  # the teacher's solved notebook
    (tmp_path / "subs" / "mal").mkdir()
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:secret-first-characters")
    (tmp_path / "subs" / "mal" / "01_a.ipynb").symlink_to(passwd)
    book = classroom.grade([tmp_path / "subs" / "eve", tmp_path / "subs" / "mal"], teacher.parent)
    assert [(m.student, m.points) for m in book.marks] == [("eve", 0), ("mal", 0)]
    assert book.failures == {
        (
            who,
            "01_a",
        ): f"not graded: {who}/01_a.ipynb is not a readable notebook (a symbolic link, not a file of its own)"
        for who in ("eve", "mal")
    }
    assert "secret" not in json.dumps(book.rows())


def test_without_a_sandbox_grade_refuses_to_run_student_code_unless_told(tmp_path, monkeypatch, capsys):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1"])
    _write(nbformat.read(teacher, as_version=4).cells, tmp_path / "subs" / "ada" / teacher.name)
    monkeypatch.setattr(sandbox, "tool", lambda: None)
    args = ["grade", str(tmp_path / "subs" / "ada"), "--source", str(teacher.parent)]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert "no sandbox to run the students' notebooks in: install Debian's bubblewrap" in error
    assert "pass --unsandboxed to run their code as yourself" in error
    assert main([*args, "--unsandboxed"]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines()[2].split() == ["ada", "1", "1", "1"]
    assert "--unsandboxed: the students' code runs as you, outside any sandbox" in printed.err


def test_a_student_version_as_source_is_refused(tmp_path):
    teacher = _teacher(tmp_path / "teacher")
    handouts.assign(teacher.parent, tmp_path / "student")
    with pytest.raises(ValueError, match=r"holds student versions \(01_mnist_data.ipynb: no solutions\)"):
        classroom.grade([tmp_path / "student"], tmp_path / "student")


def test_keep_never_replaces_a_submission(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1"])
    handed = _write(nbformat.read(teacher, as_version=4).cells, tmp_path / "subs" / "ada" / teacher.name)
    before = handed.read_bytes()
    with pytest.raises(ValueError, match="would replace the submission .*ada/01_a.ipynb; keep the feedback elsewhere"):
        classroom.grade([tmp_path / "subs" / "ada"], teacher.parent, keep=tmp_path / "subs")
    assert handed.read_bytes() == before


@needs_sandbox
def test_students_of_the_same_name_in_two_classes_are_two_rows(tmp_path):
    teacher = _tiny(tmp_path / "src" / "01_a.ipynb", ["q1"])
    solved = nbformat.read(teacher, as_version=4).cells
    _write(solved, tmp_path / "class-a" / "ada" / teacher.name)
    _write([*solved[:1], v4.new_code_cell("q1 = 0"), solved[1]], tmp_path / "class-b" / "ada" / teacher.name)
    book = classroom.grade([tmp_path / "class-a" / "ada", tmp_path / "class-b" / "ada"], teacher.parent)
    assert [(r["student"], r["total"]) for r in book.rows()] == [("class-a/ada", 1), ("class-b/ada", 0)]


def test_handed_back_data_round_trips_and_nothing_else_is_decoded():
    values = [1, 2.5, True, None, "x", float("nan"), np.float32(0.5), np.int64(3), (1, [2]), {"a": np.eye(2)}]
    for value in values:
        back = decode(json.loads(json.dumps(encode(value))))
        assert type(back) is type(value) and repr(back) == repr(value)
    assert judge("ex02", '{"data": {"dict": {}}, "calls": [["x", {"returned": {"__reduce__": 1}}]]}') is not None
    assert judge("ex02", "[" * 100_000).startswith("its answer could not be read")


NOTEBOOK_DATA = {  # what a check's extra arguments are in the notebook, made up here
    "ex14": {"matrix": np.arange(100.0).reshape(10, 10)},
    "ex15": {
        "runs": {
            "report": {"rate": 0.2, "modes": 10, "frechet": 20.0},
            "x": {"rate": 0.1, "modes": 10, "frechet": 21.0},
        }
    },
    "ex22": {"values": [6.4, 6.6, 6.5]},
    "ex20": {"generator": "the notebook's, never used: the grader measures the reference run's", "noise": None},
    "ex24": {"run": "the notebook's, never used: the grader reads the committed run's result"},
    "ex25": {"run": None},
}


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_every_exercise_judged_outside_the_kernel_passes_its_solution_and_fails_a_wrong_answer(
    exercise, tmp_path, monkeypatch
):
    """What record() hands back from the teacher's solution passes the grader's checks, hidden cases included;
    a wrong answer does not; the steps of ex11 and ex12 hand back the weights they left on the check's tiny GAN."""
    import dcgan_lessons as dl
    from dcgan_lessons import verdicts

    ex = EXERCISES[exercise]
    assert bool(ex.check_args) == (exercise in NOTEBOOK_DATA)
    monkeypatch.setenv(verdicts.ANSWERS_VARIABLE, str(tmp_path))
    import tensorflow as tf

    names = {"np": np, "dl": dl, "tf": tf, "rows": [{"condition": "control", "score": 6.5}]}  # ex22 reads the sweep
    exec(ex.solution_source(), names)
    data = NOTEBOOK_DATA.get(exercise, {})
    for answer, right in ((names[ex.answer], True), ((lambda *a: None) if callable(names[ex.answer]) else None, False)):
        verdicts.record(exercise, answer, **data)
        verdict = judge(exercise, (tmp_path / f"{exercise}.json").read_text())
        assert (verdict is None) == right, verdict


@pytest.mark.slow
@needs_sandbox
def test_forging_the_checks_of_notebook_04_earns_nothing(tmp_path, full_mnist_dir):
    """The issue's probe on the real notebook 04 (three one-point exercises): the checker and the traceback display
    replaced in the student's own cell, every exercise left undone."""
    from tests.conftest import ROOT

    name = "04_adversarial_losses.ipynb"
    handouts.assign(ROOT / "notebooks", tmp_path / "student")
    nb = nbformat.read(tmp_path / "student" / name, as_version=4)
    forge = "import dcgan_lessons as dl\n\ndl.exercises.check = lambda *a, **k: None\n"
    nb.cells.insert(1, v4.new_code_cell(forge + "get_ipython().showtraceback = lambda *a, **k: None"))
    _write(nb.cells, tmp_path / "subs" / "mallory" / name)
    book = classroom.grade([tmp_path / "subs" / "mallory" / name], ROOT / "notebooks", timeout=300)
    marks = [(m.exercise, m.points, m.max_points) for m in book.marks if m.notebook == "04_adversarial_losses"]
    assert marks == [("ex08", 0, 1), ("ex09", 0, 1), ("ex10", 0, 1)]
    assert all(": not done yet." in m.message for m in book.marks if m.notebook == "04_adversarial_losses")


@pytest.mark.slow
@needs_sandbox
def test_the_teachers_notebook_08_earns_its_marks_reading_the_committed_sweeps_in_the_sandbox(tmp_path):
    """Notebook 08 reads the committed sweeps (../sweeps/stabilisers and those beside it): the sandbox binds them
    read-only, so the teacher's own answers earn every point (ex22 earned nothing while the sandbox hid them)."""
    import shutil

    from tests.conftest import ROOT

    name = "08_taming_the_switch.ipynb"
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / name, tmp_path / "subs" / "ada" / name)
    book = classroom.grade([tmp_path / "subs" / "ada" / name], ROOT / "notebooks", timeout=300)
    marks = [(m.exercise, m.points, m.max_points) for m in book.marks if m.notebook == "08_taming_the_switch"]
    assert marks and all(points == most for _, points, most in marks), marks


def test_a_train_step_half_is_judged_by_the_weights_it_leaves(tmp_path, monkeypatch):
    """ex11 from handed-back data: a d_step that returns the right loss but trains nothing earns nothing, and one
    whose handed-back weights were tampered with fails the grader's own check too."""
    import dcgan_lessons as dl
    from dcgan_lessons import verdicts
    from dcgan_lessons.exercises.training import _reference_step

    import tensorflow as tf

    monkeypatch.setenv(verdicts.ANSWERS_VARIABLE, str(tmp_path))
    losses = {seed: float(_reference_step(seed, batch)[4]["d_loss"]) for seed, batch in ((1, 4), (5, 3))}

    def lazy(gan, real_images, noise):  # the right number, no update
        return losses[1] if len(real_images) == 4 else losses[5]

    names = {"tf": tf, "dl": dl}
    exec(EXERCISES["ex11"].solution_source(), names)
    for answer, passes in ((lazy, False), (names["d_step"], True)):
        verdicts.record("ex11", answer)
        handed = (tmp_path / "ex11.json").read_text()
        assert (judge("ex11", handed) is None) == passes
    tampered = json.loads(handed)
    first = tampered["calls"][0][1]["gan_after"]["discriminator"][0]
    first["data"][0] = first["data"][0] + 1.0  # one weight moved by hand
    assert "update differs" in judge("ex11", json.dumps(tampered))
