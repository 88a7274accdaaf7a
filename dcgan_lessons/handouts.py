"""Student versions of the notebooks (``dcgan-lessons assign``): solutions replaced by nbgrader's stubs,
hidden tests removed, outputs cleared, and never written over a student's work.
"""

from __future__ import annotations

import os
from pathlib import Path

from .exercises import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
BACKUP_FOLDER = ".assign-backup"  # what assign --replace set aside


def _replace_regions(source: str, begin: str, end: str, replacement: list[str], where: str) -> str:
    """Replace every ``begin`` ... ``end`` block of lines (markers included) by ``replacement``, indented
    like the ``begin`` line; refuse unbalanced markers, which would otherwise leak a solution."""
    out, inside = [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker == begin:
            if inside:
                raise ValueError(f"{where}: {begin!r} twice without {end!r} in between")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + r for r in replacement]
        elif marker == end:
            if not inside:
                raise ValueError(f"{where}: {end!r} without a {begin!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {begin!r} without {end!r}; close the region so that it can be removed")
    return "\n".join(out)


def student_version(nb, name: str = "notebook"):
    """A copy of ``nb`` for students: solutions replaced by nbgrader's stubs, hidden tests removed,
    outputs cleared; everything else, metadata included, as it was."""
    import copy

    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index}"
        stub = MARKDOWN_STUB if cell.cell_type == "markdown" else CODE_STUB
        cell.source = _replace_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        cell.source = _replace_regions(cell.source, BEGIN_HIDDEN, END_HIDDEN, [], where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
    return nb


def _same_notebook(path: Path, nb) -> bool:
    """Whether the file ``path`` holds exactly the notebook ``nb`` (a student's edits, a teacher's solutions: no)."""
    import nbformat

    try:
        return nbformat.writes(nbformat.read(path, as_version=4)) == nbformat.writes(nb)
    except Exception:  # anything unreadable is not the same notebook
        return False


def assign(source: str | os.PathLike, out: str | os.PathLike, replace: bool = False) -> list[Path]:
    """Write the student version of every notebook in the folder ``source`` into ``out``, each as a new file (a
    link in ``out`` is replaced, never written through). A notebook already in ``out`` that differs from its
    fresh student version (a student's work, a link to the teacher's) is refused unless ``replace``; then it is
    kept aside in ``out/.assign-backup/``."""
    import nbformat

    from .files import write_with

    source, out = Path(source), Path(out)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"{source} holds no notebooks (*.ipynb); name the folder with the teacher's notebooks")
    if out.resolve() == source.resolve():
        raise ValueError(
            f"the student versions would overwrite the teacher's notebooks in {source}; choose another OUT_DIR"
        )
    versions = {path.name: student_version(nbformat.read(path, as_version=4), path.name) for path in notebooks}
    differ = [
        name for name, nb in versions.items() if os.path.lexists(out / name) and not _same_notebook(out / name, nb)
    ]
    if differ and not replace:
        raise ValueError(
            f"{out} already holds {', '.join(differ)}, different from the fresh student version (a student's work, "
            "or a link to the teacher's notebook); choose an empty folder, or pass --replace to keep them aside "
            f"in {out / BACKUP_FOLDER} and write new ones"
        )
    out.mkdir(parents=True, exist_ok=True)
    for name in differ:
        (out / BACKUP_FOLDER).mkdir(exist_ok=True)
        os.replace(out / name, _free(out / BACKUP_FOLDER / name))  # the link or file itself moves, not its target
    for name, nb in versions.items():
        write_with(out / name, lambda tmp, nb=nb: nbformat.write(nb, tmp))  # a new file renamed into place
    return [out / name for name in versions]


def _free(path: Path) -> Path:
    """``path``, or ``name.1.ipynb``, ``name.2.ipynb``, ... : the first name not taken."""
    candidate, n = path, 0
    while os.path.lexists(candidate):
        n += 1
        candidate = path.with_name(f"{path.stem}.{n}{path.suffix}")
    return candidate
