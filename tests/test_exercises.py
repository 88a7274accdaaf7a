"""Every exercise's check passes the teacher's solution and fails a wrong answer with a helpful message."""

import functools
import subprocess
import sys
import textwrap

import dcgan_lessons as dl
from dcgan_lessons import exercises
from dcgan_lessons.exercises import EXERCISES, ExerciseError, check

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT

LAB_TABLE = {  # a lab table as notebook 06 builds it: switch rate after forming all ten digits, modes, Frechet
    "report": {"rate": 0.21, "modes": 10, "frechet": 40.0},
    "paper": {"rate": 0.17, "modes": 10, "frechet": 45.0},
    "label smoothing": {"rate": 0.12, "modes": 10, "frechet": 38.0},
    "minimax": {"rate": None, "modes": 1, "frechet": 315.0},
    "lr 1e-4": {"rate": 0.08, "modes": 9, "frechet": 70.0},
}
SWEEP_ROWS = [  # rows of a sweep's results.json as notebook 08 reads them: the control's classifier scores
    {"condition": "control", "seed": seed, "score": score} for seed, score in enumerate((6.38, 6.64, 6.59))
] + [{"condition": "ema", "seed": 0, "score": 5.97}]
DATA = {
    "ex14": {"matrix": np.eye(10) * 50 + np.eye(10, k=1) * 7},
    "ex15": {"runs": LAB_TABLE},
    "ex22": {"rows": SWEEP_ROWS},
    "ex24": {"run": ROOT / "conditional-run"},  # notebook 09's committed run, judged (its analysis.json)
    "ex25": {"run": ROOT / "conditional-run"},
}


@functools.cache
def reference_generator():
    """The reference run's generator and fixed noise: what ex20 measures in notebook 07."""
    run = dl.load_run(ROOT / "reference-run")
    return {"generator": run.generator(), "noise": run.snapshots().noise}


def data_for(exercise_id: str) -> dict:
    """What the notebook's earlier cells define and the check cell passes on, for one exercise."""
    return reference_generator() if exercise_id == "ex20" else DATA.get(exercise_id, {})


def _answer(exercise_id: str, source: str):
    """Run a cell's source the way the notebook would and return what it defines under the answer's name."""
    namespace = {"dl": dl, "np": np, "tf": tf, **data_for(exercise_id)}  # imported by earlier cells
    exec(textwrap.dedent(source), namespace)
    return namespace[EXERCISES[exercise_id].answer]


@pytest.fixture(autouse=True)
def fresh_kernel():
    """Each test checks answers as a fresh kernel would: no first answer recorded yet."""
    exercises.FIRST_ANSWERS.clear()
    yield
    exercises.FIRST_ANSWERS.clear()


def test_there_are_enough_exercises_and_most_come_early():
    assert len(EXERCISES) >= 12
    early = [ex for ex in EXERCISES.values() if ex.notebook[:2] in ("01", "02", "03", "04")]
    assert len(early) >= 8
    assert list(EXERCISES) == [f"ex{i:02d}" for i in range(1, len(EXERCISES) + 1)]


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_the_teachers_solution_passes_its_check(exercise_id, capsys):
    ex = EXERCISES[exercise_id]
    answer = _answer(exercise_id, ex.solution_source())
    check(exercise_id, answer, **data_for(exercise_id))
    assert capsys.readouterr().out.startswith(f"Correct: {exercise_id} ({ex.title}).")
    if ex.hidden_tests:
        check(exercise_id, answer, hidden=True, **data_for(exercise_id))
        assert "passes the teacher's extra cases" in capsys.readouterr().out


