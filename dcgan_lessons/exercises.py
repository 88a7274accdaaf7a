"""The course's exercises: what each asks, its hint, its solution, and the check that says what is
right or what is wrong and why.

A notebook's exercise is three cells, all rendered from here (:func:`exercise_cells`): the task (markdown), the
cell the student completes (the teacher's solution between nbgrader's ``### BEGIN SOLUTION`` / ``### END
SOLUTION`` markers), and a check cell that calls :func:`check` (with the teacher's extra cases between ``###
BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``). ``dcgan-lessons assign`` strips solutions and hidden tests
for students; ``dcgan-lessons grade`` puts the hidden tests back and runs the checks.

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
        return (
            f"### Exercise {self.id}: {self.title} ({points})\n\n{self.task.strip()}\n\n"
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


EXERCISES: dict[str, Exercise] = {}


def _register(**fields) -> None:
    fields["template"] = textwrap.dedent(fields["template"])
    fields["solution"] = textwrap.dedent(fields["solution"])
    ex = Exercise(**fields)
    EXERCISES[ex.id] = ex


def get(exercise_id: str) -> Exercise:
    if exercise_id not in EXERCISES:
        raise ValueError(f"no exercise {exercise_id!r}; the exercises are {', '.join(EXERCISES)}")
    return EXERCISES[exercise_id]


def for_notebook(notebook: str) -> list[Exercise]:
    """The exercises of one notebook (its file stem, e.g. ``"02_generator"``), in order."""
    return [ex for ex in EXERCISES.values() if ex.notebook == notebook]


def check(exercise_id: str, answer, hidden: bool = False, **data) -> None:
    """Check a student's answer: prints what is right, or raises :class:`ExerciseError` saying what is
    wrong and what to try. ``hidden=True`` runs the teacher's extra cases; ``data`` are numbers a
    reading exercise is about (e.g. the measured rates)."""
    ex = get(exercise_id)
    name = f"{ex.id} ({ex.title})"
    try:
        learnt = ex.checker(answer, hidden=hidden, **data)
    except _NotDone:
        raise ExerciseError(
            f"{name}: not done yet. Replace `raise NotImplementedError()` in the cell above with your "
            f'code and run it, then this cell again.\nStuck? dl.exercises.hint("{ex.id}")'
        ) from None
    except _Wrong as wrong:
        raise ExerciseError(f'{name}: not right yet. {wrong}\nStuck? dl.exercises.hint("{ex.id}")') from None
    if hidden:
        print(f"Correct: {ex.id} passes the teacher's extra cases too.")
    else:
        print(f"Correct: {name}. {learnt[:1].upper()}{learnt[1:]}")


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


# --- 01: the data --------------------------------------------------------------------------------


def _check_scale(scale_pixels, hidden: bool = False, **_) -> str:
    from .data import scale_images

    images = np.array([[0, 64, 127, 128, 191, 255]], dtype=np.uint8)
    if hidden:
        images = np.random.default_rng(7).integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    before = images.copy()
    got = _call(scale_pixels, images)
    if not np.array_equal(images, before):
        raise _Wrong("your function changed the array it was given; return a new array instead")
    if not hasattr(got, "dtype") or not hasattr(got, "shape"):
        raise _Wrong(f"expected a NumPy array, got {type(got).__name__}")
    if tuple(got.shape) != images.shape:
        raise _Wrong(f"expected shape {images.shape} (the same as the input), got {tuple(got.shape)}")
    got_values = np.asarray(got, "float64")
    x = images.astype("float64")
    if _close(got_values, x / 255.0):
        raise _Wrong(
            "your values lie in [0, 1]: you divided by 255. The generator's tanh draws in [-1, 1], so "
            "pixel 0 must become -1 and 255 must become 1"
        )
    if _close(got_values, (x - 127.5) / 255.0):
        raise _Wrong("your values lie in [-0.5, 0.5]: after subtracting 127.5, divide by 127.5, not 255")
    expected = scale_images(images)
    if not _close(got_values, expected, atol=1e-5):
        worst = np.unravel_index(np.argmax(np.abs(got_values - expected)), images.shape)
        raise _Wrong(
            f"pixel value {images[worst]} should become {expected[worst]:.4f}, your function gives "
            f"{got_values[worst]:.4f} (0 -> -1.0, 127.5 -> 0.0, 255 -> 1.0)"
        )
    if got.dtype != np.float32:
        raise _Wrong(
            f"the values are right but the dtype is {got.dtype}; the models compute in float32, so return float32 "
            "(float64 doubles the memory and TensorFlow would convert it anyway)"
        )
    return "0 -> -1, 255 -> 1: the same range as the generator's tanh, so real and fake digits are comparable."


_register(
    id="ex01",
    notebook="01_mnist_data",
    title="Scale pixels to [-1, 1]",
    task="""
Write `scale_pixels(images)`: it takes uint8 pixels in [0, 255] (any shape) and returns **float32** values in
[-1, 1], with 0 -> -1 and 255 -> 1, without changing the array it is given. This is what the training pipeline
does to every batch, so that real digits live in the same range as the generator's tanh output.
""",
    answer="scale_pixels",
    template='''
    def scale_pixels(images):
        """uint8 pixels in [0, 255] -> float32 values in [-1, 1]."""
        {solution}
    ''',
    solution="""
    return images.astype("float32") / 127.5 - 1.0
    """,
    hint="Map [0, 255] to [0, 2] by dividing by 127.5, then shift by -1. Convert to float32 first: "
    "uint8 arithmetic wraps around at 256.",
    checker=_check_scale,
)


def _check_batches(batches_per_epoch, hidden: bool = False, **_) -> str:
    from .data import steps_per_epoch

    cases = [(60000, 32), (60000, 64), (512, 32)]
    if hidden:
        cases = [(100, 32), (31, 32), (60000, 7), (70000, 128)]
    for n, batch in cases:
        got = _integer(_call(batches_per_epoch, n, batch), f"batches_per_epoch({n}, {batch})")
        expected = steps_per_epoch(n, batch)
        if got == -(-n // batch) and got != expected:
            raise _Wrong(
                f"batches_per_epoch({n}, {batch}) should be {expected}, you gave {got}: you counted the last, "
                f"partial batch of {n % batch} images. The pipeline batches with drop_remainder=True, so every "
                "batch is full and the leftover images wait for the next epoch's shuffle"
            )
        if got != expected:
            raise _Wrong(f"batches_per_epoch({n}, {batch}) should be {expected}, you gave {got}")
    return "60,000 / 32 = 1875 full batches: the report's 1875 steps per epoch."


_register(
    id="ex02",
    notebook="01_mnist_data",
    title="Batches in an epoch",
    task="""
