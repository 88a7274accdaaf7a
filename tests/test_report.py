from dcgan_lessons.report import REPORT_LOG, compare_with_report, report_table


def test_comparison_fills_what_the_run_reached():
    history = {"epochs": [{"epoch": 1, "d_loss": 0.5, "g_loss": 1.2}, {"epoch": 5, "d_loss": 0.6, "g_loss": 0.9}]}
    rows = compare_with_report(history)
    assert [r["epoch"] for r in rows] == [1, 5, 10, 20, 35]
    assert rows[0] == {"epoch": 1, "report_d_loss": 0.204, "run_d_loss": 0.5, "report_g_loss": 1.833, "run_g_loss": 1.2}
    assert rows[2]["run_d_loss"] is None and rows[4]["report_g_loss"] == 0.728
    assert len(REPORT_LOG) == 5


def test_the_report_table_is_built_from_the_history_it_is_given():
    history = {"epochs": [{"epoch": e, "d_loss": 0.6 + e / 100, "g_loss": 1.0 - e / 100} for e in range(1, 11)]}
    table = report_table(history).splitlines()
    assert len(table) == 2 + 5
    assert table[2] == "| 1 | 0.204 | 0.610 | 1.833 | 0.990 |"
    assert table[4] == "| 10 | 0.671 | 0.700 | 0.816 | 0.900 |"  # reached: a number, never "not reached"
    assert "not reached (10 epochs done)" in table[5] and "not reached" not in "".join(table[2:5])
