"""Run folders under faults and bad input: nothing lost, nothing mixed, nothing faked, one clear line."""

import errno
import gzip
import json
import os
import subprocess
import sys

import dcgan_lessons as dl
from dcgan_lessons import runs, training
from dcgan_lessons.cli import main
from dcgan_lessons.data import MnistError, load_mnist, read_idx
from dcgan_lessons.files import write_json, write_npz
from dcgan_lessons.runs import LOCK, RunError, checkpoints, locked

import numpy as np
import pytest

from tests.conftest import QUICK, SLICE

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers

TINY = {**QUICK, "epochs": 1, "subset": 64}  # 2 steps an epoch


def _tiny(run_dir, **changes):
    return dl.train(dl.make_config(**{**TINY, **changes}), run_dir, mnist_dir=SLICE, verbose=0)


def _weights(run):
    return run.generator().get_weights()


def _same_weights(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(_weights(a), _weights(b), strict=True))


# --- the snapshot schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "steps, every, epochs, expected",
    [
        (8, None, 2, [2, 4, 6, 8, 10, 12, 14, 16]),  # four a quarter epoch apart, the last at the epoch's end
        (1875, None, 1, [468, 937, 1406, 1875]),
        (3, None, 1, [1, 2, 3]),  # fewer steps than four snapshots: each step once
        (3, 5, 3, [3, 5, 6, 9]),  # longer than an epoch: still every epoch's end
        (10, 4, 2, [4, 8, 10, 12, 16, 20]),  # not dividing the epoch
    ],
)
def test_every_epoch_ends_with_a_snapshot(steps, every, epochs, expected):
    config = dl.make_config(snapshot_every=every)
    got = [s for e in range(epochs) for s in training.snapshot_schedule(config, steps, e)]
    assert got == expected


def test_sample_grid_of_epoch_one_is_not_the_untrained_generator(tmp_path):
    run = _tiny(tmp_path / "run", epochs=2, subset=96, snapshot_every=5)  # 3 steps an epoch
    snaps = run.snapshots()
    assert snaps.steps.tolist() == [0, 3, 5, 6]
    from PIL import Image

    grid = np.asarray(Image.open(run.path / "samples" / "epoch_001.png"))
    assert np.array_equal(grid, dl.plots.tile(snaps.images[1][:100], columns=10))  # step 3, not step 0


# --- MNIST_DIR as the README writes it ------------------------------------------------------------


def test_relative_mnist_dir_is_read_from_the_shell_folder(tmp_path, monkeypatch):
    shell = tmp_path / "project"
    (shell / "notebooks").mkdir(parents=True)
    os.symlink(SLICE, tmp_path / "mnist")
    monkeypatch.setenv("MNIST_DIR", "../mnist")
    monkeypatch.setenv("PWD", str(shell))
    monkeypatch.chdir(shell)
    assert load_mnist().train_images.shape == (512, 28, 28)
    monkeypatch.chdir(shell / "notebooks")  # where nbval, papermill and JupyterLab start kernels
    assert load_mnist().train_images.shape == (512, 28, 28)
    monkeypatch.setenv("MNIST_DIR", "../nowhere")
    with pytest.raises(MnistError, match=f"{tmp_path}/nowhere .*from \\$MNIST_DIR"):
        load_mnist()


def test_damaged_deflate_stream_is_one_clear_error(tmp_path):
    data = bytearray(gzip.compress(b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + bytes(range(200)) * 50))
    data[30:40] = b"\xff" * 10  # inside the deflate stream
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(MnistError, match="cannot be read .*damaged"):
        read_idx(path)


# --- replacing and resuming runs ------------------------------------------------------------------


@pytest.fixture()
def old_run(tmp_path):
    return _tiny(tmp_path / "run", seed=3)