The pipeline cuts each shuffled epoch into batches with `drop_remainder=True`: only full batches are used.
Write `batches_per_epoch(n_images, batch_size)` returning how many training steps one epoch has, as an int.
""",
    answer="batches_per_epoch",
    template='''
    def batches_per_epoch(n_images, batch_size):
        """Full batches of batch_size in one epoch of n_images."""
        {solution}
    ''',
    solution="""
    return n_images // batch_size
    """,
    hint="A leftover batch smaller than batch_size is dropped, so round down: integer division //.",
    checker=_check_batches,
)


# --- 02 and 03: layer shapes and parameters ---------------------------------------------------


def _keras_size(layer_class: str, size: int, kernel_size: int, strides: int, padding: str) -> int:
    import keras

    layer = getattr(keras.layers, layer_class)(1, kernel_size, strides=strides, padding=padding)
    return int(layer.compute_output_shape((1, size, size, 1))[1])


def _check_sizes(function, name: str, layer_class: str, cases, formulas: str, wrong_way: str) -> None:
    other = "Conv2D" if layer_class == "Conv2DTranspose" else "Conv2DTranspose"
    for size, kernel, strides, padding in cases:
        call = f"{name}({size}, {kernel}, {strides}, {padding!r})"
        got = _integer(_call(function, size, kernel, strides, padding), call)
        expected = _keras_size(layer_class, size, kernel, strides, padding)
        if got == expected:
            continue
        if got == _keras_size(other, size, kernel, strides, padding):
            raise _Wrong(f"{call} should be {expected}, you gave {got}: {wrong_way}")
        raise _Wrong(f"{call}: Keras' {layer_class} gives {expected}, you gave {got}. {formulas}")


def _check_transpose_size(conv_transpose_size, hidden: bool = False, **_) -> str:
    cases = [(7, 5, 2, "same"), (14, 5, 2, "same"), (7, 5, 2, "valid")]
    if hidden:
        cases = [(7, 3, 1, "same"), (4, 4, 2, "valid"), (5, 3, 3, "valid"), (9, 5, 3, "same")]
    _check_sizes(
        conv_transpose_size,
        "conv_transpose_size",
        "Conv2DTranspose",
        cases,
        "With padding 'same' a transposed convolution multiplies the size by the stride; with 'valid' it keeps "
        "every stamp of the kernel: (size - 1) * strides + kernel_size.",
        "that is the size a (forward) convolution gives. A transposed convolution goes the other way: it "
        "makes the image bigger",
    )
    return (
        "7 -> 14 -> 28: 'same' padding is why the generator reaches exactly 28x28 (the report's 'no padding' cannot)."
    )


_register(
    id="ex03",
    notebook="02_generator",
    title="Output size of a transposed convolution",
    task="""
Write `conv_transpose_size(size, kernel_size, strides, padding)`: the height (= width) of the output of a
`Conv2DTranspose` on a `size` x `size` input, for `padding` `"same"` or `"valid"`. The check compares your
numbers with Keras' own layer, e.g. the generator's 7 -> 14.
""",
    answer="conv_transpose_size",
    template='''
    def conv_transpose_size(size, kernel_size, strides, padding):
        """Output side of Conv2DTranspose(kernel_size, strides, padding) on a size x size input."""
        {solution}
    ''',
    solution="""
    if padding == "same":
        return size * strides
    return (size - 1) * strides + kernel_size
    """,
    hint="'same': the output is strides times the input. 'valid': each of the `size` input pixels stamps the "
    "kernel `strides` apart, so the stamps span (size - 1) * strides + kernel_size pixels.",
    checker=_check_transpose_size,
)


def _check_conv_params(conv_params, hidden: bool = False, **_) -> str:
    import keras

    cases = [(5, 256, 128), (5, 128, 64), (5, 64, 1)]
    if hidden:
        cases = [(3, 3, 16), (1, 10, 10), (5, 1, 64)]
    for kernel, channels, filters in cases:
        call = f"conv_params({kernel}, {channels}, {filters})"
        got = _integer(_call(conv_params, kernel, channels, filters), call)
        layer = keras.layers.Conv2DTranspose(filters, kernel)
        layer.build((None, 8, 8, channels))
        expected = layer.count_params()
        weights = kernel * kernel * channels * filters
        if got == expected:
            continue
        if got == weights:
            raise _Wrong(f"{call} should be {expected:,}, you gave {got:,}: you forgot the biases, one per filter")
        if got == kernel * kernel * filters + filters:
            raise _Wrong(
                f"{call} should be {expected:,}, you gave {got:,}: each filter has a {kernel}x{kernel} kernel for "
                f"every one of the {channels} input channels"
            )
        if got == kernel * channels * filters + filters:
            raise _Wrong(
                f"{call} should be {expected:,}, you gave {got:,}: a {kernel}x{kernel} kernel has {kernel}² weights"
            )
        raise _Wrong(f"{call}: Keras counts {expected:,} parameters, you gave {got:,}")
    return "the generator's first transposed convolution alone has 819,328 parameters, a third of its 2,343,681."


_register(
    id="ex04",
    notebook="02_generator",
    title="A layer's parameters by hand",
    task="""
