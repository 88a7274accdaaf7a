"""The sandbox a student's notebook runs in when ``grade`` runs it: bubblewrap (``bwrap``, Debian's package
``bubblewrap``), the unprivileged sandbox Flatpak uses. It needs no daemon, no root and no image, only the
kernel's user namespaces, and it gives what grading needs in one command: a file system that shows only what is
bound into it (read-only: the Python installation, the installed package, the reference run, MNIST; writable:
the notebook's scratch folder), no network (a namespace with only loopback, which the kernel's sockets use),
and a PID namespace: when its first process ends, or the grader kills it or dies, the kernel kills every process
inside, detached or not. Nothing of the teacher's, of other students or of the grader is visible in it.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

TOOL = "bwrap"
INSTALL = "install Debian's bubblewrap (apt-get install bubblewrap)"
# what a Python process reads from the system: libraries, certificates, time zones, the user database
SYSTEM = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/alternatives", "/etc/ld.so.cache"]
SYSTEM += ["/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd", "/etc/group"]
SYSTEM += ["/etc/nsswitch.conf", "/etc/hosts", "/etc/ssl", "/etc/fonts", "/etc/mime.types"]
# the grader's variables a notebook gets: how many threads TensorFlow may use (a Dask worker's share of the cores)
PASSED = ["TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"]


@functools.cache
def tool() -> str | None:
    """The path of ``bwrap`` if it is installed and can make its namespaces here (a container may forbid them)."""
    path = shutil.which(TOOL)
    if path is None:
        return None
    trial = [path, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--proc", "/proc", "true"]
    ok = subprocess.run(trial, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    return path if ok else None


def python_paths() -> list[Path]:
    """What the grader's Python needs to run papermill and the course's package: its installation, its virtual
    environment and the package's folder (alone, not the project around it)."""
    import dcgan_lessons

    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent]
    return [*paths, Path(dcgan_lessons.__file__).resolve().parent]


def popen(
    argv: Sequence[str], scratch: Path, work: Path, reads: Iterable[tuple[Path, Path]], env: dict[str, str]
) -> subprocess.Popen:
    """Start ``argv`` inside a sandbox that reads the system, Python and each (host path, path inside) of
    ``reads``, writes only ``scratch`` (seen at its own path), starts in ``work``, has no network and sees only
    ``env``. Its settings reach bwrap through a pipe, so that its command line inside (``/proc/1/cmdline``)
    names no host path."""
    found = tool()
    if found is None:
        raise RuntimeError(f"no sandbox: {INSTALL}")
    line = ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    line += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in SYSTEM:
        line += ["--ro-bind-try", path, path]
    for path in python_paths():
        line += ["--ro-bind", str(path), str(path)]
    line += ["--bind", str(scratch), str(scratch)]
    for host, inside in reads:
        line += ["--ro-bind", str(host), str(inside)]
    for key, value in env.items():
        line += ["--setenv", key, value]
    line += ["--chdir", str(work)]
    read, write = os.pipe()
    try:
        with os.fdopen(write, "wb") as f:
            f.write(b"".join(arg.encode() + b"\0" for arg in line))
        command = [found, "--args", str(read), "--", *argv]
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=[read])
    finally:
        os.close(read)


def environment(scratch: Path) -> dict[str, str]:
    """The variables a notebook sees in the sandbox: none of the grader's own (they may hold secrets), only a
    home, a temporary folder and a PATH inside it, and where the package is."""
    import dcgan_lessons

    home, tmp = scratch / "home", scratch / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    bins = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    return {
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "PATH": os.pathsep.join(bins),
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONPATH": str(Path(dcgan_lessons.__file__).resolve().parent.parent),
        "MPLBACKEND": "Agg",
        **{key: os.environ[key] for key in PASSED if key in os.environ},
    }
