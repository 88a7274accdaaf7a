"""Sweeps: tiny real runs on a local Dask cluster and on a scheduler and worker started over TCP, a
killed sweep resumed without duplicate rows, and bad specs refused before any run starts."""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time

from dcgan_lessons.stats import interval
from dcgan_lessons.sweep_runner import plan, sweep
from dcgan_lessons.sweeps import (
    FORMED_RATE,
    LOWER_IS_BETTER,
    MEASURES,
    against_control,
    draw_against_control,
    draw_summary,
    possible_difference,
    report,
    summarize,
    summary_table,
)

import numpy as np
import pytest

from tests.conftest import ROOT, SLICE

pytestmark = pytest.mark.slow

TINY = dict(epochs=1, subset=64, batch_size=32, snapshot_every=1, snapshot_size=20, xla=False, precision="float32")
SPEC = {
    "base": TINY,
    "conditions": [{"label": "control"}, {"label": "smooth", "label_smoothing": 0.1}],
    "seeds": [0, 1],
}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory):
    """2 conditions x 2 seeds of 2 training steps each, on a local cluster of two worker processes."""
    messages = []
    out = sweep(SPEC, tmp_path_factory.mktemp("sweep") / "local", workers=2, mnist_dir=SLICE, log=messages.append)
    return out, messages


