"""nbgrader settings for the dcgan-lessons notebooks. Copy this file into your course's root folder (where you
run nbgrader, beside source/), or merge its lines into your own nbgrader_config.py.

Without it, autograding fails: nbgrader stops every cell after 30 s (notebook 06 trains five small GANs in one
cell), and the training notebooks would run in their full settings (minutes to hours per student).

nbgrader's autograde runs the students' code as you, without a sandbox, and decides the marks inside their kernels
(code there can replace the checks); `dcgan-lessons grade` does neither (docs/teaching.md).
"""

from pathlib import Path

c = get_config()  # noqa: F821  (nbgrader provides it)

# Seconds per cell before nbgrader interrupts it: room for notebook 06's experiments on a slow, busy CPU.
c.Execute.timeout = 3600

# Autograding kernels run the notebooks in their quick, real settings (DCGAN_LESSONS_QUICK=0 in nbgrader's
# environment turns that off) and find the reference run that notebooks 06 and 07 study: $DCGAN_LESSONS_REFERENCE_RUN
# if set where nbgrader runs, else a reference-run/ folder beside this file (copy the repository's there), else
# the one in the repository the package was installed from with pip install -e.
setup = ["import os", "os.environ.setdefault('DCGAN_LESSONS_QUICK', '1')"]
reference = Path(__file__).resolve().parent / "reference-run"
if reference.is_dir():
    setup.append(f"os.environ.setdefault('DCGAN_LESSONS_REFERENCE_RUN', {str(reference)!r})")
conditional = Path(__file__).resolve().parent / "conditional-run"  # notebook 09's, found the same way
if conditional.is_dir():
    setup.append(f"os.environ.setdefault('DCGAN_LESSONS_CONDITIONAL_RUN', {str(conditional)!r})")
c.Execute.extra_arguments = ["--IPKernelApp.exec_lines=" + "; ".join(setup)]

# This file stays with the teacher when it is copied into source/<assignment>/ with the notebooks.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "nbgrader_config.py"]
