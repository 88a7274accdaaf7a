"""The course's exercises: what each asks, its hint, its solution, and the check that says what is
right or what is wrong and why.

A notebook's exercise is three cells, all rendered from here (:func:`exercise_cells`): the task (markdown), the
cell the student completes (the teacher's solution between nbgrader's ``### BEGIN SOLUTION`` / ``### END
SOLUTION`` markers), and a check cell that calls :func:`check` (with the teacher's extra cases between ``###
BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``). ``dcgan-lessons assign`` strips solutions and hidden tests
for students; ``dcgan-lessons grade`` puts the hidden tests back and runs the checks.

The framework is here; the exercises themselves live one module per notebook topic (``pixels``, ``layers``,
``losses``, ``training``, ``switching``, ``latent``, ``taming``, ``conditional``) and register themselves when this
package is imported.

A prediction or a reading with a few possible answers (``first_answer_only``) shows the right answer after a
wrong one, so only the first answer checked in a Python session is graded: a later right answer is told so and
fails its check. ``dcgan-lessons grade`` runs each notebook in a fresh kernel, so it grades the first answer
checked there (an answer cell that tries answers through ``check`` first earns nothing); a student who restarts
the kernel starts afresh, which no check inside the kernel can prevent.

From a notebook: ``dl.exercises.hint("ex03")``, and ``dl.exercises.solution("ex03")`` once a teacher allows it
by setting ``DCGAN_LESSONS_SOLUTIONS=1`` where Jupyter runs (a convenience, not a lock: the package is open).
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

SOLUTIONS_VARIABLE = "DCGAN_LESSONS_SOLUTIONS"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
NBGRADER_SCHEMA = 3


class ExerciseError(AssertionError):
    """A check failed; the message says what is wrong and what to try."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the student needs the message, not our stack.
        return [f"\x1b[31m{self}\x1b[0m"]


class _Wrong(Exception):
    """Raised inside a check: the answer is wrong, for the reason in the message."""


class _Malformed(_Wrong):
    """Raised inside a check: the answer is not of a form the exercise accepts (a typo, not a wrong answer)."""


class _NotDone(Exception):
    """Raised inside a check: the answer still raises NotImplementedError."""


@dataclass(frozen=True)
class Exercise:
    id: str
    notebook: str  # the notebook's file stem, e.g. "01_mnist_data"
    title: str
    task: str  # markdown
    answer: str  # the name the student's cell defines
    template: str  # the student's cell, with "{solution}" where the solution goes
    solution: str
    hint: str
    checker: Callable[..., str]  # (answer, hidden, **data) -> what the student learnt; raises _Wrong
    points: int = 1
    hidden_tests: bool = True  # whether the check cell holds a hidden-tests section
    check_args: str = ""  # extra arguments of the check call, e.g. ", rates=rates"
    first_answer_only: bool = False  # the check tells the right answer after a wrong one: grade the first

    def solution_source(self) -> str:
        """The teacher's cell: the template with the solution between nbgrader's markers."""
        return _fill(self.template, "\n".join([BEGIN_SOLUTION, self.solution.strip("\n"), END_SOLUTION]))

    def check_source(self) -> str:
        call = f'dl.exercises.check("{self.id}", {self.answer}{self.check_args}'
        lines = [f"{call})"]
        if self.hidden_tests:
            lines += [BEGIN_HIDDEN, f"{call}, hidden=True)", END_HIDDEN]
        return "\n".join(lines)

    def task_source(self) -> str:
        points = f"{self.points} point" + ("s" if self.points > 1 else "")
        once = (
            " Only your first checked answer is graded: a wrong one is told the right answer." * self.first_answer_only
        )
        return (
            f"### Exercise {self.id}: {self.title} ({points})\n\n{self.task.strip()}{once}\n\n"
            f'Stuck? Run `dl.exercises.hint("{self.id}")`. The cell after yours checks your answer.'
        )


