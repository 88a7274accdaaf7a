"""Sweeps: many runs, one table. Each (condition, seed) of a spec is a full run folder, trained and judged
as a Dask task, and the results are summarised per condition with 95% confidence intervals across seeds.

A spec (TOML or JSON) names a ``base`` (a preset and TrainConfig overrides), the ``conditions`` to compare
(each a unique ``label`` plus its changes; a condition's ``preset`` replaces the base's) and the ``seeds``::

    seeds = [0, 1, 2]

    [base]
    epochs = 1

    [[conditions]]
    label = "control"

    [[conditions]]
    label = "smoothing"
    label_smoothing = 0.1

The sweep folder DIR holds ``runs/<label>/seed_<n>/`` (a run folder plus its ``result.json``),
``results.json`` (one row per run), ``summary.json`` and ``summary.csv``; ``dcgan-lessons sweep-report DIR``
draws ``summary.png``. A run is finished once its ``result.json`` is in place (written atomically), so a
sweep that is killed and started again skips finished runs, resumes partly trained ones from their
checkpoints, and builds ``results.json`` from those files: a task Dask retries never adds a row twice.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .cluster import check_cluster, dask_client
from .config import TrainConfig, make_config
from .data import MNIST_DIR_VARIABLE, MnistError
from .files import write_json, write_with
from .runs import RunError, finished_epochs, read_json
from .stats import difference, holm, interval, verdict
from .stats import t_quantile as t_quantile  # notebook 08's ex22 says dl.sweeps.t_quantile (until it says dl.stats)

RESULT = "result.json"
RESULTS = "results.json"
SUMMARY = "summary.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_PNG = "summary.png"
SPEC_JSON = "spec.json"
LOCK = ".sweep.lock"  # held by the sweep writing into the folder
MNIST_TRAIN_IMAGES = 60_000
RETRIES = 2  # a task that raised is run again this often; a lost worker's task is rescheduled by the scheduler

FORMED_RATE = "confident_switch_rate_formed"  # None for a run that never formed all ten digits
# What each result row measures, and what summary.json averages over seeds.
MEASURES = (
    "steps",
    "seconds",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "modes",
    "score",
    "frechet",
    "switch_rate",
    "formed_step",
    FORMED_RATE,
)


class Measure(NamedTuple):
    """A measure compared across conditions, as figures, tables and sentences show it."""

    panel: str  # title of its panel in the figures
    name: str  # its name in tables and sentences
    lower_is_better: bool
    bounds: tuple[float, float | None]  # what it can be (None: no upper limit); a t interval can reach past it


COMPARED = {
    "switch_rate": Measure("switch rate over the run", "switch rate (whole run)", True, (0, 1)),
    FORMED_RATE: Measure(
        "confident switch rate\nafter digits formed", "confident switch rate after forming", True, (0, 1)
    ),
    "modes": Measure("modes covered (final)", "modes", False, (0, 10)),
    "score": Measure("classifier score (final)", "classifier score", False, (1, 10)),
    "frechet": Measure("Frechet distance (final)", "Frechet distance", True, (0, None)),
}
PANELS = {key: measure.panel for key, measure in COMPARED.items()}
LOWER_IS_BETTER = {key: measure.lower_is_better for key, measure in COMPARED.items()}
# What tables and sentences call the measures (notebook 08, the README): the compared ones and when digits formed.
MEASURE_NAMES = {key: measure.name for key, measure in COMPARED.items()} | {"formed_step": "formed at step"}
AGAINST_CONTROL_PNG = "against_control.png"
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SPEC_KEYS = {"base", "conditions", "seeds"}


class SweepError(RunError):
    """A run of a sweep failed; the message names the run and the worker."""


# ---------------------------------------------------------------------------------------------- the spec


def read_spec(spec: str | os.PathLike | dict) -> dict:
    """A spec from a TOML or JSON file (by its suffix), or a dict as it is."""
    if isinstance(spec, dict):
        return spec
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"sweep spec {path} does not exist; give a .toml or .json file")
    text = path.read_text()
    try:
        if path.suffix == ".json":
            return json.loads(text)
        if path.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            return tomllib.loads(text)
    except ValueError as err:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
        raise ValueError(f"{path} is not valid {path.suffix[1:].upper()}: {err}") from None
    raise ValueError(f"sweep spec {path} must end in .toml or .json")


def plan(spec: str | os.PathLike | dict) -> tuple[dict[str, TrainConfig], list[int]]:
    """Check a spec and return each condition's config (seed 0) and the seeds. Every problem is found
    before any run starts and reported as one ValueError, one line per problem."""
    where = f"{spec}: " if not isinstance(spec, dict) else ""
    data = read_spec(spec)
    if not isinstance(data, dict):
        raise ValueError(f"{where}a sweep spec holds base, conditions and seeds")
    problems = [f"unknown key(s) {', '.join(sorted(set(data) - _SPEC_KEYS))}; a spec holds base, conditions, seeds"]
    problems = problems if set(data) - _SPEC_KEYS else []
    base, conditions, seeds = data.get("base", {}), data.get("conditions", []), data.get("seeds", [])
    if not isinstance(base, dict):
        problems.append("base must be a table of settings")
        base = {}
    if not isinstance(conditions, list) or not conditions:
        problems.append("the grid is empty: give at least one condition ([[conditions]] with a label)")
        conditions = []
    if not isinstance(seeds, list) or not seeds:
        problems.append("the grid is empty: give at least one seed (seeds = [0, 1, 2])")
    elif not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**32 for s in seeds):
        problems.append(f"seeds must be whole numbers from 0 to 2**32 - 1, got {seeds!r}")
    elif len(set(seeds)) != len(seeds):
        problems.append(f"seeds must differ, got {seeds!r}")
    if "seed" in base:
        problems.append("base sets seed; the seeds of a sweep are its seeds list")
    configs: dict[str, TrainConfig] = {}
    for k, condition in enumerate(conditions):
        if not isinstance(condition, dict) or not isinstance(condition.get("label"), str):
            problems.append(f'condition {k + 1} has no label; give each condition a label = "..."')
            continue
        changes = {key: value for key, value in condition.items() if key != "label"}
        label = condition["label"]
        if not _LABEL.fullmatch(label):
            problems.append(f"condition label {label!r} must be letters, digits, '.', '_' or '-' (it names a folder)")
        elif label in configs:
            problems.append(f"condition label {label!r} appears twice; labels must be unique")
        elif "seed" in changes:
            problems.append(f"condition {label!r} sets seed; the seeds of a sweep are its seeds list")
        else:
            settings = {**base, **changes}
            try:
                configs[label] = make_config(settings.pop("preset", "report"), **settings)
            except (ValueError, TypeError) as err:
                problems.append(f"condition {label!r}: {err}")
                continue
            problems += [f"condition {label!r}: {problem}" for problem in _values(configs[label])]
    if problems:
        raise ValueError("\n".join(where + problem for problem in problems))
    return configs, list(seeds)


def _values(config: TrainConfig) -> list[str]:
    """What TrainConfig lets through but every run would fail on: true/false as a number, a batch larger than
    the training images."""
    import dataclasses

    problems = [
        f"{field.name} must be a number, got {str(value).lower()}"
        for field in dataclasses.fields(config)
        if isinstance(value := getattr(config, field.name), bool) and "bool" not in str(field.type)
    ]
    images = config.subset if isinstance(config.subset, int) else MNIST_TRAIN_IMAGES
    if isinstance(config.batch_size, int) and config.batch_size > images:
        problems.append(f"batch_size {config.batch_size} is larger than the {images} training images")
    return problems


# ---------------------------------------------------------------------------------------------- one run


def run_folder(out_dir: Path, label: str, seed: int) -> Path:
    return out_dir / "runs" / label / f"seed_{seed}"


def run_key(row: dict) -> str:
    """A sweep run's key in :func:`histories`: its folder ``<label>/seed_<n>``."""
    return row["run"].removeprefix("runs/")


