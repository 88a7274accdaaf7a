"""The command line: ``dcgan-lessons train | sample | analyze | notebooks | lessons | assign | grade | sweep |
sweep-report | book`` (also ``python -m dcgan_lessons``).

Bad values get one clear line and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import TrainConfig, help_text, make_config
from .data import MnistError
from .runs import RunError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(function: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = function
        return function

    return register


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**32 - 1, got {value}")
    return value


def _digit(text: str) -> int:
    if not text.strip().isdigit() or not 0 <= int(text) <= 9:
        raise argparse.ArgumentTypeError(f"must be a digit from 0 to 9, got {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line that points at --help, not the whole usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_settings(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, with its help; unset flags stay None (the preset's or run's value)."""
    types = typing.get_type_hints(TrainConfig)
    for field in dataclasses.fields(TrainConfig):
        meta = field.metadata
        flag = meta["flag"] or "--" + field.name.replace("_", "-")
        kwargs = {"dest": field.name, "default": None, "help": help_text(field)}
        kinds = set(typing.get_args(types[field.name])) or {types[field.name]}
        if meta["choices"] and meta["const"]:
            parser.add_argument(flag, choices=meta["choices"], nargs="?", const=meta["const"], **kwargs)
        elif meta["choices"]:
            parser.add_argument(flag, choices=meta["choices"], **kwargs)
        elif bool in kinds:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif int in kinds:
            parser.add_argument(flag, type=int if field.name == "seed" else _positive_int, **kwargs)
        else:
            parser.add_argument(flag, type=float, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dcgan-lessons", description="Train, sample and study a DCGAN on MNIST.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    train = sub.add_parser("train", help="train the DCGAN into a run folder")
    train.add_argument("--run-dir", required=True, type=Path, help="folder to write the run into")
    _add_settings(train)
    train.add_argument("--mnist-dir", type=Path, help="folder with the MNIST IDX files (default: $MNIST_DIR)")
    train.add_argument(
        "--resume", action="store_true", help="continue the run in --run-dir with its own settings (--epochs extends)"
    )
    train.add_argument("--overwrite", action="store_true", help="replace the run in --run-dir (kept until epoch 1)")

    sample = sub.add_parser("sample", help="write N generated digits as uint8 (N, 28, 28) .npy")
    sample.add_argument("run_dir", type=Path)
    sample.add_argument("--n", type=_positive_int, default=64)
    sample.add_argument("--out", type=Path, required=True)
    sample.add_argument("--seed", type=_seed, default=0)
    sample.add_argument("--ema", action="store_true", help="draw from the generator's average (runs with --ema)")
    sample.add_argument(
        "--label", type=_digit, help="the digit to draw, 0-9 (conditional runs; default: every digit in turn)"
    )

    assign = sub.add_parser("assign", help="write student versions: solutions stubbed, hidden tests removed")
    assign.add_argument("src_dir", type=Path, help="folder with the teacher's notebooks")
    assign.add_argument("out_dir", type=Path, help="folder for the student versions")
    assign.add_argument(
        "--replace", action="store_true", help="set aside (OUT_DIR/.assign-backup/) notebooks that differ, then write"
    )
    grade = sub.add_parser("grade", help="run submitted notebooks and mark their exercises")
    grade.add_argument("submissions", nargs="+", type=Path, help="students' folders (or student/NN_x.ipynb files)")
    grade.add_argument("--source", type=Path, default=Path("notebooks"), help="the teacher's notebooks (./notebooks)")
    grade.add_argument("--csv", type=Path, help="also write the grades to this CSV file")
    grade.add_argument("--timeout", type=_positive_int, default=600, help="seconds per notebook (default 600)")
    grade.add_argument("--keep", type=Path, help="save the executed notebooks (feedback) into KEEP/<student>/")
    grade.add_argument("--workers", type=_positive_int, help="local Dask workers grading at once (default: one by one)")
    grade.add_argument("--scheduler", help="a running Dask scheduler (tcp://host:port) whose workers see these files")
    grade.add_argument(
        "--unsandboxed",
        action="store_true",
        help="without bubblewrap, run the students' code as yourself (it can read and change your files)",
    )
    notebooks = sub.add_parser("notebooks", help="execute the notebook series in place (the committed outputs)")
    notebooks.add_argument("paths", nargs="*", type=Path, help="notebooks to run (default: the whole series)")
    notebooks.add_argument("--quick", action="store_true", help="quick, real settings, as CI uses")

    lessons = sub.add_parser("lessons", help="check (or --sync) the notebooks' lesson cells against the package")
    lessons.add_argument("paths", nargs="*", type=Path, help="notebooks (default: the whole series)")
    lessons.add_argument("--sync", action="store_true", help="rewrite the lesson cells from the package's source")

    analyze = sub.add_parser("analyze", help="which digit each fixed z draws over a run, and how often it switches")
    analyze.add_argument("run_dir", type=Path)
    analyze.add_argument("--json", action="store_true", help="print everything as JSON")
    analyze.add_argument("--save", action="store_true", help="also write figures and analysis.json (RUN_DIR/analysis)")
    analyze.add_argument("--out", type=Path, help="folder for what --save writes (default: RUN_DIR/analysis)")
    sweep = sub.add_parser("sweep", help="train and judge every (condition, seed) of a spec on Dask")
    sweep.add_argument("spec", type=Path, help="the sweep's spec (.toml or .json): base, conditions, seeds")
    sweep.add_argument("--out", type=Path, required=True, help="the sweep folder (runs/, results.json, summary.*)")
    sweep.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:port); default: local")
    sweep.add_argument("--workers", type=_positive_int, help="local worker processes (default 1; not with --scheduler)")
    sweep.add_argument("--mnist-dir", type=Path, help="MNIST folder for all workers (default: their $MNIST_DIR)")
    sweep.add_argument(
        "--overwrite", action="store_true", help="--out holds another sweep: set it aside (OUT/.previous-N/), run this"
    )
    sweep_report = sub.add_parser(
        "sweep-report",
        help="summarise a sweep's finished runs (also while it runs) and draw them with their differences from the "
        "control (DIR/summary.png, against_control.png); runs with a debiased average: raw_vs_average.json",
    )
    sweep_report.add_argument("dir", type=Path, help="the sweep folder")
    book = sub.add_parser("book", help="build the series, with its committed outputs, into a static website")
    book.add_argument("--out", type=Path, required=True, help="a new or empty folder, or a previous build")
    book.add_argument("--solutions", action="store_true", help="the teacher's version: solutions and hidden tests")
    results = sub.add_parser("results", help="write docs/results.md from the committed runs and sweeps")
    results.add_argument("--out", type=Path, help="where to write it (default: the project's docs/results.md)")
    results.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when --out disagrees with the data"
    )
    results.add_argument("--measure", action="store_true", help="first measure docs/measured.json anew (needs MNIST)")
    return parser