@pytest.mark.parametrize(
    "bad",
    [dict(mnist_dir=SLICE.parent / "missing"), dict(batch_size=100_000, subset=None)],
    ids=["bad MNIST folder", "no full batch"],
)
def test_overwrite_checks_everything_before_it_touches_the_old_run(old_run, bad):
    mnist_dir = bad.pop("mnist_dir", SLICE)
    before = sorted(p.name for p in old_run.path.rglob("*"))
    with pytest.raises((MnistError, ValueError)):
        dl.train(dl.make_config(**{**TINY, **bad}), old_run.path, overwrite=True, mnist_dir=mnist_dir, verbose=0)
    assert sorted(p.name for p in old_run.path.rglob("*")) == before
    assert dl.load_run(old_run.path).config["seed"] == 3


def test_a_failed_overwrite_gives_the_old_run_back(old_run):
    with pytest.raises(training.TrainingDiverged, match="diverged .*Nothing was saved.*smaller learning rate"):
        dl.train(dl.make_config(**{**TINY, "lr": 1e30}), old_run.path, overwrite=True, mnist_dir=SLICE, verbose=0)
    kept = dl.load_run(old_run.path)
    assert kept.config["seed"] == 3 and kept.complete and not (old_run.path / ".previous").exists()


def test_an_overwrite_killed_before_its_first_epoch_is_rolled_back(old_run):
    # what a kill leaves: the old run set aside, the new run's config without a finished epoch
    previous = old_run.path / ".previous"
    previous.mkdir()
    for path in list(old_run.path.iterdir()):
        if path.name != ".previous":
            path.rename(previous / path.name)
    write_json(old_run.path / "config.json", {**dl.load_run(previous).config, "seed": 9})
    with pytest.raises(RunError, match="already holds a run"):
        _tiny(old_run.path)
    assert dl.load_run(old_run.path).config["seed"] == 3 and not previous.exists()


