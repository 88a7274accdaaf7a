"""The project's own files agree with each other."""

import re

import numpy as np
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from tests.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {*project["dependencies"], *project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip if not r.startswith("-e")}
    assert sorted(listed) == sorted(wanted)  # the same names and the same version bounds
    assert {_name(r) for r in listed} >= {"tensorflow", "matplotlib", "ipywidgets", "jupyterlab", "papermill", "nbval"}


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- test-command -->\s*```(?:bash)?\n(.*?)```", readme, re.S).group(1).strip()
    assert command.splitlines()[-1] in (ROOT / ".ci" / "run").read_text()


def test_ruff_is_clean():
    import subprocess
    import sys

    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_save_figure_writes_a_png(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from dcgan_lessons.plots import save_figure, tile

    import matplotlib.pyplot as plt

    grid = tile(np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5), columns=2, pad=1)
    assert grid.shape == (2 * 5 + 1, 2 * 6 + 1)
    fig, ax = plt.subplots()
    ax.imshow(grid)
    path = save_figure(fig, "00_test", folder=tmp_path)
    assert path == tmp_path / "00_test.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_quick_runs_keep_their_figures_out_of_the_project(monkeypatch, tmp_path):
    from dcgan_lessons import plots

    monkeypatch.setenv("DCGAN_LESSONS_QUICK", "0")
    monkeypatch.chdir(ROOT / "notebooks")  # where the notebooks' kernels run
    assert plots.figures_dir() == ROOT / "figures"
    monkeypatch.setenv("DCGAN_LESSONS_FIGURES", str(tmp_path))
    assert plots.figures_dir() == tmp_path
    monkeypatch.setenv("DCGAN_LESSONS_QUICK", "1")
    assert plots.figures_dir() != ROOT / "figures" and plots.figures_dir().is_dir()


def test_help_assign_and_grade_do_not_start_tensorflow():
    import subprocess
    import sys

    code = "import sys, dcgan_lessons.cli, dcgan_lessons.classroom; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    # ... and TensorFlow, imported later by anyone, starts without its C++ chatter on stderr
    code = "import dcgan_lessons, tensorflow as tf; print(tf.reduce_sum(tf.ones(3)).numpy())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "3.0" and result.stderr == ""