WRONG = [
    ("ex01", "def scale_pixels(images):\n    return images / 255.0", "you divided by 255"),
    ("ex01", "def scale_pixels(images):\n    return (images - 127.5) / 255", "divide by 127.5, not 255"),
    ("ex01", "def scale_pixels(images):\n    return images / 127.5 - 1", "the dtype is float64"),
    ("ex01", "def scale_pixels(images):\n    return images.ravel() / 127.5 - 1", "expected shape (1, 6)"),
    ("ex02", "import math\ndef batches_per_epoch(n, b):\n    return math.ceil(n / b)", "drop_remainder=True"),
    ("ex02", "def batches_per_epoch(n, b):\n    return n / b", "should be a whole number (int)"),
    ("ex03", "def conv_transpose_size(s, k, st, p):\n    return (s - 1) * st + k", "Keras' Conv2DTranspose gives 14"),
    (
        "ex03",
        "def conv_transpose_size(s, k, st, p):\n    return -(-s // st)",
        "A transposed convolution goes the other",
    ),
    ("ex04", "def conv_params(k, c, f):\n    return k * k * c * f", "you forgot the biases"),
    ("ex04", "def conv_params(k, c, f):\n    return k * k * f + f", "for every one of the 256 input channels"),
    ("ex05", "def conv_size(s, k, st, p):\n    return s // st if p == 'same' else (s - k) // st + 1", "rounded up"),
    ("ex05", "def conv_size(s, k, st, p):\n    return s * st", "A strided convolution makes the image smaller"),
    ("ex06", "import numpy as np\ndef leaky_relu(x, a):\n    return np.maximum(x, 0)", "that is ReLU"),
    ("ex06", "import numpy as np\ndef leaky_relu(x, a):\n    return np.where(x > 0, a * x, x)", "scaled the positive"),
    ("ex07", "def weights_megabytes(n, b):\n    return n * b / 1024**2", "that is MiB (2**20 bytes)"),
    ("ex07", "def weights_megabytes(n, b):\n    return n * b / 1000", "that is kilobytes"),
    ("ex07", "def weights_megabytes(n, b):\n    return n / 1e6", "multiply by the bytes per parameter"),
    ("ex08", "import numpy as np\ndef bce(t, p):\n    return np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))", "sign"),
    (
        "ex08",
        "import numpy as np\ndef bce(t, p):\n    return -np.sum(t * np.log(p) + (1 - t) * np.log(1 - p))",
        "summed",
    ),
    ("ex08", "import numpy as np\ndef bce(t, p):\n    return -np.mean(t * np.log(p))", "add (1 - t) log(1 - p)"),
    ("ex10", "def generator_grads(d):\n    return d - 1.0, -d", "swapped"),
    ("ex10", "def generator_grads(d):\n    return -1 / (1 - d), d - 1.0", "the derivative by D(G(z)) itself"),
    ("ex10", "def generator_grads(d):\n    return -d, 1.0 - d", "the sign of the non-saturating term is off"),
    (
        "ex09",
        "def d_loss_terms(r, f):\n    a = float(dl.losses.binary_cross_entropy(0.0, r))\n"
        "    b = float(dl.losses.binary_cross_entropy(1.0, f))\n    return a, b, (a + b) / 2",
        "real digits have target 1",
    ),
    (
        "ex09",
        "def d_loss_terms(r, f):\n    a = float(dl.losses.binary_cross_entropy(1.0, r))\n"
        "    b = float(dl.losses.binary_cross_entropy(0.0, f))\n    return a, b, a + b",
        "you added the two terms",
    ),
    (
        "ex13",
        "def winning_side(r, f):\n    return 'discriminator' if r > f else 'generator'",
        "the answer is 'neither'",
    ),
    ("ex13", "def winning_side(r, f):\n    return 'D'", "return one of 'discriminator'"),
    (
        "ex14",
        "import numpy as np\ndef most_common_switch(m):\n    return np.unravel_index(np.argmax(m), m.shape)",
        "diagonal",
    ),
    (
        "ex14",
        "import numpy as np\ndef most_common_switch(m):\n    m = m - np.diag(np.diag(m))\n"
        "    return np.unravel_index(np.argmax(m.T), m.shape)",
        "rows are the digit before",
    ),
    (
        "ex15",
        "def pick_change(r, b, n):\n    return min((k for k in r if k != b and r[k]['rate'] is not None),"
        " key=lambda k: r[k]['rate'])",
        "by the noise margin: return None",
    ),
    ("ex15", "def pick_change(r, b, n):\n    return b", "you picked the baseline"),
    (
        "ex15",
        "def pick_change(r, b, n):\n    fair = {k: v['rate'] for k, v in r.items() if k != b and v['rate'] is not None"
        " and v['modes'] == 10}\n    best = min(fair, key=fair.get)\n    return best if fair[best] <= r[b]['rate'] - n "
        "else None",
        "a generator that stopped learning does not switch either",
    ),
    ("ex16", "def slerp_by_hand(a, b, t):\n    return (1 - t) * a + t * b", "that is the straight line (lerp)"),
    ("ex17", 'larger_spread = "inference"', "A fresh batch normalization layer is the identity in inference mode"),
    ("ex17", 'larger_spread = "bigger"', "answer with one of 'training', 'inference', 'the same'"),
    ("ex18", 'diagnosis = {"A": "healthy", "B": "healthy", "C": "discriminator won"}', "have not formed yet"),
    ("ex18", 'diagnosis = {"A": "healthy", "B": "not formed yet", "C": "not formed yet"}', "D separates everything"),
    ("ex18", 'diagnosis = {"A": "healthy"}', "a dict with the keys 'A', 'B' and 'C'"),
    ("ex18", 'diagnosis = {"A": "healthy", "B": "collapsed", "C": "discriminator won"}', "use one of"),
    ("ex19", "def verdict(low, high, lower):\n    return 'helps' if low < 0 else 'hurts'", "the interval contains 0"),
    (
        "ex19",
        "def verdict(low, high, lower):\n    return 'helps' if low > 0 else 'hurts' if high < 0 else \"can't tell\"",
        "the whole interval is below 0",
    ),
    ("ex20", 'ink_prediction = "less"', "so the straight path has more ink"),
    ("ex20", 'ink_prediction = "the same"', "of the great circle's, so the straight path has more ink"),
    ("ex20", 'ink_prediction = "fainter"', "answer with one of 'more', 'less', 'the same'"),
    ("ex16", "def slerp_by_hand(a, b, t):\n    return dl.latent.slerp(a, b, 1 - t)", "you went from z1 to z0"),
    (
        "ex16",
        "def slerp_by_hand(a, b, t):\n    w = np.arccos(a @ b)\n"
        "    return (np.sin((1 - t) * w) * a + np.sin(t * w) * b) / np.sin(w)",
        "you returned NaN",
    ),
    (
        "ex15",
        "def pick_change(r, b, n):\n    return 'paper'",
        "the answer is 'label smoothing' (12%), you returned 'paper'",
    ),
]

