"""Peak memory of one call, on top of what was alive before it."""
import gc
from typing import Callable, Dict, Optional

import torch
from torch.profiler import ProfilerActivity, profile


def _proc_status_kib(key: str) -> Optional[int]:
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> Optional[int]:
    """Reset ``VmHWM`` to the current RSS (Linux); returns that RSS (KiB)
    or None where not possible."""
    base = _proc_status_kib('VmRSS')
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return None
    return base


def peak_memory(fn: Callable[[], object],
                device: str = 'cpu') -> Dict[str, float]:
    """Peak memory of one ``fn()`` call on top of what was alive before it.

    Returns:
        dict: ``tensor`` (MiB): peak of the bytes held by tensors,
        ``torch.cuda.max_memory_allocated`` on CUDA; on CPU the same
        accounting rebuilt from the profiler's allocation / free events
        (``profile_memory=True``; this call is not timed). ``rss`` (MiB,
        CPU only): peak resident-set growth of the process (``VmHWM``
        reset through ``/proc/self/clear_refs``); it includes MKL / oneDNN
        scratch memory but under-counts small tensors that re-use heap
        memory freed earlier. NaN where not measurable.
    """
    gc.collect()
    if device == 'cuda':
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        torch.cuda.synchronize()
        return dict(
            tensor=(torch.cuda.max_memory_allocated() - base) / 2**20,
            rss=float('nan'))
    base_rss = _reset_peak_rss()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as p:
        fn()
    peak_rss = _proc_status_kib('VmHWM')
    events = sorted((e.start_ns(), e.nbytes())
                    for e in p.profiler.kineto_results.events()
                    if e.name() == '[memory]')
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    rss = float('nan') if base_rss is None or peak_rss is None else \
        (peak_rss - base_rss) / 1024
    return dict(tensor=peak / 2**20, rss=rss)