Write `conv_params(kernel_size, in_channels, filters)`: how many parameters a `Conv2D` or `Conv2DTranspose`
layer with `filters` square `kernel_size` x `kernel_size` kernels (and biases) has on an input with
`in_channels` channels. The check compares with Keras' `count_params()` for the generator's layers.
""",
    answer="conv_params",
    template='''
    def conv_params(kernel_size, in_channels, filters):
        """Weights and biases of a (transposed) convolution with square kernels."""
        {solution}
    ''',
    solution="""
    return kernel_size * kernel_size * in_channels * filters + filters
    """,
    hint="Each filter looks at every input channel through a kernel_size x kernel_size window, and adds one bias.",
    checker=_check_conv_params,
)


def _check_conv_size(conv_size, hidden: bool = False, **_) -> str:
    cases = [(28, 5, 2, "same"), (14, 5, 2, "same"), (7, 5, 2, "same"), (28, 5, 2, "valid")]
    if hidden:
        cases = [(9, 3, 2, "same"), (7, 3, 2, "valid"), (5, 5, 1, "valid"), (10, 3, 3, "same")]
    _check_sizes(
        conv_size,
        "conv_size",
        "Conv2D",
        cases,
        "With padding 'same' the output is ceil(size / strides) (rounded up); with 'valid' the kernel must fit "
        "inside: (size - kernel_size) // strides + 1.",
        "that is the size a transposed convolution gives. A strided convolution makes the image smaller",
    )
    return "28 -> 14 -> 7: the discriminator halves the image twice before its Dense layer sees 7*7*128 numbers."


_register(
    id="ex05",
    notebook="03_discriminator",
    title="Output size of a convolution",
    task="""