def test_a_sweep_trains_and_judges_a_conditional_dcgan(tmp_path):
    """--conditional is a setting like the others: a sweep's condition trains the conditional players and judges
    their fixed (z, label) pairs."""
    spec = {"base": TINY, "conditions": [{"label": "conditional", "conditional": "concat"}], "seeds": [0]}
    out = sweep(spec, tmp_path / "conditional", workers=1, mnist_dir=SLICE, log=lambda message: None)
    (row,) = _rows(out)
    assert row["condition"] == "conditional" and row["config"]["conditional"] == "concat" and row["diverged"] is None
    assert 1 <= row["modes"] <= 10 and row["frechet"] > 0 and 0 <= row["switch_rate"] <= 1
    with np.load(out / row["run"] / "snapshots.npz") as snapshots:
        assert snapshots["labels"].tolist() == [i % 10 for i in range(20)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def tcp_cluster(tmp_path_factory):
    """A `dask scheduler` and one `dask worker` on 127.0.0.1; the worker knows MNIST only from its env."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = [os.path.join(os.path.dirname(sys.executable), "dask")]  # the venv's dask command
    logs = tmp_path_factory.mktemp("dask-logs")
    env = {**os.environ, "MNIST_DIR": str(SLICE), "TF_NUM_INTRAOP_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    started = []
    try:
        for name, args in (
            ("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"]),
            ("worker", ["worker", address, "--nthreads", "1", "--memory-limit", "0", "--no-dashboard"]),
        ):
            with open(logs / f"{name}.log", "w") as log:
                started.append(
                    subprocess.Popen(
                        dask + args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
        deadline = time.monotonic() + 60
        while True:  # the scheduler takes a moment to listen
            try:
                with Client(address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        yield address
    finally:
        for process in reversed(started):  # each in its own session: the worker's nanny child goes too
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


def _rows(out):
    return json.loads((out / "results.json").read_text())


def test_a_sweep_of_tiny_real_runs_on_a_local_cluster(local_sweep):
    out, messages = local_sweep
    rows = _rows(out)
    assert [(r["condition"], r["seed"]) for r in rows] == [("control", 0), ("control", 1), ("smooth", 0), ("smooth", 1)]
    for row in rows:
        assert set(MEASURES) <= set(row)
        assert row["steps"] == 2 and row["snapshots"] == 3 and row["n"] == 20  # the judge on 20 digits
        assert 1 <= row["modes"] <= 10 and 1 <= row["score"] <= 10 and row["frechet"] > 0
        assert 0 <= row["switch_rate"] <= 1 and row["diverged"] is None
        assert row["worker"].startswith("tcp://127.0.0.1:")
        assert row["config"]["seed"] == row["seed"] and row["config"]["subset"] == 64
        assert (out / row["run"] / "result.json").is_file() and (out / row["run"] / "snapshots.npz").is_file()
        if row["formed_step"] is None:  # two steps rarely draw all ten digits
            assert row["confident_switch_rate_formed"] is None
    assert {r["config"]["label_smoothing"] for r in rows if r["condition"] == "smooth"} == {0.1}
    assert any("0 runs done already" in m for m in messages) and any("[4/4]" in m for m in messages)

    summary = json.loads((out / "summary.json").read_text())
    assert [c["condition"] for c in summary["conditions"]] == ["control", "smooth"]
    for entry in summary["conditions"]:
        assert entry["runs"] == 2 and entry["diverged"] == 0
        steps, score = entry["measures"]["steps"], entry["measures"]["score"]
        assert steps == {"n": 2, "mean": 2.0, "sd": 0.0, "ci_low": 2.0, "ci_high": 2.0}
        assert score["ci_low"] <= score["mean"] <= score["ci_high"]
        seeds = [r["score"] for r in rows if r["condition"] == entry["condition"]]
        assert score["mean"] == pytest.approx(sum(seeds) / 2, abs=1e-6)
    lines = (out / "summary.csv").read_text().splitlines()
    assert lines[0] == "condition,measure,n,mean,sd,ci_low,ci_high" and len(lines) == 1 + 2 * len(MEASURES)

    compared = summary["against_control"]
    assert [(c["condition"], c["measure"]) for c in compared] == [("smooth", m) for m in LOWER_IS_BETTER]
    for row in compared:
        assert row["seeds"] == [2, 2] or row["measure"] == "confident_switch_rate_formed"
        if row["ci_low"] is not None:
            assert row["ci_low"] <= row["difference"] <= row["ci_high"]
            assert row["verdict"] in ("helps", "hurts", "can't tell")

    pngs = report(out)
    assert pngs == [out / "summary.png", out / "against_control.png"]
    assert all(png.read_bytes()[:4] == b"\x89PNG" for png in pngs)


def test_a_sweep_over_tcp_uses_the_workers_own_mnist(tcp_cluster, tmp_path):
    spec = {**SPEC, "conditions": [{"label": "paper", "preset": "paper"}], "seeds": [3]}
    out = sweep(spec, tmp_path / "tcp", scheduler=tcp_cluster, log=None)  # no mnist_dir: the worker's $MNIST_DIR
    (row,) = _rows(out)
    assert (row["condition"], row["seed"], row["steps"]) == ("paper", 3, 2)
    assert row["config"]["alpha"] == 0.2 and row["config"]["lr"] == 2e-4
    assert row["worker"].startswith("tcp://127.0.0.1:")
    assert json.loads((out / "summary.json").read_text())["conditions"][0]["measures"]["score"]["ci_low"] is None


def test_a_killed_sweep_resumes_only_what_is_missing(local_sweep, tcp_cluster, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(local_sweep[0], out)
    results = {r["run"]: out / r["run"] / "result.json" for r in _rows(out)}
    before = {run: path.stat().st_mtime_ns for run, path in results.items()}
    results["runs/smooth/seed_1"].unlink()
    (out / "results.json").unlink()
    messages = []
    sweep(SPEC, out, scheduler=tcp_cluster, log=messages.append)
    assert any("3 runs done already" in m for m in messages) and any("[1/1] smooth seed 1" in m for m in messages)
    rows = _rows(out)
    assert sorted((r["condition"], r["seed"]) for r in rows) == [
        ("control", 0),
        ("control", 1),
        ("smooth", 0),
        ("smooth", 1),
    ]
    after = {run: path.stat().st_mtime_ns for run, path in results.items()}
    assert {run for run in results if after[run] != before[run]} == {"runs/smooth/seed_1"}
    assert next(r for r in rows if r["run"] == "runs/smooth/seed_1")["steps"] == 2


def test_the_report_of_a_sweep_in_progress_counts_only_finished_runs(local_sweep, tmp_path):
    out = tmp_path / "running"
    shutil.copytree(local_sweep[0], out)
    (out / "runs" / "smooth" / "seed_1" / "result.json").unlink()  # still training
    stale = out / "runs" / "control" / "seed_1" / "result.json"  # trained with other settings than the spec's
    stale.write_text(json.dumps({**json.loads(stale.read_text()), "config": {"lr": 1.0}}))
    (out / "results.json").unlink()
    report(out)
    assert [(r["condition"], r["seed"]) for r in _rows(out)] == [("control", 0), ("smooth", 0)]
    summary = json.loads((out / "summary.json").read_text())
    assert [c["runs"] for c in summary["conditions"]] == [1, 1]
    assert all(row["verdict"] is None for row in summary["against_control"])  # one seed a side: no interval
    shutil.rmtree(out / "runs")
    (out / "spec.json").unlink()
    with pytest.raises(ValueError, match="holds no readable spec.json; run `dcgan-lessons sweep` into it first"):
        report(out)


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"base": {"epochs": 1, "warp": 9}, "conditions": [{"label": "a"}], "seeds": [0]}, "unknown parameter(s) warp"),
        ({"base": {}, "conditions": [{"label": "a", "lr": -1.0}], "seeds": [0]}, "condition 'a': lr must be positive"),
        ({"conditions": [], "seeds": [0]}, "the grid is empty: give at least one condition"),
        ({"conditions": [{"label": "a"}], "seeds": []}, "the grid is empty: give at least one seed"),
        ({"conditions": [{"label": "a"}, {"label": "a", "lr": 1e-4}], "seeds": [0]}, "label 'a' appears twice"),
        ({"conditions": [{"label": "a", "seed": 3}], "seeds": [0]}, "sets seed"),
        ({"base": {"epochs": True}, "conditions": [{"label": "a"}], "seeds": [0]}, "epochs must be a number, got true"),
        ({"conditions": [{"label": "a"}], "seeds": [2**32]}, "seeds must be whole numbers from 0 to 2**32 - 1"),
        (
            {"conditions": [{"label": "a", "batch_size": 10**9}], "seeds": [0]},
            "condition 'a': batch_size 1000000000 is larger than the 60000 training images",
        ),
    ],
)
def test_bad_specs_fail_before_any_run_starts(tmp_path, spec, message):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(ValueError) as err:
        sweep(path, tmp_path / "out", log=None)
    assert message in str(err.value) and str(err.value).startswith(str(path))
    assert not (tmp_path / "out").exists()


def test_bad_toml_and_the_committed_spec(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('seeds = [0]\n[[conditions]]\nlabel = "a"\n[[conditions]]\nlabel = "a"\nwarp = 1\n')
    with pytest.raises(ValueError, match="appears twice"):
        plan(bad)
    configs, seeds = plan(ROOT / "sweeps" / "stabilisers.toml")
    assert seeds == [0, 1, 2] and {"control", "label_smoothing", "paper"} <= set(configs)
    assert configs["paper"].alpha == 0.2 and configs["label_smoothing"].label_smoothing == 0.1
    assert all(c.epochs == 1 and c.snapshot_every == 125 for c in configs.values())
    configs, seeds = plan(ROOT / "sweeps" / "first_row.toml")
    tutorial = configs["tutorial"]
    assert seeds == [0, 1, 2] and (tutorial.batch_size, tutorial.lr, tutorial.epochs) == (256, 1e-4, 1)
    every_step = configs["report_every_step"]
    assert (every_step.batch_size, every_step.lr, every_step.log_every, every_step.snapshot_every) == (32, 3e-4, 1, 125)


def test_a_worker_without_mnist_is_named_once_not_retried(tmp_path, monkeypatch):
    from dcgan_lessons.sweep_runner import run_one

    monkeypatch.delenv("MNIST_DIR", raising=False)
    spec = {**SPEC, "conditions": [{"label": "a"}], "seeds": [0]}
    with pytest.raises(
        RuntimeError, match=r"a/seed_0 on worker tcp://127\.0\.0\.1:\d+: the worker has no MNIST"
    ) as err:
        sweep(spec, tmp_path / "out", log=None)
    assert str(err.value).count("the worker has no MNIST") == 1
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == []
    # the task returns the failure instead of raising it: Dask retries only what raised
    configs, _ = plan(spec)
    failed = run_one("a", 0, {**configs["a"].to_dict(), "seed": 0}, str(tmp_path / "run"))
    assert list(failed) == ["failed"] and "a/seed_0 on worker this process: the worker has no MNIST" in failed["failed"]


def test_a_sweep_folder_is_not_replaced_by_another_spec_unless_told(local_sweep, tmp_path):
    out = tmp_path / "other"
    shutil.copytree(local_sweep[0], out)
    before = {name: (out / name).read_bytes() for name in ("spec.json", "results.json", "summary.json")}
    other = {**SPEC, "conditions": [{"label": "control"}], "seeds": [5]}
    with pytest.raises(ValueError, match="holds another sweep's spec; nothing there was changed"):
        sweep(other, out, mnist_dir=SLICE, log=None)
    assert {name: (out / name).read_bytes() for name in before} == before
    (out / "spec.json").write_text("{")
    with pytest.raises(ValueError, match="holds a damaged spec.json; nothing there was changed"):
        sweep(other, out, mnist_dir=SLICE, log=None)
    (out / "spec.json").write_bytes(before["spec.json"])
    sweep(other, out, mnist_dir=SLICE, log=None, overwrite=True)
    assert [(r["condition"], r["seed"]) for r in _rows(out)] == [("control", 5)]
    assert len(_rows(out / ".previous-1")) == 4 and (out / ".previous-1" / "runs" / "smooth" / "seed_1").is_dir()
    assert (out / ".previous-1" / "spec.json").read_bytes() == before["spec.json"]


def test_one_sweep_at_a_time_writes_into_a_folder(tmp_path):
    import fcntl

    (tmp_path / "out").mkdir()
    with open(tmp_path / "out" / ".sweep.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        with pytest.raises(ValueError, match="another sweep is writing into .*out; wait for it or choose another"):
            sweep(SPEC, tmp_path / "out", mnist_dir=SLICE, log=None)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".sweep.lock"]


def test_an_unreachable_scheduler_is_named_before_anything_is_written(tmp_path, capsys):
    from dcgan_lessons.cli import main

    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps(SPEC))
        assert main(["sweep", str(spec), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1: " in capsys.readouterr().err
    assert not (tmp_path / "out" / "spec.json").exists()
    (tmp_path / "out" / "spec.json").write_text('{"seeds": [0]}')  # JSON, but not a sweep's
    assert main(["sweep-report", str(tmp_path / "out")]) == 2
    assert "holds a damaged sweep (KeyError: 'conditions')" in capsys.readouterr().err


def test_verdicts_against_the_control_come_from_welchs_interval():
    rows = [
        {"condition": "control", "switch_rate": 0.40, "score": 6.0},
        {"condition": "control", "switch_rate": 0.42, "score": 6.4},
        {"condition": "control", "switch_rate": 0.41, "score": 6.2},
        {"condition": "calmer", "switch_rate": 0.20, "score": 6.1},
        {"condition": "calmer", "switch_rate": 0.22, "score": 6.5},
        {"condition": "calmer", "switch_rate": 0.21, "score": 5.9},
    ]
    verdicts = {r["measure"]: r["verdict"] for r in against_control(rows, ["control", "calmer"])}
    assert verdicts["switch_rate"] == "helps"  # lower is better, and the interval is well below 0
    assert verdicts["score"] == "can't tell"  # the means differ by 0.033 with a spread of 0.3
    assert verdicts["frechet"] is None  # no runs have it
    rows += [{"condition": "worse", "switch_rate": r["switch_rate"] + 0.3} for r in rows[:3]]
    worse = against_control(rows, ["control", "calmer", "worse"])
    assert next(r for r in worse if r["condition"] == "worse" and r["measure"] == "switch_rate")["verdict"] == "hurts"
    assert against_control(rows, ["calmer", "worse"]) == []  # no control: nothing to compare with


def test_verdicts_are_corrected_for_all_the_comparisons_of_a_sweep():
    """A change that clears 0 at 95% on its own is called "helps" only if it survives Holm over all tests."""
    control = [0.40, 0.45, 0.50]
    rows = [{"condition": "control", "switch_rate": v} for v in control]
    rows += [{"condition": "a", "switch_rate": v - 0.13} for v in control]  # p 0.034: clears 0 alone
    rows += [{"condition": "b", "switch_rate": v - 0.3} for v in control]  # far below the control
    rows += [{"condition": "c", "switch_rate": v} for v in (0.41, 0.44, 0.52)]  # no change
    alone = against_control(rows[:6], ["control", "a"])
    first = next(r for r in alone if r["measure"] == "switch_rate")
    assert first["p"] == pytest.approx(0.034, abs=0.001)
    assert first["interval_says"] == "helps" and first["verdict"] == "helps" and first["p_holm"] == first["p"]
    every = against_control(rows, ["control", "a", "b", "c"])
    assert [r["p"] is not None for r in every] == [m == "switch_rate" for _ in "abc" for m in LOWER_IS_BETTER]
    rates = {r["condition"]: r for r in every if r["measure"] == "switch_rate"}
    # three tests: b's p is the smallest (times 3), a's the second (times 2)
    assert rates["a"]["p"] == first["p"] and rates["a"]["p_holm"] == pytest.approx(2 * first["p"], abs=1e-5)
    assert rates["a"]["interval_says"] == "helps" and rates["a"]["verdict"] == "can't tell"
    assert rates["b"]["verdict"] == "helps" and rates["c"]["verdict"] == "can't tell"


def test_the_against_control_figure_stays_within_what_a_difference_can_be():
    """Modes differ by at most 10; one failed seed's interval is cut at the edge instead of setting the scale."""
    seeds = {
        "control": [(10, 6.5, 40.0), (10, 6.4, 38.0), (10, 6.6, 36.0)],
        **{f"calm{k}": [(10, 6.6, 39.0 + k), (9, 6.5, 41.0), (10, 6.3, 37.0 - k)] for k in range(3)},
        "failed": [(10, 6.5, 40.0), (10, 6.4, 42.0), (1, 1.02, 356.0)],
    }
    rows = [
        {"condition": label, "seed": k, "modes": m, "score": s, "frechet": f, "switch_rate": 0.4, FORMED_RATE: None}
        for label, values in seeds.items()
        for k, (m, s, f) in enumerate(values)
    ]
    compared = against_control(rows, list(seeds))
    failed = {r["measure"]: r for r in compared if r["condition"] == "failed"}
    assert failed["modes"]["ci_low"] < -10 and failed["frechet"]["ci_high"] > 400  # the t interval itself
    assert possible_difference("modes") == (-10, 10) and possible_difference("frechet")[0] == -math.inf
    fig = draw_against_control(compared, "failed seed")
    limits = {ax.get_title().split("\n")[0]: ax.get_xlim() for ax in fig.axes}
    low, high = limits["modes covered (final)"]
    assert -11 <= low and high <= 11
    low, high = limits["Frechet distance (final)"]
    assert high - low < 50  # set by the calm intervals (about ±8), not by the failed seed's (about ±400)


def test_the_summary_table_shows_means_intervals_and_missing_values():
    summary = {
        "conditions": [
            {
                "condition": "control",
                "runs": 3,
                "measures": {"score": interval([6.0, 6.5, 7.0]), "frechet": interval([])},
            },
            {"condition": "ema", "runs": 1, "measures": {"score": interval([5.8]), "frechet": interval([153.0])}},
        ]
    }
    lines = summary_table(summary, {"score": "classifier score", "frechet": "Frechet"}).splitlines()
    assert lines[0] == "| condition | runs | classifier score | Frechet |"
    assert lines[2] == "| control | 3 | 6.5 [5.26, 7.74] | n/a |"  # 6.5 ± 4.3027 * 0.5 / sqrt(3)
    assert lines[3] == "| ema | 1 | 5.8 (1 seed) | 153 (1 seed) |" and len(lines) == 4
    failed = {"condition": "control", "runs": 3, "measures": {"modes": interval([10, 10, 1])}}  # 7 ± 22
    lines = summary_table({"conditions": [failed]}, {"modes": "modes"}).splitlines()
    assert lines[2] == "| control | 3 | 7 [0*, 10*] |"  # cut at what the measure can be, and starred
    assert lines[-1] == "\\* the t interval reaches past what the measure can be; cut there."


def test_the_summary_figure_stops_at_what_a_measure_can_be():
    """One dead seed stretches a three-seed t interval past 0 and 10 modes; the panels stop near the bounds."""
    seeds = [(10, 6.5, 40.0, 0.4), (10, 6.4, 38.0, 0.42), (1, 1.02, 356.0, 0.3)]
    rows = [
        {"condition": "control", "seed": k, "modes": m, "score": s, "frechet": f, "switch_rate": r, FORMED_RATE: None}
        for k, (m, s, f, r) in enumerate(seeds)
    ]
    summary = summarize(rows, ["control"])
    assert summary["conditions"][0]["measures"]["modes"]["ci_low"] < 0  # the interval itself is not cut
    fig = draw_summary(rows, summary, "dead seed")
    limits = {ax.get_title(): ax.get_ylim() for ax in fig.axes}
    assert limits["modes covered (final)"] == (-0.5, 10.5)
    assert limits["classifier score (final)"] == (1 - 0.45, 10 + 0.45)
    assert limits["Frechet distance (final)"][0] >= -0.05 * limits["Frechet distance (final)"][1]
    assert limits["Frechet distance (final)"][1] > 356  # no ceiling, and no other condition: the interval shows whole

    calm = [
        {**row, "condition": f"calm{c}", "seed": k, "frechet": row["frechet"] + k + c}
        for c in range(3)
        for k, row in enumerate(rows[:2] * 2)
    ]
    both = [*rows, *calm]
    labels = ["control", "calm0", "calm1", "calm2"]
    fig = draw_summary(both, summarize(both, labels), "dead seed beside three calm conditions")
    low, high = {ax.get_title(): ax.get_ylim() for ax in fig.axes}["Frechet distance (final)"]
    assert high < 100  # the failed seed (356) is drawn on the edge, not scaled to
