"""``docs/results.md``: what the committed reference run and sweeps show, written from their data.

As lesson cells are synced from the package, one command writes this document (``dcgan-lessons results``) and a
test fails when it is stale, so no measured sentence can drift from the data. Every sentence comes from the
package's own renderers (:mod:`dcgan_lessons.claims`, :mod:`dcgan_lessons.averaging`,
:mod:`dcgan_lessons.report`), the ones the notebooks use. What only MNIST or minutes of computing give (the
judge's yardsticks, the reference run's fresh z, the 0 -> 8 tests on its 70,500 judged snapshots) is read from
``docs/measured.json``, which ``dcgan-lessons results --measure`` makes and slow tests measure again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from . import stats
from .reference import INSTALLED

PROJECT = INSTALLED.parent  # the repository the package was installed from: its committed runs and sweeps
RESULTS = PROJECT / "docs" / "results.md"
MEASURED = PROJECT / "docs" / "measured.json"
ROUNDS = 5_000  # permutation rounds for 0 -> 8, as notebook 06 shuffles in full settings
N = 500  # digits per judged set, as every run's snapshots hold
JUDGED = ("modes", "score", "kl_uniform", "confidence", "frechet")
CASES = {  # the judge's yardsticks beside real digits: name -> (digits, how many of each)
    "collapsed to two digits (real 1s and 7s, half each)": ((1, 7), N // 2),
    "collapsed to one digit (real 0s)": ((0,), N),
}
NOISE = "uniform noise pixels"


def _plain(data):
    """JSON's values only (numpy scalars made Python's), so what is rendered from a fresh measurement and from
    ``measured.json`` is the same."""
    return json.loads(json.dumps(data, default=lambda value: value.item()))


def _band(spread: list[float]) -> str:
    """A (mean, standard deviation) pair as "mean ± sd"."""
    return f"{spread[0]:.2f} ± {spread[1]:.2f}"


def _judged(metrics: dict) -> dict:
    return {key: metrics[key] for key in JUDGED}


def measure_judge(mnist_dir: str | os.PathLike | None = None, judge=None) -> dict:
    """The judge's accuracy on the 10,000 MNIST test digits, real held-out digits as the mean and spread of
    :data:`~dcgan_lessons.judge.REAL_SETS` sets of 500, and three collapsed or broken sets of 500 beside them."""
    from . import judge as jd
    from .data import load_mnist

    judge = judge or jd.load_judge()
    mnist = load_mnist(mnist_dir)
    held_out = jd.reference_split(len(mnist.test_images))[1]
    images, labels = mnist.test_images[held_out], mnist.test_labels[held_out]
    real = jd.real_sets(N, jd.REAL_SETS, judge, mnist_dir)
    cases = {
        name: _judged(jd.digit_metrics(np.concatenate([images[labels == d][:each] for d in digits]), judge))
        for name, (digits, each) in CASES.items()
    }
    noise = np.random.default_rng(0).integers(0, 256, (N, 28, 28), np.uint8)
    return _plain(
        {
            "accuracy": judge.accuracy(mnist.test_images, mnist.test_labels),
            "test_digits": len(mnist.test_images),
            "real": {"sets": len(real)} | {key: jd.spread(real, key) for key in JUDGED},
            "cases": cases | {NOISE: _judged(jd.digit_metrics(noise, judge))},
        }
    )


def measure_fresh(generator, n: int = N, judge=None) -> dict:
    """A generator's own noise: the mean and spread of the judge's score and Frechet distance over
    :data:`~dcgan_lessons.judge.FRESH_SETS` sets of ``n`` fresh z."""
    from . import judge as jd

    fresh = jd.fresh_sets(generator, n, judge=judge)
    return _plain({"sets": len(fresh)} | {key: jd.spread(fresh, key) for key in ("score", "frechet")})


def measure_zero_eight(analysis) -> dict:
    """The 0 -> 8 question on a run's judged snapshots (``analysis``: :func:`dcgan_lessons.analysis.analyze_run`):
    the switches between confident digits from where it formed its digits for good, against chance and by
    permutation, and on every subset of :func:`dcgan_lessons.analysis.excess_by_subset`."""
    from . import analysis as an

    start = analysis.settled()
    pairs = analysis.confident_pairs(start, an.CONFIDENT)
    return _plain(
        {
            "step": int(analysis.steps[start]),
            "threshold": an.CONFIDENT,
            "excess": stats.transition_excess(pairs),
            "rounds": ROUNDS,
            "permuted": stats.permutation_excess(pairs, rounds=ROUNDS),
            "subsets": an.excess_by_subset(analysis, an.formed_starts(analysis)),
        }
    )


def measure(mnist_dir: str | os.PathLike | None = None) -> dict:
    """Everything ``measured.json`` holds, measured anew (needs MNIST; a few minutes on 2 cores)."""
    from .analysis import analyze_run
    from .judge import load_judge
    from .runs import load_run

    judge = load_judge()
    run = load_run(INSTALLED)
    return {
        "judge": measure_judge(mnist_dir, judge),
        "reference_run": {
            "fresh": measure_fresh(run.generator(), run.snapshots().images.shape[1], judge),
            "zero_eight": measure_zero_eight(analyze_run(run, judge)),
        },
    }


def _read(path: Path):
    from .runs import read_json

    return read_json(path)


def _minutes(rows: list[dict]) -> list[float]:
    return sorted(row["seconds"] / 60 for row in rows)


def judge_section(measured: dict) -> str:
    """The judge's numbers on real, collapsed and noise digits: what a good and a broken generator look like."""
    real, cases = measured["real"], measured["cases"]
    lines = [
        "| 500 digits | modes covered | classifier score | KL to uniform | confidence | Frechet |",
        "|---|---|---|---|---|---|",
        f"| real test digits (held out from the Frechet reference; mean of {real['sets']} sets, Frechet ± sd) | "
        f"{real['modes'][0]:g} | {real['score'][0]:.2f} | {real['kl_uniform'][0]:.3f} | {real['confidence'][0]:.3f} "
        f"| {_band(real['frechet'])} |",
    ]
    for name, m in cases.items():
        lines.append(
            f"| {name} | {m['modes']} | {m['score']:.2f} | {m['kl_uniform']:.3f} | {m['confidence']:.3f} | "
            f"{m['frechet']:.1f} |"
        )
    noise = cases[NOISE]
    sure = noise["confidence"] >= real["confidence"][0]
    farthest = noise["frechet"] == max(m["frechet"] for m in cases.values())
    return "\n".join(
        [
            "## The judge",
            "",
            f"`dcgan-lessons analyze` judges digits with a small MNIST classifier shipped with the package; it labels "
            f"{measured['accuracy']:.2%} of the {measured['test_digits']:,} MNIST test digits right "
            "(`dcgan_lessons/judge.py` says how it was trained). What its numbers look like, always for N = 500 digits "
            "(the Frechet distance depends on N, so compare like with like). One set of digits is one draw, so real "
            f"digits are the mean of {real['sets']} held-out sets of 500, with the Frechet distance's spread from set "
            "to set:",
            "",
            *lines,
            "",
            (
                f"Noise shows why the Frechet distance matters: the judge is *sure* about noise (confidence "
                f"{noise['confidence']:.3f}, {noise['modes']} digit), so confidence alone cannot tell noise from "
                "digits; the distance to real digits' features can"
                + (", and it is the farthest of all here." if farthest else ".")
            )
            if sure
            else f"The judge is less sure of noise ({noise['confidence']:.3f}) than of real digits.",
        ]
    )


