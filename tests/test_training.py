import json

import dcgan_lessons as dl
from dcgan_lessons.config import SettingsError
from dcgan_lessons.runs import RunError

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import QUICK, SLICE

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers

METRICS = {"d_loss", "g_loss", "d_real", "d_fake"}


def test_config_defaults_are_the_reports():
    c = dl.TrainConfig()
    assert (c.epochs, c.batch_size, c.lr, c.beta_1, c.alpha, c.latent_dim) == (35, 32, 3e-4, 0.5, 0.3, 100)


def test_paper_preset_changes_only_slope_and_rate():
    c = dl.make_config("paper", epochs=3)
    assert (c.alpha, c.lr, c.epochs, c.batch_size, c.preset) == (0.2, 2e-4, 3, 32, "paper")
    assert dl.make_config("paper", lr=1e-4).lr == 1e-4  # explicit values win over the preset


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(batch_size=0), "batch_size must be a whole number of at least 1"),
        (dict(epochs=-1), "epochs must be a whole number of at least 1"),
        (dict(lr=0.0), "lr must be positive"),
        (dict(precision="float16"), "unknown precision 'float16'"),
        (dict(subset=8), r"subset \(8\) must hold at least one batch"),
        (dict(label_smoothing=0.7), "label_smoothing must be in"),
    ],
)
def test_bad_values_are_refused_with_a_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        dl.make_config(**bad)


def test_unknown_parameter_and_preset():
    with pytest.raises(ValueError, match="unknown parameter.*lrate"):
        dl.make_config(lrate=1e-3)
    with pytest.raises(ValueError, match="unknown preset 'wgan'"):
        dl.make_config("wgan")


def test_run_folder_contract(short_run):
    path = short_run.path
    for name in ("config.json", "history.json", "snapshots.npz", "generator.keras", "discriminator.keras"):
        assert (path / name).is_file(), name
    assert sorted(p.name for p in (path / "checkpoints").iterdir()) == ["epoch_001.npz", "epoch_002.npz"]
    assert [p.name for p in short_run.sample_grids()] == ["epoch_001.png", "epoch_002.png"]
    assert not list(path.rglob(".*"))  # no temporary files left behind

    config = json.loads((path / "config.json").read_text())
    assert config["lr"] == 3e-4 and config["subset"] == 256 and config["steps_per_epoch"] == 8
    assert {"tensorflow", "keras", "dcgan_lessons"} <= set(config["versions"])
    assert config["threads"]["intra_op"] >= 1 and config["threads"]["cores"] >= 1

    history = short_run.history
    assert [e["epoch"] for e in history["epochs"]] == [1, 2]
    assert [e["steps"] for e in history["epochs"]] == [8, 16]
    assert set(history["epochs"][0]) == {"epoch", "steps", "seconds"} | METRICS
    assert [s["step"] for s in history["steps"]] == [2, 4, 6, 8, 10, 12, 14, 16]
    assert all(0 < s["d_real"] < 1 and 0 < s["d_fake"] < 1 and s["d_loss"] > 0 for s in history["steps"])
    # the step logs are interval means: they average back to the epoch's mean
    first = [s["d_loss"] for s in history["steps"][:4]]
    assert np.mean(first) == pytest.approx(history["epochs"][0]["d_loss"], rel=1e-4)


def test_the_thread_counts_that_decide_a_runs_last_bits_are_the_ones_tensorflow_uses(monkeypatch):
    from dcgan_lessons.runs import threads as _threads

    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: 0)
    assert _threads()["intra_op"] == 1  # the environment, as a sweep's workers are set
    monkeypatch.setattr(tf.config.threading, "get_intra_op_parallelism_threads", lambda: 3)
    assert _threads()["intra_op"] == 3  # set in code wins
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS", raising=False)
    monkeypatch.setattr(tf.config.threading, "get_inter_op_parallelism_threads", lambda: 0)
    assert _threads()["inter_op"] == _threads()["cores"]  # else one per core


def test_snapshots_follow_fixed_noise(short_run):
    snaps = short_run.snapshots()
    assert snaps.noise.shape == (40, 100) and snaps.noise.dtype == np.float32
    assert snaps.steps.tolist() == [0, 4, 8, 12, 16] and snaps.steps.dtype == np.int64
    assert snaps.images.shape == (5, 40, 28, 28) and snaps.images.dtype == np.uint8
    assert not np.array_equal(snaps.images[0], snaps.images[-1])  # the generator learned something
    # the last snapshot is the saved generator on the same noise, in inference mode
    again = dl.data.to_uint8(short_run.generator()(snaps.noise, training=False).numpy())
    assert np.abs(again.astype(int) - snaps.images[-1]).max() <= 1


