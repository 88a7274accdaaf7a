"""Run the notebooks in quick, real settings under pytest (nbval): their parameters cells read
DCGAN_LESSONS_QUICK, and the kernels nbval starts inherit this environment."""

import os

os.environ.setdefault("DCGAN_LESSONS_QUICK", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