def _pairs_most_switched(matrix: list[list[int]], top: int = 3) -> str:
    """The ``top`` digit pairs that swapped most often, both directions together: "4 <-> 9, 7 <-> 9 and 3 <-> 5"."""
    m = np.asarray(matrix)
    pairs = sorted(((m[i, j] + m[j, i], i, j) for i in range(10) for j in range(i + 1, 10)), key=lambda p: -p[0])
    names = [f"{i} <-> {j}" for _, i, j in pairs[:top]]
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def against_report(history: dict) -> str:
    """How near a run's epoch means come to the report's logged rows: the first row apart, the others as the
    largest gap, and the last rows against ln 2, where both players' losses sit when D says 0.5 to everything."""
    from .report import compare_with_report
    from .stats import LN2

    rows = [r for r in compare_with_report(history) if r["run_d_loss"] is not None]
    if len(rows) < 2:
        return "The run has not reached the report's logged epochs after the first."
    first, later, ends = rows[0], rows[1:], rows[-2:]
    gap = {key: max(abs(r[f"run_{key}"] - r[f"report_{key}"]) for r in later) for key in ("d_loss", "g_loss")}
    names = ", ".join(str(r["epoch"]) for r in later[:-1]) + f" and {later[-1]['epoch']}"
    shown = lambda key, who: " and ".join(f"{r[f'{who}_{key}']:.3f}" for r in ends)  # noqa: E731
    balance = max(abs(r["report_d_loss"] - LN2) for r in ends)
    run_below = all(r["run_d_loss"] < LN2 < r["run_g_loss"] for r in ends)
    return (
        f"At epochs {names}, the report's logged epochs after the first, this run is within {gap['d_loss']:.3f} of "
        f"the report's d_loss and {gap['g_loss']:.3f} of its g_loss; at epoch {first['epoch']} it has "
        f"{first['run_d_loss']:.3f} and {first['run_g_loss']:.3f} against {first['report_d_loss']:.3f} and "
        f"{first['report_g_loss']:.3f}. At epochs {ends[0]['epoch']} and {ends[1]['epoch']} the report's d_loss is "
        f"{shown('d_loss', 'report')}, within {balance:.3f} of ln 2 = {LN2:.3f}; this run's d_loss is "
        f"{shown('d_loss', 'run')} and its g_loss {shown('g_loss', 'run')}"
        + (": its game stays a little short of the report's balance to the end." if run_below else ".")
    )