WRONG += [
    (
        "ex21",
        "import math\ndef steps_to_double(lr):\n    return math.ceil(math.log(2) / math.log(1 + lr**2))",
        "squared",
    ),
    (
        "ex21",
        "import math\ndef steps_to_double(lr):\n    return math.ceil(math.log(2) / math.log(1 + lr))",
        "second order",
    ),
    (
        "ex21",
        "import math\ndef steps_to_double(lr):\n    return int(math.log(2) / math.log(math.sqrt(1 + lr**2)))",
        "round the exact count up",
    ),
    ("ex21", "def steps_to_double(lr):\n    return 100", "the distance first reaches 2 after 140 steps"),
    ("ex21", "def steps_to_double(lr):\n    return 2 / lr**2", "should be a whole number (int)"),
    (
        "ex22",
        "def mean_interval(v):\n    m, h = np.mean(v), 1.96 * np.std(v, ddof=1) / np.sqrt(len(v))\n"
        "    return m, m - h, m + h",
        "1.96 is the normal quantile",
    ),
    (
        "ex22",
        "def mean_interval(v):\n    m, h = np.mean(v), dl.stats.t_quantile(len(v) - 1) * np.std(v) / np.sqrt(len(v))\n"
        "    return m, m - h, m + h",
        "ddof=1",
    ),
    (
        "ex22",
        "def mean_interval(v):\n    m, h = np.mean(v), dl.stats.t_quantile(len(v) - 1) * np.std(v, ddof=1)\n"
        "    return m, m - h, m + h",
        "divide the spread by sqrt(n)",
    ),
    ("ex22", "def mean_interval(v):\n    return np.mean(v), np.min(v), np.max(v)", "mean ± t * sd / sqrt(n)"),
    ("ex22", "def mean_interval(v):\n    return np.mean(v), np.std(v)", "return three numbers (mean, low, high)"),
]

