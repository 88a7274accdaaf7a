"""The committed reference run: its settings, and an analysis and measurements that are up to date."""

import json

import dcgan_lessons as dl
from dcgan_lessons import analysis as an

import numpy as np
import pytest

from tests.conftest import ROOT

REFERENCE = ROOT / "reference-run"


@pytest.fixture(scope="module")
def run():
    return dl.load_run(REFERENCE)


@pytest.fixture(scope="module")
def lab(run):
    """The judge's labels for every snapshot of the reference run."""
    return an.analyze_run(run)


def test_it_is_the_reports_settings_on_the_full_mnist_for_at_least_ten_epochs(run):
    config = run.config
    report = dl.make_config("report").to_dict()
    for key in ("batch_size", "lr", "beta_1", "alpha", "latent_dim", "g_loss", "label_smoothing"):
        assert config[key] == report[key], key
    assert config["subset"] is None and config["train_images"] == 60_000 and config["steps_per_epoch"] == 1875
    epochs = run.history["epochs"]
    assert len(epochs) == config["epochs"] >= 10 and run.complete
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    assert epochs[-1]["steps"] == 1875 * len(epochs)


def test_its_snapshots_follow_500_z_every_quarter_epoch(run):
    snaps = run.snapshots()
    assert snaps.images.shape[1] >= 500 and snaps.images.dtype == np.uint8
    quarter = -(-1875 // 4)  # 468.75 steps, so snapshots fall 468 or 469 steps apart
    assert (
        snaps.steps[0] == 0 and 1875 * run.config["epochs"] - quarter < snaps.steps[-1] <= 1875 * run.config["epochs"]
    )
    assert np.diff(snaps.steps).max() <= quarter


def test_its_generator_is_the_reports_model(run):
    generator = run.generator()
    assert generator.count_params() == 2_343_681
    assert generator.output_shape == (None, 28, 28, 1)
    assert len(run.sample_grids()) == run.config["epochs"]


def test_the_committed_analysis_is_the_analysis_of_these_snapshots(lab):
    committed = json.loads((REFERENCE / "analysis" / "analysis.json").read_text())
    fresh = lab.to_dict()
    assert committed["total"]["matrix"] == fresh["total"]["matrix"]
    assert committed["zero_eight"] == fresh["zero_eight"]
    assert [s["step"] for s in committed["snapshots"]] == [s["step"] for s in fresh["snapshots"]]
    assert committed["score"] == pytest.approx(fresh["score"], abs=1e-3)
    for group in ("confident", "uncertain"):  # docs/results.md tells these rates
        assert committed["stability"][group]["count"] == fresh["stability"][group]["count"], group
        assert committed["stability"][group]["switch_rate"] == pytest.approx(fresh["stability"][group]["switch_rate"])
    rates = [[t["switch_rate"] for t in result["transitions"]] for result in (committed, fresh)]
    assert rates[0] == pytest.approx(rates[1])
    assert committed["total"]["mean_switch_rate"] == pytest.approx(fresh["total"]["mean_switch_rate"])


def test_docs_results_and_notebook_06_say_whether_0_to_8_is_special_as_the_data_do(lab):
    """The answer to the report's 0 -> 8 question, measured from the run's snapshots, is the one docs/measured.json
    holds (docs/results.md renders it) and notebook 06's committed outputs give: it fails when either was made
    from other data."""
    from dcgan_lessons import claims, results

    fresh = results.measure_zero_eight(lab)
    assert fresh == json.loads(results.MEASURED.read_text())["reference_run"]["zero_eight"], (
        "docs/measured.json: run `dcgan-lessons results --measure`"
    )
    excess, subsets = fresh["excess"], fresh["subsets"]
    answer = claims.is_special(excess)
    shuffled = claims.permutation_check(excess, fresh["permuted"], fresh["rounds"])
    robust = [claims.excess_robustness(subsets, key) for key in ("0->8", "8->0")]
    notebook = json.loads((ROOT / "notebooks" / "06_instability.ipynb").read_text())
    assert not notebook["metadata"]["dcgan_lessons"]["quick"]
    shown = " ".join(
        "".join(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )
    for phrase in (f"from step {fresh['step']:,} on", answer, shuffled, *robust, claims.excess_table(subsets)):
        assert phrase in shown, phrase