TRAIN_SETTINGS = tuple(f.name for f in dataclasses.fields(TrainConfig) if f.name != "preset")


def _train_config(args: argparse.Namespace):
    """New runs: the preset, then the flags given. ``--resume``: the run's own settings, where the flags given
    may change only --epochs (:func:`runs.resume_config`, the rule Python's ``train`` follows too)."""
    from .runs import load_run, resume_config

    given = {k: getattr(args, k) for k in TRAIN_SETTINGS}
    if not args.resume:
        return make_config(args.preset or "report", **given)
    config = resume_config(args.run_dir, {**given, "preset": args.preset})
    done = load_run(args.run_dir).finished_epochs
    todo = f"continuing to epoch {config.epochs}" if config.epochs > done else "nothing left to train"
    print(f"Resuming {args.run_dir}: {done} of {config.epochs} epochs done, {todo} (its own settings).", flush=True)
    return config


@command("train")
def _train(args: argparse.Namespace) -> int:
    from .runs import finished_epochs
    from .training import train

    config = _train_config(args)
    if not args.resume:
        print(f"Training into {args.run_dir}: {config}", flush=True)
    try:
        run = train(
            config,
            args.run_dir,
            resume=args.resume,
            overwrite=args.overwrite,
            mnist_dir=args.mnist_dir,
            verbose=1 if sys.stdout.isatty() else 2,  # a progress bar only where it can redraw; a log gets lines
        )
    except KeyboardInterrupt:
        done = finished_epochs(args.run_dir)
        hint = (
            f"The last finished epoch ({done}) is saved; continue with: dcgan-lessons train --run-dir "
            f"{args.run_dir} --resume"
            if done
            else "No epoch had finished, so nothing was saved."
        )
        print(f"\nInterrupted. {hint}", file=sys.stderr)
        return 130
    epochs = run.history["epochs"]
    last = epochs[-1]
    minutes = sum(e["seconds"] for e in epochs) / 60
    print(
        f"Done: {len(epochs)} epochs, {last['steps']} steps, {minutes:.1f} min of training. Final epoch: "
        f"d_loss {last['d_loss']:.4f}, g_loss {last['g_loss']:.4f}, D(x) {last['d_real']:.3f}, "
        f"D(G(z)) {last['d_fake']:.3f}.\nRun folder: {run.path} (samples in {run.path / 'samples'})"
    )
    return 0


