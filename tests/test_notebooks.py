"""The notebook series as files: metadata that papermill and nbval need, and parameters that reach the run."""

import re

from dcgan_lessons.notebooks import METADATA, run_time, series

import nbformat
import papermill as pm
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers

NOTEBOOKS = series(ROOT / "notebooks")


def test_the_series_is_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:5] == [1, 2, 3, 4, 5] and numbers == sorted(numbers)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_kernel_is_plain_python3_and_outputs_are_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "papermill" not in nb.metadata
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), "commit the notebook with its outputs"
    streams = [o for c in code for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    noise = [o.text for o in streams if "cuda" in o.text or "absl" in o.text or "oneDNN" in o.text]
    assert not noise, f"TensorFlow log noise in {path.name}: {noise[:1]}"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


def test_the_readmes_time_column_is_the_recorded_time_of_each_committed_execution(tmp_path):
    """`dcgan-lessons notebooks` records how long each notebook took and in which settings; the README's
    table says exactly that, so a re-execution that takes longer (or quick settings) shows up there."""
    readme = (ROOT / "README.md").read_text()
    column = dict(re.findall(r"^\| (\d\d) \| \[[^]]+\]\(notebooks/[^)]+\) \| [^|]+ \| ([^|]+) \|", readme, re.M))
    recorded = {path.name[:2]: run_time(path) for path in NOTEBOOKS}
    assert None not in recorded.values(), "re-execute with `dcgan-lessons notebooks` to record its run time"
    assert {number: time.strip() for number, time in column.items()} == recorded

    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nb.metadata[METADATA] = {"seconds": 59, "quick": False}
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert run_time(tmp_path / "a.ipynb") == "< 1 min"
    nb.metadata[METADATA] = {"seconds": 151, "quick": True}
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert run_time(tmp_path / "a.ipynb") == "~3 min (quick settings)"


def test_papermill_parameters_reach_the_run(tmp_path):
    """A teacher's parameters: an odd subset (9 steps an epoch), two epochs, snapshots every 4 steps (neither
    divides the epoch; tests/test_run_safety.py checks the schedule's other cases), the paper's learning rate
    and another seed."""
    import dcgan_lessons as dl

    parameters = {"epochs": 2, "subset": 300, "snapshot_every": 4, "lr": 2e-4, "seed": 3}
    run_dir = tmp_path / "run"
    pm.execute_notebook(
        ROOT / "notebooks" / "05_training.ipynb",
        tmp_path / "out.ipynb",
        parameters={**parameters, "run_dir": str(run_dir)},
        cwd=ROOT / "notebooks",
        kernel_name="python3",
        progress_bar=False,
    )
    run = dl.load_run(run_dir)
    assert {key: run.config[key] for key in parameters} == parameters  # every parameter reached the run
    assert run.config["alpha"] == 0.3 and run.config["preset"] == "report"  # the others keep the report's
    assert run.config["steps_per_epoch"] == 9 and run.complete
    assert run.snapshots().steps.tolist() == [0, 4, 8, 9, 12, 16, 18]


@pytest.mark.slow
def test_notebook_08_reads_the_sweeps_its_parameters_name(tmp_path):
    """sweep_dir and first_row_dir reach part 3: copies of the committed sweeps cut to fewer conditions give
    their own table, findings and first-row sentence."""
    import shutil

    from dcgan_lessons import sweeps

    folders = {}
    for name, keep in (("stabilisers", ["control", "ema"]), ("first_row", ["tutorial"])):
        folders[name] = tmp_path / name
        shutil.copytree(ROOT / "sweeps" / name, folders[name])
        rows, _ = sweeps.load_sweep(folders[name])
        sweeps.write_results(folders[name], [r for r in rows if r["condition"] in keep], keep)
    pm.execute_notebook(
        ROOT / "notebooks" / "08_taming_the_switch.ipynb",
        tmp_path / "out.ipynb",
        parameters={"sweep_dir": str(folders["stabilisers"]), "first_row_dir": str(folders["first_row"])},
        cwd=ROOT / "notebooks",
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    shown = "\n".join(
        o.get("text", "") + "".join(o.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert f"{folders['stabilisers']}: 6 runs, 2 conditions" in shown
    assert "4 differences from the control have a Welch test" in shown  # ema against the control only
    assert "all 4 at once (Holm, family-wise 5%), 2 of them hold up" in shown  # of 26, none does
    assert "tutorial (3 seeds, 234 steps an epoch)" in shown and "report_every_step (" not in shown
    assert "no judged run of report_every_step here" in shown


def test_a_bad_papermill_parameter_is_one_line_that_names_it(tmp_path):
    """epochs -1 fails in the config cell with the settings' own message, not a traceback whose context
    is the whole make_config call (it used to point at the lr line)."""
    with pytest.raises(pm.PapermillExecutionError) as failed:
        pm.execute_notebook(
            ROOT / "notebooks" / "05_training.ipynb",
            tmp_path / "out.ipynb",
            parameters={"epochs": -1, "run_dir": str(tmp_path / "run")},
            cwd=ROOT / "notebooks",
            kernel_name="python3",
            progress_bar=False,
        )
    shown = "\n".join(failed.value.traceback)
    assert failed.value.ename == "SettingsError" and "epochs must be a whole number of at least 1, got -1" in shown
    assert "lr" not in shown and len(failed.value.traceback) == 1


def test_the_training_notebooks_parameters_reach_make_config():
    """Every TrainConfig setting in notebook 05's parameters cell is passed on, under its own name."""
    import ast
    import dataclasses

    import dcgan_lessons as dl

    nb = nbformat.read(ROOT / "notebooks" / "05_training.ipynb", as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = {t.id for node in ast.parse(parameters.source).body if isinstance(node, ast.Assign) for t in node.targets}
    fields = {f.name for f in dataclasses.fields(dl.TrainConfig)}
    call = next(c.source for c in nb.cells if c.source.startswith("config = dl.make_config("))
    passed = {k.arg for k in ast.parse(call).body[0].value.keywords}
    assert names & fields and (names & fields) - {"preset"} <= passed, sorted((names & fields) - passed)


@pytest.mark.slow
def test_papermill_parameters_reach_notebook_09s_conditional_run(tmp_path):
    """A teacher's variant of 09: the projection discriminator, another seed and subset reach the short run."""
    import dcgan_lessons as dl

    run_dir = tmp_path / "run"
    pm.execute_notebook(
        ROOT / "notebooks" / "09_asking_for_a_digit.ipynb",
        tmp_path / "out.ipynb",
        parameters={
            "kind": "projection",
            "subset": 96,
            "seed": 2,
            "snapshot_every": 2,
            "per_class": 5,
            "run_dir": str(run_dir),
        },
        cwd=ROOT / "notebooks",
        kernel_name="python3",
        progress_bar=False,
    )
    run = dl.load_run(run_dir)
    assert (run.config["conditional"], run.config["seed"], run.config["subset"]) == ("projection", 2, 96)
    assert run.config["custom"] == ["step"] and run.complete  # trained with the notebook's own conditional step
    assert run.discriminator().count_params() == 276_353  # the projection head, not the concat channels
    assert run.snapshots().labels.tolist() == [i % 10 for i in range(500)]