Write `conv_size(size, kernel_size, strides, padding)`: the height (= width) of the output of a `Conv2D` on a
`size` x `size` input, for `padding` `"same"` or `"valid"`. Careful with odd sizes: the check also asks about a
7 x 7 input, which does not divide by the stride.
""",
    answer="conv_size",
    template='''
    def conv_size(size, kernel_size, strides, padding):
        """Output side of Conv2D(kernel_size, strides, padding) on a size x size input."""
        {solution}
    ''',
    solution="""
    if padding == "same":
        return -(-size // strides)
    return (size - kernel_size) // strides + 1
    """,
    hint="'same' pads so that every stride-th pixel gets an output: ceil(size / strides), e.g. -(-size // strides). "
    "'valid' counts the positions where the whole kernel fits.",
    checker=_check_conv_size,
)


def _check_leaky_relu(leaky_relu, hidden: bool = False, **_) -> str:
    import keras

    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], dtype="float32")
    alpha = 0.3
    if hidden:
        x, alpha = np.random.default_rng(3).standard_normal((4, 5)).astype("float32"), 0.2
    got = _array(_call(leaky_relu, x, alpha), x.shape, f"leaky_relu(x, {alpha})")
    expected = keras.ops.convert_to_numpy(keras.layers.LeakyReLU(negative_slope=alpha)(x))
    if _close(got, expected):
        return "negative inputs keep a slope of alpha, so the discriminator passes gradient back even for them."
    if _close(got, np.maximum(x, 0)):
        raise _Wrong("that is ReLU: every negative input became 0. LeakyReLU multiplies negative inputs by alpha")
    if _close(got, np.where(x > 0, alpha * x, x)):
        raise _Wrong("you scaled the positive inputs; LeakyReLU keeps positives as they are and scales negatives")
    i = int(np.argmax(np.abs(got - expected)))
    raise _Wrong(
        f"for x = {x.ravel()[i]:.3f} and alpha = {alpha}, Keras gives {expected.ravel()[i]:.4f}, "
        f"you gave {got.ravel()[i]:.4f}"
    )


_register(
    id="ex06",
    notebook="03_discriminator",
    title="LeakyReLU by hand",
    task="""
Write `leaky_relu(x, alpha)` with NumPy: `x` where `x > 0`, `alpha * x` elsewhere, for an array `x` of any
shape. The check compares with Keras' `LeakyReLU(negative_slope=alpha)`, for the report's alpha 0.3 and more.
""",
    answer="leaky_relu",
    template='''
    def leaky_relu(x, alpha):
        """LeakyReLU: x for positive x, alpha * x for negative x."""
        {solution}
    ''',
    solution="""
    return np.where(x > 0, x, alpha * x)
    """,
    hint="np.where(condition, value_if_true, value_if_false) works element by element on whole arrays.",
    checker=_check_leaky_relu,
)


def _check_megabytes(weights_megabytes, hidden: bool = False, **_) -> str:
    cases = [(213_633, 4), (2_343_681, 4)]
    if hidden:
        cases = [(213_633, 2), (1_000_000, 8)]
    for n, size in cases:
        call = f"weights_megabytes({n:_}, {size})"
        got = _number(_call(weights_megabytes, n, size), call)
        expected = n * size / 1e6
        mistakes = [
            (n * size / 2**20, "that is MiB (2**20 bytes); a megabyte, MB, is 10**6 bytes"),
            (n / 1e6, "that counts parameters, not bytes: multiply by the bytes per parameter"),
            (n * size * 8 / 1e6, "that is megabits: a byte has 8 bits, and bytes_per_param already counts bytes"),
            (n * size / 1e3, "that is kilobytes; divide by 1000 once more"),
        ]
        if _close(got, expected, rtol=1e-3):
            continue
        reason = next((why for value, why in mistakes if _close(got, value, rtol=1e-3)), "")
        raise _Wrong(f"{call} should be {expected:.4f} MB, you gave {got:.4f}" + (f": {reason}" if reason else ""))
    return (
        "the discriminator's 213,633 float32 parameters take 0.85 MB, about 400 times less than the report's 334.50 MB."
    )


_register(
    id="ex07",
    notebook="03_discriminator",
    title="How big is the discriminator?",
    task="""
The report prints "334.50 MB" as the size of the discriminator's 213,633 parameters. Before we measure it,
write `weights_megabytes(n_params, bytes_per_param)`: the memory the weights take, in megabytes (1 MB =
$10^6$ bytes), for `bytes_per_param` 4 (float32), 2 (float16) or 8 (float64).
""",
    answer="weights_megabytes",
    template='''
    def weights_megabytes(n_params, bytes_per_param):
        """Memory of n_params weights of bytes_per_param bytes each, in MB (10**6 bytes)."""
        {solution}
    ''',
    solution="""
    return n_params * bytes_per_param / 1e6
    """,
    hint="Bytes = parameters x bytes per parameter; 1 MB = 1,000,000 bytes (and 1 MiB = 2**20 = 1,048,576 bytes).",
    checker=_check_megabytes,
)


# --- 04: the losses -------------------------------------------------------------------------------


def _check_bce(bce, hidden: bool = False, **_) -> str:
    from .losses import binary_cross_entropy

    targets = np.array([1.0, 1.0, 0.0, 0.0])
    probs = np.array([0.9, 0.6, 0.2, 0.5])
    if hidden:
        targets = np.array([1.0, 0.0, 1.0, 0.9, 0.0])
        probs = np.array([0.0, 0.0, 0.75, 0.3, 0.999])
    value = _call(bce, targets, probs)
    call = f"bce({targets.tolist()}, {probs.tolist()})"
    try:
        got = float(np.asarray(value))
    except (TypeError, ValueError):
        raise _Wrong(f"{call} should return one number (the mean over the batch), got {_short(value)}") from None
    expected = float(binary_cross_entropy(targets, probs))
    if not math.isfinite(got):
        raise _Wrong(
            f"{call} gave {got}: log(0) is -inf. Clip the probabilities to [1e-7, 1 - 1e-7] first, as Keras does"
        )
    if _close(got, expected, rtol=1e-4):
        return f"BCE here is {expected:.4f}; a confident wrong answer (p near 0 for a real digit) costs the most."
    p = np.clip(probs, 1e-7, 1 - 1e-7)
    terms = targets * np.log(p) + (1 - targets) * np.log(1 - p)
    known = [
        (-terms.mean(), None),
        (terms.mean(), "the sign is wrong: log of a probability is negative, so BCE needs a minus in front"),
        (-terms.sum(), "you summed over the batch; BCE is the mean, so it does not grow with the batch size"),
        (
            -(targets * np.log(p)).mean(),
            "only the t log p term is there: add (1 - t) log(1 - p), the term of the fakes",
        ),
        (
            -(targets * np.log10(p) + (1 - targets) * np.log10(1 - p)).mean(),
            "you used log10; cross-entropy uses the natural log (np.log)",
        ),
    ]
    for value_, message in known:
        if message and _close(got, value_, rtol=1e-4):
            raise _Wrong(f"{call} should be {expected:.4f}, you gave {got:.4f}: {message}")
    raise _Wrong(f"{call} should be {expected:.4f} (Keras' BCE), you gave {got:.4f}")


_register(
    id="ex08",
    notebook="04_adversarial_losses",
    title="Binary cross-entropy by hand",
    task="""
Write `bce(targets, probs)` with NumPy: the mean over the batch of $-[t \\log p + (1 - t) \\log(1 - p)]$, with
the probabilities clipped to $[10^{-7}, 1 - 10^{-7}]$ as Keras does (so that $p = 0$ costs a lot, not infinity).
Work one example by hand first: $t = 1$, $p = 0.9$ gives $-\\ln 0.9 = 0.105$.
""",
    answer="bce",
    template='''
    def bce(targets, probs):
        """Mean binary cross-entropy of probabilities probs against targets (1 = real, 0 = fake)."""
        targets = np.asarray(targets, dtype="float64")
        probs = np.asarray(probs, dtype="float64")
        {solution}
    ''',
    solution="""
    probs = np.clip(probs, 1e-7, 1 - 1e-7)
    return -np.mean(targets * np.log(probs) + (1 - targets) * np.log(1 - probs))
    """,
    hint="np.clip(probs, 1e-7, 1 - 1e-7), then -np.mean(...) of the two terms; np.log is the natural log.",
    checker=_check_bce,
)


def _check_d_terms(d_loss_terms, hidden: bool = False, **_) -> str:
    from .losses import binary_cross_entropy, discriminator_loss

    real = np.array([0.9, 0.8, 0.6])
    fake = np.array([0.1, 0.3, 0.5])
    if hidden:
        real, fake = np.array([0.5, 0.5]), np.array([0.5, 0.5])
    value = _call(d_loss_terms, real, fake)
    if not isinstance(value, tuple | list) or len(value) != 3:
        raise _Wrong(f"return three numbers, (real_term, fake_term, d_loss); got {_short(value)}")
    real_term, fake_term, total = (
        _number(v, name) for v, name in zip(value, ("real_term", "fake_term", "d_loss"), strict=True)
    )
    want_real = float(binary_cross_entropy(1.0, real))
    want_fake = float(binary_cross_entropy(0.0, fake))
    call = f"d_loss_terms({real.tolist()}, {fake.tolist()})"
    if not _close(real_term, want_real):
        swapped = " real digits have target 1, not 0" if _close(real_term, binary_cross_entropy(0.0, real)) else ""
        raise _Wrong(f"{call}: the real term should be {want_real:.4f}, you gave {real_term:.4f}.{swapped}")
    if not _close(fake_term, want_fake):
        swapped = " fakes have target 0, not 1" if _close(fake_term, binary_cross_entropy(1.0, fake)) else ""
        raise _Wrong(f"{call}: the fake term should be {want_fake:.4f}, you gave {fake_term:.4f}.{swapped}")
    want_total = float(discriminator_loss(real, fake))
    if _close(total, real_term + fake_term) and not _close(total, want_total):
        raise _Wrong(
            f"{call}: d_loss should be {want_total:.4f}, you gave {total:.4f}: you added the two terms. The course "
            "(and the report's log) reports their mean, so that a D that says 0.5 to everything scores ln 2 = 0.693"
        )
    if not _close(total, want_total):
        raise _Wrong(f"{call}: both terms are right but d_loss should be {want_total:.4f}, you gave {total:.4f}")
    return "at D = 0.5 everywhere d_loss is ln 2 = 0.693: the value the report's d_loss settles at."


_register(
    id="ex09",
    notebook="04_adversarial_losses",
    title="The discriminator's loss, term by term",
    task="""
Write `d_loss_terms(real_prob, fake_prob)` returning `(real_term, fake_term, d_loss)`: the BCE of the
discriminator's outputs on real digits (target 1) and on fakes (target 0), and the discriminator's loss as the
course reports it, the **mean** of the two terms. Use the package's `dl.losses.binary_cross_entropy(target, prob)`.
""",
    answer="d_loss_terms",
    template='''
    def d_loss_terms(real_prob, fake_prob):
        """(real_term, fake_term, d_loss) of the discriminator's outputs D(x) and D(G(z)), as floats."""
        {solution}
    ''',
    solution="""
    real_term = float(dl.losses.binary_cross_entropy(1.0, real_prob))
    fake_term = float(dl.losses.binary_cross_entropy(0.0, fake_prob))
    return real_term, fake_term, (real_term + fake_term) / 2
    """,
    hint="The discriminator wants D(x) -> 1 and D(G(z)) -> 0, so the real term's target is 1 and the fake term's 0. "
    "d_loss is their average.",
    checker=_check_d_terms,
)


def _check_grads(generator_grads, hidden: bool = False, **_) -> str:
    from .losses import generator_loss_curve

    d_fake = np.array([0.001, 0.01, 0.1, 0.5, 0.9])
    if hidden:
        d_fake = np.array([0.0001, 0.3, 0.7, 0.99])
    value = _call(generator_grads, d_fake)
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise _Wrong(f"return two arrays, (minimax, non_saturating); got {_short(value)}")
    minimax = _array(value[0], d_fake.shape, "the minimax gradient")
    non_saturating = _array(value[1], d_fake.shape, "the non-saturating gradient")
    want_mm = generator_loss_curve(d_fake, "minimax", wrt="logit")[1]
    want_ns = generator_loss_curve(d_fake, "non_saturating", wrt="logit")[1]
    ok_mm, ok_ns = _close(minimax, want_mm, atol=1e-4), _close(non_saturating, want_ns, atol=1e-4)
    if ok_mm and ok_ns:
        return (
            "when D(G(z)) = 0.001 (the generator is losing) the minimax gradient is -0.001 but the non-saturating one "
            "is -0.999: only the non-saturating loss still teaches a losing generator."
        )
    if _close(minimax, want_ns, atol=1e-4) and _close(non_saturating, want_mm, atol=1e-4):
        raise _Wrong("the two are swapped: return (minimax, non_saturating) in that order")
    label, got, want, by_prob = (
        ("minimax", minimax, want_mm, -1 / (1 - d_fake))
        if not ok_mm
        else ("non-saturating", non_saturating, want_ns, -1 / d_fake)
    )
    i = int(np.argmax(np.abs(got - want)))
    where = f"at D(G(z)) = {d_fake[i]:g} the {label} gradient should be {want[i]:.4f}, you gave {got[i]:.4f}"
    if _close(got, by_prob, rtol=1e-3):
        raise _Wrong(
            f"{where}: that is the derivative by D(G(z)) itself. Take it by the logit a, through "
            "D = sigmoid(a): multiply by dD/da = D (1 - D)"
        )
    if _close(got, -want, atol=1e-4):
        raise _Wrong(f"{where}: the sign of the {label} term is off")
    raise _Wrong(f"{where}: the {label} term is off")


_register(
    id="ex10",
    notebook="04_adversarial_losses",
    title="Gradients of the minimax and the non-saturating loss",
    task="""
The generator's gradient reaches it through the discriminator's logit $a$, with $D(G(z)) = \\sigma(a)$. Write
`generator_grads(d_fake)`: for an array of values of $D(G(z))$, return `(minimax, non_saturating)`, the
derivatives by $a$ of the minimax loss $\\log(1 - \\sigma(a))$ and of the non-saturating loss $-\\log \\sigma(a)$.
Use $\\sigma'(a) = \\sigma(a)(1 - \\sigma(a))$; the check compares with `tf.GradientTape` through the package's losses.
""",
    answer="generator_grads",
    template='''
    def generator_grads(d_fake):
        """d loss / d logit of the minimax and the non-saturating generator losses, at D(G(z)) = d_fake."""
        d_fake = np.asarray(d_fake, dtype="float64")
        {solution}
    ''',
    solution="""
    minimax = -d_fake
    non_saturating = d_fake - 1.0
    return minimax, non_saturating
    """,
    hint="With D = sigma(a): d/da log(1 - D) = -D'/(1 - D) = -D (1 - D) / (1 - D) = -D, and "
    "d/da -log D = -D'/D = -(1 - D) = D - 1. Here D is d_fake.",
    checker=_check_grads,
)


# --- 05: training ----------------------------------------------------------------------------------


def _tiny_gan(seed: int = 1):
    """The package's DCGAN with narrow layers and plain SGD: fast, and its updates are proportional to
    the gradient (Adam's first step is not), so a wrongly scaled loss shows in the weights."""
    import keras

    from .models import build_discriminator, build_generator
    from .training import DCGAN

    gan = DCGAN(
        build_generator(latent_dim=8, filters=(8, 4, 2), seed=seed),
        build_discriminator(filters=(4, 8), seed=seed),
        seed=seed,
    )
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    return gan


def _weights(model) -> list[np.ndarray]:
    return [np.array(w.numpy()) for w in model.trainable_weights]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.allclose(x, y, rtol=1e-4, atol=1e-6) for x, y in zip(a, b, strict=True))


def _reference_step(seed: int, batch: int):
    """One step of the package's own DCGAN.train_step on a tiny batch: the numbers d_step and g_step must match."""
    import keras

    real = np.random.default_rng(seed).uniform(-1, 1, (batch, 28, 28, 1)).astype("float32")
    gan = _tiny_gan(seed)
    before = {"g": _weights(gan.generator), "d": _weights(gan.discriminator)}
    logs = gan.train_step(real)
    after = {"g": _weights(gan.generator), "d": _weights(gan.discriminator)}
    # train_step draws its noise from a SeedGenerator(seed); the first draw of a fresh one is the same noise
    noise = keras.random.normal((batch, 8), seed=keras.random.SeedGenerator(seed))
    probe = _tiny_gan(seed)
    fake_prob = probe.discriminator(probe.generator(noise, training=True), training=True)
    real_prob = probe.discriminator(real, training=True)
    return real, noise, before, after, logs, real_prob, fake_prob


def _check_update(got: list[np.ndarray], before, after, player: str, optimizer: str) -> None:
    if _same(got, before):
        raise _Wrong(
            f"the {player}'s weights did not change: apply the gradients with gan.{optimizer}.apply_gradients("
            f"zip(gradients, gan.{player}.trainable_weights))"
        )
    if _same(got, after):
        return
    wanted = [a - b for a, b in zip(after, before, strict=True)]
    moved = [g - b for g, b in zip(got, before, strict=True)]
    if all(np.allclose(m, -w, rtol=1e-3, atol=1e-6) for m, w in zip(moved, wanted, strict=True)):
        raise _Wrong(f"the {player}'s weights moved the wrong way: minimise the loss, do not climb it")
    raise _Wrong(
        f"your loss is right but the {player}'s update differs from the package's train_step: take the gradient of "
        f"that loss inside the tape, with respect to gan.{player}.trainable_weights, and apply it with gan.{optimizer}"
    )


def _check_d_step(d_step, hidden: bool = False, **_) -> str:
    from .losses import discriminator_loss

    seed, batch = (5, 3) if hidden else (1, 4)
    real, noise, before, after, logs, real_prob, fake_prob = _reference_step(seed, batch)
    gan = _tiny_gan(seed)
    loss = _number(_call(d_step, gan, real, noise), "d_step's return value (the discriminator's loss)")
    if not _same(_weights(gan.generator), before["g"]):
        raise _Wrong(
            "d_step changed the generator's weights: apply gradients only to gan.discriminator.trainable_weights"
        )
    want = float(logs["d_loss"])
    if not _close(loss, want):
        known = {
            2 * want: "you added the real and the fake terms; dl.discriminator_loss reports their mean",
            float(discriminator_loss(fake_prob, real_prob)): "the labels are swapped: real digits are 1, fakes 0",
        }
        reason = next((m for v, m in known.items() if _close(loss, v)), None) or (
            "call both models with training=True (batch normalization behaves differently otherwise), and use "
            "dl.discriminator_loss(real_prob, fake_prob)"
        )
        raise _Wrong(f"d_step returned d_loss {loss:.4f}, the package's train_step gets {want:.4f}: {reason}")
    _check_update(_weights(gan.discriminator), before["d"], after["d"], "discriminator", "d_optimizer")
    return "this is the first half of DCGAN.train_step: D learns to say 1 to real digits and 0 to fakes."


_register(
    id="ex11",
    notebook="05_training",
    title="The discriminator's half of train_step",
    task="""
Write `d_step(gan, real_images, noise)`: one update of `gan.discriminator`, as the first half of the package's
`DCGAN.train_step`. Make fakes with `gan.generator(noise, training=True)`, score real digits and fakes with the
discriminator (`training=True`), take `dl.discriminator_loss(real_prob, fake_prob)` inside a `tf.GradientTape`,
and apply its gradient to `gan.discriminator.trainable_weights` with `gan.d_optimizer`. Return the loss.
The check runs your function on a tiny copy of the package's DCGAN and compares with its own `train_step`.
""",
    answer="d_step",
    template='''
    import tensorflow as tf


    def d_step(gan, real_images, noise):
        """Update the discriminator once: real digits -> 1, fakes -> 0. Returns its loss."""
        {solution}
    ''',
    solution="""
    fake_images = gan.generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_prob = gan.discriminator(real_images, training=True)
        fake_prob = gan.discriminator(fake_images, training=True)
        d_loss = dl.discriminator_loss(real_prob, fake_prob)
    weights = gan.discriminator.trainable_weights
    gan.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights, strict=True))
    return d_loss
    """,
    hint="Only the discriminator's forward pass and loss need to be inside `with tf.GradientTape() as tape:`; "
    "then tape.gradient(d_loss, weights) and gan.d_optimizer.apply_gradients(zip(grads, weights, strict=True)).",
    checker=_check_d_step,
    points=2,
)


def _check_g_step(g_step, hidden: bool = False, **_) -> str:
    from .losses import generator_loss

    seed, batch = (5, 3) if hidden else (1, 4)
    _, noise, before, after, logs, _, fake_prob = _reference_step(seed, batch)
    gan = _tiny_gan(seed)
    loss = _number(_call(g_step, gan, noise), "g_step's return value (the generator's loss)")
    if not _same(_weights(gan.discriminator), before["d"]):
        raise _Wrong(
            "g_step changed the discriminator's weights: apply gradients only to gan.generator.trainable_weights"
        )
    want = float(logs["g_loss"])
    if not _close(loss, want):
        minimax = float(generator_loss(fake_prob, "minimax"))
        known = {
            minimax: "that is the minimax loss log(1 - D(G(z))); the report (and the package) use the "
            "non-saturating -log D(G(z)): dl.generator_loss(fake_prob)",
            -minimax: "you labelled the fakes 0, the discriminator's target. The generator wants D to call its "
            "fakes real: target 1",
        }
        reason = next((m for v, m in known.items() if _close(loss, v)), None) or (
            "score the fakes with gan.discriminator(..., training=True) and use dl.generator_loss(fake_prob)"
        )
        raise _Wrong(f"g_step returned g_loss {loss:.4f}, the package's train_step gets {want:.4f}: {reason}")
    _check_update(_weights(gan.generator), before["g"], after["g"], "generator", "g_optimizer")
    return "the generator learns only through the discriminator's judgement of its fakes: it never sees a real digit."


_register(
    id="ex12",
    notebook="05_training",
    title="The generator's half of train_step",
    task="""
Write `g_step(gan, noise)`: one update of `gan.generator`, as the second half of `DCGAN.train_step`. Inside a
`tf.GradientTape`, make fakes from `noise`, score them with the discriminator (both calls with `training=True`)
and take the non-saturating loss `dl.generator_loss(fake_prob)`; apply its gradient to
`gan.generator.trainable_weights` with `gan.g_optimizer`, and return the loss.
""",
    answer="g_step",
    template='''
    def g_step(gan, noise):
        """Update the generator once, so that D calls its fakes real. Returns its loss."""
        {solution}
    ''',
    solution="""
    with tf.GradientTape() as tape:
        fake_prob = gan.discriminator(gan.generator(noise, training=True), training=True)
        g_loss = dl.generator_loss(fake_prob)
    weights = gan.generator.trainable_weights
    gan.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights, strict=True))
    return g_loss
    """,
    hint="This time the generator's forward pass must be inside the tape too: the gradient flows from the loss, "
    "through the discriminator, back into the generator's weights.",
    checker=_check_g_step,
    points=2,
)


SIDES = ("discriminator", "generator", "neither")


def _check_winner(winning_side, hidden: bool = False, **_) -> str:
    cases = [(0.95, 0.05), (0.5, 0.5), (0.3, 0.7), (0.55, 0.48), (0.62, 0.45)]
    if hidden:
        cases = [(0.45, 0.6), (0.56, 0.47), (0.8, 0.6)]
    for d_real, d_fake in cases:
        got = _call(winning_side, d_real, d_fake)
        if got not in SIDES:
            raise _Wrong(
                f"winning_side({d_real}, {d_fake}) returned {got!r}; return one of {', '.join(map(repr, SIDES))}"
            )
        gap = d_real - d_fake
        expected = "discriminator" if gap > 0.1 else "generator" if gap < -0.1 else "neither"
        if got != expected:
            reading = {
                "discriminator": "D(x) is well above D(G(z)): D tells real from fake, so D is winning",
                "generator": "D(G(z)) is above D(x): D takes the fakes for more real than the real digits",
                "neither": "the two are within 0.1 of each other: D cannot tell them apart",
            }[expected]
            raise _Wrong(
                f"at D(x) = {d_real}, D(G(z)) = {d_fake} the answer is {expected!r}, you said {got!r}: {reading}"
            )
    return "near 0.5 and 0.5, neither side wins: the balance the report's losses (both near ln 2) show."


_register(
    id="ex13",
    notebook="05_training",
    title="Who is winning?",
    task="""
Read the D(x) and D(G(z)) curves above. Write `winning_side(d_real, d_fake)` that says who is winning at one
moment: `"discriminator"` when D(x) is more than 0.1 above D(G(z)) (it tells them apart), `"generator"` when
D(G(z)) is more than 0.1 above D(x) (the fakes look more real to D than the real digits), else `"neither"`.
Then apply it to the first and the last epoch of the run above: which side won early, and which late?
""",
    answer="winning_side",
    template='''
    def winning_side(d_real, d_fake):
        """'discriminator', 'generator' or 'neither', from the mean D(x) and D(G(z)) at one moment."""
        {solution}
    ''',
    solution="""
    gap = d_real - d_fake
    if gap > 0.1:
        return "discriminator"
    if gap < -0.1:
        return "generator"
    return "neither"
    """,
    hint="Compare the gap d_real - d_fake with +0.1 and -0.1.",
    checker=_check_winner,
)


# --- 06: switching ---------------------------------------------------------------------------------


def _switch_matrix(seed: int, switch: tuple[int, int], reverse: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    matrix = rng.integers(0, 4, size=(10, 10))
    np.fill_diagonal(matrix, rng.integers(30, 60, size=10))
    matrix[switch] = 12
    matrix[switch[::-1]] = reverse
    return matrix


def _check_switch(most_common_switch, hidden: bool = False, matrix=None, **_) -> str:
    cases = [_switch_matrix(0, (0, 8), 5), _switch_matrix(1, (3, 5), 9)]
    if hidden:
        cases = [_switch_matrix(2, (7, 1), 10) / 500]
    if matrix is not None:
        cases.append(np.asarray(matrix, "float64"))  # the run's own matrix, in the notebook
    for case in cases:
        switches = case - np.diag(np.diag(case))
        best = switches.max()
        got = _call(most_common_switch, case)
        try:
            got = (int(got[0]), int(got[1]))
        except (TypeError, ValueError, IndexError):
            raise _Wrong(f"return a pair (before, after), got {_short(got)}") from None
        if not all(0 <= i < len(case) for i in got):
            raise _Wrong(f"you returned {got}; digits are rows and columns 0 to {len(case) - 1}")
        if got[0] != got[1] and switches[got] == best:
            continue  # ties: any of the largest counts is right
        expected = tuple(int(i) for i in np.unravel_index(np.argmax(switches), case.shape))
        if got[0] == got[1]:
            raise _Wrong(
                f"you returned {got}, a {got[0]} staying a {got[0]}: the diagonal counts the z that did not "
                f"switch. Leave it out; the answer is {expected}"
            )
        if switches[got[::-1]] == best:
            raise _Wrong(
                f"you returned {got}, the answer is {expected}: rows are the digit before, columns the digit "
                f"after (matrix[{expected[0]}, {expected[1]}] = {best:g} > matrix[{got[0]}, {got[1]}] = {case[got]:g})"
            )
        raise _Wrong(f"you returned {got} ({case[got]:g} switches), but {expected} has the most ({best:g})")
    return "reading the off-diagonal of a transition matrix tells which digits the generator confuses."


_register(
    id="ex14",
    notebook="06_instability",
    title="The most common switch",
    task="""
A transition matrix counts, for each pair of digits $(i, j)$, how many fixed $z$ drew an $i$ at one snapshot
and a $j$ at the next: row = before, column = after. Write `most_common_switch(matrix)` returning the pair
`(before, after)` with the most switches (a digit that stays itself is not a switch). Read the summed matrix
in the figure above first and guess; the check also runs your function on this run's matrix.
""",
    answer="most_common_switch",
    template='''
    import numpy as np


    def most_common_switch(matrix):
        """(before, after): the most frequent change of digit in a 10x10 transition matrix."""
        matrix = np.asarray(matrix)
        {solution}
    ''',
    solution="""
    switches = matrix - np.diag(np.diag(matrix))
    before, after = np.unravel_index(np.argmax(switches), matrix.shape)
    return int(before), int(after)
    """,
    hint="Zero the diagonal (np.diag(np.diag(matrix)) is the diagonal as a matrix), then np.argmax and "
    "np.unravel_index turn the flat position of the largest count into (row, column).",
    checker=_check_switch,
    check_args=", matrix=lab.matrices[1:].sum(axis=0)",
)


def _best_change(rates: dict, baseline: str, noise: float) -> str | None:
    best = min((name for name in rates if name != baseline), key=rates.get)
    return best if rates[best] <= rates[baseline] - noise else None


def _check_change(pick_change, hidden: bool = False, rates: dict | None = None, baseline: str = "report", **_) -> str:
    cases = [
        ({"report": 0.20, "paper": 0.17, "label smoothing": 0.12, "more epochs": 0.24}, "report", 0.02),
        ({"report": 0.10, "paper": 0.09, "lr 1e-4": 0.095}, "report", 0.02),
        ({"report": 0.05, "minimax": 0.09, "paper": 0.06}, "report", 0.02),
        ({"baseline": 0.30, "a": 0.26, "b": 0.27}, "baseline", 0.05),
    ]
    if rates:
        measured = {name: float(rate) for name, rate in rates.items() if rate is not None}
        cases.append((measured, baseline, 0.02))
    for table, base, noise in cases:
        got = _call(pick_change, dict(table), base, noise)
        expected = _best_change(table, base, noise)
        if got == expected:
            continue
        shown = ", ".join(f"{name} {rate:.1%}" for name, rate in table.items())
        where = f"for {shown} (baseline {base!r}, noise {noise:.0%})"
        if got == base:
            raise _Wrong(f"{where} you picked the baseline, which is no change at all")
        if got is not None and got not in table:
            raise _Wrong(f"{where} you returned {got!r}: return one of the runs' names, or None")
        if expected is None:
            if got is not None and table[got] < table[base]:
                raise _Wrong(
                    f"{where} you picked {got!r}, only {table[base] - table[got]:.1%} below the baseline: "
                    "within the noise, so it is not a measured improvement. Return None"
                )
            raise _Wrong(f"{where} no change switches less than the baseline by the noise margin: return None")
        raise _Wrong(f"{where} the answer is {expected!r} ({table[expected]:.1%}), you returned {got!r}")
    return "a change counts only if it beats the baseline by more than the run-to-run noise."


_register(
    id="ex15",
    notebook="06_instability",
    title="Which change reduces switching?",
    task="""
Read the table above: which change switched least late in training, and is it far enough below the report's
settings to believe? Write `pick_change(rates, baseline, noise)`: `rates` maps each run's name to its late
switch rate; return the name of the run (other than `baseline`) with the lowest rate if it is at least
`noise` below the baseline's rate, else `None` (no change beats the noise). The check tries it on several
tables and on the one above.
""",
    answer="pick_change",
    template='''
    def pick_change(rates, baseline, noise):
        """The change that switched least, if it beats the baseline by at least noise; else None."""
        {solution}
    ''',
    solution="""
    best = min((name for name in rates if name != baseline), key=rates.get)
    if rates[best] <= rates[baseline] - noise:
        return best
    return None
    """,
    hint="min(..., key=rates.get) finds the name with the smallest rate; leave the baseline out, then compare "
    "the two rates with the noise margin.",
    checker=_check_change,
    check_args=', rates={r["run"]: r["late_switch_rate"] for r in rows}',
)


# --- 07: the latent space ----------------------------------------------------------------------------


def _check_slerp(slerp_by_hand, hidden: bool = False, **_) -> str:
    from .latent import lerp, slerp

    z0, z1 = np.random.default_rng(4).standard_normal((2, 100))
    cases = [(z0, z1, t) for t in (0.0, 0.25, 0.5, 1.0)]
    if hidden:
        e0, e1 = np.eye(3)[:2]
        cases = [(e0, e1, 0.5), (z0, 2 * z0, 0.3), (z1, z0, 0.8)]
    for a, b, t in cases:
        got = _array(_call(slerp_by_hand, a, b, t), a.shape, f"slerp_by_hand(z0, z1, {t})")
        want = slerp(a, b, t)
        if _close(got, want, rtol=1e-4, atol=1e-5):
            continue
        where = f"at t = {t}"
        if np.isnan(got).any():
            raise _Wrong(
                f"{where} you returned NaN: the cosine of the angle is z0 . z1 / (|z0| |z1|), clip it to [-1, 1] "
                "before arccos, and when the angle is 0 (parallel vectors) return the straight line instead"
            )
        if _close(got, lerp(a, b, t), rtol=1e-4, atol=1e-5):
            raise _Wrong(
                f"{where} that is the straight line (lerp): its norm there is {np.linalg.norm(got):.2f}, "
                f"inside the shell, where slerp keeps {np.linalg.norm(want):.2f}"
            )
        if _close(got, slerp(a, b, 1 - t), rtol=1e-4, atol=1e-5):
            raise _Wrong(f"{where} you went from z1 to z0: t = 0 must give z0 and t = 1 give z1")
        raise _Wrong(f"{where} your point is {np.linalg.norm(got - want):.3f} away from the package's slerp")
    return "slerp keeps the walk on the shell where the generator's training noise lives (norm about 10)."


_register(
    id="ex16",
    notebook="07_evaluation_and_latent_space",
    title="Spherical interpolation by hand",
    task="""
Write `slerp_by_hand(z0, z1, t)` with NumPy, from the formula above: the point a fraction `t` (a number in
[0, 1]) of the way from `z0` to `z1` along the great circle. Compute $\\omega$ from the normalised dot product
(clip it to $[-1, 1]$ before `np.arccos`), and return the straight line when $\\omega$ is (almost) 0.
The check compares with the package's `latent.slerp`, shown in the next cell.
""",
    answer="slerp_by_hand",
    template='''
    def slerp_by_hand(z0, z1, t):
        """The point at fraction t of the great circle from z0 to z1."""
        z0, z1 = np.asarray(z0, dtype="float64"), np.asarray(z1, dtype="float64")
        {solution}
    ''',
    solution="""
    cosine = z0 @ z1 / (np.linalg.norm(z0) * np.linalg.norm(z1))
    omega = np.arccos(np.clip(cosine, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * z0 + t * z1
    return (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    """,
    hint="omega = np.arccos(np.clip(z0 @ z1 / (|z0| |z1|), -1, 1)); the weights are sin((1 - t) omega) / sin(omega) "
    "for z0 and sin(t omega) / sin(omega) for z1.",
    checker=_check_slerp,
)