def reference_section(root: Path, measured: dict) -> str:
    """The reference run: how it was made and how long it took, what the judge sees in it, the report's log
    beside it, and the report's two claims (0 -> 8, more epochs) tested on it."""
    from . import claims
    from .analysis import SETTLED_FRECHET
    from .report import report_table

    folder = root / "reference-run"
    config, history = _read(folder / "config.json"), _read(folder / "history.json")
    result, epochs = _read(folder / "analysis" / "analysis.json"), _read(folder / "analysis" / "epochs.json")
    real, fresh, zero_eight = (
        measured["judge"]["real"],
        measured["reference_run"]["fresh"],
        measured["reference_run"]["zero_eight"],
    )
    minutes = [e["seconds"] / 60 for e in history["epochs"]]
    snaps, last, stability = result["snapshots"], epochs[-1], result["stability"]
    by_epoch = {e["epoch"]: e for e in epochs}
    at = [by_epoch[k] for k in (10, 20) if k in by_epoch and k < last["epoch"]]
    excess, subsets = zero_eight["excess"], zero_eight["subsets"]
    counts = {r["switch"]: r["observed"] for r in excess}
    total = result["total"]
    return "\n".join(
        [
            "## The reference run",
            "",
            f"`reference-run/` is a real run of the report's settings for {config['epochs']} epochs (batch "
            f"{config['batch_size']}, Adam {config['lr']:g} with beta_1 {config['beta_1']:g}, LeakyReLU "
            f"{config['alpha']:g}, seed {config['seed']}, {config['precision']} "
            f"{'with' if config['xla'] else 'without'} XLA) on the full MNIST, with snapshots of "
            f"{config['snapshot_size']} fixed z every quarter epoch. It was made on a 2-core Intel Xeon (AVX-512 with "
            "BF16 and AMX, no GPU) with",
            "",
            "```bash",
            f"MNIST_DIR=../shared/mnist dcgan-lessons train --run-dir runs/reference --epochs {config['epochs']} "
            f"--precision {config['precision']} {'--xla' if config['xla'] else '--no-xla'}",
            "```",
            "",
            f"The {len(minutes)} epochs took {sum(minutes) / 60:.2f} hours of wall time (`seconds` in `history.json`): "
            f"{min(minutes):.1f} to {max(minutes):.1f} minutes an epoch, median {np.median(minutes):.1f}.",
            "",
            "### What it shows",
            "",
            f"From `dcgan-lessons analyze reference-run --save` ({len(snaps)} snapshots of {result['n']} fixed z, a "
            "quarter epoch apart; `analysis/analysis.json`, and `analysis/epochs.json` with the judge's numbers at "
            "every epoch's last snapshot and, as their noise, the final generator's spread over fresh z): after "
            f"{last['epoch']} epochs the judge sees {result['modes']} of 10 digits (classifier score "
            f"{result['score']:.2f} of 10 on the fixed z, {_band(fresh['score'])} over {fresh['sets']} sets of 500 "
            f"fresh z, real test digits {_band(real['score'])} over {real['sets']} sets of 500; Frechet "
            f"{result['frechet']:.2f} on the fixed z, {_band(fresh['frechet'])} on fresh z, real test digits "
            f"{_band(real['frechet'])}; ± is one standard deviation from set to set"
            + "".join(f"; after {e['epoch']} epochs score {e['score']:.2f} and Frechet {e['frechet']:.2f}" for e in at)
            + f"), yet between two snapshots a quarter epoch apart **{result['transitions'][-1]['switch_rate']:.0%} of "
            f"the fixed z still change digit** (mean over the run {total['mean_switch_rate']:.0%}). 0 -> 8 happened "
            f"{result['zero_eight']['0->8']['count']} times and 8 -> 0 {result['zero_eight']['8->0']['count']} times; "
            f"the digits that swap most often are {_pairs_most_switched(total['matrix'])}. Digits the judge is sure of "
            f"(p >= {stability['threshold']:g}) switch {stability['confident']['switch_rate']:.0%} of the time, "
            f"uncertain ones {stability['uncertain']['switch_rate']:.0%}.",
            "",
            "### The report's log beside it",
            "",
            "The report's logged epochs beside this run's epoch means (`dcgan_lessons.report.report_table`, as "
            "notebooks 05 and 06 show it); the stabiliser and first-row sweeps below take up the first row.",
            "",
            report_table(history),
            "",
            against_report(history),
            "",
            claims.loss_trend(history, "The reference run"),
            "",
            '### "A sample can switch digit (0 -> 8)"',
            "",
            "It does. But is 0 -> 8 special? Asked of the report's phenomenon, a formed digit turning into another "
            "formed digit: switches between digits the judge is sure of at both ends (p >= "
            f"{zero_eight['threshold']:g}), from step {zero_eight['step']:,} on, where the run has formed its digits "
            "for good (every later snapshot covers all ten digits at a Frechet distance of at most "
            f"{SETTLED_FRECHET:g}), each z counted once per pair however often it flips back and forth, against a "
            "chance model that keeps how often each digit is left and entered, with Holm's correction for the "
            f"{len(excess)} pairs tested. There {counts.get('0->8', 0)} z "
            f"switched 0 -> 8 and {counts.get('8->0', 0)} 8 -> 0.",
            "",
            claims.is_special(excess),
            "",
            claims.permutation_check(excess, zero_eight["permuted"], zero_eight["rounds"]),
            "",
            'How the answer depends on where "formed" starts (the first snapshot with all ten digits, for good, the '
            "run's second half, or for good within Frechet 7) and on how sure the judge must be (notebook 06 shows the "
            "same table):",
            "",
            claims.excess_table(subsets),
            "",
            " ".join(claims.excess_robustness(subsets, key) for key in ("0->8", "8->0")),
            "",
            '### "More epochs need not help"',
            "",
            claims.quality_over_epochs(epochs),
        ]
    )


