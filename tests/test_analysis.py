import json
import subprocess
import sys
from pathlib import Path

import dcgan_lessons as dl
from dcgan_lessons import analysis as an
from dcgan_lessons import claims, stats
from dcgan_lessons import judge as jd
from dcgan_lessons.cli import main
from dcgan_lessons.files import write_json, write_npz

import numpy as np
import pytest

STEPS = [0, 100, 200, 300, 400]
N = 20


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """Every test sees an empty cache, so the analysis uses the shipped judge."""
    monkeypatch.setenv(jd.CACHE_VARIABLE, str(tmp_path / "cache"))


def planted_labels() -> np.ndarray:
    """(S, N) true digits: z k draws digit k % 10, except the planted switches:
    z 0: 0 -> 8 by step 200; z 10: 0 -> 8 by step 400; z 8: 8 -> 0 by step 300;
    z 3: 3 -> 5 by step 100 and back 5 -> 3 by step 300."""
    labels = np.tile(np.arange(N) % 10, (len(STEPS), 1))
    labels[2:, 0] = 8
    labels[4:, 10] = 8
    labels[3:, 8] = 0
    labels[1:3, 3] = 5
    return labels


@pytest.fixture(scope="module")
def real_digits(mnist_slice_dir):
    """Real test digits by class, only those the judge labels right and surely (p > 0.9)."""
    mnist = dl.load_mnist(mnist_slice_dir)
    out = jd.load_judge(jd.ASSETS_DIR)(mnist.test_images)
    good = (out.labels == mnist.test_labels) & (out.confidence > 0.9)
    return {d: mnist.test_images[good & (mnist.test_labels == d)] for d in range(10)}


def make_run(folder, real_digits, labels=None):
    """A run folder with only config.json and snapshots.npz: snapshot s of z k is a real digit of
    class labels[s, k] (a different real image at every snapshot, so only the class is kept)."""
    labels = planted_labels() if labels is None else labels
    images = np.stack(
        [[real_digits[d][(k + s) % len(real_digits[d])] for k, d in enumerate(row)] for s, row in enumerate(labels)]
    )
    write_json(folder / "config.json", {"seed": 7, "preset": "made by hand"})
    noise = np.random.default_rng(0).standard_normal((labels.shape[1], 100)).astype(np.float32)
    write_npz(folder / "snapshots.npz", noise=noise, steps=np.array(STEPS, np.int64), images=images)
    return folder


def expected_matrix(before, after) -> list:
    matrix = [[0] * 10 for _ in range(10)]
    for i, j in zip(before, after, strict=True):
        matrix[i][j] += 1
    return matrix