@command("sample")
def _sample(args: argparse.Namespace) -> int:
    import numpy as np

    from .files import atomic_path
    from .runs import load_run
    from .training import iter_samples

    if args.out.is_dir():
        raise ValueError(f"--out {args.out} is a folder; give a file name such as {args.out / 'digits.npy'}")
    if args.out.suffix != ".npy":
        raise ValueError(f"--out must name a .npy file, got {args.out}")
    if not args.out.parent.is_dir() and any(p.exists() and not p.is_dir() for p in args.out.parents):
        raise ValueError(f"--out {args.out}: {next(p for p in args.out.parents if p.exists())} is a file, not a folder")
    run = load_run(args.run_dir)
    with atomic_path(args.out) as tmp:  # written batch by batch: a million digits need no more memory than 1024
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(args.n, 28, 28))
        start = 0
        for batch in iter_samples(run, args.n, args.seed, ema=args.ema, label=args.label):
            out[start : start + len(batch)] = batch
            start += len(batch)
        out.flush()
        del out
    print(f"Wrote {args.n} digits, uint8 ({args.n}, 28, 28), to {args.out}")
    return 0


@command("assign")
def _assign(args: argparse.Namespace) -> int:
    from .handouts import assign

    written = assign(args.src_dir, args.out_dir, replace=args.replace)
    print(f"Wrote {len(written)} student notebook(s) to {args.out_dir}: {', '.join(p.name for p in written)}")
    return 0


@command("grade")
def _grade(args: argparse.Namespace) -> int:
    from .classroom import grade

    if args.unsandboxed:
        print(
            "dcgan-lessons grade: --unsandboxed: the students' code runs as you, outside any sandbox", file=sys.stderr
        )
    book = grade(
        args.submissions,
        args.source,
        timeout=args.timeout,
        csv_path=args.csv,
        keep=args.keep,
        scheduler=args.scheduler,
        workers=args.workers,
        unsandboxed=args.unsandboxed,
    )
    print(book.table())
    if args.csv:
        print(f"\nWrote {args.csv}")
    return 0


@command("notebooks")
def _notebooks(args: argparse.Namespace) -> int:
    from .notebooks import execute, series

    paths = args.paths or series()
    if not paths:
        raise ValueError("no notebooks found; run this from the project folder or name the notebooks")
    for path in paths:
        if not path.is_file():
            raise ValueError(f"{path} is not a notebook file")
    execute(paths, quick_settings=args.quick)
    print(f"Executed {len(paths)} notebook(s); their outputs are saved in place.")
    return 0