WRONG += [
    (
        "ex23",
        "def join_label(z, labels, classes):\n    return np.concatenate([np.eye(classes)[labels], z], axis=1)",
        "you put the one-hot code first",
    ),
    (
        "ex23",
        "def join_label(z, labels, classes):\n    return np.concatenate([z, labels[:, None]], axis=1)",
        "the label joined as one number",
    ),
    ("ex23", "def join_label(z, labels, classes):\n    return z", "z alone: join the label's one-hot code"),
    (
        "ex23",
        "def join_label(z, labels, classes):\n    return np.concatenate([z, 2 * np.eye(classes)[labels] - 1], axis=1)",
        "-1 where it should hold 0",
    ),
    (
        "ex23",
        "def join_label(z, labels, classes):\n    return np.concatenate([z, np.eye(classes)[labels - 1]], axis=1)",
        "each 1 is one place off",
    ),
    ("ex24", 'switch_prediction = "more"', "so the conditional run switches less"),
    ("ex24", 'switch_prediction = "fewer"', "answer with one of 'more', 'less', 'the same'"),
    ("ex25", "drawn_worse = list(range(10))", "it is read as asked more often than the rest, not less"),
    ("ex25", 'drawn_worse = "8"', "should be a list of digits, each one of 0 to 9"),
]

D_STEP = """
import tensorflow as tf
def d_step(gan, real_images, noise):
    fake_images = gan.generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_prob = gan.discriminator(real_images, training=True)
        fake_prob = gan.discriminator(fake_images, training=True)
        loss = LOSS
    weights = WEIGHTS
    gan.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
    return loss
"""
G_STEP = """
import tensorflow as tf
def g_step(gan, noise):
    with tf.GradientTape() as tape:
        fake_prob = gan.discriminator(gan.generator(noise, training=True), training=True)
        loss = LOSS
    weights = WEIGHTS
    gan.g_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))
    return loss
"""
GOOD_D = {"LOSS": "dl.discriminator_loss(real_prob, fake_prob)", "WEIGHTS": "gan.discriminator.trainable_weights"}
GOOD_G = {"LOSS": "dl.generator_loss(fake_prob)", "WEIGHTS": "gan.generator.trainable_weights"}


def _step(template: str, good: dict, **changes) -> str:
    source = template
    for key, value in {**good, **changes}.items():
        source = source.replace(key, value)
    return source


WRONG += [
    ("ex11", _step(D_STEP, GOOD_D, LOSS="2 * dl.discriminator_loss(real_prob, fake_prob)"), "you added the real"),
    ("ex11", _step(D_STEP, GOOD_D, LOSS="dl.discriminator_loss(fake_prob, real_prob)"), "the labels are swapped"),
    ("ex11", _step(D_STEP, GOOD_D, LOSS="-dl.discriminator_loss(real_prob, fake_prob)"), "d_step returned d_loss -"),
    (
        "ex11",
        _step(D_STEP, GOOD_D, WEIGHTS="gan.trainable_weights").replace(
            "fake_prob = gan.discriminator(fake_images", "fake_prob = gan.discriminator(gan.generator(noise)"
        ),
        "changed the generator's weights",
    ),
    (
        "ex11",
        _step(D_STEP, GOOD_D).replace(
            "gan.d_optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights, strict=True))", ""
        ),
        "weights did not change",
    ),
    ("ex12", _step(G_STEP, GOOD_G, LOSS="dl.generator_loss(fake_prob, 'minimax')"), "that is the minimax loss"),
    ("ex12", _step(G_STEP, GOOD_G, LOSS="dl.losses.binary_cross_entropy(0.0, fake_prob)"), "you labelled the fakes 0"),
    ("ex12", _step(G_STEP, GOOD_G, WEIGHTS="gan.trainable_weights"), "changed the discriminator's weights"),
]


