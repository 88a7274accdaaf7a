"""Lesson cells: the notebooks hold the package's code, they cannot drift apart, and a student's own
pieces train a real run."""

import ast
import json

import dcgan_lessons as dl
from dcgan_lessons import lessons

import keras
import nbformat
import numpy as np
import pytest

from tests.conftest import QUICK, ROOT, SLICE

NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
CELL = """import keras
from keras import layers

WEIGHT_STDDEV = 0.02


{source}"""


def _cell(source: str) -> str:
    import inspect

    return CELL.format(source=source or inspect.getsource(dl.models.dcgan_initializer).rstrip())


def test_the_committed_lesson_cells_agree_with_the_package():
    assert lessons.check(NOTEBOOKS) == []


def test_the_lessons_cover_what_the_series_teaches():
    taught = set()
    for path in NOTEBOOKS:
        for _, module, code in lessons.lesson_cells(nbformat.read(path, as_version=4)):
            taught |= {f"{module}.{node.name}" for node in lessons._definitions(code)}
    expected = {"models.build_generator", "models.build_discriminator", "losses.discriminator_loss"}
    expected |= {"losses.generator_loss", "gan.train_step", "data.make_dataset", "data.read_idx"}
    expected |= {"judge.frechet_distance", "latent.slerp", "latent.image_map", "latent.image_directions"}
    expected |= {"games.build_ring_generator", "games.build_ring_discriminator"}
    missing = {name for name in expected if f"dcgan_lessons.{name}" not in taught}
    assert not missing, f"lesson code shown nowhere as a lesson cell: {sorted(missing)}"
    sources = "".join(c.source for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells)
    assert "inspect.getsource(dl.models" not in sources and "inspect.getsource(dl.DCGAN" not in sources
    # code is shown as a lesson cell or not at all (06 shows its judge as a layer table, not as source)
    assert not [p.name for p in NOTEBOOKS if "getsource" in p.read_text()]


def _names(code: str) -> tuple[set[str], set[str]]:
    """The names a cell's code reads, and the attributes it reads (``module.name``), IPython magics left out."""
    tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))))
    nodes = list(ast.walk(tree))
    return {n.id for n in nodes if isinstance(n, ast.Name)}, {n.attr for n in nodes if isinstance(n, ast.Attribute)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_every_lesson_definition_is_what_the_cells_below_use(path):
    """An edit to a lesson cell takes effect: each of its definitions is used further down (itself, or through
    another definition of the cell that is), and no cell below reaches past it for the package's copy
    (exercise answers aside: they are the student's code, graded against the package)."""
    nb = nbformat.read(path, as_version=4)
    for index, module, code in lessons.lesson_cells(nb):
        below = [c.source for c in nb.cells[index + 1 :] if c.cell_type == "code" and "nbgrader" not in c.metadata]
        read, reached = set(), set()
        for source in below:
            names, attributes = _names(source)
            read, reached = read | names, reached | attributes
        definitions = {node.name: _names(lessons._segment(code, node))[0] for node in lessons._definitions(code)}
        used = {name for name in definitions if name in read}
        while grown := {n for n in definitions if n not in used and any(n in definitions[u] for u in used)}:
            used |= grown
        assert set(definitions) == used, f"cell {index}: {sorted(set(definitions) - used)} used nowhere below"
        assert not set(definitions) & reached, f"a cell below cell {index} uses {module}'s own copy"


def test_a_drifted_cell_is_reported_and_synced_back(tmp_path):
    assert lessons.differences("dcgan_lessons.models", _cell("")) == []
    drifted = _cell("").replace("stddev=WEIGHT_STDDEV", "stddev=0.05")
    assert lessons.differences("dcgan_lessons.models", drifted) == [
        "dcgan_initializer differs from dcgan_lessons.models.dcgan_initializer"
    ]
    other_constant = _cell("").replace("WEIGHT_STDDEV = 0.02", "WEIGHT_STDDEV = 0.1")
    assert lessons.differences("dcgan_lessons.models", other_constant) == [
        "line 4: only imports, dcgan_lessons.models's constants and definitions belong here"
    ]
    assert lessons.differences("dcgan_lessons.models", _cell("def invented():\n    pass")) == [
        "invented is not defined in dcgan_lessons.models"
    ]

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(lessons.MARKER + "dcgan_lessons.models\n" + drifted)]
    )
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert lessons.check([path]) == [
        "nb.ipynb, cell 0: dcgan_initializer differs from dcgan_lessons.models.dcgan_initializer"
    ]
    assert lessons.sync([path]) == {
        path: ["cell 0: lesson of dcgan_lessons.models", f"backup: {next((tmp_path / '.lessons-backup').iterdir())}"]
    }
    assert lessons.check([path]) == [] and lessons.sync([path]) == {}
    (backup,) = (tmp_path / ".lessons-backup").iterdir()
    assert nbformat.read(backup, as_version=4).cells[0].source.endswith(drifted)


