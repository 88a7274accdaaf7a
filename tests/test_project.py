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


def test_the_readme_and_docs_link_to_files_that_exist():
    """The README is short and points into docs/: every relative link there must name a file of the project."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert {"usage.md", "results.md", "teaching.md", "development.md"} <= {page.name for page in pages}
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            assert "://" in target or (page.parent / target).exists(), f"{page.name} links to {target}, not a file"


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


def test_save_figure_records_the_data_it_was_drawn_from(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from dcgan_lessons.plots import figure_sources, file_digest, save_figure

    import matplotlib.pyplot as plt

    data = tmp_path / "data.json"
    data.write_text("[1, 2, 3]")
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    path = save_figure(fig, "00_test", folder=tmp_path / "figures", sources=[data])
    assert figure_sources(path) == {"data.json": file_digest(data)}
    data.write_text("[1, 2, 4]")
    assert figure_sources(path)["data.json"] != file_digest(data)
    assert figure_sources(save_figure(fig, "00_plain", folder=tmp_path)) == {}


# Committed figures drawn from committed data, and the file each must name: a figure made before its data
# changed (or made in quick settings, which save elsewhere) fails the test below.
DRAWN_FROM = {
    **{
        name: "reference-run/snapshots.npz"
        for name in ("06_judge_metrics", "06_mode_coverage", "06_switching", "06_zero_to_eight")
    },
    **{
        name: "reference-run/snapshots.npz"
        for name in ("07_classes_over_training", "07_epoch_scrubber", "07_latent_norms")
    },
    **{
        name: "reference-run/generator.keras"
        for name in (
            "07_judge_over_training",
            "07_inside_the_shell",
            "07_interpolation",
            "07_interpolation_measured",
            "07_latent_explorer",
        )
    },
    "06_losses_vs_report": "reference-run/history.json",
    "08_raw_vs_average": "sweeps/averaging/raw_vs_average.json",
    "09_fixed_pairs": "conditional-run/snapshots.npz",
    "09_class_accuracy": "conditional-run/analysis.json",
    "09_fixed_label_switching": "conditional-run/analysis.json",
    "09_style_and_class": "conditional-run/generator.keras",
    "09_zero_to_eight": "reference-run/arithmetic.json",
    "09_direction_explorer": "reference-run/arithmetic.json",
}


def test_committed_figures_are_drawn_from_the_committed_data():
    from dcgan_lessons.plots import figure_sources, file_digest

    stale = []
    for path in sorted((ROOT / "figures").glob("*.png")):
        sources = figure_sources(path)
        if path.stem in DRAWN_FROM and DRAWN_FROM[path.stem] not in sources:
            stale.append(f"{path.name} does not say it was drawn from {DRAWN_FROM[path.stem]}")
        for name, digest in sources.items():
            source = ROOT / name
            if not name.startswith("/") and (not source.is_file() or file_digest(source) != digest):
                stale.append(f"{path.name} was drawn from another {name} than the committed one")
    assert not stale, "re-execute the notebook that draws each figure (dcgan-lessons notebooks NB):\n" + "\n".join(
        stale
    )


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