def _sweep(folder: Path) -> tuple[list[dict], dict, dict]:
    from .sweeps import histories, load_sweep

    rows, summary = load_sweep(folder)
    return rows, summary, histories(folder, rows)


def stabilisers_section(root: Path) -> str:
    """The stabiliser sweep: which settings make the report's DCGAN switch less after one epoch."""
    from . import sweep_claims
    from .report import REPORT_LOG
    from .sweeps import MEASURE_NAMES

    rows, summary, histories = _sweep(root / "sweeps" / "stabilisers")
    minutes = _minutes(rows)
    conditions = summary["conditions"]
    seeds = sorted({row["seed"] for row in rows})
    return "\n".join(
        [
            "## The stabiliser sweep",
            "",
            "Which settings make the report's DCGAN switch digits less? `sweeps/stabilisers/` holds a measured answer "
            f"for the first epoch: the report's model trained for one full epoch of MNIST ({rows[0]['steps']:,} steps) "
            f"under {len(conditions)} conditions, {len(seeds)} seeds each ({len(rows)} runs), every run judged on 500 "
            "fixed z every 125 steps. The control is the report's settings; each other condition changes one thing "
            "(the paper's preset two): one-sided label smoothing (real labels 0.9), the DCGAN paper's preset "
            "(LeakyReLU 0.2, Adam 2e-4), an exponential moving average of G's weights (decay 0.999; the average is "
            "judged), no batch normalization on D's input layer (the paper's rule), two time scales (D at 4e-4) and "
            "spectral normalization on D. Notebook 08's part 3 reads it; one command reproduces it:",
            "",
            "```bash",
            "MNIST_DIR=../shared/mnist dcgan-lessons sweep sweeps/stabilisers.toml --out runs/sweeps/stabilisers "
            "--workers 1",
            "```",
            "",
            f"The {len(rows)} runs took {sum(minutes) / 60:.1f} hours of training in all on the 2-core AMD EPYC CPU "
            f"(`seconds` in `results.json`): {minutes[0]:.0f} minutes a run at the fastest, {np.median(minutes):.0f} "
            f"minutes the median, and up to {minutes[-1]:.0f} minutes for the first two, which ran side by side (two "
            "workers of one thread each) while the machine did other work. The runs ran partly with two workers of one "
            "thread, partly with one worker of two threads, so they cannot be repeated bit for bit (the thread count "
            "sets the order of floating-point sums).",
            "",
            sweep_claims.sweep_findings(summary["against_control"], MEASURE_NAMES),
            "",
            sweep_claims.cut_off_generators(rows, histories),
            "",
            sweep_claims.average_lag(rows),
            "",
            sweep_claims.first_row_against(rows, histories, REPORT_LOG[0][1:]),
        ]
    )


