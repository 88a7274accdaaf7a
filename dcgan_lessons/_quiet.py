"""Import TensorFlow without its C++ start-up chatter (CUDA stubs on a CPU machine, absl notes), and
only when something needs it: ``dcgan-lessons --help``, ``assign`` and ``grade`` never pay its start-up.

Those lines are written straight to file descriptor 2 before any log level applies, so they would
land in every notebook's output. While TF_CPP_MIN_LOG_LEVEL asks for quiet (2 or more, our default),
an import hook points stderr at /dev/null for TensorFlow's import and first device look-up only,
whoever imports it first (this package, keras, or the student's own ``import tensorflow``).
"""

import importlib.abc
import importlib.util
import os
import sys
from contextlib import contextmanager


@contextmanager
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _QuietTensorFlow(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it wraps the loader of ``tensorflow`` the first time it is imported."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once only; the real finders do the finding
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def quietly(module):
            with _stderr_silenced():
                exec_module(module)
                module.config.list_physical_devices()

        spec.loader.exec_module = quietly
        return spec


def install() -> None:
    if "tensorflow" in sys.modules or int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") or 0) < 2:
        return
    if not any(isinstance(finder, _QuietTensorFlow) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlow())
