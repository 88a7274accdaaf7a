"""The generator's debiased average (``ema_debiased``): an exact weighted mean of the steps taken, batch
normalization's statistics included, that resumes exactly."""

import dcgan_lessons as dl
from dcgan_lessons.gan import GeneratorAverage

import keras
import nbformat
import numpy as np
import pytest

from tests.conftest import QUICK, ROOT, SLICE


def small_generator() -> keras.Model:
    inputs = keras.Input((3,))
    x = keras.layers.Dense(4)(inputs)
    outputs = keras.layers.BatchNormalization()(x)
    return keras.Model(inputs, outputs)


def test_the_debiased_average_is_the_decay_weighted_mean_of_every_step_with_its_own_statistics():
    generator = small_generator()
    decay = 0.9
    average = GeneratorAverage(generator, decay, debiased=True)
    seen = []
    for step in range(5):
        generator.set_weights([np.full_like(w, float(step + 1)) for w in generator.get_weights()])
        seen.append(step + 1.0)
        average.update()
    weights = decay ** np.arange(len(seen))[::-1]
    expected = float(np.sum(weights * np.array(seen)) / np.sum(weights))  # no weight on the untrained generator
    for variable in average.model.weights:  # kernel, bias, BN's gamma, beta and its moving mean and variance
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5)
    assert int(average.count.numpy()) == 5

    plain = GeneratorAverage(small_generator(), decay)  # the stabiliser sweep's average copies BN's statistics
    raw = plain.model.get_weights()
    plain.update()
    moving = [i for i, w in enumerate(plain.model.weights) if not w.trainable]
    assert moving and all(np.array_equal(plain.model.get_weights()[i], raw[i]) for i in moving)


def test_debiased_needs_a_decay():
    with pytest.raises(ValueError, match="ema_debiased changes the generator's average: give its decay"):
        dl.make_config(ema_debiased=True)


@pytest.mark.slow
def test_the_debiased_average_resumes_exactly(tmp_path):
    settings = {**QUICK, "ema": 0.9, "ema_debiased": True}
    whole = dl.train(dl.make_config(**settings), tmp_path / "whole", mnist_dir=SLICE, verbose=0)
    first = dl.train(dl.make_config(**{**settings, "epochs": 1}), tmp_path / "resumed", mnist_dir=SLICE, verbose=0)
    resumed = dl.train(dl.make_config(**settings), first.path, resume=True, mnist_dir=SLICE, verbose=0)
    a, b = whole.generator(ema=True).get_weights(), resumed.generator(ema=True).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert np.array_equal(whole.snapshots(ema=True).images, resumed.snapshots(ema=True).images)
    assert not np.array_equal(whole.snapshots(ema=True).images[-1], whole.snapshots().images[-1])


def test_paired_differences_are_averaged_minus_raw_per_seed():
    from dcgan_lessons.averaging import MEASURES, paired

    rows = [
        {"raw": dict.fromkeys(MEASURES, 0.5), "averaged": {**dict.fromkeys(MEASURES, 0.5), "frechet": 0.5 - d}}
        for d in (0.1, 0.2, 0.3)
    ]
    compared = paired(rows)
    assert compared["frechet"]["differences"] == [-0.1, -0.2, -0.3] and compared["frechet"]["lower_in"] == 3
    assert compared["frechet"]["mean"] == pytest.approx(-0.2)
    assert compared["frechet"]["ci_low"] == pytest.approx(-0.2 - 4.302653 * 0.1 / 3**0.5, abs=1e-5)
    assert compared["score"]["differences"] == [0.0, 0.0, 0.0] and compared["score"]["lower_in"] == 0


@pytest.mark.slow
def test_side_by_side_judges_both_generators_of_one_run_on_its_last_part(tmp_path):
    from dcgan_lessons.averaging import side_by_side, window_start

    assert window_start(np.array([0, 4, 8, 12]), 1 / 3) == 2 and window_start(np.array([0, 4, 8, 12]), 1.0) == 0
    settings = {**QUICK, "ema": 0.9, "ema_debiased": True}
    run = dl.train(dl.make_config(**settings), tmp_path / "run", mnist_dir=SLICE, verbose=0)
    row = side_by_side(run, last_part=0.5)
    steps = row["curves"]["steps"]
    assert row["window"] == [steps[window_start(np.array(steps), 0.5)], steps[-1]] and row["decay"] == 0.9
    for name in ("raw", "averaged"):
        assert 0 <= row[name]["confident_switch_rate"] <= 1 and 0 <= row[name]["switching_z"] <= 1
        assert row[name]["frechet"] > 0 and 1 <= row[name]["score"] <= 10
    assert row["raw"] != row["averaged"]


def made_up_result(raw_rate: list[float], averaged_rate: list[float], frechet_gap: list[float]) -> dict:
    from dcgan_lessons.averaging import MEASURES

    rows = []
    for seed, (r, a, gap) in enumerate(zip(raw_rate, averaged_rate, frechet_gap, strict=True)):
        raw = {**dict.fromkeys(MEASURES, 0.2), "confident_switch_rate": r, "frechet": 20.0, "score": 7.0}
        raw["net_change"] = 0.1 + 0.01 * seed
        averaged = {**raw, "confident_switch_rate": a, "frechet": 20.0 + gap}
        rows.append({"seed": seed, "decay": 0.999, "window": [3750, 5625], "raw": raw, "averaged": averaged})
        rows[-1]["curves"] = {"steps": list(range(0, 5626, 125))}
    from dcgan_lessons.averaging import paired

    return {"last_part": 1 / 3, "runs": rows, "averaged_minus_raw": paired(rows)}


def test_findings_say_what_the_paired_tests_say():
    from dcgan_lessons.averaging import findings

    text = findings(made_up_result([0.040, 0.045, 0.050], [0.001, 0.0, 0.002], [-0.3, 0.4, 0.1]))
    assert "switch rate between confident digits: raw 4.5%, averaged 0.1%, lower (Holm p" in text
    assert "Frechet distance: raw 20.00, averaged 20.07, no difference beyond the seeds' noise" in text
    assert "its start: raw 11.0%, averaged 11.0%, equal in every seed" in text  # equal by design
    assert "switches less between close snapshots (between two snapshots it moves only 12% of the way" in text
    assert "cannot say that it drifts less" in text and text.endswith(
        "its quality is not worse beyond the seeds' noise."
    )

    mixed = findings(made_up_result([0.040, 0.01, 0.050], [0.041, 0.02, 0.030], [5.0, 6.0, 5.5]))
    assert "cannot say that the averaged generator switches less" in mixed and mixed.endswith("its quality is worse.")


def test_the_committed_experiment_is_what_notebook_08_says():
    """Notebook 08 shows the findings the committed raw_vs_average.json gives (docs/results.md renders the same:
    tests/test_results.py)."""
    from dcgan_lessons.averaging import findings, load

    result, _ = load(ROOT / "sweeps" / "averaging")
    assert [row["seed"] for row in result["runs"]] == [0, 1, 2] and result["runs"][0]["window"] == [3750, 5625]
    assert all(row["decay"] == 0.999 for row in result["runs"])
    notebook = nbformat.read(ROOT / "notebooks" / "08_taming_the_switch.ipynb", as_version=4)
    shown = " ".join(
        output.get("data", {}).get("text/markdown", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )
    assert " ".join(findings(result).split()) in " ".join(shown.split())
