"""The lesson code in the notebooks and in the package: one source, checked.

The package is the source. A notebook teaches a piece of it in a *lesson cell*: a code cell whose first
line is ``# @lesson dcgan_lessons.models`` (the module), followed by imports and the exact definitions
from that module that the lesson is about. The student reads, runs and changes that cell; the rest of
the notebook uses what it defines. :func:`check` says where a lesson cell and the package differ (the
tests fail on any difference), and :func:`sync` rewrites the lesson cells from the package after the
package changed (``dcgan-lessons lessons --sync``), so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
from pathlib import Path

MARKER = "# @lesson "  # a comment ruff format leaves as it is


def lesson_cells(nb) -> list[tuple[int, str, str]]:
    """(cell index, module name, code) for every lesson cell of a notebook."""
    found = []
    for index, cell in enumerate(nb.cells):
        first, _, code = cell.source.partition("\n")
        if cell.cell_type == "code" and first.startswith(MARKER):
            found.append((index, first[len(MARKER) :].strip(), code))
    return found


def _definitions(code: str) -> list[ast.stmt]:
    return [n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]


def _segment(code: str, node: ast.stmt) -> str:
    """A definition's source with its decorators, as :func:`inspect.getsource` gives it."""
    lines = code.splitlines()
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    return "\n".join(lines[start : node.end_lineno])


def _allowed_statement(node: ast.stmt, module) -> bool:
    """Besides definitions a lesson cell may hold imports and the module's own constants."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        try:
            return hasattr(module, name) and ast.literal_eval(node.value) == getattr(module, name)
        except ValueError:
            return False
    return False


def differences(module_name: str, code: str) -> list[str]:
    """What in a lesson cell's ``code`` differs from the module ``module_name``: empty when they agree."""
    module = importlib.import_module(module_name)
    problems = []
    tree = ast.parse(code)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            source = inspect.getsource(getattr(module, node.name)).rstrip() if hasattr(module, node.name) else None
            if source is None:
                problems.append(f"{node.name} is not defined in {module_name}")
            elif _segment(code, node) != source:
                problems.append(f"{node.name} differs from {module_name}.{node.name}")
        elif not _allowed_statement(node, module):
            problems.append(f"line {node.lineno}: only imports, {module_name}'s constants and definitions belong here")
    if not _definitions(code):
        problems.append("no definition: a lesson cell teaches at least one function or class")
    return problems


PACKAGE = "dcgan_lessons"
BACKUP_FOLDER = ".lessons-backup"  # beside the notebooks: what --sync replaced


def _module(module_name: str):
    """The package's module a lesson cell names; a name outside the package is not imported."""
    if module_name != PACKAGE and not module_name.startswith(PACKAGE + "."):
        raise ValueError(f"{module_name!r} is not a module of {PACKAGE}")
    try:
        return importlib.import_module(module_name)
    except ImportError:
        raise ValueError(f"no module {module_name!r}") from None


def _read(path: Path):
    """The notebook in ``path`` as nbformat 4, or ValueError naming the file and why it cannot be read."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
        if nb.nbformat != 4:
            raise ValueError(f"nbformat {nb.nbformat}")
        return nb
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a notebook this command can read ({type(error).__name__}: {error})") from None


def _differences(module_name: str, code: str) -> list[str]:
    """:func:`differences`, or why the cell cannot be compared (a module outside the package, a syntax error)."""
    try:
        _module(module_name)
        return differences(module_name, code)
    except (ValueError, SyntaxError) as error:
        return [f"{type(error).__name__}: {error}"]


def check(paths: list[str | os.PathLike]) -> list[str]:
    """Every difference between the lesson and exercise cells of these notebooks and the package (all that
    :func:`sync` would rewrite), one line each."""
    if not paths:
        raise ValueError("no notebooks to check; run this from the project folder or name the notebooks")
    problems = []
    for path in map(Path, paths):
        nb = _read(path)
        for index, module_name, code in lesson_cells(nb):
            problems += [f"{path.name}, cell {index}: {p}" for p in _differences(module_name, code)]
        # what --sync would replace (it changes only this copy): exercise cells that differ from the registry
        problems += [
            f"{path.name}, {line} differs from the exercise registry" for line in _sync_exercises(nb, path.stem)
        ]
    return problems


def _sync_exercises(nb, notebook: str) -> list[str]:
    """Put the registry's current exercise cells (task, answer, check) in place of the notebook's; returns what
    it replaced, one line per cell."""
    from .exercises import exercise_cells, for_notebook

    index = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    changed = []
    for exercise in for_notebook(notebook):
        for new in exercise_cells(exercise.id):
            grade_id = new.metadata["nbgrader"]["grade_id"]
            old = nb.cells[index[grade_id]] if grade_id in index else None
            if old is not None and (old.source, old.metadata.get("nbgrader")) != (new.source, new.metadata["nbgrader"]):
                old.source, old.metadata["nbgrader"] = new.source, new.metadata["nbgrader"]
                changed.append(f"cell {index[grade_id]}: {grade_id}")
    return changed


def is_student_version(nb) -> bool:
    """A notebook with answer cells (nbgrader's ``solution``) none of which holds a solution region: a student's
    copy, whose answers a sync would replace with the teacher's solutions."""
    from .exercises import BEGIN_SOLUTION

    answers = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    return bool(answers) and not any(BEGIN_SOLUTION in c.source for c in answers)


def sync(paths: list[str | os.PathLike]) -> dict[Path, list[str]]:
    """Rewrite every definition in the lesson cells of the teacher's notebooks from the package's current source
    (imports and constants are kept as they are), and the exercise cells from the exercise registry. A student
    version is refused (its answers would become the solutions). Each notebook that changes is first copied into
    ``.lessons-backup/`` beside it; returns what changed, by notebook, one line per cell."""
    import shutil
    from datetime import datetime, timezone

    import nbformat

    if not paths:
        raise ValueError("no notebooks to sync; run this from the project folder or name the notebooks")
    notebooks = {Path(path): _read(Path(path)) for path in paths}
    if students := [path.name for path, nb in notebooks.items() if is_student_version(nb)]:
        raise ValueError(
            f"{', '.join(students)}: a student version (answer cells without solutions); --sync rewrites only "
            "the teacher's notebooks"
        )
    changed = {}
    for path, nb in notebooks.items():
        lines = _sync_exercises(nb, path.stem)
        for index, module_name, code in lesson_cells(nb):
            try:
                module, definitions = _module(module_name), _definitions(code)
            except (ValueError, SyntaxError) as error:
                raise ValueError(f"{path.name}, cell {index}: {type(error).__name__}: {error}") from None
            source = code.splitlines()
            for node in reversed(definitions):  # from the bottom, so earlier line numbers hold
                if not hasattr(module, node.name):
                    continue  # check() reports it; there is nothing to copy
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
                source[start : node.end_lineno] = inspect.getsource(getattr(module, node.name)).rstrip().splitlines()
            new = "\n".join([MARKER + module_name, *source])
            if new != nb.cells[index].source:
                nb.cells[index].source = new
                lines.append(f"cell {index}: lesson of {module_name}")
        if lines:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            backup = path.parent / BACKUP_FOLDER / f"{path.stem}.{stamp}.ipynb"
            backup.parent.mkdir(exist_ok=True)
            shutil.copyfile(path, backup)
            nbformat.write(nb, path)
            changed[path] = [*sorted(lines, key=lambda line: int(line.split()[1].rstrip(":"))), f"backup: {backup}"]
    return changed