def result_row(label: str, seed: int, run, analysis) -> dict:
    """One run's result: its final losses, the judge's final numbers and two switch rates.

    ``switch_rate`` is the mean fraction of z that change digit between consecutive snapshots over the
    whole run. ``confident_switch_rate_formed`` asks whether formed digits still switch: from the first
    snapshot that covers all 10 modes (``formed_step``, judge ``modes == 10``) on, the fraction
    of confident z (judge probability >= 0.9) that change digit by the next snapshot; None when the run
    never forms all 10 digits, or forms them only at its last snapshot."""
    epochs = run.history["epochs"]
    last = epochs[-1]
    final = analysis.snapshots[-1]
    rates = analysis.switch_rates
    from .analysis import CONFIDENT  # loaded with the analysis already (it needs TensorFlow)

    formed = analysis.formed
    confident = None if formed is None else analysis.switch_rate_from(formed, CONFIDENT)
    return {
        "condition": label,
        "seed": seed,
        "run": f"runs/{label}/seed_{seed}",
        "steps": int(last["steps"]),
        "seconds": round(sum(e["seconds"] for e in epochs), 2),
        **{k: last[k] for k in ("d_loss", "g_loss", "d_real", "d_fake")},
        "modes": final["modes"],
        "score": final["score"],
        "frechet": final["frechet"],
        "switch_rate": round(float(rates.mean()), 6) if len(rates) else None,
        "formed_step": int(analysis.steps[formed]) if formed is not None else None,
        FORMED_RATE: None if confident is None else round(confident, 6),
        "snapshots": len(analysis.steps),
        "n": int(analysis.labels.shape[1]),
        "diverged": None,
    }


