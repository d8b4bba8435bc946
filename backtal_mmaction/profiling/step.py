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
                       between: Optional[Callable[[], None]] = None,
                       loss_scale: bool = False) -> Dict[str, object]:
    """Median phase times of ``repeats`` steps after a warm-up step, and
    the time per step of ``repeats`` steps run back to back.

    The phase times synchronize the device between the phases, which on
    CUDA also stalls the queue: the CPU cannot launch the next kernels
    while the GPU drains. ``pipelined`` is the rate a training loop gets
    (one synchronization after all its steps): the two differ where a step
    is bound by kernel launches rather than by the GPU's arithmetic.

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
        loss_scale (bool): Scale the loss with a dynamic
            ``torch.amp.GradScaler`` (fp16 training, as MMEngine's
            ``AmpOptimWrapper``): the backward sees the scaled loss, the
            step unscales, checks for infs and updates the scale (all
            counted in ``opt``).

    Returns:
        dict: ``fwd``, ``bwd``, ``opt``, ``step`` (median seconds; ``step``
        is the median of the per-step sums), ``pipelined`` (seconds per
        step of ``repeats`` steps without synchronization between them),
        ``loss`` (of the last step, unscaled), ``mem``
        (:func:`peak_memory`, or None) and, with ``loss_scale``, the final
        ``loss_scale``.
    """
    phases = {'fwd': [], 'bwd': [], 'opt': []}
    last = {}
    scaler = torch.amp.GradScaler(device) if loss_scale else None

    def step(record: bool = False, timed: bool = True) -> None:
        def clock() -> float:
            # timed=False: no synchronization (the pipelined run)
            if not timed:
                return 0.0
            sync(device)
            return time.perf_counter()

        optimizer.zero_grad(set_to_none=True)
        amp = (torch.autocast(device, dtype=amp_dtype)
               if amp_dtype is not None else contextlib.nullcontext())
        t0 = clock()
        with amp:
            loss = loss_fn()
        t1 = clock()
        (scaler.scale(loss) if scaler else loss).backward()
        t2 = clock()
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        t3 = clock()
        last['loss'] = loss.detach()
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
    sync(device)
    tic = time.perf_counter()
    for _ in range(repeats):
        step(timed=False)
    sync(device)
    res['pipelined'] = (time.perf_counter() - tic) / repeats
    res.update(loss=float(last['loss']), mem=mem)
    if scaler:
        res['loss_scale'] = float(scaler.get_scale())
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
