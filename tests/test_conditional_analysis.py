"""Judging a conditional run (dcgan_lessons.conditional): each measure on small inputs whose answer is known, and
the committed conditional-run/analysis.json against the run it describes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import dcgan_lessons as dl
from dcgan_lessons import conditional
from dcgan_lessons.analysis import RunAnalysis
from dcgan_lessons.judge import Judgement
from dcgan_lessons.stats import wilson

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "conditional-run"


def test_class_accuracy_reads_the_diagonal_with_wilson_intervals():
    confusion = np.diag(np.full(10, 90))
    confusion[3, 5] = 10  # asked for a 3, read as a 5: 90 of 100 right
    confusion[7, 7] = 100
    rows = conditional.class_accuracy(confusion)
    assert [r["asked"] for r in rows] == [90, 90, 90, 100, 90, 90, 90, 100, 90, 90]
    assert rows[3]["rate"] == 0.9 and rows[7]["rate"] == 1.0 and rows[0]["rate"] == 1.0
    assert (rows[3]["low"], rows[3]["high"]) == wilson(90, 100)
    assert rows[7]["high"] == 1.0 and rows[7]["low"] < 1.0  # Wilson stays inside [0, 1], unlike the normal interval


def test_variance_shares_split_rows_columns_and_the_rest():
    rows, columns = np.arange(6.0)[:, None], np.array([0.0, 1.0, 2.0, 3.0])[None, :]
    assert conditional.variance_shares(rows + 0 * columns) == pytest.approx({"z": 1.0, "label": 0.0, "rest": 0.0})
    assert conditional.variance_shares(0 * rows + columns) == pytest.approx({"z": 0.0, "label": 1.0, "rest": 0.0})
    both = conditional.variance_shares(rows + columns)  # additive: nothing left over
    assert both["rest"] == pytest.approx(0.0, abs=1e-12)
    # the row means spread as var(0..5) = 17.5 / 6 per cell, the column means as var(0..3) = 5 / 4
    assert both["z"] == pytest.approx((17.5 / 6) / (17.5 / 6 + 5 / 4))
    interaction = conditional.variance_shares(
        rows * columns - (rows * columns).mean(0) - (rows * columns).mean(1)[:, None]
    )
    assert interaction["rest"] == pytest.approx(1.0)


def _analysis(labels: np.ndarray, steps: np.ndarray, seed: int = 0) -> RunAnalysis:
    """A run judged as ``labels`` (S, N), sure of every digit, every snapshot good, on random blobs of ink."""
    s, n = labels.shape
    images = np.random.default_rng(seed).integers(0, 256, (s, n, 28, 28), dtype=np.uint8)
    snapshots = [{"modes": 10, "frechet": 5.0}] * s
    return RunAnalysis(Path("x"), steps, images, labels, np.ones((s, n)), snapshots)


def test_fixed_label_switching_counts_what_leaves_the_asked_digit_against_the_reference():
    steps = np.arange(0, 60, 10)  # six snapshots
    asked = np.arange(40) % 10
    ours = np.tile(asked, (6, 1))
    ours[3, 0] = 5  # pair 0 (asked 0) reads 5 at one snapshot: it leaves, then comes back
    theirs = np.tile(asked, (6, 1))
    theirs[1:, :20] = (theirs[1:, :20] + 1) % 10  # 20 z switch once, between snapshot 0 and 1
    found = conditional.fixed_label_switching(_analysis(ours, steps), asked, _analysis(theirs, steps, 1), rounds=200)
    assert found["window"] == {"start": "formed for good", "steps": [0, 50]} and found["snapshots"] == 6
    assert found["leaves"]["count"] == 1 and found["leaves"]["of"] == 5 * 40 - 1  # every sure interval from asked
    assert found["off_class"] == {"share": 1 / 240, "z_ever": 1, "z_last": 0, "z": 40}
    compared = found["compared"]
    assert compared["confident_switch_rate"]["conditional"]["value"] == pytest.approx(2 / 200)
    assert compared["confident_switch_rate"]["reference"]["value"] == pytest.approx(20 / 200)
    assert compared["switching_z"]["conditional"]["value"] == pytest.approx(1 / 40)
    assert compared["switching_z"]["reference"]["value"] == pytest.approx(20 / 40)
    assert compared["switching_z"]["holm"] < 0.05 and compared["switching_z"]["difference"] < 0
    assert found["curves"]["conditional"] == [0.0, 0.0, 0.025, 0.025, 0.0]
    assert found["curves"]["reference"] == [0.5, 0.0, 0.0, 0.0, 0.0]
    assert found["curves"]["off_class"][3] == 0.025
    text = conditional.sentences({"switching": found, **_classes_and_style()})["switching"]
    assert "lower with the label" in text and "changes less than in the reference run" in text


def test_runs_snapshotted_on_other_steps_are_not_compared():
    asked = np.arange(10)
    ours, theirs = (
        _analysis(np.tile(asked, (3, 1)), np.array([0, 10, 20])),
        _analysis(np.tile(asked, (3, 1)), np.array([0, 15, 30])),
    )
    with pytest.raises(ValueError, match="same schedule"):
        conditional.fixed_label_switching(ours, asked, theirs, rounds=10)


class _Bars:
    """A fake conditional generator: z[0] sets the slant of a bar, the label its length (ink); nothing else."""

    inputs = [SimpleNamespace(shape=(None, 3))]

    def __call__(self, inputs, training=False):
        noise, labels = np.asarray(inputs[0]), np.asarray(inputs[1])
        images = -np.ones((len(noise), 28, 28, 1), np.float32)
        for k, (z, label) in enumerate(zip(noise, labels, strict=True)):
            for row in range(4, 8 + 2 * int(label)):
                images[k, row, int(np.clip(14 + np.round(np.clip(z[0], -1.5, 1.5) * (row - 14) / 4), 0, 27)), 0] = 1.0
        return images


def _fake_judge(images):
    """Reads every digit as a 0, sure of it."""
    return Judgement(np.tile(np.eye(10)[0], (len(images), 1)), np.zeros((len(images), 64)))


def _classes_and_style() -> dict:
    style = conditional.style_against_class(_Bars(), _fake_judge, n=30, seed=0, rounds=50)
    classes = {
        "confusion": np.diag(np.full(10, 10)).tolist(),
        "per_class": conditional.class_accuracy(np.diag(np.full(10, 10))),
        "by_seed": [[1.0] * 10, [1.0] * 10],
        "quality": [
            {"digit": d, "frechet": [3.0, 3.2], "real_frechet": [2.0, 2.1], "confidence": [0.99, 0.98], "p": 0.01}
            | {"real_confidence": [0.99, 0.99], "holm": 0.1}
            for d in range(10)
        ],
    }
    return {"classes": classes, "style": style, "settings": {"seeds": [0, 1]}}


def test_style_against_class_finds_style_in_z_and_ink_in_the_label():
    style = _classes_and_style()["style"]
    assert style["read_as_asked"] == 30 and style["digits"] == 300  # the fake judge reads every digit as a 0
    assert style["zero_to_eight"] == {"became": 0, "of": 30, "interval": list(wilson(0, 30))}
    ink, slant = style["measures"]["ink"], style["measures"]["slant"]
    assert ink["label"] == pytest.approx(1.0) and ink["z"] == pytest.approx(0.0)  # the bar's length is the label's
    assert slant["z"] > 0.8 and slant["z"] > slant["z_shuffled"][2]  # the lean is z's, whatever the label
    assert slant["intervals"]["z"][0] <= slant["z"] <= slant["intervals"]["z"][1]


def test_sentences_say_what_the_numbers_say():
    steps, asked = np.arange(0, 30, 10), np.arange(20) % 10
    switching = conditional.fixed_label_switching(
        _analysis(np.tile(asked, (3, 1)), steps), asked, _analysis(np.tile(asked, (3, 1)), steps, 1), rounds=50
    )
    result = _classes_and_style() | {"switching": switching}
    result["classes"]["confusion"][9][9], result["classes"]["confusion"][9][7] = 6, 4  # asked 9, read 7 four times
    result["classes"]["per_class"] = conditional.class_accuracy(np.array(result["classes"]["confusion"]))
    said = conditional.sentences(result)
    assert "the generator drew the asked digit 96.0% of the time" in said["accuracy"]
    assert "The weakest digit is 9 (60.0%" in said["accuracy"] and "asked for a 9" in said["accuracy"]
    assert "reads as a 7, 4 times of 10" in said["accuracy"]
    assert "No class is farther from its real digits" in said["quality"]  # Holm 0.1 everywhere
    assert "no difference beyond the noise" in said["switching"] and "about as much as" in said["switching"]
    assert "did not calm the switching" in said["switching"]
    arithmetic, _ = dl.arithmetic.load(ROOT / "reference-run")
    swap = conditional.swap_against_arithmetic(result, arithmetic)
    assert "turns 0 of the 30 $z$ drawn as a confident 0" in swap and "(0.0%, Wilson 0.0% to" in swap
    assert swap.endswith("The direction in $z$ is the stronger handle.")  # the committed 60% against 0 of 30


@pytest.fixture(scope="module")
def committed():
    result, path = conditional.load(COMMITTED)
    return result, dl.load_run(COMMITTED)


@pytest.mark.slow
def test_the_committed_analysis_is_the_committed_runs(committed, full_mnist_dir):
    """Class accuracy, quality per class and style against class, recomputed from the committed generator with the
    committed settings, are the committed numbers; so are the conditional run's switching curves."""
    from dcgan_lessons.analysis import analyze_run
    from dcgan_lessons.averaging import interval_rates
    from dcgan_lessons.data import load_mnist
    from dcgan_lessons.judge import load_judge

    result, run = committed
    settings, judge, mnist = result["settings"], load_judge(), load_mnist(full_mnist_dir)
    generator = run.generator()
    classes = conditional.accuracy_and_quality(
        generator, judge, mnist.test_images, mnist.test_labels, settings["seeds"], settings["per_class"]
    )
    assert json.loads(json.dumps(classes)) == result["classes"]
    style = conditional.style_against_class(
        generator, judge, settings["style_z"], len(settings["seeds"]), settings["rounds"]
    )
    assert json.loads(json.dumps(style)) == result["style"]
    judged = analyze_run(run, judge)
    assert np.allclose(
        interval_rates(judged, conditional.CONFIDENT), result["switching"]["curves"]["conditional"], atol=1e-6
    )
    assert result["epochs"] == len(run.history["epochs"]) == run.config["epochs"]


def test_the_committed_analysis_supports_the_notebooks_questions(committed):
    """Notebook 09's question 5 and its answer take three things from the data: slant's share across z is above
    its shuffled baseline, the label moves ink more than slant, and ink keeps a share across z too."""
    style = committed[0]["style"]["measures"]
    assert style["slant"]["intervals"]["z"][0] > style["slant"]["z_shuffled"][2]
    assert style["ink"]["intervals"]["label"][0] > style["slant"]["intervals"]["label"][1]
    assert style["ink"]["intervals"]["z"][0] > style["ink"]["z_shuffled"][2]  # "the thickness part stays with z"
