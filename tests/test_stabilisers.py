"""The stabilisers as settings: the generator's average (EMA), no batch normalization on D's input,
two learning rates, spectral normalization; each checked, recorded and resumable like the others."""

import dcgan_lessons as dl
from dcgan_lessons.cli import main
from dcgan_lessons.gan import build_gan

import keras
import numpy as np
import pytest

from tests.conftest import QUICK, SLICE


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(ema=1.0), r"ema \(the averaging decay\) must be in \(0, 1\)"),
        (dict(ema=float("nan")), "ema must be a finite number"),
        (dict(d_lr=-1e-4), "d_lr must be positive"),
        (dict(d_lr=float("inf")), "d_lr must be a finite number"),
        (dict(spectral_norm="yes"), "spectral_norm must be True or False"),
    ],
)
def test_bad_stabiliser_values_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        dl.make_config(**bad)


def test_discriminator_variants():
    report = dl.build_discriminator(seed=0)
    paper = dl.build_discriminator(seed=0, input_bn=False)
    assert report.count_params() == 213_633 and paper.count_params() == 213_633 - 4 * 64
    assert "down1_bn" in [layer.name for layer in report.layers] and "down1_bn" not in [
        layer.name for layer in paper.layers
    ]
    normed = dl.build_discriminator(seed=0, spectral_norm=True)
    trainable = sum(int(np.prod(w.shape)) for w in normed.trainable_weights)
    assert trainable == sum(
        int(np.prod(w.shape)) for w in report.trainable_weights
    )  # only the power-iteration vectors are new
    assert [layer.name for layer in normed.layers if layer.name.endswith("_sn")] == ["down1_sn", "down2_sn", "logit_sn"]


def test_two_learning_rates_and_the_d_variants_reach_the_models():
    gan = build_gan(dl.make_config(d_lr=4e-4, d_input_bn=False, spectral_norm=True, xla=False))
    assert float(gan.d_optimizer.learning_rate) == pytest.approx(4e-4)
    assert float(gan.g_optimizer.learning_rate) == pytest.approx(3e-4)
    assert "down1_bn" not in [layer.name for layer in gan.discriminator.layers]


@pytest.mark.slow
def test_the_average_leaves_the_raw_run_unchanged_and_resumes_exactly(short_run, tmp_path, capfd):
    config = dl.make_config(**{**QUICK, "ema": 0.9})
    averaged = dl.train(config, tmp_path / "ema", mnist_dir=SLICE, verbose=0)
    # the game is the same: raw history, raw snapshots and raw weights equal the run without --ema
    assert averaged.history["steps"] == short_run.history["steps"]
    assert np.array_equal(averaged.snapshots().images, short_run.snapshots().images)
    raw, ema = averaged.snapshots(), averaged.snapshots(ema=True)
    assert ema.images.shape == raw.images.shape and not np.array_equal(ema.images[-1], raw.images[-1])
    assert np.array_equal(ema.images[0], raw.images[0])  # at step 0 the average is the generator
    assert averaged.generator(ema=True).count_params() == 2_343_681
    assert dl.sample(averaged, n=5, ema=True).shape == (5, 28, 28)

    # stopped after epoch 1 and resumed: the average continues where it was
    first = dl.train(dl.make_config(**{**QUICK, "ema": 0.9, "epochs": 1}), tmp_path / "resumed", mnist_dir=SLICE)
    resumed = dl.train(config, first.path, resume=True, mnist_dir=SLICE, verbose=0)
    a, b = averaged.generator(ema=True).get_weights(), resumed.generator(ema=True).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))

    with pytest.raises(dl.runs.RunError, match="kept no average"):
        short_run.generator(ema=True)
    assert main(["sample", str(short_run.path), "--ema", "--out", str(tmp_path / "x.npy")]) == 2
    assert "kept no average of the generator" in capfd.readouterr().err
    assert keras.saving.load_model(averaged.path / "generator_ema.keras").name == "generator"