def run_one(label: str, seed: int, config: dict, run_dir: str, mnist_dir: str | None = None) -> dict:
    """The Dask task: train one (condition, seed) (resuming a partly trained run), judge it, and write its
    ``result.json`` atomically. MNIST comes from ``mnist_dir``, else the worker's own ``$MNIST_DIR``. An error that
    would recur on every try (no MNIST, a refused run folder) comes back as ``{"failed": why}``, so that Dask
    retries only what may go well the next time (a lost worker, a full disk)."""
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "this process"
    name = f"{label}/seed_{seed} on worker {worker}"
    folder = mnist_dir or os.environ.get(MNIST_DIR_VARIABLE)
    if not folder:
        return {
            "failed": f"{name}: the worker has no MNIST; start it with {MNIST_DIR_VARIABLE}=<folder with the IDX "
            "files> in its environment, or pass --mnist-dir"
        }
    from .analysis import analyze_run
    from .training import TrainingDiverged, train

    run_dir = Path(run_dir)
    config = TrainConfig(**config)
    try:
        run = train(config, run_dir, resume=finished_epochs(run_dir) > 0, mnist_dir=folder, verbose=0)
        # with --ema the measures are the averaged generator's (the raw game is the control's)
        row = {**result_row(label, seed, run, analyze_run(run, ema=bool(config.ema))), "ema": bool(config.ema)}
    except TrainingDiverged as err:  # an outcome to count, not a failure to retry
        row = {"condition": label, "seed": seed, "run": f"runs/{label}/seed_{seed}", "diverged": str(err)}
    except (MnistError, RunError, ValueError) as err:  # the same again on a retry: reported, not retried
        return {"failed": f"{name}: {err}"}
    row = {**row, "worker": worker, "config": config.to_dict()}
    write_json(run_dir / RESULT, row)
    return row


# ---------------------------------------------------------------------------------------------- the sweep


def _stored(path: Path) -> dict | None:
    try:
        return read_json(path) if path.is_file() else None
    except RunError:
        return None  # a damaged file: the run is judged again


def _done(out_dir: Path, label: str, seed: int, config: TrainConfig) -> dict | None:
    """The run's result row if it finished with exactly these settings. A run folder holding other
    settings is run again, and ``train`` refuses it with a message naming the differences."""
    row = _stored(run_folder(out_dir, label, seed) / RESULT)
    return row if row and row.get("config") == {**config.to_dict(), "seed": seed} else None


@contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    """Hold the sweep folder's lock: a second sweep into the same folder is refused while this one runs."""
    import fcntl

    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(f"another sweep is writing into {out_dir}; wait for it or choose another --out") from None
        yield


def _set_aside(out_dir: Path, spec: dict, overwrite: bool) -> None:
    """Refuse a sweep folder that holds another spec (or a damaged one), unless ``overwrite``: then its contents
    move into ``<out>/.previous-<n>/``, kept as ``train --overwrite`` keeps a run."""
    stored = out_dir / SPEC_JSON
    if not stored.exists() or _stored(stored) == spec:
        return
    if not overwrite:
        why = "another sweep's spec" if _stored(stored) is not None else f"a damaged {SPEC_JSON}"
        raise ValueError(
            f"{out_dir} holds {why}; nothing there was changed. Choose another --out, or pass --overwrite to set "
            f"its runs and results aside in {out_dir}/.previous-<n>/ and start this sweep there"
        )
    n = 1
    while (out_dir / f".previous-{n}").exists():
        n += 1
    aside = out_dir / f".previous-{n}"
    aside.mkdir()
    for entry in out_dir.iterdir():
        if entry.name != LOCK and not entry.name.startswith(".previous-"):
            entry.rename(aside / entry.name)


