"""docs/results.md is written from the committed data and cannot go stale unnoticed, as lesson cells cannot.

Its numbers come from the committed reference run and sweeps (each checked against its own data in
tests/test_reference_run.py, test_claims.py and test_averaging.py) and from docs/measured.json (measured again in
tests/test_judge.py and test_reference_run.py)."""

import difflib
import json
import shutil

from dcgan_lessons import results
from dcgan_lessons.cli import main

import pytest

from tests.conftest import ROOT


def test_the_committed_results_document_is_what_the_data_give():
    written, wanted = results.RESULTS.read_text(), results.render()
    diff = "\n".join(difflib.unified_diff(written.splitlines(), wanted.splitlines(), "committed", "data", lineterm=""))
    assert written == wanted, f"docs/results.md is stale: run `dcgan-lessons results`\n{diff[:3000]}"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the committed data the document is written from (no models, snapshots or figures)."""
    root = tmp_path_factory.mktemp("project")
    skip = shutil.ignore_patterns("*.npz", "*.keras", "*.png", "samples")
    for folder in ("reference-run", "sweeps"):
        shutil.copytree(ROOT / folder, root / folder, ignore=skip)
    (root / "docs").mkdir()
    shutil.copy(results.MEASURED, root / "docs")
    return root


def test_the_document_follows_the_data(project):
    """Change a number in the data and the sentence that tells it changes with it."""
    assert results.render(project) == results.render()
    path = project / "reference-run" / "analysis" / "analysis.json"
    analysis = json.loads(path.read_text())
    analysis["transitions"][-1]["switch_rate"] = 0.31
    analysis["zero_eight"]["0->8"]["count"] = 7
    path.write_text(json.dumps(analysis))
    measured = json.loads((project / "docs" / "measured.json").read_text())
    measured["judge"]["accuracy"] = 0.9876
    (project / "docs" / "measured.json").write_text(json.dumps(measured))
    text = " ".join(results.render(project).split())
    assert "**31% of the fixed z still change digit**" in text
    assert "0 -> 8 happened 7 times" in text
    assert "it labels 98.76% of the 10,000 MNIST test digits right" in text


def test_cli_results_writes_the_document_and_check_says_when_it_is_stale(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert main(["results", "--check", "--out", str(out)]) == 1  # not there yet
    assert "is stale: run `dcgan-lessons results`" in capsys.readouterr().out
    assert main(["results", "--out", str(out)]) == 0
    assert out.read_text() == results.RESULTS.read_text()
    assert main(["results", "--check", "--out", str(out)]) == 0
    assert "agrees with the data" in capsys.readouterr().out
    out.write_text(out.read_text().replace("99.32%", "99.99%"))
    assert main(["results", "--check", "--out", str(out)]) == 1
    assert main(["results", "--check", "--measure", "--out", str(out)]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_against_report_says_how_near_the_reports_rows_a_run_comes():
    def history(d_loss: float, g_loss: float, epochs: int = 35) -> dict:
        rows = [{"epoch": k, "d_loss": d_loss, "g_loss": g_loss} for k in range(1, epochs + 1)]
        return {"epochs": rows}

    near = results.against_report(history(0.68, 0.75))
    assert near.startswith("At epochs 5, 10, 20 and 35, the report's logged epochs after the first, this run is")
    assert "within 0.057 of the report's d_loss and 0.173 of its g_loss" in near  # epoch 5: 0.623 and 0.923
    assert "at epoch 1 it has 0.680 and 0.750 against 0.204 and 1.833" in near
    assert near.endswith("its game stays a little short of the report's balance to the end.")
    assert results.against_report(history(0.70, 0.70)).endswith("its g_loss 0.700 and 0.700.")
    assert "has not reached" in results.against_report(history(0.7, 0.7, epochs=3))
