"""The nbgrader route of docs/teaching.md works on the real notebooks with the shipped notebooks/nbgrader_config.py:
generate_assignment strips the solutions, autograde gives the teacher's version full marks and the student
version none. Notebooks 01 and 04 need no training, so the round trip takes a minute or two."""

import os
import shutil
import subprocess
import sys

from dcgan_lessons.exercises import for_notebook

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers

NOTEBOOKS = ["01_mnist_data.ipynb", "04_adversarial_losses.ipynb"]
PROBE = "import os\nfrom dcgan_lessons.reference import reference_run\n\nprint(os.environ.get('DCGAN_LESSONS_QUICK'))\n"
PROBE += "print(reference_run())"


def _nbgrader(course, *args, env):
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_generate_assignment_then_autograde_solved_and_unsolved(tmp_path, full_mnist_dir):
    course = tmp_path / "course"
    source = course / "source" / "ps1"
    source.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, source / name)
    # a plain cell that shows what the autograding kernel sees: quick settings and the course's reference run
    first = nbformat.read(source / NOTEBOOKS[0], as_version=4)
    first.cells.append(nbformat.v4.new_code_cell(PROBE))
    nbformat.write(first, source / NOTEBOOKS[0])
    shutil.copy(ROOT / "notebooks" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "reference-run").mkdir()
    (course / "reference-run" / "snapshots.npz").write_bytes(b"")
    # the config alone must give the kernels quick settings and the reference run
    env = {k: v for k, v in os.environ.items() if k not in ("DCGAN_LESSONS_QUICK", "DCGAN_LESSONS_REFERENCE_RUN")}

    _nbgrader(course, "generate_assignment", "ps1", env=env)
    released = sorted(p.name for p in (course / "release" / "ps1").iterdir())
    assert released == NOTEBOOKS  # no nbgrader_config.py for students
    for name in NOTEBOOKS:
        text = (course / "release" / "ps1" / name).read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "NotImplementedError" in text

    for student, folder in (("solved", source), ("unsolved", course / "release" / "ps1")):
        shutil.copytree(folder, course / "submitted" / student / "ps1")
    _nbgrader(course, "autograde", "ps1", env=env)

    points = sum(ex.points for name in NOTEBOOKS for ex in for_notebook(name.removesuffix(".ipynb")))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        solved, unsolved = (gradebook.find_submission("ps1", s) for s in ("solved", "unsolved"))
        assert (solved.score, solved.max_score) == (points, points)
        assert (unsolved.score, unsolved.max_score) == (0, points)
    graded = nbformat.read(course / "autograded" / "solved" / "ps1" / NOTEBOOKS[0], as_version=4)
    assert graded.cells[-1].outputs[0]["text"] == f"1\n{(course / 'reference-run').resolve()}\n"
