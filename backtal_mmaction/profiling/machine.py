"""What the machine is: CPU model, instruction-set flags, bf16 hardware,
and the GPU with its driver and libraries."""
import os
import platform
import subprocess
from typing import Optional, Tuple

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


def nvidia_driver() -> Optional[str]:
    """The NVIDIA driver version ``nvidia-smi`` reports for GPU 0 (None
    without ``nvidia-smi``)."""
    try:
        out = subprocess.run(
            ['nvidia-smi', '--query-gpu=driver_version',
             '--format=csv,noheader'], capture_output=True, text=True,
            timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.split()
    return lines[0] if out.returncode == 0 and lines else None


def cuda_summary() -> str:
    """One line: the GPU (``torch.cuda.get_device_name``), its memory and
    compute capability, the driver, torch's CUDA and cuDNN versions."""
    if not torch.cuda.is_available():
        return 'CUDA not available'
    p = torch.cuda.get_device_properties(0)
    return (f'{p.name}, {p.total_memory / 2 ** 30:.0f} GiB, compute '
            f'capability {p.major}.{p.minor}, {torch.cuda.device_count()} '
            f'device(s); driver {nvidia_driver() or "?"}; torch '
            f'{torch.__version__}, CUDA {torch.version.cuda}, cuDNN '
            f'{torch.backends.cudnn.version()}')