@pytest.mark.parametrize("exercise_id, source, message", WRONG)
def test_a_wrong_answer_fails_with_a_helpful_message(exercise_id, source, message):
    answer = _answer(exercise_id, source)
    with pytest.raises(ExerciseError) as error:
        check(exercise_id, answer, **data_for(exercise_id))
    text = str(error.value)
    assert message in text, text
    title = EXERCISES[exercise_id].title
    assert text.startswith(f"{exercise_id} ({title}): not right yet.") and f'hint("{exercise_id}")' in text
    assert error.value._render_traceback_() == [f"\x1b[31m{text}\x1b[0m"]  # IPython shows the message, no stack


def test_the_wrong_answers_cover_every_exercise():
    assert {e for e, _, _ in WRONG} == set(EXERCISES)


def test_only_the_hidden_cases_catch_some_mistakes(capsys):
    unclipped = _answer(
        "ex08", "import numpy as np\ndef bce(t, p):\n    return -np.mean(t*np.log(p) + (1-t)*np.log(1-p))"
    )
    check("ex08", unclipped)  # the visible cases have no p = 0
    with pytest.raises(ExerciseError, match="Clip the probabilities"):
        check("ex08", unclipped, hidden=True)


def test_an_unfinished_exercise_says_so():
    def scale_pixels(images):
        raise NotImplementedError()

    with pytest.raises(ExerciseError, match="ex01 .*not done yet. Replace `raise NotImplementedError\\(\\)`"):
        check("ex01", scale_pixels)
    with pytest.raises(ExerciseError, match="expected a function, got int 3"):
        check("ex01", 3)
    with pytest.raises(ExerciseError, match=r"calling it with \(array\(\[\[  0,  64.*raised ZeroDivisionError"):
        check("ex01", lambda images: 1 / 0)


@pytest.mark.parametrize("exercise_id", [e for e, ex in EXERCISES.items() if ex.first_answer_only])
def test_a_reading_exercise_grades_its_first_answer_only(exercise_id, capsys):
    ex, data = EXERCISES[exercise_id], data_for(exercise_id)
    right = _answer(exercise_id, ex.solution_source())
    typo = next(_answer(e, source) for e, source, message in WRONG if e == exercise_id and "one of" in message)
    wrong = next(_answer(e, source) for e, source, message in WRONG if e == exercise_id and "one of" not in message)
    with pytest.raises(ExerciseError, match="not right yet"):
        check(exercise_id, typo, **data)  # a typo is not an answer: it does not use up the first try
    check(exercise_id, right, **data)
    check(exercise_id, right, **data)  # a right first answer stays right
    assert capsys.readouterr().out.count("Correct:") == 2
    exercises.FIRST_ANSWERS.clear()  # a fresh kernel, as dcgan-lessons grade runs each notebook
    with pytest.raises(ExerciseError, match="not right yet"):
        check(exercise_id, wrong, **data)  # the message tells the right answer ...
    with pytest.raises(ExerciseError, match="right now, but not graded.*the first was .*, which was wrong"):
        check(exercise_id, right, **data)  # ... so a second try earns nothing
    assert "Correct:" not in capsys.readouterr().out
    assert "Only your first checked answer is graded" in ex.task_source()