def test_saved_models_load_with_keras(short_run):
    g = keras.saving.load_model(short_run.path / "generator.keras")
    d = keras.saving.load_model(short_run.path / "discriminator.keras")
    assert g.count_params() == 2_343_681 and d.count_params() == 213_633


def test_sample_gives_uint8_digits(short_run):
    images = dl.sample(short_run, n=7, seed=1)
    assert images.shape == (7, 28, 28) and images.dtype == np.uint8
    assert np.array_equal(images, dl.sample(short_run.path, n=7, seed=1))
    with pytest.raises(ValueError, match="n must be at least 1"):
        dl.sample(short_run, n=0)


def test_same_seed_same_run(short_run, tmp_path):
    again = dl.train(dl.make_config(**QUICK), tmp_path / "again", mnist_dir=SLICE, verbose=0)
    strip = lambda h: [{k: v for k, v in e.items() if k != "seconds"} for e in h["epochs"]]  # noqa: E731
    assert strip(again.history) == strip(short_run.history)


class _Interrupt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 3 and self._epoch == 1:
            raise KeyboardInterrupt

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch


def test_interrupted_run_keeps_its_checkpoint_and_resumes_exactly(short_run, tmp_path, monkeypatch):
    run_dir = tmp_path / "interrupted"
    real_fit = keras.Model.fit

    def fit_with_interrupt(self, *args, callbacks=(), **kwargs):
        return real_fit(self, *args, callbacks=[*callbacks, _Interrupt()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_with_interrupt)
    with pytest.raises(KeyboardInterrupt):
        dl.train(dl.make_config(**QUICK), run_dir, mnist_dir=SLICE, verbose=0)
    monkeypatch.undo()

    kept = dl.load_run(run_dir)
    assert len(kept.history["epochs"]) == 1 and not kept.complete
    assert [p.name for p in (run_dir / "checkpoints").iterdir()] == ["epoch_001.npz"]
    assert kept.generator().count_params() == 2_343_681  # the models of the last finished epoch

    resumed = dl.train(dl.make_config(**QUICK), run_dir, resume=True, mnist_dir=SLICE, verbose=0)
    a, b = short_run.generator().get_weights(), resumed.generator().get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert resumed.snapshots().steps.tolist() == short_run.snapshots().steps.tolist()
    assert [s["d_loss"] for s in resumed.history["steps"]] == [s["d_loss"] for s in short_run.history["steps"]]


def test_folder_with_a_run_is_not_overwritten(short_run):
    with pytest.raises(RunError, match="already holds a run.*--resume.*--overwrite"):
        dl.train(dl.make_config(**QUICK), short_run.path, mnist_dir=SLICE, verbose=0)
    with pytest.raises(SettingsError, match="holds other settings.*lr: stored 0.0003, asked 0.0002"):
        dl.train(dl.make_config(**{**QUICK, "lr": 2e-4}), short_run.path, resume=True, mnist_dir=SLICE)


def test_run_without_a_finished_epoch(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(RunError, match="has no generator.keras yet.*--resume"):
        dl.load_run(tmp_path).generator()


def test_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunError, match="holds files that are not a run.s .notes.txt.; nothing there is deleted"):
        dl.train(dl.make_config(**QUICK), tmp_path, mnist_dir=SLICE, verbose=0)
    with pytest.raises(RunError, match="is not a run folder: it has neither config.json nor snapshots.npz"):
        dl.load_run(tmp_path)
    with pytest.raises(RunError, match="does not exist"):
        dl.load_run(tmp_path / "missing")


def test_overwrite_replaces_a_run(tmp_path):
    run_dir = tmp_path / "run"
    quick = {**QUICK, "epochs": 1, "subset": 64}
    dl.train(dl.make_config(**quick), run_dir, mnist_dir=SLICE, verbose=0)
    run = dl.train(dl.make_config(**{**quick, "seed": 7}), run_dir, overwrite=True, mnist_dir=SLICE, verbose=0)
    assert run.config["seed"] == 7 and len(run.history["epochs"]) == 1


def test_minimax_and_smoothing_options_train(tmp_path):
    quick = {**QUICK, "epochs": 1, "subset": 64, "g_loss": "minimax", "label_smoothing": 0.1}
    run = dl.train(dl.make_config(**quick), tmp_path / "mm", mnist_dir=SLICE, verbose=0)
    assert run.config["g_loss"] == "minimax"
    assert all(s["g_loss"] < 0 for s in run.history["steps"])  # log(1 - D(G(z))) is negative
