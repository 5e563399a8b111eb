"""Worker processes that end with the run: the pools of the batch and of its outputs.

Input: a number of workers. Output: a process pool. Starts processes.
A run killed with kill -9 cannot shut its pool down; each worker asks the kernel to kill it
when its parent dies, so no worker keeps writing beside the next run.
"""

from __future__ import annotations

import signal
import sys
from concurrent.futures import ProcessPoolExecutor


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, initializer=_die_with_parent)
