import subprocess
import sys

import dcgan_lessons as dl
from dcgan_lessons.cli import main

import numpy as np
import pytest

from tests.conftest import SLICE

pytestmark = pytest.mark.slow  # every test here trains, runs notebooks or starts servers


def test_train_then_sample_from_the_command_line(tmp_path, capfd):
    run_dir = tmp_path / "run"
    code = main(
        [
            "train",
            "--run-dir",
            str(run_dir),
            "--epochs",
            "1",
            "--subset",
            "64",
            "--snapshot-size",
            "20",
            "--lr",
            "2e-4",
            "--mnist-dir",
            str(SLICE),
        ]
    )
    assert code == 0
    out = capfd.readouterr().out
    assert "Done: 1 epochs, 2 steps" in out and "d_loss" in out
    assert "2/2 - " in out and "━" not in out  # not a terminal: one line per epoch, no progress bar
    run = dl.load_run(run_dir)
    assert run.config["lr"] == 2e-4 and run.config["speed"]["by"] == "rule"  # 2 steps: no probe, the CPU's rule
    assert (run.config["precision"], run.config["xla"]) in {("float32", True), ("mixed_bfloat16", False)}
    assert main(["sample", str(run_dir), "--n", "12", "--out", str(tmp_path / "digits.npy")]) == 0
    digits = np.load(tmp_path / "digits.npy")
    assert digits.shape == (12, 28, 28) and digits.dtype == np.uint8


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcgan_lessons", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--run-dir", "x", "--batch-size", "0"], "--batch-size: must be at least 1, got 0"),
        (["train", "--run-dir", "x", "--epochs", "-3"], "--epochs: must be at least 1, got -3"),
        (["train", "--run-dir", "x", "--preset", "wgan"], "invalid choice: 'wgan'"),
        (["train", "--run-dir", "x", "--lr", "-1"], "lr must be positive"),
        (["train", "--run-dir", "x", "--mnist-dir", "/no/such/folder"], "MNIST folder /no/such/folder"),
        (["sample", "/no/such/run", "--out", "x.npy"], "/no/such/run does not exist"),
        (
            ["sample", "run", "--out", "x.npy", "--seed", "-1"],
            "argument --seed: must be a whole number from 0 to 2**32",
        ),
    ],
)
def test_bad_values_get_one_clear_line(args, message):
    result = _cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_sample_refuses_a_folder_that_is_not_a_run(tmp_path):
    result = _cli("sample", str(tmp_path), "--out", str(tmp_path / "x.npy"))
    assert result.returncode == 2 and "is not a run folder" in result.stderr


def test_readme_lists_every_train_flag():
    import re

    from dcgan_lessons.cli import build_parser

    from tests.conftest import ROOT

    train = build_parser()._subparsers._group_actions[0].choices["train"]
    flags = {f for a in train._actions for f in a.option_strings if f.startswith("--") and f != "--help"}
    flags -= {"--run-dir"}
    readme = (ROOT / "README.md").read_text()
    listed = re.search(r"`dcgan-lessons train --help` lists every setting: `(.*?)`", readme, re.S).group(1)
    assert set(listed.replace("/", " ").split()) == flags


def test_every_config_field_has_a_flag_and_a_negative_seed_is_refused(capfd):
    import dataclasses

    from dcgan_lessons.cli import TRAIN_SETTINGS

    assert set(TRAIN_SETTINGS) == {f.name for f in dataclasses.fields(dl.TrainConfig)} - {"preset"}
    assert main(["train", "--run-dir", "x", "--seed", "-1"]) == 2
    assert "seed must be a whole number of at least 0" in capfd.readouterr().err


def test_sample_names_a_file_where_its_out_folder_should_be(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert main(["sample", str(tmp_path), "--out", str(tmp_path / "afile" / "x.npy")]) == 2
    assert (
        f"--out {tmp_path / 'afile' / 'x.npy'}: {tmp_path / 'afile'} is a file, not a folder" in capsys.readouterr().err
    )


def test_analyze_says_when_a_run_is_unfinished(short_run, tmp_path, capsys):
    import json
    import shutil

    run = tmp_path / "run"
    shutil.copytree(short_run.path, run)
    assert main(["analyze", str(run), "--json"]) == 0
    assert "Unfinished" not in capsys.readouterr().err
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "epochs": 5}))  # as while it trains towards 5
    assert main(["analyze", str(run), "--json"]) == 0
    printed = capsys.readouterr()
    json.loads(printed.out)  # the JSON on stdout stays JSON
    assert printed.err == "Unfinished: 2 of 5 epochs trained so far\n"