def first_row_section(root: Path) -> str:
    """The first-row sweep: which plausible difference could give the report's epoch-1 losses."""
    from . import sweep_claims
    from .report import REPORT_LOG

    rows, _, histories = _sweep(root / "sweeps" / "first_row")
    minutes = _minutes(rows)
    medians = {
        condition: float(np.median([r["seconds"] / 60 for r in rows if r["condition"] == condition]))
        for condition in dict.fromkeys(r["condition"] for r in rows)
    }
    return "\n".join(
        [
            "## The first-row sweep",
            "",
            "Which plausible difference could give the report's first row? `sweeps/first_row/` "
            "(`sweeps/first_row.toml`, every step's losses kept) tries the TensorFlow DCGAN tutorial's batch 256 and "
            "Adam 1e-4 (`tutorial`), and the report's own settings read as a log of each epoch's last batch, which is "
            "what Keras shows when a `train_step` returns a batch's raw losses instead of updating `Mean` trackers "
            f"(`report_every_step`); {len({r['seed'] for r in rows})} seeds each. The {len(rows)} runs took "
            f"{sum(minutes) / 60:.1f} hours of training ("
            + ", ".join(f"{m:.0f} minutes a {c} run" for c, m in medians.items())
            + ", the median).",
            "",
            sweep_claims.first_row_candidates(rows, histories, REPORT_LOG[0][1:]),
        ]
    )


