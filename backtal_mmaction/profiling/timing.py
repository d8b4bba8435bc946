"""Wall-clock timing and the share of the machine other processes used."""
import os
import resource
import time
from typing import Callable, Optional

import numpy as np
import torch


def sync(device: str) -> None:
    """Wait for queued CUDA work (a no-op elsewhere)."""
    if device == 'cuda':
        torch.cuda.synchronize()


def median_time(fn: Callable[[], object], repeats: int, device: str = 'cpu',
                warmup: int = 1) -> float:
    """Median wall time (s) of ``fn()`` over ``repeats`` runs after
    ``warmup`` untimed ones (CUDA: synchronized)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(device)
        tic = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - tic)
    return float(np.median(times))


class OtherLoad:
    """Share of the machine's CPU time used by *other* processes while the
    context is open (system busy time from ``/proc/stat`` minus this
    process's user + system time), e.g. 0.5 = one of two cores busy
    elsewhere. NaN where ``/proc/stat`` is missing. Timings taken with a
    high value are contended and should be re-run."""

    @staticmethod
    def _system_busy() -> Optional[float]:
        try:
            with open('/proc/stat') as f:
                v = [int(t) for t in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return (sum(v) - v[3] - v[4]) / os.sysconf('SC_CLK_TCK')

    @staticmethod
    def _self_time() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def __enter__(self):
        self.wall = time.perf_counter()
        self.busy = self._system_busy()
        self.own = self._self_time()
        self.value = float('nan')
        return self

    def __exit__(self, *exc) -> None:
        wall = time.perf_counter() - self.wall
        busy = self._system_busy()
        if busy is None or self.busy is None or wall <= 0:
            return
        other = (busy - self.busy) - (self._self_time() - self.own)
        self.value = max(0.0, other / wall / (os.cpu_count() or 1))