def test_the_diagnosis_runs_are_committed_runs():
    """ex18's table and explanations are the committed runs' numbers, from the files its check names."""
    import json

    from dcgan_lessons.exercises import training

    def read(path: str) -> dict:
        return json.loads((ROOT / path).read_text())

    epochs = {"A": read("reference-run/history.json")["epochs"][0]}
    judged = {"A": read("reference-run/analysis/epochs.json")[0]}
    for run, folder in (
        ("B", "sweeps/first_row/runs/tutorial/seed_2"),
        ("C", "sweeps/stabilisers/runs/two_time_scales/seed_1"),
    ):
        assert training.SOURCES[run].startswith(folder)
        (epochs[run],) = read(f"{folder}/history.json")["epochs"]
        judged[run] = read(f"{folder}/result.json")
    assert (judged["B"]["config"]["batch_size"], judged["B"]["config"]["lr"], epochs["B"]["steps"]) == (256, 1e-4, 234)
    assert judged["C"]["config"]["d_lr"] == 4e-4
    for run, shown in training.RUNS.items():
        assert epochs[run]["epoch"] == 1
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert shown[key] == pytest.approx(epochs[run][key], abs=0.0005 if key != "g_loss" else 0.005), (run, key)
        assert shown["modes"] == judged[run]["modes"] and shown["score"] == pytest.approx(
            judged[run]["score"], abs=0.005
        )


def test_unknown_exercises_are_named():
    with pytest.raises(ValueError, match="no exercise 'ex99'; the exercises are ex01, ex02"):
        check("ex99", None)


def test_a_tie_in_the_runs_own_matrix_accepts_any_of_the_largest(capsys):
    source = "def most_common_switch(m):\n    s = m - np.diag(np.diag(m))\n    return np.argwhere(s == s.max())[-1]"
    last = _answer("ex14", source)
    assert tuple(last(DATA["ex14"]["matrix"])) == (8, 9)  # ties with (0, 1), (1, 2), ..., where argmax says (0, 1)
    check("ex14", last, matrix=DATA["ex14"]["matrix"])
    assert capsys.readouterr().out.startswith("Correct: ex14")


def test_hints_always_and_solutions_only_when_the_teacher_allows(monkeypatch, capsys):
    dl.exercises.hint("ex03")
    assert capsys.readouterr().out.startswith("Hint for ex03 (Output size of a transposed convolution): 'same'")
    monkeypatch.delenv(exercises.SOLUTIONS_VARIABLE, raising=False)
    dl.exercises.solution("ex03")
    out = capsys.readouterr().out
    assert "Solutions are turned off" in out and "DCGAN_LESSONS_SOLUTIONS=1" in out and "size * strides" not in out
    monkeypatch.setenv(exercises.SOLUTIONS_VARIABLE, "1")
    dl.exercises.solution("ex03")
    assert "return size * strides" in capsys.readouterr().out


