"""Import TensorFlow without its C++ start-up chatter (CUDA stubs on a CPU machine, absl notes).

Those lines are written straight to file descriptor 2 before any log level applies, so they would
land in every notebook's output. While TF_CPP_MIN_LOG_LEVEL asks for quiet (2 or more, our
default) stderr is pointed at /dev/null for the import and the first device look-up only.
"""

import os
import sys


def _import_quietly() -> None:
    if "tensorflow" in sys.modules or int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") or 0) < 2:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_quietly()