def sweep(
    spec: str | os.PathLike | dict,
    out_dir: str | os.PathLike,
    scheduler: str | None = None,
    workers: int | None = None,
    mnist_dir: str | os.PathLike | None = None,
    log: Callable[[str], object] | None = print,
    overwrite: bool = False,
) -> Path:
    """Run every (condition, seed) of ``spec`` on Dask into ``out_dir`` and summarise; returns ``out_dir``.

    Without ``scheduler`` a local cluster of ``workers`` processes (default 1) runs the tasks; with
    ``scheduler="tcp://host:port"`` an existing cluster does, its workers reading MNIST from their own
    ``$MNIST_DIR`` unless ``mnist_dir`` is given. Finished runs are kept, partly trained ones resume. A folder
    holding another spec is refused unless ``overwrite`` (then set aside), and one sweep at a time writes into it.
    Runs that fail are reported together in one SweepError after the others have finished."""
    configs, seeds = plan(spec)
    check_cluster(scheduler, workers)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"--out {out_dir} is a file; give a folder for the sweep")
    stored = json.loads(json.dumps({"conditions": {k: c.to_dict() for k, c in configs.items()}, "seeds": seeds}))
    with _locked(out_dir):
        _set_aside(out_dir, stored, overwrite)
        _run_all(configs, seeds, stored, out_dir, scheduler, workers, mnist_dir, log or (lambda _: None))
    return out_dir


def _run_all(configs, seeds, stored, out_dir, scheduler, workers, mnist_dir, say) -> None:
    """The body of :func:`sweep`, inside its lock: ``spec.json`` is written once the cluster is there."""
    from distributed import as_completed

    jobs = [(label, seed) for label in configs for seed in seeds]
    todo = [(label, seed) for label, seed in jobs if not _done(out_dir, label, seed, configs[label])]
    failures = []
    started = (
        f"Sweep {out_dir}: {len(configs)} conditions x {len(seeds)} seeds, {len(jobs) - len(todo)} runs done already."
    )
    if not todo:
        write_json(out_dir / SPEC_JSON, stored)
        say(started)
    else:
        folder = str(Path(mnist_dir).expanduser().resolve()) if mnist_dir else None  # workers may run elsewhere
        with dask_client(scheduler, workers) as client:
            write_json(out_dir / SPEC_JSON, stored)
            say(started)
            futures = {
                client.submit(
                    run_one,
                    label,
                    seed,
                    {**configs[label].to_dict(), "seed": seed},
                    str(run_folder(out_dir, label, seed).resolve()),
                    folder,
                    key=f"sweep-{label}-seed_{seed}-{os.urandom(4).hex()}",
                    retries=RETRIES,
                    pure=False,
                ): (label, seed)
                for label, seed in todo
            }
            for k, future in enumerate(as_completed(futures, loop=client.loop), 1):
                label, seed = futures[future]
                try:
                    row = future.result()
                except Exception as err:  # KilledWorker, an error on a worker, ...
                    row = {"failed": str(err) if isinstance(err, SweepError) else f"{label}/seed_{seed}: {err!r}"}
                if "failed" in row:
                    failures.append(row["failed"])
                    say(f"[{k}/{len(todo)}] {label} seed {seed} failed: {failures[-1]}")
                    continue
                say(f"[{k}/{len(todo)}] {label} seed {seed}: {_describe(row)}")
    rows, _ = summarize_finished(out_dir)
    say(
        f"Wrote {len(rows)} of {len(jobs)} runs to {out_dir / RESULTS}, {out_dir / SUMMARY} and {out_dir / SUMMARY_CSV}"
    )
    if failures:
        raise SweepError(
            f"{len(failures)} of {len(jobs)} runs failed (run the sweep again to retry them):\n" + "\n".join(failures)
        )


