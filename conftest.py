"""Run the notebooks in quick, real settings under pytest (nbval): their parameters cells read
DCGAN_LESSONS_QUICK, and the kernels nbval starts inherit this environment.

Tests that train, execute notebooks or start servers are marked ``slow``, one way: explicitly, with
``pytestmark = pytest.mark.slow`` for a whole file or ``@pytest.mark.slow`` for one test. Only the notebooks'
cells, which cannot carry a mark, are marked here, and a test that uses a slow fixture without the mark is
refused. ``pytest -m "not slow"`` is the contributors' fast loop, plain ``pytest`` (the README's test command,
CI's) runs everything (docs/development.md)."""

import os

import pytest

os.environ.setdefault("DCGAN_LESSONS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SLOW_FIXTURES = {"short_run", "full_mnist_dir"}  # a real training run; the full MNIST


def pytest_collection_modifyitems(items):
    unmarked = []
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
        elif SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("slow") is None:
            unmarked.append(item.nodeid)
    if unmarked:
        raise pytest.UsageError(
            f"mark these tests @pytest.mark.slow: they use {' or '.join(sorted(SLOW_FIXTURES))}: {', '.join(unmarked)}"
        )
