"""Dask for our jobs: a bad --workers or --workers with --scheduler is one clear line, before any work or
cluster starts (the real clusters run in test_sweep.py and test_classroom.py)."""

from dcgan_lessons.classroom import grade
from dcgan_lessons.cli import main
from dcgan_lessons.cluster import dask_client
from dcgan_lessons.sweep_runner import sweep

import pytest

BOTH = "--workers starts a local cluster; with --scheduler the cluster's own workers run the jobs"


@pytest.mark.parametrize(
    "scheduler, workers, message",
    [("tcp://127.0.0.1:8786", 2, BOTH), (None, 0, "workers must be at least 1, got 0")],
)
def test_bad_cluster_arguments_fail_before_any_work(tmp_path, scheduler, workers, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        grade([tmp_path / "nobody"], tmp_path / "no-notebooks", scheduler=scheduler, workers=workers)
    spec = {"conditions": [{"label": "a"}], "seeds": [0]}
    with pytest.raises(ValueError, match=f"^{message}$"):
        sweep(spec, tmp_path / "sweep", scheduler=scheduler, workers=workers, log=None)
    assert not (tmp_path / "sweep").exists()
    with pytest.raises(ValueError, match=f"^{message}$"), dask_client(scheduler, workers):
        pass


def test_the_grade_command_says_what_is_wrong_in_one_line(tmp_path, capsys):
    assert main(["grade", str(tmp_path), "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert capsys.readouterr().err == f"dcgan-lessons grade: error: {BOTH}\n"
    with pytest.raises(SystemExit) as exit:
        main(["grade", str(tmp_path), "--workers", "0"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "dcgan-lessons grade: error: argument --workers: must be at least 1, got 0 (see dcgan-lessons grade --help)"
    ]
