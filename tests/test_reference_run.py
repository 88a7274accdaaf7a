"""The committed reference run: what the README promises, and an analysis that is up to date."""

import json

import dcgan_lessons as dl
from dcgan_lessons import analysis as an
from dcgan_lessons import stats

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


def test_the_readme_tells_the_reference_runs_numbers(run):
    result = json.loads((REFERENCE / "analysis" / "analysis.json").read_text())
    readme = " ".join((ROOT / "README.md").read_text().split())
    epochs = len(run.history["epochs"])
    zero_eight = result["zero_eight"]
    for phrase in (
        f"--run-dir runs/reference --epochs {run.config['epochs']}",
        f"after {epochs} epochs",
        f"classifier score {result['score']:.2f}",
        f"{result['transitions'][-1]['switch_rate']:.0%} of the fixed z still change digit",
        f"0 -> 8 happened {zero_eight['0->8']['count']} times and 8 -> 0 {zero_eight['8->0']['count']} times",
    ):
        assert phrase in readme, phrase


def test_the_readme_and_notebook_06_say_whether_0_to_8_is_special_as_the_data_do(lab):
    """The answer to the report's 0 -> 8 question, rendered from the run's snapshots, is the one the README and
    notebook 06's committed outputs give: it fails when either was written from other data."""
    from dcgan_lessons import claims

    start = lab.settled()
    pairs = lab.confident_pairs(start, an.CONFIDENT)
    excess = stats.transition_excess(pairs)
    rounds = 5_000  # as notebook 06 shuffles in full settings
    shuffled = claims.permutation_check(excess, stats.permutation_excess(pairs, rounds=rounds), rounds)
    counts = {r["switch"]: r["observed"] for r in excess}
    subsets = an.excess_by_subset(lab, an.formed_starts(lab))
    answer = claims.is_special(excess)
    robust = [claims.excess_robustness(subsets, key) for key in ("0->8", "8->0")]
    readme = " ".join((ROOT / "README.md").read_text().split())
    for phrase in (
        f"from step {lab.steps[start]:,} on, where the run has formed its digits for good",
        f"at a Frechet distance of at most {an.SETTLED_FRECHET:g}",
        f"There {counts['0->8']} z switched 0 -> 8 and {counts['8->0']} 8 -> 0.",
        answer,
        shuffled,
        f"tabulated in notebook 06: {' '.join(robust)}",
    ):
        assert phrase in readme, phrase
    notebook = json.loads((ROOT / "notebooks" / "06_instability.ipynb").read_text())
    assert not notebook["metadata"]["dcgan_lessons"]["quick"]
    shown = " ".join(
        "".join(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
    )
    for phrase in (f"from step {lab.steps[start]:,} on", answer, shuffled, *robust, claims.excess_table(subsets)):
        assert phrase in shown, phrase
