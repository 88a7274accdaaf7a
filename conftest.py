"""Run the notebooks in quick, real settings under pytest (nbval): their parameters cells read
DCGAN_LESSONS_QUICK, and the kernels nbval starts inherit this environment.

Tests that train, execute notebooks or start servers are marked ``slow``: ``pytest -m "not slow"``
is the contributors' fast loop, plain ``pytest`` (the README's test command, CI's) runs everything."""

import os

import pytest

os.environ.setdefault("DCGAN_LESSONS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# whole files whose tests train, run notebooks or start JupyterLab, Chromium or nbgrader
SLOW_FILES = {
    "test_browser.py",
    "test_nbgrader.py",
    "test_notebooks.py",
    "test_run_safety.py",
    "test_classroom.py",
    "test_training.py",
    "test_cli.py",
}
SLOW_FIXTURES = {"short_run", "full_mnist_dir"}  # a real training run; the full MNIST


def pytest_collection_modifyitems(items):
    for item in items:
        if (
            item.path.suffix == ".ipynb"
            or item.path.name in SLOW_FILES
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
