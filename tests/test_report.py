from dcgan_lessons.report import REPORT_LOG, compare_with_report


def test_comparison_fills_what_the_run_reached():
    history = {"epochs": [{"epoch": 1, "d_loss": 0.5, "g_loss": 1.2}, {"epoch": 5, "d_loss": 0.6, "g_loss": 0.9}]}
    rows = compare_with_report(history)
    assert [r["epoch"] for r in rows] == [1, 5, 10, 20, 35]
    assert rows[0] == {"epoch": 1, "report_d_loss": 0.204, "run_d_loss": 0.5, "report_g_loss": 1.833, "run_g_loss": 1.2}
    assert rows[2]["run_d_loss"] is None and rows[4]["report_g_loss"] == 0.728
    assert len(REPORT_LOG) == 5
