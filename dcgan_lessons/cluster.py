"""A Dask client for our jobs (sweeps, grading): a local cluster of worker processes or a running scheduler.

Dask is imported only when a client starts, so the commands that do not use it never pay for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client


def check_cluster(scheduler: str | None, workers: int | None) -> None:
    """Refuse --workers with --scheduler, or fewer than 1 worker, before any work starts."""
    if scheduler and workers:
        raise ValueError("--workers starts a local cluster; with --scheduler the cluster's own workers run the jobs")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")


def _worker_env(workers: int) -> dict[str, str]:
    """Environment for local workers: TensorFlow (and OpenMP) use cores // workers threads each, read by
    TensorFlow when it starts (also in the notebooks a worker runs), so workers do not fight over the cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = str(max(1, cores // workers))
    return {
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A ``distributed.Client`` of the scheduler at ``scheduler`` (tcp://host:port), else of a local cluster of
    ``workers`` processes (default 1) with one task each, closed again on leaving."""
    check_cluster(scheduler, workers)
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, set_as_default=False)
        except OSError as err:  # no scheduler there: a timeout, a refused connection
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        with client:
            yield client
        return
    n = workers or 1
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            env=_worker_env(n),
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # its HTTP server anywhere free, not on a busy :8787
            memory_limit=0,  # TensorFlow's memory is not Dask's to manage: never pause or kill a job for it
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        yield client