def test_overwrite_never_deletes_what_is_not_a_run(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(RunError, match="not a run's .thesis.tex.; nothing there is deleted, even with --overwrite"):
        dl.train(dl.make_config(**TINY), tmp_path, overwrite=True, mnist_dir=SLICE, verbose=0)
    assert (tmp_path / "thesis.tex").read_text() == "years of work"
    (tmp_path / "config.json").write_text('{"name": "my web app"}')  # a config.json that is not a run's
    with pytest.raises(RunError, match="not a run's"):
        dl.train(dl.make_config(**TINY), tmp_path, overwrite=True, mnist_dir=SLICE, verbose=0)


def test_overwrite_keeps_unrelated_files_in_a_run_folder(old_run):
    (old_run.path / "notes.txt").write_text("mine")
    run = dl.train(dl.make_config(**TINY), old_run.path, overwrite=True, mnist_dir=SLICE, verbose=0)
    assert run.config["seed"] == 0 and (old_run.path / "notes.txt").read_text() == "mine"


def test_a_folder_without_a_finished_epoch_is_replaced_by_a_plain_rerun(tmp_path):
    with pytest.raises(ValueError, match="no full batch of 100000"):
        _tiny(tmp_path / "run", batch_size=100_000, subset=None)
    assert not (tmp_path / "run").exists()  # a failed setup leaves nothing
    (tmp_path / "run").mkdir()
    write_json(tmp_path / "run" / "config.json", {**dl.make_config(**TINY).to_dict(), "steps_per_epoch": 2})
    assert _tiny(tmp_path / "run").complete


def test_non_finite_settings_are_refused():
    for bad in (dict(lr=float("inf")), dict(alpha=float("inf")), dict(label_smoothing=float("nan")), dict(seed=-1)):
        with pytest.raises(ValueError, match="finite number|seed must be"):
            dl.make_config(**bad)


def test_a_run_that_diverges_stops_and_leaves_valid_json(tmp_path):
    with pytest.raises(training.TrainingDiverged, match="diverged at step"):
        _tiny(tmp_path / "run", lr=1e30)
    assert not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        write_json(tmp_path / "x.json", {"d_loss": float("nan")})


def test_resume_takes_the_settings_from_the_folder(tmp_path, capfd):
    run_dir = tmp_path / "run"
    base = ["--run-dir", str(run_dir), "--mnist-dir", str(SLICE), "--snapshot-size", "20"]
    assert main(["train", *base, "--epochs", "1", "--subset", "64", "--lr", "2e-4", "--no-xla"]) == 0
    capfd.readouterr()
    assert main(["train", "--run-dir", str(run_dir), "--mnist-dir", str(SLICE), "--resume"]) == 0
    out = capfd.readouterr().out
    assert "1 of 1 epochs done, nothing left to train" in out
    run = dl.load_run(run_dir)
    assert (run.config["epochs"], run.config["lr"], len(run.history["epochs"])) == (1, 2e-4, 1)

    assert main(["train", "--run-dir", str(run_dir), "--mnist-dir", str(SLICE), "--resume", "--epochs", "2"]) == 0
    assert "1 of 2 epochs done, continuing to epoch 2" in capfd.readouterr().out
    assert len(dl.load_run(run_dir).history["epochs"]) == 2

    assert main(["train", "--run-dir", str(run_dir), "--resume", "--epochs", "1"]) == 2
    assert "has 2 finished epochs; --epochs must be at least 2" in capfd.readouterr().err
    assert main(["train", "--run-dir", str(run_dir), "--resume", "--lr", "1e-3"]) == 2
    assert "lr: stored 0.0002, asked 0.001" in capfd.readouterr().err
    assert dl.load_run(run_dir).config["epochs"] == 2  # refused means untouched


# --- locks ----------------------------------------------------------------------------------------


def test_a_live_lock_refuses_and_a_stale_one_is_taken_over(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        import socket

        (tmp_path / LOCK).write_text(f"{socket.gethostname()} {sleeper.pid}")
        with pytest.raises(RunError, match=f"in use by another training .*{sleeper.pid}"):
            _tiny(tmp_path)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _tiny(tmp_path).complete  # its process is gone: the lock is stale
    assert not (tmp_path / LOCK).exists()


def test_two_trainings_into_one_folder_at_once(tmp_path):
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "dcgan_lessons", "train", "--run-dir", str(run_dir), "--epochs", "2"]
    args += ["--subset", "64", "--snapshot-size", "10", "--no-xla", "--mnist-dir", str(SLICE)]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen([*args, "--seed", "5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [p.communicate(timeout=300) for p in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 2], results
    refused = results[[first.returncode, second.returncode].index(2)][1]
    assert "in use by another training" in refused or "already holds a run" in refused
    run = dl.load_run(run_dir)
    assert run.complete and len(run.history["epochs"]) == 2  # one run, not two mixed


def test_lock_is_released_after_a_failure(tmp_path):
    with pytest.raises(RuntimeError), locked(tmp_path):
        raise RuntimeError("boom")
    assert not (tmp_path / LOCK).exists()


# --- a kill at every write of an epoch's end ------------------------------------------------------


class _Killed(BaseException):
    """Stands for SIGKILL: nothing in the package catches it."""


@pytest.mark.parametrize("kill_at", [0, 1, 3, 5], ids=["checkpoint", "snapshots", "generator", "history"])
def test_a_kill_at_any_write_resumes_to_the_uninterrupted_run(short_run, tmp_path, monkeypatch, kill_at):
    """Epoch 2's end writes: checkpoint, snapshots, sample grid, generator, discriminator, history."""
    writes = []

    def counting(real):
        def write(*args, **kwargs):
            writes.append(args[0])
            if len(writes) > 7 + kill_at:  # the first 7 writes are config.json and epoch 1's
                raise _Killed
            return real(*args, **kwargs)

        return write

    for module in (training, runs):  # training writes config.json, runs the files of an epoch's end
        for name in ("write_npz", "write_with", "write_json"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting(getattr(module, name)))
    run_dir = tmp_path / "run"
    with pytest.raises(_Killed):
        dl.train(dl.make_config(**QUICK), run_dir, mnist_dir=SLICE, verbose=0)
    monkeypatch.undo()
    assert not list(run_dir.rglob(".*.*"))  # no half-written file is left
    committed = kill_at > 0  # the checkpoint is the first write: after it, epoch 2 is saved
    assert max(checkpoints(run_dir)) == (2 if committed else 1)

    resumed = dl.train(None, run_dir, resume=True, mnist_dir=SLICE, verbose=0)
    assert resumed.complete and len(resumed.history["epochs"]) == 2
    assert _same_weights(resumed, short_run)
    assert resumed.history["steps"] == short_run.history["steps"]
    assert np.array_equal(resumed.snapshots().images, short_run.snapshots().images)


# --- one clear line for every failure -------------------------------------------------------------


def _one_line(capfd, *args) -> str:
    assert main(list(args)) == 2
    err = capfd.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_damaged_files_are_named(short_run, tmp_path, capfd):
    run_dir = tmp_path / "copy"
    import shutil

    shutil.copytree(short_run.path, run_dir)
    (run_dir / "generator.keras").write_bytes(b"not a zip")
    assert "generator.keras is damaged" in _one_line(capfd, "sample", str(run_dir), "--out", str(tmp_path / "x.npy"))
    newest = max(checkpoints(run_dir).values())
    newest.write_bytes(newest.read_bytes()[:1000])
    assert f"{newest} is damaged" in _one_line(
        capfd, "train", "--run-dir", str(run_dir), "--resume", "--epochs", "3", "--mnist-dir", str(SLICE)
    )
    (run_dir / "config.json").write_text("{not json")
    assert "config.json is damaged (not valid JSON" in _one_line(capfd, "train", "--run-dir", str(run_dir), "--resume")
    assert "is a folder; give a file name" in _one_line(capfd, "sample", str(short_run.path), "--out", str(tmp_path))
    file = tmp_path / "afile"
    file.write_text("x")
    assert "is a file, not a run folder" in _one_line(capfd, "sample", str(file), "--out", str(tmp_path / "x.npy"))
    err = _one_line(capfd, "train", "--run-dir", str(file), "--epochs", "1", "--mnist-dir", str(SLICE))
    assert "is a file, not a folder" in err


def test_full_disk_and_permissions_are_one_line(short_run, tmp_path, capfd, monkeypatch):
    from dcgan_lessons import files, runs

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.npy"))

    monkeypatch.setattr(files.tempfile, "mkstemp", full)
    err = _one_line(capfd, "sample", str(short_run.path), "--out", str(tmp_path / "x.npy"))
    assert "no space left on the device while writing" in err and "x.npy" in err
    monkeypatch.undo()

    def denied(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(runs.Path, "read_text", denied)
    assert "config.json cannot be read: permission denied" in _one_line(
        capfd, "train", "--run-dir", str(short_run.path), "--resume"
    )


def test_nan_pixels_are_refused_by_analyze(tmp_path, capfd):
    images = np.random.default_rng(0).uniform(-1, 1, (2, 20, 28, 28)).astype(np.float32)
    images[1, 3, 10, 10] = np.nan
    write_npz(tmp_path / "snapshots.npz", images=images)
    assert "1 NaN or infinite pixels" in _one_line(capfd, "analyze", str(tmp_path))


# --- memory: what scales is made in batches -------------------------------------------------------


def test_samples_come_in_bounded_batches_and_match_one_draw(short_run, tmp_path):
    batches = list(training.iter_samples(short_run, n=2500, seed=4, batch_size=1024))
    assert [len(b) for b in batches] == [1024, 1024, 452]
    assert np.array_equal(np.concatenate(batches)[:10], dl.sample(short_run, n=10, seed=4))
    assert main(["sample", str(short_run.path), "--n", "1500", "--out", str(tmp_path / "d.npy")]) == 0
    written = np.load(tmp_path / "d.npy")
    assert written.shape == (1500, 28, 28) and np.array_equal(written[:10], dl.sample(short_run, n=10))


def test_history_is_valid_json_for_every_run(short_run):
    json.loads((short_run.path / "history.json").read_text(), parse_constant=lambda c: pytest.fail(c))
