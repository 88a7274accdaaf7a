"""Notebooks find the reference run wherever they were copied: an environment variable, ../reference-run, or
the repository the package was installed from."""

from dcgan_lessons import reference

import pytest

from tests.conftest import ROOT


def _run(folder):
    folder.mkdir(parents=True)
    (folder / "snapshots.npz").write_bytes(b"")
    return folder


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A working folder with no reference run near it, no variable set, and no installed repository's."""
    monkeypatch.delenv(reference.REFERENCE_VARIABLE, raising=False)
    monkeypatch.setattr(reference, "INSTALLED", tmp_path / "no-repo" / "reference-run")
    work = tmp_path / "course" / "autograded" / "ada" / "ps1"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return work


def test_the_variable_wins_and_a_wrong_value_is_named(elsewhere, tmp_path, monkeypatch):
    _run(elsewhere.parent / "reference-run")
    run = _run(tmp_path / "shared" / "ref")
    monkeypatch.setenv(reference.REFERENCE_VARIABLE, str(run))
    assert reference.reference_run() == run
    monkeypatch.setenv(reference.REFERENCE_VARIABLE, str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match=r"DCGAN_LESSONS_REFERENCE_RUN=.*typo is not a run folder"):
        reference.reference_run()


def test_relative_to_the_working_folder_then_the_installed_repository(elsewhere, tmp_path, monkeypatch):
    assert reference.find_reference_run() is None
    with pytest.raises(FileNotFoundError, match="set DCGAN_LESSONS_REFERENCE_RUN to the reference-run/ folder"):
        reference.reference_run()
    installed = _run(tmp_path / "repo" / "reference-run")
    monkeypatch.setattr(reference, "INSTALLED", installed)
    assert reference.reference_run() == installed
    _run(elsewhere.parent / "reference-run")
    assert str(reference.reference_run()) == "../reference-run"  # short, as the committed outputs print it
    (tmp_path / "repo" / "notebooks").mkdir()
    assert reference.reference_run(tmp_path / "repo" / "notebooks").resolve() == installed  # from another folder


def test_the_repository_checkout_finds_its_own_reference_run(monkeypatch):
    monkeypatch.delenv(reference.REFERENCE_VARIABLE, raising=False)
    monkeypatch.chdir(ROOT / "notebooks")
    assert reference.reference_run().resolve() == (ROOT / "reference-run").resolve()
    assert reference.INSTALLED == (ROOT / "reference-run").resolve()  # editable install: the checkout's


def test_the_committed_sweep_is_found_like_the_reference_run(elsewhere, tmp_path, monkeypatch):
    monkeypatch.delenv(reference.SWEEP_VARIABLE, raising=False)
    monkeypatch.setattr(reference, "INSTALLED_SWEEP", tmp_path / "no-repo" / "sweeps" / "stabilisers")
    with pytest.raises(FileNotFoundError, match="set DCGAN_LESSONS_REFERENCE_SWEEP to the sweeps/stabilisers/ folder"):
        reference.reference_sweep()
    near = elsewhere.parent / "sweeps" / "stabilisers"
    near.mkdir(parents=True)
    (near / "results.json").write_text("[]")
    assert str(reference.reference_sweep()) == "../sweeps/stabilisers"
    monkeypatch.setenv(reference.SWEEP_VARIABLE, str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match=r"DCGAN_LESSONS_REFERENCE_SWEEP=.*typo is not a sweep folder"):
        reference.reference_sweep()


def test_the_first_row_sweep_is_found_beside_the_stabiliser_sweep(elsewhere, tmp_path, monkeypatch):
    monkeypatch.delenv(reference.SWEEP_VARIABLE, raising=False)
    installed = reference.INSTALLED_SWEEP
    monkeypatch.setattr(reference, "INSTALLED_SWEEP", tmp_path / "no-repo" / "sweeps" / "stabilisers")
    near = elsewhere.parent / "sweeps" / "stabilisers"
    near.mkdir(parents=True)
    (near / "results.json").write_text("[]")
    with pytest.raises(FileNotFoundError, match=r"no first-row sweep at .*first_row; run `dcgan-lessons sweep sweeps/"):
        reference.first_row_sweep()
    (near.parent / "first_row").mkdir()
    (near.parent / "first_row" / "results.json").write_text("[]")
    assert str(reference.first_row_sweep()) == "../sweeps/first_row"
    monkeypatch.chdir(ROOT / "notebooks")
    assert reference.first_row_sweep().resolve() == (ROOT / "sweeps" / "first_row").resolve()
    monkeypatch.setattr(reference, "INSTALLED_SWEEP", installed)  # a sweep of one's own, none beside it
    monkeypatch.setenv(reference.SWEEP_VARIABLE, str(near))
    (near.parent / "first_row" / "results.json").unlink()
    assert reference.first_row_sweep().resolve() == (ROOT / "sweeps" / "first_row").resolve()


def test_the_averaging_sweep_is_found_beside_the_stabiliser_sweep(monkeypatch):
    monkeypatch.delenv(reference.SWEEP_VARIABLE, raising=False)
    monkeypatch.chdir(ROOT / "notebooks")
    assert reference.averaging_sweep().resolve() == (ROOT / "sweeps" / "averaging").resolve()
    monkeypatch.setattr(reference, "AVERAGING_FOLDER", "no_such_sweep")
    monkeypatch.setattr(reference, "INSTALLED_SWEEP", ROOT / "no-repo" / "sweeps" / "stabilisers")
    with pytest.raises(FileNotFoundError, match=r"no averaging sweep at .*no_such_sweep; run `dcgan-lessons sweep"):
        reference.averaging_sweep()


def test_the_conditional_run_is_found_like_the_reference_run(elsewhere, tmp_path, monkeypatch):
    monkeypatch.delenv(reference.CONDITIONAL_VARIABLE, raising=False)
    monkeypatch.setattr(reference, "INSTALLED_CONDITIONAL", tmp_path / "no-repo" / "conditional-run")
    with pytest.raises(FileNotFoundError, match="set DCGAN_LESSONS_CONDITIONAL_RUN to the conditional-run/ folder"):
        reference.conditional_run()
    installed = _run(tmp_path / "repo" / "conditional-run")
    monkeypatch.setattr(reference, "INSTALLED_CONDITIONAL", installed)
    assert reference.conditional_run() == installed
    beside = _run(elsewhere.parent / "conditional-run")
    assert reference.conditional_run().resolve() == beside.resolve()  # ../conditional-run before the installed one
    mine = _run(tmp_path / "mine")
    monkeypatch.setenv(reference.CONDITIONAL_VARIABLE, str(mine))
    assert reference.conditional_run() == mine
    monkeypatch.setenv(reference.CONDITIONAL_VARIABLE, str(tmp_path / "typo"))
    with pytest.raises(FileNotFoundError, match=r"DCGAN_LESSONS_CONDITIONAL_RUN=.*typo is not a run folder"):
        reference.conditional_run()
