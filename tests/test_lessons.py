"""Lesson cells: the notebooks hold the package's code, they cannot drift apart, and a student's own
pieces train a real run."""

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
    expected |= {"losses.generator_loss", "training.DCGAN", "data.make_dataset", "data.read_idx"}
    missing = {name for name in expected if f"dcgan_lessons.{name}" not in taught}
    assert not missing, f"lesson code shown nowhere as a lesson cell: {sorted(missing)}"
    sources = "".join(c.source for p in NOTEBOOKS for c in nbformat.read(p, as_version=4).cells)
    assert "inspect.getsource(dl.models" not in sources and "inspect.getsource(dl.DCGAN" not in sources


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
    assert lessons.sync([path]) == [path]
    assert lessons.check([path]) == [] and lessons.sync([path]) == []


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