def test_cells_carry_nbgrader_metadata_and_markers():
    task, answer, check_cell = exercises.exercise_cells("ex04")
    assert task.cell_type == "markdown" and task.source.startswith("### Exercise ex04: A layer's parameters by hand")
    assert answer.metadata["nbgrader"] == {
        "grade": False,
        "grade_id": "ex04_answer",
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    assert check_cell.metadata["nbgrader"] == {
        "grade": True,
        "grade_id": "ex04_check",
        "locked": True,
        "points": 1,
        "schema_version": 3,
        "solution": False,
    }
    assert answer.source.splitlines()[2:5] == [
        "    ### BEGIN SOLUTION",
        "    return kernel_size * kernel_size * in_channels * filters + filters",
        "    ### END SOLUTION",
    ]
    assert check_cell.source == (
        'dl.exercises.check("ex04", conv_params)\n### BEGIN HIDDEN TESTS\n'
        'dl.exercises.check("ex04", conv_params, hidden=True)\n### END HIDDEN TESTS'
    )
    assert exercises.exercise_cells("ex11")[2].metadata["nbgrader"]["points"] == 2
    assert [ex.id for ex in exercises.for_notebook("05_training")] == ["ex11", "ex12", "ex13", "ex18"]


@pytest.mark.parametrize("exercise_id", list(EXERCISES))
def test_rendered_cells_are_ruff_clean(exercise_id):
    ex = EXERCISES[exercise_id]
    cells = "\n\n\n".join([ex.solution_source(), ex.check_source()]) + "\n"
    # F821 (undefined name) is off: dl, np, tf and the data come from the notebook's earlier cells
    for args in (["format", "--diff"], ["check", "--ignore", "F821"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--stdin-filename", "cell.py", "-"],
            input=cells,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_notebooks_exercise_cells_are_the_registrys(exercise_id):
    import nbformat

    ex = EXERCISES[exercise_id]
    nb = nbformat.read(ROOT / "notebooks" / f"{ex.notebook}.ipynb", as_version=4)
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for cell in exercises.exercise_cells(exercise_id):
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        assert grade_id in by_id, f"{ex.notebook} has no cell {grade_id}"
        assert by_id[grade_id].source == cell.source, f"{ex.notebook}, {grade_id} differs from the registry"
        assert by_id[grade_id].metadata["nbgrader"] == cell.metadata["nbgrader"]


def test_every_notebook_answers_its_questions_in_the_teachers_version_only():
    import re

    from dcgan_lessons.handouts import student_version
    from dcgan_lessons.notebooks import series

    import nbformat

    answered = 0
    for path in series(ROOT / "notebooks"):
        nb = nbformat.read(path, as_version=4)
        asked = [k for k, c in enumerate(nb.cells) if "## Check your understanding" in c.source]
        if not asked:
            continue
        questions = nb.cells[asked[0]].source.split("## Check your understanding")[1]
        assert asked[0] + 1 < len(nb.cells), f"{path.name}: no teacher's answers after its questions"
        answers = nb.cells[asked[0] + 1]
        assert answers.metadata["nbgrader"] == exercises.answers_cell(path.stem, "x").metadata["nbgrader"], path.name
        numbered = lambda text: re.findall(r"^(\d+)\. ", text, flags=re.M)  # noqa: E731
        assert numbered(answers.source) == numbered(questions), path.name
        student = student_version(nb, path.name).cells[asked[0] + 1].source
        assert "teacher's version" not in student and "YOUR ANSWER HERE" in student, path.name
        answered += 1
    assert answered >= 7


def test_the_interval_exercise_reads_the_sweeps_own_seeds(capsys):
    answer = _answer("ex22", EXERCISES["ex22"].solution_source())
    check("ex22", answer, values=[6.38, 6.64, 6.59])
    assert "the t quantile for two degrees of freedom is 4.30" in capsys.readouterr().out
    shifted = lambda v: tuple(x + (0.01 if len(v) == 3 and v[0] == 6.38 else 0) for x in answer(v))  # noqa: E731
    with pytest.raises(ExerciseError, match=r"for the values \[6.38, 6.64, 6.59\]"):
        check("ex22", shifted, values=[6.38, 6.64, 6.59])


def test_the_ink_exercise_measures_what_its_task_says():
    """ex20's key is what all 250 disjoint pairs of the fixed z give, paired; its task promises an interval of
    about +-0.001 (under 1% of the ink), and the hint's experiment (z scaled by 0.71) points the same way."""
    from dcgan_lessons.exercises.latent import measured_ink
    from dcgan_lessons.stats import mean_interval

    data = reference_generator()
    measured = measured_ink(data["generator"], data["noise"])
    assert measured.shape == (250, 2)
    mean, half = mean_interval(measured[:, 0])
    assert half < 0.0015 and half < 0.01 * measured[:, 1].mean()
    assert mean - half > 0 and _answer("ex20", EXERCISES["ex20"].solution_source()) == "more"
    inside, shell = (dl.latent.decode(data["generator"], s * data["noise"]).mean() for s in (0.71, 1.0))
    assert inside > shell  # the hint's experiment: more ink at 71% of the norm