def averaging_section(root: Path) -> str:
    """The averaging experiment: the raw generator against its debiased average, judged side by side."""
    from .averaging import findings, load

    folder = root / "sweeps" / "averaging"
    result, _ = load(folder)
    rows = _read(folder / "results.json")
    minutes = _minutes(rows)
    return "\n".join(
        [
            "## The averaging experiment",
            "",
            "Does an average of G's weights tame the switch? The stabiliser sweep cannot say: after one epoch its "
            "average still carries the untrained generator (above). `sweeps/averaging/` asks it so that the data can "
            f"answer: {len(result['runs'])} runs of the report's settings for {rows[0]['config']['epochs']} epochs "
            f"({rows[0]['steps']:,} steps each), each keeping a debiased average beside the "
            "raw generator (`--ema 0.999 --ema-debiased`: the average starts from nothing and is divided by "
            "1 - 0.999^t, and it averages batch normalization's statistics with the weights), both generators drawing "
            "the same 500 fixed z every 125 steps. `dcgan-lessons sweep-report` judges the two side by side "
            "(`raw_vs_average.json`; notebook 08 draws it). The folder holds that file, the sweep's results and "
            "summary and each run's `config.json`, `history.json` and `result.json` (no models or snapshots). To make "
            "it again:",
            "",
            "```bash",
            "MNIST_DIR=../shared/mnist dcgan-lessons sweep sweeps/averaging.toml --out runs/sweeps/averaging "
            "--workers 1",
            "dcgan-lessons sweep-report runs/sweeps/averaging",
            "```",
            "",
            f"The {len(minutes)} runs took {sum(minutes):.0f} minutes of training in all ({minutes[0]:.0f} to "
            f"{minutes[-1]:.0f} minutes a run) on a 2-core AMD EPYC with AVX-512, in float32 without XLA.",
            "",
            findings(result),
        ]
    )


HEADER = """# What the committed runs and sweeps show

<!-- Written by `dcgan-lessons results` from the committed data; do not edit: tests/test_results.py fails when this
file and the data disagree. -->

Every number below is computed from the data committed beside the notebooks: `reference-run/`, `sweeps/*/` and
`docs/measured.json` (what needs MNIST or minutes: the judge on real digits, the reference run's generator on fresh
z and its 0 -> 8 tests; `dcgan-lessons results --measure` makes it again, and slow tests measure it anew). The
notebooks render the same sentences with the same functions. Noise: "± sd" is one standard deviation from set to
set; comparisons over seeds use the seeds' spread, and many comparisons at once are corrected with Holm's method."""


def render(root: Path = PROJECT) -> str:
    """The whole document, from the committed data under ``root``: a few seconds, no MNIST."""
    measured = _read(root / "docs" / "measured.json")
    sections = [
        HEADER,
        judge_section(measured["judge"]),
        reference_section(root, measured),
        stabilisers_section(root),
        first_row_section(root),
        averaging_section(root),
    ]
    return "\n\n".join(sections) + "\n"


def write(out: str | os.PathLike = RESULTS, measure_first: bool = False) -> Path:
    """Write the document to ``out``; with ``measure_first``, make ``docs/measured.json`` anew first."""
    from .files import atomic_path, write_json

    if measure_first:
        write_json(MEASURED, measure())
    with atomic_path(out) as tmp:
        tmp.write_text(render())
    return Path(out)


def stale(out: str | os.PathLike = RESULTS) -> bool:
    """Does ``out`` differ from what the committed data give now?"""
    path = Path(out)
    return not path.is_file() or path.read_text() != render()
