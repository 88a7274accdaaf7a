"""Running a sweep: many runs, one table. Each (condition, seed) of a spec is a full run folder, trained and
judged as a Dask task; :mod:`dcgan_lessons.sweeps` summarises the results per condition with 95% confidence
intervals across seeds.

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

The runs go into a sweep folder as :mod:`dcgan_lessons.sweeps` describes it. A run is finished once its
``result.json`` is in place (written atomically), so a sweep that is killed and started again skips finished
runs, resumes partly trained ones from their checkpoints, and builds ``results.json`` from those files: a task
Dask retries never adds a row twice.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .cluster import check_cluster, dask_client
from .config import TrainConfig, make_config
from .data import MNIST_DIR_VARIABLE, MnistError
from .files import write_json
from .runs import RunError, finished_epochs
from .sweeps import (
    FORMED_RATE,
    RESULT,
    RESULTS,
    SPEC_JSON,
    SUMMARY,
    SUMMARY_CSV,
    finished_row,
    read_stored,
    run_folder,
    summarize_finished,
)

LOCK = ".sweep.lock"  # held by the sweep writing into the folder
MNIST_TRAIN_IMAGES = 60_000
RETRIES = 2  # a task that raised is run again this often; a lost worker's task is rescheduled by the scheduler
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
    if not stored.exists() or read_stored(stored) == spec:
        return
    if not overwrite:
        why = "another sweep's spec" if read_stored(stored) is not None else f"a damaged {SPEC_JSON}"
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
    todo = [(label, seed) for label, seed in jobs if not finished_row(out_dir, label, seed, configs[label])]
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