def test_planted_switches_are_found_exactly(tmp_path, real_digits, capsys):
    run_dir = make_run(tmp_path / "run", real_digits)
    assert sorted(p.name for p in run_dir.iterdir()) == ["config.json", "snapshots.npz"]
    assert main(["analyze", str(run_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    labels = planted_labels()

    assert [s["step"] for s in result["snapshots"]] == STEPS
    for snap, row in zip(result["snapshots"], labels, strict=True):
        assert snap["hist"] == pytest.approx(np.bincount(row, minlength=10) / N)
        assert snap["modes"] == int(np.sum(np.bincount(row, minlength=10) >= 1))  # 1/20 = 5% is a mode
    pairs = [(t["from_step"], t["to_step"]) for t in result["transitions"]]
    assert pairs == list(zip(STEPS[:-1], STEPS[1:], strict=True))
    assert [t["switch_rate"] for t in result["transitions"]] == [1 / 20, 1 / 20, 2 / 20, 1 / 20]
    for t, transition in enumerate(result["transitions"]):
        assert transition["matrix"] == expected_matrix(labels[t], labels[t + 1])
    total = np.sum([expected_matrix(a, b) for a, b in zip(labels[:-1], labels[1:], strict=True)], axis=0)
    assert result["total"]["matrix"] == total.tolist()
    assert result["total"]["switches"] == {"0->8": 2, "3->5": 1, "5->3": 1, "8->0": 1}
    assert list(result["total"]["switches"])[0] == "0->8"  # most frequent first
    assert result["zero_eight"]["0->8"] == {
        "count": 2,
        "events": [{"z": 0, "from_step": 100, "to_step": 200}, {"z": 10, "from_step": 300, "to_step": 400}],
    }
    assert result["zero_eight"]["8->0"] == {"count": 1, "events": [{"z": 8, "from_step": 200, "to_step": 300}]}
    assert result["stability"]["confident"]["count"] + result["stability"]["uncertain"]["count"] == 4 * N
    assert result["final_step"] == 400 and result["score"] == result["snapshots"][-1]["score"]
    assert result["frechet"] == result["snapshots"][-1]["frechet"] > 0


def test_a_folder_with_only_float_snapshots_is_read_like_uint8(tmp_path, real_digits):
    uint8_run = make_run(tmp_path / "uint8", real_digits)
    with np.load(uint8_run / "snapshots.npz") as data:
        images = data["images"]
    expected = an.analyze_run(uint8_run).to_dict()
    for name, floats in (("tanh", images / 127.5 - 1), ("unit", images / 255.0)):
        folder = tmp_path / name
        folder.mkdir()
        np.savez(folder / "snapshots.npz", images=floats[..., None].astype(np.float32))  # no steps, no config
        result = an.analyze_run(folder).to_dict()
        assert [s["step"] for s in result["snapshots"]] == list(range(len(STEPS)))
        assert result["total"] == expected["total"]
        assert result["zero_eight"]["0->8"]["count"] == 2
    with pytest.raises(dl.runs.RunError, match="has no config.json"):
        assert dl.load_run(tmp_path / "tanh").config


def test_a_corrupt_snapshot_file_is_a_clear_error(tmp_path):
    (tmp_path / "snapshots.npz").write_bytes(b"not a zip")
    with pytest.raises(dl.runs.RunError, match="snapshots.npz cannot be read"):
        an.analyze_run(tmp_path)
    np.savez(tmp_path / "snapshots.npz", pictures=np.zeros((2, 3, 28, 28), np.uint8))
    with pytest.raises(dl.runs.RunError, match="has no `images` array"):
        an.analyze_run(tmp_path)


def test_lineage_follows_one_z(tmp_path, real_digits):
    analysis = an.analyze_run(make_run(tmp_path / "run", real_digits))
    lineage = analysis.lineage(0)
    assert lineage["labels"].tolist() == [0, 0, 8, 8, 8]
    assert lineage["steps"].tolist() == STEPS and lineage["images"].shape == (5, 28, 28)
    np.testing.assert_array_equal(lineage["images"][2], real_digits[8][2])
    with pytest.raises(ValueError, match="between 0 and 19"):
        analysis.lineage(20)
    strips = an.switch_lineages(analysis, width=3)
    assert [s["z"] for s in strips] == [0, 10]
    assert [s["labels"].tolist() for s in strips] == [[0, 8, 8], [0, 0, 8]]  # windows around each switch
    # no 1 -> 2 anywhere: the most frequent switch (0 -> 8, twice) is shown instead
    assert [s["z"] for s in an.switch_lineages(analysis, 1, 2, width=3)] == [0, 10]
    # from snapshot 2 on, 8 -> 0, 5 -> 3 and 0 -> 8 happen once each: the tie goes to the lowest pair, 0 -> 8 of z 10
    assert [s["z"] for s in an.switch_lineages(analysis, 4, 9, width=3, start=2)] == [10]
    assert [s["z"] for s in an.switch_lineages(analysis, 8, 0, width=3, start=2, threshold=0.5)] == [8]


def test_a_collapse_shows_in_the_histogram(tmp_path, real_digits):
    labels = planted_labels()
    labels[3:] = np.where(np.arange(N) % 2 == 0, 1, 7)  # from step 300 on: only 1s and 7s
    result = an.analyze_run(make_run(tmp_path / "run", real_digits, labels)).to_dict()
    assert [s["modes"] for s in result["snapshots"]][-2:] == [2, 2]
    assert result["snapshots"][-1]["kl_uniform"] == pytest.approx(np.log(5), abs=1e-6)
    assert result["transitions"][-1]["switch_rate"] == 0
    assert result["modes"] == 2


def test_the_summary_and_the_saved_analysis(tmp_path, real_digits, capsys):
    run_dir = make_run(tmp_path / "run", real_digits)
    assert main(["analyze", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "5 snapshots of the same 20 z" in out and "0->8: 2 switches (by steps 200, 400)" in out
    assert main(["analyze", str(run_dir), "--save"]) == 0
    names = {p.name for p in (run_dir / "analysis").iterdir()}
    assert {"analysis.json", "class_histogram.png", "switch_rate.png", "transitions.png", "lineages.png"} <= names
    saved = json.loads((run_dir / "analysis" / "analysis.json").read_text())
    assert saved["total"]["switches"]["0->8"] == 2


@pytest.mark.slow
def test_a_real_training_run_can_be_analyzed(short_run):
    result = an.analyze_run(short_run).to_dict()
    snaps = short_run.snapshots()
    assert [s["step"] for s in result["snapshots"]] == snaps.steps.tolist()
    assert len(result["transitions"]) == len(snaps.steps) - 1
    for t in result["transitions"]:
        assert np.sum(t["matrix"]) == result["n"] == snaps.images.shape[1]
        assert 0 <= t["switch_rate"] <= 1


def test_folders_that_are_no_runs_fail_clearly(tmp_path):
    write_json(tmp_path / "config.json", {})
    with pytest.raises(dl.runs.RunError, match="no snapshots.npz"):
        an.analyze_run(tmp_path)
    write_npz(tmp_path / "snapshots.npz", noise=np.zeros((2, 100)), steps=np.array([0]), images=np.zeros((1, 2, 8, 8)))
    with pytest.raises(dl.runs.RunError, match=r"images uint8 \(S, N, 28, 28\)"):
        an.analyze_run(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "dcgan_lessons", "analyze", str(tmp_path / "nothing"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0]


def test_compare_runs_sets_runs_side_by_side(tmp_path, real_digits):
    labels = planted_labels()
    labels[3:] = np.where(np.arange(N) % 2 == 0, 1, 7)
    rows = an.compare_runs(
        {"planted": make_run(tmp_path / "a", real_digits), "collapsed": make_run(tmp_path / "b", real_digits, labels)}
    )
    assert [r["run"] for r in rows] == ["planted", "collapsed"]
    planted, collapsed = rows
    assert planted["steps"] == 400 and planted["d_loss"] is None  # no history.json: losses unknown
    assert planted["formed_step"] == 0  # all ten digits from the first snapshot on
    assert planted["formed_switch_rate"] == pytest.approx((1 + 1 + 2 + 1) / 80)
    assert collapsed["formed_step"] == 0  # formed first, then collapsed to 1s and 7s: its switch rate shows it
    assert collapsed["formed_switch_rate"] > 3 * planted["formed_switch_rate"]
    assert (planted["modes"], collapsed["modes"]) == (10, 2)
    assert collapsed["score"] < planted["score"]


def test_a_run_with_one_snapshot_has_nothing_to_switch(tmp_path, real_digits):
    folder = tmp_path / "young"
    make_run(folder, real_digits)
    with np.load(folder / "snapshots.npz") as data:
        write_npz(folder / "snapshots.npz", noise=data["noise"], steps=data["steps"][:1], images=data["images"][:1])
    result = an.analyze_run(folder).to_dict()
    assert result["transitions"] == [] and result["total"]["switches"] == {}
    assert result["total"]["matrix"] == [[0] * 10] * 10 and result["zero_eight"]["0->8"]["count"] == 0
    assert "Only one snapshot" in claims.analysis_summary(result)


def test_confident_switches_are_listed_with_both_ends(tmp_path, real_digits):
    lab = an.analyze_run(make_run(tmp_path / "run", real_digits))
    assert lab.formed == 0
    events = lab.confident_switches()  # real digits the judge is sure of: every planted switch counts
    assert [(e["z"], e["from"], e["to"], e["to_step"]) for e in events] == [
        (3, 3, 5, 100),
        (0, 0, 8, 200),
        (3, 5, 3, 300),
        (8, 8, 0, 300),
        (10, 0, 8, 400),
    ]
    assert all(e["p_from"] >= 0.9 and e["p_to"] >= 0.9 for e in events)
    assert [e["z"] for e in lab.confident_switches(start=3)] == [10]  # from step 300 on
    assert lab.confident_switches(threshold=1.01) == []  # nobody is that sure
    assert lab.switch_rate_from(3) == pytest.approx(1 / 20)
    assert lab.switch_rate_from(0, threshold=1.01) is None


def test_formed_means_the_first_snapshot_with_all_ten_digits():
    assert an.formed_index([1, 7, 10, 9, 10]) == 2 and an.formed_index([3, 9]) is None


def test_settled_means_every_later_snapshot_has_all_ten_digits_near_real_ones():
    modes, frechet = [1, 10, 10, 9, 10, 10], [300.0, 40.0, 9.0, 8.0, 9.0, 6.0]
    assert an.settled_index(modes, frechet) == 4  # after the snapshot that lost a digit
    assert an.settled_index(modes, frechet, max_frechet=8.5) == 5
    assert an.settled_index(modes, frechet, max_frechet=5.0) is None  # never that close
    assert an.settled_index([10, 10], [5.0, 5.0]) == 0 and an.settled_index([10, 9], [5.0, 5.0]) is None


def flip_flop_run(flips: int = 40, per_pair: int = 3) -> an.RunAnalysis:
    """``per_pair`` z for each of the 90 ordered pairs switch i -> j once; z 270 flips 0 -> 8 -> 0 ... ``flips``
    times; z 271 switches 0 -> 8 between digits the judge is unsure of. Every other digit is sure (p = 1)."""
    steps = np.arange(flips + 1) * 100
    pairs = [(i, j) for i in range(10) for j in range(10) if i != j] * per_pair
    labels = np.zeros((len(steps), len(pairs) + 2), dtype=np.int64)
    for k, (i, j) in enumerate(pairs):
        labels[:, k] = np.where(np.arange(len(steps)) <= k % flips, i, j)
    labels[:, -2] = np.where(np.arange(len(steps)) % 2 == 0, 0, 8)
    labels[:, -1] = np.where(np.arange(len(steps)) < 5, 0, 8)
    confidence = np.ones(labels.shape)
    confidence[5, -1] = 0.6
    snapshots = [{"modes": 10, "frechet": 5.0}] * len(steps)
    return an.RunAnalysis(Path("made by hand"), steps, None, labels, confidence, snapshots)


def test_a_z_that_flips_back_and_forth_counts_once_per_pair():
    lab = flip_flop_run()
    pairs = lab.confident_pairs()
    expected = 3 * (np.ones((10, 10), dtype=np.int64) - np.eye(10, dtype=np.int64))
    expected[0, 8] += 1  # z 270 once each way; z 271 is unsure at its switch and left out
    expected[8, 0] += 1
    assert pairs.tolist() == expected.tolist()
    assert lab.confident_pairs(threshold=0.5)[0, 8] == 5  # a lenient judge counts z 271 too
    # counted per event, the flip-flopper alone makes 0 -> 8 look significant; counted per z it is not
    events = lab.matrices.sum(axis=0)
    assert events[0, 8] == 3 + 20 + 1 and events[8, 0] == 3 + 20
    assert {r["switch"]: r for r in stats.transition_excess(events)}["0->8"]["significant"]
    assert not any(r["significant"] for r in stats.transition_excess(pairs))


def test_excess_by_subset_asks_the_same_question_from_each_start_and_threshold():
    lab = flip_flop_run()
    rows = an.excess_by_subset(lab, {"all": 0, "late": 30}, thresholds=(0.0, 0.9))
    assert [(r["start"], r["step"], r["threshold"]) for r in rows] == [
        ("all", 0, 0.0),
        ("all", 0, 0.9),
        ("late", 3000, 0.0),
        ("late", 3000, 0.9),
    ]
    assert [r["watch"]["0->8"]["observed"] for r in rows[:2]] == [5, 4]  # z 271 only with the lenient judge
    assert rows[0]["cases"] == 273 and rows[0]["pairs"] == 90 and rows[0]["significant"] == 0
    late = rows[3]  # from step 3000 on: the 60 z that switch at k % 40 >= 30, and z 270 both ways
    assert late["cases"] == 62 and late["watch"]["0->8"]["observed"] == 1
    assert an.formed_starts(lab) == {
        "first all ten": 0,
        "formed for good": 0,
        "second half": 20,
        "Frechet ≤ 7 for good": 0,
    }