def _describe(row: dict) -> str:
    if row.get("diverged"):
        return f"diverged ({row['diverged'].split(':')[0]})"
    rate = row["switch_rate"]
    return f"{row['modes']} modes, score {row['score']:.2f}, switch rate " + ("n/a" if rate is None else f"{rate:.1%}")


# ---------------------------------------------------------------------------------------------- summary


FAMILY_LEVEL = 0.05  # the chance that any one of a sweep's verdicts is a false "helps" or "hurts"


def against_control(rows: list[dict], conditions: list[str], control: str = "control") -> list[dict]:
    """Each condition against ``control`` on each measure of :data:`LOWER_IS_BETTER`: the difference with its
    95% interval and p-value (:func:`dcgan_lessons.stats.difference`). ``interval_says`` is the 95% interval's
    word alone (:func:`dcgan_lessons.stats.verdict`); ``verdict`` corrects for testing all the comparisons of
    the sweep at once (Holm, family-wise :data:`FAMILY_LEVEL`, ``p_holm``): at 95% each, one in twenty
    comparisons of a change that does nothing would "help" or "hurt" by chance."""
    if control not in conditions:
        return []

    def values(label: str, measure: str) -> list[float]:
        return [r[measure] for r in rows if r["condition"] == label and r.get(measure) is not None]

    compared = []
    for label in conditions:
        if label == control:
            continue
        for measure, lower in LOWER_IS_BETTER.items():
            change, base = values(label, measure), values(control, measure)
            row = {
                "condition": label,
                "measure": measure,
                "seeds": [len(change), len(base)],
                **difference(change, base),
            }
            row["interval_says"] = None if row["ci_low"] is None else verdict(row["ci_low"], row["ci_high"], lower)
            compared.append(row)
    for row, adjusted in zip(compared, holm([row["p"] for row in compared]), strict=True):
        row["p_holm"] = None if adjusted is None else round(adjusted, 6)
        row["verdict"] = row["interval_says"] and (
            row["interval_says"] if adjusted is not None and adjusted < FAMILY_LEVEL else "can't tell"
        )
    return compared


def summarize(rows: list[dict], conditions: list[str]) -> dict:
    """Per condition and measure: :func:`dcgan_lessons.stats.interval` over the seeds that have the measure (a
    run that never formed its digits has no ``formed_step``; a diverged run has no measures at all)."""
    summary = []
    for label in conditions:
        mine = [row for row in rows if row["condition"] == label]
        measures = {m: interval([row[m] for row in mine if row.get(m) is not None]) for m in MEASURES}
        summary.append(
            {
                "condition": label,
                "runs": len(mine),
                "diverged": sum(bool(row.get("diverged")) for row in mine),
                "measures": measures,
            }
        )
    return {
        "interval": "95% Student t interval across seeds, mean ± t(0.975, n-1) sd / sqrt(n); "
        "null when fewer than 2 seeds have the measure (one value has no spread)",
        "conditions": summary,
        "verdicts": f"against_control: change minus control, 95% Welch interval and two-sided p; verdict 'helps' or "
        f"'hurts' only where the Holm-adjusted p over all the comparisons with a p-value is below {FAMILY_LEVEL} "
        "(family-wise); interval_says: the 95% interval's word alone",
        "against_control": against_control(rows, conditions),
    }


def write_results(out_dir: Path, rows: list[dict], conditions: list[str]) -> dict:
    """results.json, summary.json and summary.csv (one line per condition and measure), atomically; returns
    the summary."""
    write_json(out_dir / RESULTS, rows)
    summary = summarize(rows, conditions)
    write_json(out_dir / SUMMARY, summary)
    text = io.StringIO()
    fields = ["condition", "measure", "n", "mean", "sd", "ci_low", "ci_high"]
    writer = csv.DictWriter(text, fields, lineterminator="\n")
    writer.writeheader()
    for entry in summary["conditions"]:
        for measure, stats in entry["measures"].items():
            writer.writerow({"condition": entry["condition"], "measure": measure, **stats})
    write_with(out_dir / SUMMARY_CSV, lambda tmp: Path(tmp).write_text(text.getvalue()))
    return summary


