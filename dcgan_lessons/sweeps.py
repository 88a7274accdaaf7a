"""A sweep's results: the files of its folder, the summary per condition with 95% intervals across seeds, each
condition against the control, and the tables and figures that show them (what notebook 08 reads).

The sweep folder DIR (written by :func:`dcgan_lessons.sweep_runner.sweep`) holds ``spec.json``,
``runs/<label>/seed_<n>/`` (a run folder plus its ``result.json``), ``results.json`` (one row per run),
``summary.json`` and ``summary.csv``; ``dcgan-lessons sweep-report DIR`` (:func:`report`) writes the summary
anew from the finished runs and draws ``summary.png`` and ``against_control.png``. The numbers come from
:mod:`dcgan_lessons.stats`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .config import TrainConfig
from .files import write_json, write_with
from .runs import RunError, read_json
from .stats import difference, holm, interval, verdict

RESULT = "result.json"
RESULTS = "results.json"
SUMMARY = "summary.json"
SUMMARY_CSV = "summary.csv"
SUMMARY_PNG = "summary.png"
SPEC_JSON = "spec.json"

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


# ---------------------------------------------------------------------------------------------- the folder


def run_folder(out_dir: Path, label: str, seed: int) -> Path:
    """Where one (condition, seed) of a sweep trains: ``runs/<label>/seed_<n>`` in the sweep folder."""
    return out_dir / "runs" / label / f"seed_{seed}"


def run_key(row: dict) -> str:
    """A sweep run's key in :func:`histories`: its folder ``<label>/seed_<n>``."""
    return row["run"].removeprefix("runs/")


def read_stored(path: Path) -> dict | None:
    """A JSON file of the sweep folder, or None when it is missing or damaged."""
    try:
        return read_json(path) if path.is_file() else None
    except RunError:
        return None  # a damaged file: the run is judged again


def finished_row(out_dir: Path, label: str, seed: int, config: TrainConfig) -> dict | None:
    """The run's result row if it finished with exactly these settings. A run folder holding other
    settings is run again, and ``train`` refuses it with a message naming the differences."""
    row = read_stored(run_folder(out_dir, label, seed) / RESULT)
    return row if row and row.get("config") == {**config.to_dict(), "seed": seed} else None


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
    summary, rows = read_stored(out_dir / SUMMARY), read_stored(out_dir / RESULTS)
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
    spec = read_stored(out_dir / SPEC_JSON)
    if spec is None:
        raise ValueError(f"{out_dir} holds no readable {SPEC_JSON}; run `dcgan-lessons sweep` into it first")
    configs = {label: TrainConfig(**config) for label, config in spec["conditions"].items()}
    rows = [
        row
        for label in configs
        for seed in spec["seeds"]
        if (row := finished_row(out_dir, label, seed, configs[label]))
    ]
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


# ---------------------------------------------------------------------------------------------- figures


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
