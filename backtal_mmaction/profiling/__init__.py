"""Measuring the models: time, peak memory, FLOPs and the machine.

Used by ``tools/analysis/benchmark.py`` (whose parts are
:mod:`.benchmark`, not imported here: it needs the reference formulations
of :mod:`backtal_mmaction.testing`) and by the mixed-precision setup
(:func:`cpu_bf16_hardware`).
"""
from .flops import ConvFlopCounter, count_forward_flops
from .machine import cpu_bf16_hardware, cpu_flags, cpu_model, lscpu_summary
from .memory import peak_memory
from .primitives import primitive_rates
from .step import profile_step, time_training_step
from .timing import OtherLoad, median_time, sync

__all__ = [
    'ConvFlopCounter', 'OtherLoad', 'count_forward_flops',
    'cpu_bf16_hardware', 'cpu_flags', 'cpu_model', 'lscpu_summary',
    'median_time', 'peak_memory', 'primitive_rates', 'profile_step', 'sync',
    'time_training_step'
]