def load_sweep(out_dir: str | os.PathLike) -> tuple[list[dict], dict]:
    """A finished sweep's result rows and its summary (conditions in the spec's order, the comparison
    with the control), read from ``results.json`` and ``summary.json``."""
    out_dir = Path(out_dir)
    summary, rows = _stored(out_dir / SUMMARY), _stored(out_dir / RESULTS)
    if summary is None or rows is None:
        raise ValueError(
            f"{out_dir} holds no readable {SUMMARY} and {RESULTS}; run `dcgan-lessons sweep` into it first"
        )
    return rows, summary


def summary_table(summary: dict, measures: dict[str, str]) -> str:
    """A markdown table of a sweep's summary: one row per condition, per measure (``measures``: key -> column
    title) the mean over seeds and its 95% interval ("n/a" where no seed has the measure). An interval that
    reaches past what its measure can be (fewer than 0 modes, a score above 10) is cut there and starred."""
    cut = False

    def cell(measure: str, stats: dict) -> str:
        nonlocal cut
        if stats["mean"] is None:
            return "n/a"
        spec = ".0f" if abs(stats["mean"]) >= 100 else ".3g"
        if stats["ci_low"] is None:
            return f"{stats['mean']:{spec}} (1 seed)"
        floor, ceiling = COMPARED[measure].bounds if measure in COMPARED else (-math.inf, None)
        ends = []
        for value, limit, past in (
            (stats["ci_low"], floor, stats["ci_low"] < floor),
            (stats["ci_high"], ceiling, ceiling is not None and stats["ci_high"] > ceiling),
        ):
            cut = cut or past
            ends.append(f"{limit:{spec}}*" if past else f"{value:{spec}}")
        return f"{stats['mean']:{spec}} [{ends[0]}, {ends[1]}]"

    lines = [
        "| condition | runs | " + " | ".join(measures.values()) + " |",
        "|---|---|" + "---|" * len(measures),
    ]
    for entry in summary["conditions"]:
        cells = [cell(m, entry["measures"][m]) for m in measures]
        lines.append(f"| {entry['condition']} | {entry['runs']} | " + " | ".join(cells) + " |")
    if cut:
        lines.append("\n\\* the t interval reaches past what the measure can be; cut there.")
    return "\n".join(lines)


def histories(out_dir: str | os.PathLike, rows: list[dict]) -> dict[str, dict]:
    """Each run's ``history.json`` (the losses every ``log_every`` steps), keyed by its folder ``<label>/seed_<n>``."""
    out_dir = Path(out_dir)
    return {run_key(row): read_json(out_dir / row["run"] / "history.json") for row in rows}


def summarize_finished(out_dir: str | os.PathLike) -> tuple[list[dict], dict]:
    """Write ``results.json``, ``summary.json`` and ``summary.csv`` anew from the runs of ``out_dir`` that have
    finished with the sweep's settings (``spec.json``), also while the sweep still runs; returns rows and summary."""
    out_dir = Path(out_dir)
    spec = _stored(out_dir / SPEC_JSON)
    if spec is None:
        raise ValueError(f"{out_dir} holds no readable {SPEC_JSON}; run `dcgan-lessons sweep` into it first")
    configs = {label: TrainConfig(**config) for label, config in spec["conditions"].items()}
    rows = [row for label in configs for seed in spec["seeds"] if (row := _done(out_dir, label, seed, configs[label]))]
    return rows, write_results(out_dir, rows, list(configs))


def report(out_dir: str | os.PathLike) -> list[Path]:
    """Summarise the runs finished so far (:func:`summarize_finished`) and draw them into ``out_dir``:
    ``summary.png`` (:func:`draw_summary`) and ``against_control.png`` (:func:`draw_against_control`, when
    the sweep has a control); returns the figures' paths."""
    out_dir = Path(out_dir)
    rows, summary = summarize_finished(out_dir)
    figures = {SUMMARY_PNG: draw_summary(rows, summary, out_dir.name)}
    if summary.get("against_control"):
        figures[AGAINST_CONTROL_PNG] = draw_against_control(summary["against_control"], out_dir.name)
    for name, figure in figures.items():
        write_with(out_dir / name, lambda tmp, figure=figure: figure.savefig(tmp, dpi=110, format="png"))
    return [out_dir / name for name in figures]


MIN_OTHERS = 3  # how many other intervals it takes to call one far wider than the rest
WIDE = 10  # an interval more than this many times the median half-width of the others is drawn cut, not scaled to