def test_sync_refuses_a_students_notebook_and_backs_up_a_teachers(tmp_path, capsys):
    from dcgan_lessons.cli import main
    from dcgan_lessons.exercises import exercise_cells
    from dcgan_lessons.handouts import student_version

    teacher = nbformat.v4.new_notebook(cells=exercise_cells("ex08"))
    teacher.cells[1].source = "def bce(targets, probs):\n    ### BEGIN SOLUTION\n    return 0\n    ### END SOLUTION"
    student = student_version(teacher)
    student.cells[1].source = "def bce(targets, probs):\n    return 1  # mine"
    for name, nb in (("teacher", teacher), ("student", student)):
        nbformat.write(nb, tmp_path / f"04_{name}.ipynb")
    before = (tmp_path / "04_student.ipynb").read_text()
    assert main(["lessons", "--sync", str(tmp_path / "04_student.ipynb"), str(tmp_path / "04_teacher.ipynb")]) == 2
    assert "04_student.ipynb: a student version (answer cells without solutions)" in capsys.readouterr().err
    assert (tmp_path / "04_student.ipynb").read_text() == before and not (tmp_path / ".lessons-backup").exists()
    path = tmp_path / "04_adversarial_losses.ipynb"
    (tmp_path / "04_teacher.ipynb").rename(path)
    # the plain check names what --sync would replace
    assert lessons.check([path]) == [
        "04_adversarial_losses.ipynb, cell 1: ex08_answer differs from the exercise registry"
    ]
    assert main(["lessons", "--sync", str(path)]) == 0
    assert lessons.check([path]) == []
    printed = capsys.readouterr().out
    assert "04_adversarial_losses.ipynb:\n  cell 1: ex08_answer\n  backup: " in printed
    (backup,) = (tmp_path / ".lessons-backup").iterdir()
    assert "return 0" in backup.read_text() and "return 0" not in path.read_text()


def test_lessons_says_what_is_wrong_instead_of_a_traceback(tmp_path, capsys, monkeypatch):
    from dcgan_lessons.cli import main

    monkeypatch.chdir(tmp_path)  # outside the project: no notebooks to check
    assert main(["lessons"]) == 2
    assert "no notebooks to check" in capsys.readouterr().err
    cells = {
        "syntax": "def f(:\n    pass",
        "unknown": "def f():\n    pass",
        "outside": "def f():\n    pass",
    }
    modules = {"syntax": "dcgan_lessons.models", "unknown": "dcgan_lessons.nope", "outside": "antigravity"}
    for name, code in cells.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"{lessons.MARKER}{modules[name]}\n{code}")])
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    v3_cell = {"cell_type": "code", "input": f"{lessons.MARKER}dcgan_lessons.models\ndef f():\n    pass"}
    v3_cell |= {"language": "python", "outputs": [], "metadata": {}}
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [v3_cell], "metadata": {}}]}
    (tmp_path / "v3.ipynb").write_text(json.dumps(v3))
    assert main(["lessons", *(str(tmp_path / f"{n}.ipynb") for n in cells)]) == 1
    out = capsys.readouterr().out
    assert "syntax.ipynb, cell 0: SyntaxError: " in out
    assert "unknown.ipynb, cell 0: ValueError: no module 'dcgan_lessons.nope'" in out
    assert "outside.ipynb, cell 0: ValueError: 'antigravity' is not a module of dcgan_lessons" in out
    assert "antigravity" not in __import__("sys").modules
    assert main(["lessons", str(tmp_path / "v3.ipynb")]) == 1  # read as nbformat 4, like every other command
    assert capsys.readouterr().out == "v3.ipynb, cell 0: f is not defined in dcgan_lessons.models\n"


def test_cli_lessons_checks_the_series(capsys):
    from dcgan_lessons.cli import main

    assert main(["lessons", *map(str, NOTEBOOKS)]) == 0
    assert "agree with the package" in capsys.readouterr().out


@pytest.mark.slow
def test_a_students_own_generator_and_step_train_a_real_run(tmp_path):
    config = dl.make_config(**{**QUICK, "epochs": 1, "subset": 64})
    default = dl.train(config, tmp_path / "default", mnist_dir=SLICE, verbose=0)

    # a student's change: a generator with half the filters
    smaller = dl.build_generator(filters=(128, 64, 32), seed=config.seed)
    calls = []

    def train_step(self, real_images):  # the package's step, counted
        calls.append(1)
        return dl.DCGAN.train_step(self, real_images)

    run = dl.train(config, tmp_path / "mine", mnist_dir=SLICE, verbose=0, generator=smaller, step=train_step)
    assert run.config["custom"] == ["generator", "step"] and calls  # traced at least once
    assert run.generator().count_params() < default.generator().count_params()
    assert not np.array_equal(run.snapshots().images[-1], default.snapshots().images[-1])
    assert keras.saving.load_model(run.path / "generator.keras").count_params() == smaller.count_params()

    with pytest.raises(dl.runs.RunError, match="trained with your own pieces .generator, step."):
        dl.train(dl.make_config(**{**QUICK, "epochs": 2, "subset": 64}), run.path, resume=True, mnist_dir=SLICE)