@command("lessons")
def _lessons(args: argparse.Namespace) -> int:
    from .lessons import check, sync
    from .notebooks import series

    paths = args.paths or series()
    if args.sync:
        changed = sync(paths)
        print(f"Rewrote the lesson cells of {len(changed)} notebook(s): {', '.join(p.name for p in changed) or '-'}")
        for path, lines in changed.items():
            print(f"{path.name}:\n  " + "\n  ".join(lines))
        return 0
    problems = check(paths)
    print("\n".join(problems) or f"The lesson cells of {len(paths)} notebook(s) agree with the package.")
    return 1 if problems else 0


@command("analyze")
def _analyze(args: argparse.Namespace) -> int:
    import json

    from .analysis import analyze_run, save_analysis
    from .claims import analysis_summary as summary
    from .runs import load_run

    if args.out and not args.save:
        raise ValueError("--out names where --save writes; add --save")
    analysis = analyze_run(args.run_dir)
    result = analysis.to_dict()
    print(json.dumps(result) if args.json else summary(result))
    run = load_run(args.run_dir)
    if not run.complete:  # still training, or stopped early: say which epochs these numbers are of
        done = len(run.history["epochs"])
        print(f"Unfinished: {done} of {run.config['epochs']} epochs trained so far", file=sys.stderr)
    if args.save:
        written = save_analysis(analysis, args.out)
        print(f"Wrote {len(written)} files to {written[0].parent}: {', '.join(p.name for p in written)}")
    return 0


@command("sweep")
def _sweep(args: argparse.Namespace) -> int:
    from .sweep_runner import sweep

    sweep(
        args.spec,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        mnist_dir=args.mnist_dir,
        overwrite=args.overwrite,
    )
    return 0


@command("sweep-report")
def _sweep_report(args: argparse.Namespace) -> int:
    from .averaging import RESULT, compare_sweep, debiased_runs
    from .files import write_json
    from .sweeps import report

    try:
        written = report(args.dir)
    except (KeyError, TypeError, AttributeError) as err:  # a spec.json or result that is JSON but not a sweep's
        raise ValueError(
            f"{args.dir} holds a damaged sweep ({type(err).__name__}: {err}); run the sweep again"
        ) from None
    if debiased_runs(args.dir):  # runs that kept a debiased average: the raw and the averaged generator side by side
        write_json(args.dir / RESULT, compare_sweep(args.dir))
        written.append(args.dir / RESULT)
    print("Wrote " + " and ".join(map(str, written)))
    return 0


@command("book")
def _book(args: argparse.Namespace) -> int:
    from .book import build

    site = build(args.out, solutions=args.solutions)
    print(f"Wrote the website to {site}; open {site / 'index.html'} or publish the folder as it is.")
    return 0


@command("results")
def _results(args: argparse.Namespace) -> int:
    from .results import RESULTS, stale, write

    out = args.out or RESULTS
    if args.check and args.measure:
        raise ValueError("--check writes nothing, --measure writes docs/measured.json: give one of them")
    if args.check:
        outdated = stale(out)
        print(f"{out} is stale: run `dcgan-lessons results`" if outdated else f"{out} agrees with the data")
        return 1 if outdated else 0
    print(f"Wrote {write(out, measure_first=args.measure)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from .files import describe_os_error

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (ValueError, MnistError, RunError) as err:
        message = str(err)
    except OSError as err:  # a full disk, a folder without write permission, a path through a file
        message = describe_os_error(err)
    except KeyboardInterrupt:
        print(f"dcgan-lessons {args.command}: interrupted", file=sys.stderr)
        return 130
    print(f"dcgan-lessons {args.command}: error: {message}", file=sys.stderr)
    return 2