def possible_difference(measure: str) -> tuple[float, float]:
    """What a difference of two means of ``measure`` can be: between floor - ceiling and ceiling - floor
    (within [-10, 10] for the modes); a measure without a ceiling has no limit either way."""
    floor, ceiling = COMPARED[measure].bounds
    return (-math.inf, math.inf) if ceiling is None else (floor - ceiling, ceiling - floor)


def _panel_limits(spans: list[tuple[float, float]], keep: list[float], possible: tuple[float, float]):
    """A panel's (low, high): every interval in ``spans`` and value in ``keep`` shown, except intervals
    wider than :data:`WIDE` times the median half-width of the others (one failed seed would squeeze the others into a
    line), and nothing past what the measure can be (``possible``). Returns the limits and the wide spans."""
    halves = [(high - low) / 2 for low, high in spans]

    def typical(k: int) -> float:  # the median half-width of the other intervals, when there are enough to tell
        others = [h for j, h in enumerate(halves) if j != k and h > 0]
        return float(np.median(others)) if len(others) >= MIN_OTHERS else math.inf

    wide = [span for k, (span, half) in enumerate(zip(spans, halves, strict=True)) if half > WIDE * typical(k)]
    shown = [v for span in spans if span not in wide for v in span] + keep
    shown = shown or [v for v in possible if math.isfinite(v)] or [0.0, 1.0]  # a panel with nothing to show
    low, high = max(min(shown), possible[0]), min(max(shown), possible[1])
    margin = 0.05 * (high - low or 1.0)
    return (max(low - margin, possible[0] - margin), min(high + margin, possible[1] + margin)), wide


def _cut(ax, low: float, high: float, limits: tuple[float, float], at, colour, vertical: bool) -> None:
    """Draw the interval [low, high] at position ``at`` cut to ``limits``, with an arrow where it runs on."""
    a, b = max(low, limits[0]), min(high, limits[1])
    line = ([at, at], [a, b]) if vertical else ([a, b], [at, at])
    ax.plot(*line, color=colour, lw=2)
    for end, beyond, marker in ((a, low < limits[0], "v<"), (b, high > limits[1], "^>")):
        if beyond:
            ax.plot(*((at, end) if vertical else (end, at)), marker[0 if vertical else 1], color=colour, ms=7)


def draw_summary(rows: list[dict], summary: dict, title: str):
    """The conditions side by side, one panel per measure: each seed as a dot, the mean with its 95%
    interval as an error bar. A panel ends where its measure does; an interval far wider than the others
    (:data:`WIDE`) is cut at the panel's edge with an arrow, and a seed past the edge is drawn on it as a
    triangle with its value, so one failed seed does not squeeze the other conditions into a line."""
    from matplotlib.figure import Figure

    entries = summary["conditions"]
    labels = [e["condition"] for e in entries]
    fig = Figure(figsize=(3.2 * len(PANELS), 3.4), layout="constrained")
    for ax, (measure, title_of) in zip(fig.subplots(1, len(PANELS)), PANELS.items(), strict=True):
        stats = [entry["measures"][measure] for entry in entries]
        seeds = [
            [r[measure] for r in rows if r["condition"] == entry["condition"] and r.get(measure) is not None]
            for entry in entries
        ]
        spans = [(s["ci_low"], s["ci_high"]) for s in stats if s["ci_low"] is not None]
        floor, ceiling = COMPARED[measure].bounds
        limits, wide = _panel_limits(spans, [], (floor, math.inf if ceiling is None else ceiling))
        kept = [
            v for s, values in zip(stats, seeds, strict=True) if (s["ci_low"], s["ci_high"]) not in wide for v in values
        ]
        if kept:  # the seeds of the conditions that set the limits are shown whole
            limits = (min(limits[0], min(kept)), max(limits[1], max(kept)))
        for x, (entry, s, values) in enumerate(zip(entries, stats, seeds, strict=True)):
            inside = [v for v in values if limits[0] <= v <= limits[1]]
            ax.plot([x + 0.12] * len(inside), inside, "o", color="0.6", markersize=3)
            for v in values:
                if not limits[0] <= v <= limits[1]:
                    edge = limits[1] if v > limits[1] else limits[0]
                    ax.plot([x + 0.12], [edge], "^" if v > limits[1] else "v", color="0.4", markersize=5)
                    ax.annotate(
                        f"{v:.3g}",
                        (x + 0.12, edge),
                        xytext=(3, -9 if v > limits[1] else 3),
                        textcoords="offset points",
                        fontsize=7,
                        color="0.3",
                    )
            if s["mean"] is None:  # no finished run yet, or runs that never formed all ten digits
                missing = "never\nformed" if entry["runs"] and measure in ("formed_step", FORMED_RATE) else "no\nruns"
                ax.text(x, 0.5, missing, transform=ax.get_xaxis_transform(), ha="center", color="0.4", fontsize=7)
                continue
            if s["ci_low"] is not None:
                _cut(ax, s["ci_low"], s["ci_high"], limits, x, "C0", vertical=True)
            if limits[0] <= s["mean"] <= limits[1]:
                ax.plot([x], [s["mean"]], "o", color="C0")
        ax.set_title(title_of, fontsize=10)
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_ylim(*limits)
    fig.suptitle(
        f"{title}: mean and 95% interval across seeds (dots: seeds; no bar: one seed);\narrows: an interval cut at the "
        "panel's edge, where the measure ends or far wider than the others; triangles: seeds past the edge",
        fontsize=9,
    )
    return fig


