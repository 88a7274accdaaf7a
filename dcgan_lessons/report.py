"""The student report's published numbers, so notebooks can set any run against them."""

from __future__ import annotations

# (epoch, d_loss, g_loss) as printed in the report's training log
REPORT_LOG: list[tuple[int, float, float]] = [
    (1, 0.204, 1.833),
    (5, 0.623, 0.923),
    (10, 0.671, 0.816),
    (20, 0.694, 0.738),
    (35, 0.695, 0.728),
]
REPORT_PARAMETERS = {"generator": 2_343_681, "discriminator": 213_633}


def compare_with_report(history: dict) -> list[dict]:
    """One row per epoch of the report's log: the report's d_loss and g_loss beside the run's
    (None where the run has not reached that epoch)."""
    by_epoch = {row["epoch"]: row for row in history.get("epochs", [])}
    rows = []
    for epoch, d_loss, g_loss in REPORT_LOG:
        ours = by_epoch.get(epoch, {})
        rows.append(
            {
                "epoch": epoch,
                "report_d_loss": d_loss,
                "run_d_loss": ours.get("d_loss"),
                "report_g_loss": g_loss,
                "run_g_loss": ours.get("g_loss"),
            }
        )
    return rows


def report_table(history: dict) -> str:
    """The report's logged rows beside the run's epoch means, as a markdown table built from the run's
    history when the notebook runs, so it cannot go stale."""
    done = len(history.get("epochs", []))
    missing = f"not reached ({done} epoch{'s' if done != 1 else ''} done)"
    show = lambda value: missing if value is None else f"{value:.3f}"  # noqa: E731
    lines = ["| epoch | report d_loss | run d_loss | report g_loss | run g_loss |", "|---|---|---|---|---|"]
    for r in compare_with_report(history):
        lines.append(
            f"| {r['epoch']} | {r['report_d_loss']:.3f} | {show(r['run_d_loss'])} | "
            f"{r['report_g_loss']:.3f} | {show(r['run_g_loss'])} |"
        )
    return "\n".join(lines)
