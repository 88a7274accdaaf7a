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


def check(paths: list[str | os.PathLike]) -> list[str]:
    """Every difference between the lesson cells of these notebooks and the package, one line each."""
    import nbformat

    problems = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        for index, module_name, code in lesson_cells(nb):
            problems += [f"{path.name}, cell {index}: {p}" for p in differences(module_name, code)]
    return problems


def _sync_exercises(nb, notebook: str) -> bool:
    """Put the registry's current exercise cells (task, answer, check) in place of the notebook's."""
    from .exercises import exercise_cells, for_notebook

    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    dirty = False
    for exercise in for_notebook(notebook):
        for new in exercise_cells(exercise.id):
            old = by_id.get(new.metadata["nbgrader"]["grade_id"])
            if old is not None and (old.source, old.metadata.get("nbgrader")) != (new.source, new.metadata["nbgrader"]):
                old.source, old.metadata["nbgrader"], dirty = new.source, new.metadata["nbgrader"], True
    return dirty


def sync(paths: list[str | os.PathLike]) -> list[Path]:
    """Rewrite every definition in the lesson cells from the package's current source (imports and
    constants are kept as they are), and the exercise cells from the exercise registry; returns the
    notebooks that changed."""
    import nbformat

    changed = []
    for path in map(Path, paths):
        nb = nbformat.read(path, as_version=4)
        dirty = _sync_exercises(nb, path.stem)
        for index, module_name, code in lesson_cells(nb):
            module = importlib.import_module(module_name)
            lines = code.splitlines()
            for node in reversed(_definitions(code)):  # from the bottom, so earlier line numbers hold
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
                lines[start : node.end_lineno] = inspect.getsource(getattr(module, node.name)).rstrip().splitlines()
            new = "\n".join([MARKER + module_name, *lines])
            if new != nb.cells[index].source:
                nb.cells[index].source, dirty = new, True
        if dirty:
            nbformat.write(nb, path)
            changed.append(path)
    return changed