COLOURS = {"helps": "C2", "hurts": "C3", "can't tell": "0.45"}
PALE = {"helps": "#a1d99b", "hurts": "#fcae91"}  # the 95% interval alone would say so; the correction does not


def draw_against_control(compared: list[dict], title: str):
    """Each condition minus the control with its 95% interval, one panel per measure, cut to what a
    difference of the measure can be (:func:`possible_difference`): green where the change helps and red
    where it hurts after the correction for all comparisons (Holm), pale where only the 95% interval alone
    says so, grey where the interval holds 0. An interval far wider than the others (a failed seed) is cut
    at the panel's edge with an arrow and its numbers written beside it."""
    from matplotlib.figure import Figure

    labels = list(dict.fromkeys(row["condition"] for row in compared))
    fig = Figure(figsize=(3.2 * len(LOWER_IS_BETTER), 0.45 * len(labels) + 1.5), layout="constrained")
    for ax, measure in zip(fig.subplots(1, len(LOWER_IS_BETTER), sharey=True), LOWER_IS_BETTER, strict=True):
        possible = possible_difference(measure)
        mine = {r["condition"]: r for r in compared if r["measure"] == measure and r["difference"] is not None}
        spans = [(r["ci_low"], r["ci_high"]) for r in mine.values() if r["ci_low"] is not None]
        limits, wide = _panel_limits(spans, [0.0], possible)
        ax.axvline(0, color="0.7", lw=1)
        for y, label in enumerate(labels):
            row = mine.get(label)
            if row is None:
                continue
            colour = COLOURS.get(row["verdict"]) if row["verdict"] != "can't tell" else None
            colour = colour or PALE.get(row.get("interval_says"), COLOURS["can't tell"])
            if row["ci_low"] is not None:
                low, high = max(row["ci_low"], possible[0]), min(row["ci_high"], possible[1])
                _cut(ax, low, high, limits, y, colour, vertical=False)
                if (row["ci_low"], row["ci_high"]) in wide:
                    ax.annotate(
                        f"{row['difference']:+.3g} ± {(row['ci_high'] - row['ci_low']) / 2:.3g}",
                        (limits[1], y),
                        xytext=(-4, 5),
                        textcoords="offset points",
                        ha="right",
                        fontsize=7,
                        color=colour,
                    )
            if limits[0] <= row["difference"] <= limits[1]:  # a cut interval's difference is written beside it
                ax.plot([row["difference"]], [y], "o", color=colour)
        better = "lower is better" if LOWER_IS_BETTER[measure] else "higher is better"
        ax.set_title(f"{PANELS[measure]}\n({better})", fontsize=9)
        ax.set_xlim(*limits)
        ax.set_yticks(range(len(labels)), labels)
        ax.set_ylim(len(labels) - 0.5, -0.5)
    tested = sum(r.get("p") is not None for r in compared)
    fig.suptitle(
        f"{title}: each condition minus the control, 95% Welch interval. Green: helps, red: hurts, after Holm's "
        f"correction for all {tested} tests;\npale: the 95% interval alone says so, the correction does not; grey: "
        "can't tell. Arrows: an interval cut at the panel's edge, far wider than the others (numbers beside it)",
        fontsize=9,
    )
    return fig
