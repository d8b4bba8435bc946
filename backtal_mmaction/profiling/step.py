"""Timing a training step phase by phase (forward + losses, backward,
optimizer)."""
import contextlib
import time
from typing import Callable, Dict, Optional

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile

from .memory import peak_memory
from .timing import sync


def time_training_step(loss_fn: Callable[[], torch.Tensor],
                       optimizer: torch.optim.Optimizer, repeats: int,
                       device: str = 'cpu',
                       amp_dtype: Optional[torch.dtype] = None,
                       memory: bool = True,
                       between: Optional[Callable[[], None]] = None
                       ) -> Dict[str, object]:
    """Median phase times of ``repeats`` steps after a warm-up step.

    Args:
        loss_fn: Forward pass + losses, returning the scalar loss.
        optimizer: Stepped after each backward (warm-up included, so its
            state exists before timing).
        repeats (int): Timed steps.
        device (str): ``'cpu'`` or ``'cuda'`` (synchronized).
        amp_dtype (torch.dtype, optional): Run ``loss_fn`` under
            ``torch.autocast(device, amp_dtype)``.
        memory (bool): Also measure one (untimed) step's peak memory.
        between (callable, optional): Called (untimed) after each timed
            step, e.g. to measure the machine's limit alternating with the
            steps, so that both see the same machine state.

    Returns:
        dict: ``fwd``, ``bwd``, ``opt``, ``step`` (median seconds; ``step``
        is the median of the per-step sums), ``loss`` (of the last step)
        and ``mem`` (:func:`peak_memory`, or None).
    """
    phases = {'fwd': [], 'bwd': [], 'opt': []}
    last = {}

    def step(record: bool = False) -> None:
        optimizer.zero_grad(set_to_none=True)
        amp = (torch.autocast(device, dtype=amp_dtype)
               if amp_dtype is not None else contextlib.nullcontext())
        sync(device)
        t0 = time.perf_counter()
        with amp:
            loss = loss_fn()
        sync(device)
        t1 = time.perf_counter()
        loss.backward()
        sync(device)
        t2 = time.perf_counter()
        optimizer.step()
        sync(device)
        t3 = time.perf_counter()
        last['loss'] = float(loss.detach())
        if record:
            phases['fwd'].append(t1 - t0)
            phases['bwd'].append(t2 - t1)
            phases['opt'].append(t3 - t2)

    step()
    mem = peak_memory(step, device) if memory else None
    for _ in range(repeats):
        step(record=True)
        if between is not None:
            between()
    res = {k: float(np.median(v)) for k, v in phases.items()}
    res['step'] = float(np.median([sum(v) for v in zip(*phases.values())]))
    res.update(loss=last['loss'], mem=mem)
    return res


def profile_step(fn: Callable[[], object], device: str = 'cpu',
                 top: int = 12) -> str:
    """``torch.profiler`` table of one ``fn()``, ops sorted by self time."""
    acts = [ProfilerActivity.CPU]
    if device == 'cuda':
        acts.append(ProfilerActivity.CUDA)
    with profile(activities=acts) as prof:
        fn()
    key = ('self_cuda_time_total' if device == 'cuda' else
           'self_cpu_time_total')
    return prof.key_averages().table(sort_by=key, row_limit=top,
                                     max_name_column_width=40)