def _fill(template: str, block: str) -> str:
    """Put ``block`` where the template's ``{solution}`` line is, at that line's indentation."""
    lines = template.strip("\n").split("\n")
    (index,) = [i for i, line in enumerate(lines) if line.strip() == "{solution}"]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index : index + 1] = [indent + line if line else line for line in block.split("\n")]
    return "\n".join(lines)


def nbgrader_metadata(grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict:
    """Cell metadata in nbgrader's format: solution cells are editable, task and check cells locked."""
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": NBGRADER_SCHEMA,
        "solution": solution,
    }
    if grade:
        meta["points"] = points
    return meta


def exercise_cells(exercise_id: str) -> list:
    """The three nbformat cells of one exercise: task, solution (for the student to complete), check."""
    import nbformat

    ex = get(exercise_id)
    cells = nbformat.v4
    task = cells.new_markdown_cell(ex.task_source())
    task.metadata["nbgrader"] = nbgrader_metadata(f"{ex.id}_task")
    answer = cells.new_code_cell(ex.solution_source())
    answer.metadata["nbgrader"] = nbgrader_metadata(f"{ex.id}_answer", solution=True)
    check_cell = cells.new_code_cell(ex.check_source())
    check_cell.metadata["nbgrader"] = nbgrader_metadata(f"{ex.id}_check", grade=True, points=ex.points)
    return [task, answer, check_cell]


ANSWERS_HEADING = "**Your answers** to the questions above (not graded):"


def answers_cell(notebook: str, answers: str):
    """The teacher's answers to a notebook's "Check your understanding", as nbgrader's manually graded answer
    worth 0 points: the teacher's version shows them, a student version (``assign`` or nbgrader) replaces them
    with an empty box for the student's own answers."""
    import nbformat

    cell = nbformat.v4.new_markdown_cell(f"{ANSWERS_HEADING}\n\n{BEGIN_SOLUTION}\n{answers.strip()}\n{END_SOLUTION}")
    cell.metadata["nbgrader"] = nbgrader_metadata(f"{notebook}_answers", solution=True, grade=True, points=0)
    return cell


EXERCISES: dict[str, Exercise] = {}
FIRST_ANSWERS: dict[str, tuple[str, bool]] = {}  # exercise id -> (first answer checked, whether it was right)


def _register(**fields) -> None:
    fields["template"] = textwrap.dedent(fields["template"])
    fields["solution"] = textwrap.dedent(fields["solution"])
    ex = Exercise(**fields)
    EXERCISES[ex.id] = ex


