"""Marks decided outside the student's process.

Code in a student's notebook can replace anything in its own kernel (``dl.exercises.check``, IPython's
``showtraceback``), so a verdict reached there can be forged. When ``grade`` runs a notebook, a cell of the
grader's after each exercise's check cell (:func:`record`) only hands back data: the student's answer, or for a
function, what it returned on each input the check gave it, as JSON (no pickle: nothing the student writes is
ever executed by the grader). The grader then runs the same check in its own process (:func:`judge`) with a
stand-in that answers each input the grader's check chooses, hidden cases included, from those recorded values:
an input the student's function was not run on counts as not answered. Forging the data is no easier than
writing a function that returns those values. A function that trains a GAN (``d_step``, ``g_step``) is keyed by
the digest of the GAN's weights and hands back the weights it left, which the stand-in puts on the grader's own
GAN; data a check measures (ex20's generator, the conditional run's result ex24 and ex25 read) the grader takes from
its own copies of the committed runs.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

ANSWERS_VARIABLE = "DCGAN_LESSONS_ANSWERS"  # the folder record() writes into, set by the grader
# data a check needs that the grader gives from its own copy instead of taking the notebook's word for it:
# ex20 measures the reference run's generator on its fixed noise (the run every graded notebook reads)
# ex24 and ex25 read the committed conditional run's judged result
GRADER_DATA = {"ex20": ("generator", "noise"), "ex24": ("run",), "ex25": ("run",)}


class Unencodable(TypeError):
    """A value that is not numbers, text, arrays of numbers, or lists and dicts of them."""


def encode(value):
    """``value`` as JSON-ready data that :func:`decode` turns back into the same types."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return {"float": repr(value)} if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"scalar": value.dtype.str, "value": encode(value.item())}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [encode(v) for v in value]}
    if isinstance(value, set | frozenset):  # ex25's digits may come as a set; sorted, so the same set is the same text
        return {"set": [encode(v) for v in sorted(value, key=repr)]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if hasattr(value, "numpy") and hasattr(value, "shape"):  # a tensor: checks read it as an array
        value = np.asarray(value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return {
            "array": value.dtype.str,
            "shape": list(value.shape),
            "data": [encode(v) for v in value.ravel().tolist()],
        }
    raise Unencodable(f"cannot hand back a {type(value).__name__}")


def decode(data):
    """The value :func:`encode` was given; anything else in ``data`` is refused with ValueError."""
    if data is None or isinstance(data, bool | str | int | float):
        return data
    if isinstance(data, dict) and len(data) == 1:
        ((kind, inner),) = data.items()
        if kind == "float":
            return float(inner)
        if kind in ("list", "tuple") and isinstance(inner, list):
            values = [decode(v) for v in inner]
            return values if kind == "list" else tuple(values)
        if kind == "set" and isinstance(inner, list):
            return {decode(v) for v in inner}
        if kind == "dict" and isinstance(inner, dict):
            return {str(k): decode(v) for k, v in inner.items()}
    if isinstance(data, dict) and set(data) == {"scalar", "value"}:
        return np.dtype(data["scalar"]).type(decode(data["value"]))
    if isinstance(data, dict) and set(data) == {"array", "shape", "data"}:
        values = [decode(v) for v in data["data"]]
        return np.array(values, dtype=np.dtype(data["array"])).reshape(data["shape"])
    raise ValueError(f"not handed-back data: {str(data)[:60]}")


def _is_gan(value) -> bool:
    return hasattr(value, "generator") and hasattr(value, "discriminator") and hasattr(value, "train_step")


def _players(gan) -> dict[str, list]:
    return {"generator": gan.generator.trainable_weights, "discriminator": gan.discriminator.trainable_weights}


def _gan_digest(gan) -> str:
    """A GAN as a key: the SHA-256 of both players' weights, in order (the same seed builds the same GAN)."""
    import hashlib

    digest = hashlib.sha256()
    for weights in _players(gan).values():
        for weight in weights:
            digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


def _key(args: tuple) -> str:
    """The inputs of one call as text; a GAN (a check's tiny DCGAN) stands as the digest of its weights."""
    return json.dumps(encode([{"gan": _gan_digest(a)} if _is_gan(a) else a for a in args]), sort_keys=True)


class _Recorder:
    """Calls the student's function and keeps each input with what it returned or raised."""

    def __init__(self, function):
        self.function, self.calls = function, []

    def __call__(self, *args):
        key = _key(args)  # before the call: the function may change its inputs
        try:
            result = self.function(*args)
        except Exception as error:
            self.calls.append([key, {"raised": type(error).__name__, "message": str(error)[:500]}])
            raise
        try:
            outcome = {"returned": encode(result)}
            gans = [a for a in args if _is_gan(a)]  # a step that trains a GAN: the weights it left are its answer
            if gans:
                outcome["gan_after"] = {
                    name: [encode(w.numpy()) for w in weights] for name, weights in _players(gans[0]).items()
                }
            self.calls.append([key, outcome])
        except Unencodable as error:
            self.calls.append([key, {"raised": "TypeError", "message": f"{error}: return numbers or arrays"}])
        return result


def record(exercise_id: str, answer, **data) -> None:
    """Run in the student's kernel by the grader: hand back ``answer`` (or what it returns on the check's inputs,
    visible and hidden cases) and the check's ``data``. Prints nothing: the check cell above gave the feedback."""
    from .exercises import get

    folder = os.environ.get(ANSWERS_VARIABLE)
    if not folder:
        raise RuntimeError(f"{ANSWERS_VARIABLE} is not set: this cell belongs to grading")
    ex = get(exercise_id)
    recorder = _Recorder(answer) if callable(answer) else None
    for hidden in (False, True) if ex.hidden_tests else (False,):
        try:
            ex.checker(recorder or answer, hidden=hidden, **data)
        except Exception:  # a wrong answer: the grader's own check says so
            pass
    handed = {"data": encode({k: v for k, v in data.items() if k not in GRADER_DATA.get(exercise_id, ())})}
    handed |= {"calls": recorder.calls} if recorder else {"answer": encode(answer)}
    Path(folder, f"{exercise_id}.json").write_text(json.dumps(handed))


class _StudentError(Exception):
    """Stands for an error the student's function raised in their kernel (its type's name and message)."""


def _stand_in(calls: list):
    answers = {}
    for key, outcome in calls:
        answers.setdefault(key, outcome)

    def function(*args):
        outcome = answers.get(_key(args))
        if outcome is None:
            raise _StudentError("it was not run on these inputs in the notebook")
        if "returned" in outcome:
            gans = [a for a in args if _is_gan(a)]
            if gans and "gan_after" in outcome:  # the weights the student's step left, on the grader's own GAN
                for name, weights in _players(gans[0]).items():
                    values = outcome["gan_after"][name]
                    if len(values) != len(weights):
                        raise _StudentError("the GAN it handed back has other layers")
                    for weight, value in zip(weights, values, strict=True):
                        weight.assign(np.asarray(decode(value), dtype=weight.dtype).reshape(weight.shape))
            return decode(outcome["returned"])
        if outcome.get("raised") == "NotImplementedError":
            raise NotImplementedError()
        error = type(str(outcome.get("raised", "Error"))[:60], (_StudentError,), {})
        raise error(str(outcome.get("message", ""))[:500])

    return function


def judge(exercise_id: str, text: str) -> str | None:
    """The grader's verdict on what :func:`record` handed back as ``text``: None when the exercise passes its
    visible and hidden cases, else the check's message (what a student sees)."""
    from .exercises import ExerciseError, get, verdict

    try:
        handed = json.loads(text)
        data = decode(handed["data"])
        answer = _stand_in(handed["calls"]) if "calls" in handed else decode(handed["answer"])
        if not isinstance(data, dict) or not isinstance(handed.get("calls", []), list):
            raise ValueError("not handed-back data")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        return f"its answer could not be read ({type(error).__name__})"
    try:
        data |= _grader_data(exercise_id)
        for hidden in (False, True) if get(exercise_id).hidden_tests else (False,):
            verdict(exercise_id, answer, hidden=hidden, **data)
    except ExerciseError as error:
        return f"ExerciseError: {str(error).splitlines()[0]}"
    except Exception as error:  # handed-back data the check cannot use
        return f"its answer could not be checked ({type(error).__name__}: {str(error)[:100]})"
    return None


def _grader_data(exercise_id: str) -> dict:
    """What :data:`GRADER_DATA` says the grader gives a check itself: the reference run's generator and noise, or
    the committed conditional run's folder."""
    wanted = GRADER_DATA.get(exercise_id, ())
    if not wanted:
        return {}
    from .reference import conditional_run, reference_run
    from .runs import load_run

    if "generator" in wanted:
        run = load_run(reference_run())
        return {"generator": run.generator(), "noise": run.snapshots().noise}
    return {"run": conditional_run()}
