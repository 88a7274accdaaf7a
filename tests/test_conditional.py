"""The conditional DCGAN (issue 27): models with the label, training, sampling a chosen digit, and the
unconditional path left as it was."""

from __future__ import annotations

import hashlib

import dcgan_lessons as dl
from dcgan_lessons import gan, models
from dcgan_lessons.cli import main
from dcgan_lessons.config import SettingsError, TrainConfig

import keras
import numpy as np
import pytest

from .conftest import QUICK, SLICE

pytestmark = pytest.mark.slow  # trains

LABELS = np.array([0, 3, 8, 9], dtype=np.int32)


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    """Two real epochs of a conditional DCGAN on the MNIST slice."""
    config = dl.make_config(**QUICK, conditional="concat")
    return dl.train(config, tmp_path_factory.mktemp("runs") / "conditional", mnist_dir=SLICE, verbose=0)


def test_parameter_counts_add_the_label_to_the_reports_models():
    assert models.build_conditional_generator().count_params() == 2_343_681 + 10 * 7 * 7 * 256  # one-hot -> Dense
    assert models.build_conditional_discriminator("concat").count_params() == 213_633 + 10 * 5 * 5 * 64  # channels
    assert models.build_conditional_discriminator("projection").count_params() == 213_633 + 10 * 7 * 7 * 128


@pytest.mark.parametrize("kind", ["concat", "projection"])
def test_the_discriminator_reads_the_label(kind):
    generator = models.build_conditional_generator(seed=1)
    discriminator = models.build_conditional_discriminator(kind, seed=1)
    noise = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
    images = np.asarray(generator([noise, LABELS], training=False))
    assert images.shape == (4, 28, 28, 1)
    same = np.asarray(discriminator([images, LABELS]))
    other = np.asarray(discriminator([images, (LABELS + 1) % 10]))
    assert same.shape == (4, 1) and not np.allclose(same, other)
    # the generator too: one z asked for two digits draws two images
    assert not np.allclose(images, np.asarray(generator([noise, (LABELS + 1) % 10], training=False)))


def test_an_unknown_discriminator_kind_is_named():
    with pytest.raises(ValueError, match="unknown conditional discriminator 'both'"):
        models.build_conditional_discriminator("both")
    with pytest.raises(SettingsError, match="unknown conditional 'eight'; choose one of concat, projection"):
        TrainConfig(conditional="eight")


def test_players_that_take_no_label_are_refused_for_a_conditional_config():
    with pytest.raises(ValueError, match="the generator takes 1 input.*conditional='concat'"):
        gan.build_gan(TrainConfig(conditional="concat", xla=False), generator=models.build_generator())


def test_labelled_batches_keep_the_unlabelled_order(mnist_slice_dir):
    mnist = dl.load_mnist(mnist_slice_dir)
    plain = list(dl.make_dataset(mnist.train_images, 32, seed=3, subset=128))
    labelled = list(dl.make_dataset(mnist.train_images, 32, seed=3, subset=128, labels=mnist.train_labels))
    assert len(plain) == len(labelled) == 4
    for images, (same, labels) in zip(plain, labelled, strict=True):
        assert np.array_equal(images, same) and labels.dtype == np.int32
    # each label belongs to its image: find the first image of the batch in MNIST
    first = np.rint(np.asarray(labelled[0][0][0, :, :, 0]) * 127.5 + 127.5).astype(np.uint8)
    index = next(i for i, image in enumerate(mnist.train_images) if np.array_equal(image, first))
    assert labelled[0][1][0] == mnist.train_labels[index]


def test_a_conditional_run_follows_fixed_z_and_label_pairs(conditional_run):
    assert conditional_run.config["conditional"] == "concat"
    snaps = conditional_run.snapshots()
    assert snaps.labels.tolist() == [i % 10 for i in range(40)]
    assert snaps.images.shape == (5, 40, 28, 28)
    # the last snapshot is the saved generator on the same (z, label) pairs
    again = gan.generate_uint8(conditional_run.generator(), snaps.noise, snaps.labels)
    assert np.abs(again.astype(int) - snaps.images[-1]).max() <= 1


def test_a_conditional_run_resumes_to_the_same_end(conditional_run, tmp_path):
    config = dl.make_config(**{**QUICK, "epochs": 1}, conditional="concat")
    dl.train(config, tmp_path / "r", mnist_dir=SLICE, verbose=0)
    resumed = dl.train(
        dl.make_config(**QUICK, conditional="concat"), tmp_path / "r", resume=True, mnist_dir=SLICE, verbose=0
    )
    assert np.array_equal(resumed.snapshots().images, conditional_run.snapshots().images)
    assert np.array_equal(resumed.snapshots().labels, conditional_run.snapshots().labels)


def test_sampling_asks_for_a_digit(conditional_run, short_run):
    eights = dl.sample(conditional_run, n=7, seed=2, label=8)
    assert eights.shape == (7, 28, 28) and eights.dtype == np.uint8
    assert not np.array_equal(eights, dl.sample(conditional_run, n=7, seed=2, label=0))
    mixed = dl.sample(conditional_run, n=20, seed=2)  # every digit in turn
    assert np.array_equal(mixed[8], dl.sample(conditional_run, n=20, seed=2, label=8)[8])
    for bad in (11, -1, "eight", True, 2.5):
        with pytest.raises(ValueError, match="label must be a digit from 0 to 9"):
            dl.sample(conditional_run, n=2, label=bad)
    with pytest.raises(ValueError, match="unconditional: it cannot be asked for a 8"):
        dl.sample(short_run, n=2, label=8)


@pytest.mark.parametrize("label", ["eight", "11", "-1"])
def test_the_command_line_refuses_a_bad_label_in_one_line(conditional_run, tmp_path, capsys, label):
    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(conditional_run.path), "--label", label, "--out", str(tmp_path / "x.npy")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--label: must be a digit from 0 to 9" in err


def test_the_command_line_samples_a_digit(conditional_run, tmp_path, capsys):
    assert (
        main(["sample", str(conditional_run.path), "--label", "8", "--n", "5", "--out", str(tmp_path / "8.npy")]) == 0
    )
    assert np.array_equal(np.load(tmp_path / "8.npy"), dl.sample(conditional_run, n=5, label=8))


def test_the_unconditional_models_start_from_the_same_weights_as_before_the_conditional_path():
    """The weights a default run starts from, digested before the conditional path was added (commit 729db17);
    the short-run comparison of the two versions, bit for bit, is in the closing note of issue 27."""
    keras.utils.set_random_seed(0)
    built = gan.build_gan(TrainConfig(seed=0, precision="float32", xla=False))
    digest = hashlib.sha256()
    for weight in built.generator.weights + built.discriminator.weights:
        digest.update(np.asarray(weight).tobytes())
    assert digest.hexdigest() == "80fb674d3cbf913fc927db4b58d07b14e6214d6468c65bbee20be056eff862f6"
