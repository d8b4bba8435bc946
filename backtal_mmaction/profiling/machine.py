"""What the machine is: CPU model, instruction-set flags, bf16 hardware."""
import os
import platform
from typing import Tuple

import torch

# The CPU features behind a fast bf16 GEMM (oneDNN uses either).
BF16_FLAGS = ('avx512_bf16', 'amx_bf16')
# Flags a benchmark table records (what decides which kernels are fast).
REPORTED_FLAGS = ('avx2', 'fma', 'avx512f', 'avx512_bf16', 'avx512_fp16',
                  'amx_tile', 'amx_bf16')


def _cpuinfo() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            return f.read()
    except OSError:
        return ''


def cpu_model() -> str:
    """``lscpu``'s model name (``/proc/cpuinfo``), else ``platform``'s."""
    for line in _cpuinfo().splitlines():
        if line.startswith('model name'):
            return line.split(':', 1)[1].strip()
    return platform.processor() or 'unknown CPU'


def cpu_flags() -> Tuple[str, ...]:
    """The CPU's instruction-set flags (``/proc/cpuinfo``; empty where
    unavailable)."""
    for line in _cpuinfo().splitlines():
        if line.startswith('flags'):
            return tuple(line.split(':', 1)[1].split())
    return ()


def cpu_bf16_hardware() -> Tuple[str, ...]:
    """Which of :data:`BF16_FLAGS` this CPU has (empty: no bf16 hardware,
    bf16 GEMMs then run emulated, 30-100x slower than fp32).

    Read from torch's own CPU probe (``cpuinfo``), else from the kernel's
    flags.
    """
    try:
        caps = torch._C._cpu._get_cpu_capability()
        found = tuple(f for f in BF16_FLAGS if caps.get(f))
        if found or all(f in caps for f in BF16_FLAGS):
            return found
    except (AttributeError, RuntimeError):
        pass
    flags = set(cpu_flags())
    return tuple(f for f in BF16_FLAGS if f in flags)


def lscpu_summary() -> str:
    """One line: model, logical CPUs, the :data:`REPORTED_FLAGS` present,
    torch version, intra-op threads and torch's CPU capability."""
    flags = set(cpu_flags())
    present = [f for f in REPORTED_FLAGS if f in flags]
    return (f'{cpu_model()}, {os.cpu_count()} logical CPUs, flags: '
            f'{" ".join(present) or "?"}; torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads, CPU capability '
            f'{torch.backends.cpu.get_cpu_capability()}')