def get(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise ValueError(f"no exercise {exercise_id!r}; the exercises are {', '.join(sorted(EXERCISES))}")
    return EXERCISES[exercise_id]


def for_notebook(notebook: str) -> list[Exercise]:
    """The exercises of one notebook (its file stem, e.g. ``"02_generator"``), in order."""
    return sorted((ex for ex in EXERCISES.values() if ex.notebook == notebook), key=lambda ex: ex.id)


def verdict(exercise_id: str, answer, hidden: bool = False, **data) -> str:
    """What the student learnt from a right answer; raises :class:`ExerciseError` saying what is wrong and what
    to try. :func:`check` shows it in the notebook; the grader reaches it in its own process (``verdicts``), where
    it keeps no state from one notebook to the next."""
    ex = get(exercise_id)
    name = f"{ex.id} ({ex.title})"
    try:
        return ex.checker(answer, hidden=hidden, **data)
    except _NotDone:
        raise ExerciseError(
            f"{name}: not done yet. Replace `raise NotImplementedError()` in the cell above with your "
            f'code and run it, then this cell again.\nStuck? dl.exercises.hint("{ex.id}")'
        ) from None
    except _Wrong as wrong:
        error = ExerciseError(f'{name}: not right yet. {wrong}\nStuck? dl.exercises.hint("{ex.id}")')
        error.malformed = isinstance(wrong, _Malformed)
        raise error from None


def check(exercise_id: str, answer, hidden: bool = False, **data) -> None:
    """Check a student's answer: prints what is right, or raises :class:`ExerciseError` saying what is
    wrong and what to try. ``hidden=True`` runs the teacher's extra cases; ``data`` are numbers a
    reading exercise is about (e.g. the measured rates). An exercise whose check tells the right answer
    after a wrong one counts only the first answer checked in this kernel."""
    ex = get(exercise_id)
    try:
        learnt = verdict(exercise_id, answer, hidden, **data)
    except ExerciseError as error:
        if ex.first_answer_only and not getattr(error, "malformed", False):
            FIRST_ANSWERS.setdefault(ex.id, (_short(answer), False))
        raise
    if ex.first_answer_only:
        first, right = FIRST_ANSWERS.setdefault(ex.id, (_short(answer), True))
        if not right:
            raise ExerciseError(
                f"{ex.id} ({ex.title}): right now, but not graded. Only the first answer checked counts here, since "
                f"the check tells the right answer after a wrong one, and the first was {first}, which was wrong."
            )
    if hidden:
        print(f"Correct: {ex.id} passes the teacher's extra cases too.")
    else:
        print(f"Correct: {ex.id} ({ex.title}). {learnt[:1].upper()}{learnt[1:]}")


def hint(exercise_id: str) -> None:
    """Print the exercise's hint."""
    ex = get(exercise_id)
    print(f"Hint for {ex.id} ({ex.title}): {ex.hint}")


def solutions_allowed() -> bool:
    """True when the teacher has set DCGAN_LESSONS_SOLUTIONS=1 where Jupyter runs."""
    return os.environ.get(SOLUTIONS_VARIABLE, "") not in ("", "0")


def solution(exercise_id: str) -> None:
    """Print the teacher's solution, if the teacher allows it (``DCGAN_LESSONS_SOLUTIONS=1``)."""
    ex = get(exercise_id)
    if not solutions_allowed():
        print(
            f"Solutions are turned off. Try dl.exercises.hint({ex.id!r}) first; your teacher can turn "
            f"solutions on by starting Jupyter with {SOLUTIONS_VARIABLE}=1."
        )
        return
    print(f"A solution for {ex.id} ({ex.title}), the code that goes into {ex.answer}:\n\n{ex.solution.strip()}")


# --- helpers the checks share ------------------------------------------------------------------


def _call(function, *args):
    """Call the student's function; its own errors become a message about their code."""
    if not callable(function):
        raise _Wrong(f"expected a function, got {type(function).__name__} {function!r}")
    try:
        return function(*args)
    except NotImplementedError:
        raise _NotDone() from None
    except Exception as err:
        shown = ", ".join(_short(a) for a in args)
        raise _Wrong(f"calling it with ({shown}) raised {type(err).__name__}: {err}") from None


def _short(value) -> str:
    if isinstance(value, np.ndarray) and value.size > 6:
        return f"<{value.dtype} array of shape {value.shape}>"
    if hasattr(value, "generator") and hasattr(value, "discriminator"):
        return "gan"
    if hasattr(value, "shape") and not isinstance(value, np.ndarray):
        return f"<tensor of shape {tuple(value.shape)}>"
    return repr(value)


def _number(value, what: str) -> float:
    try:
        number = float(np.asarray(value))
    except (TypeError, ValueError):
        raise _Wrong(f"{what} should be a number, got {_short(value)}") from None
    if not math.isfinite(number):
        raise _Wrong(f"{what} is {number}, not a finite number")
    return number


def _array(value, shape: tuple, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        raise _Wrong(f"{what} should be an array of numbers, got {_short(value)}") from None
    if array.shape != shape:
        raise _Wrong(f"{what} should have shape {shape}, got {array.shape}")
    return array


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-6) -> bool:
    return bool(np.allclose(np.asarray(a, "float64"), np.asarray(b, "float64"), rtol=rtol, atol=atol))


def _integer(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise _Wrong(f"{what} should be a whole number (int), got {_short(value)}; use // for integer division")
    return int(value)


# the exercises, one module per notebook topic; importing them registers them
from . import conditional, latent, layers, losses, pixels, switching, taming, training  # noqa: E402, F401

for _id in sorted(EXERCISES):  # the registry in the series' order (ex01, ex02, ...), whatever the import order
    EXERCISES[_id] = EXERCISES.pop(_id)
