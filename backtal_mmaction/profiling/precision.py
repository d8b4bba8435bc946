"""The numeric precisions a benchmark row runs in, and where each runs.

A row's precision is more than a dtype: on CUDA, float32 GEMMs and
convolutions may run on TF32 tensor cores (10-bit mantissa) depending on
two global switches, and PyTorch's defaults differ between them (cuBLAS
matmuls: TF32 off; cuDNN convolutions: TF32 *on*). An "fp32" row that left
them as they are would time convolutions in TF32 and GEMMs in IEEE fp32.
:func:`precision_mode` sets both switches for the row and restores them.

- ``fp32``: IEEE float32 everywhere (TF32 off on CUDA).
- ``tf32``: float32 tensors, TF32 tensor cores for GEMMs and convolutions
  (CUDA only: the CPU has no TF32).
- ``bf16``: ``torch.autocast`` to bfloat16 (CPU: only with bf16
  instructions, ``avx512_bf16`` / ``amx_bf16``, else emulated and
  30-100x slower; CUDA: where ``torch.cuda.is_bf16_supported()``).
- ``fp16``: ``torch.autocast`` to float16 with a dynamic loss scale
  (``torch.amp.GradScaler``), as MMEngine's ``AmpOptimWrapper`` trains on
  CUDA (CUDA only: CPU fp16 GEMMs are not fast on any of our CPUs).
"""
import contextlib
from typing import Iterator, List, NamedTuple, Optional

import torch

from .machine import cpu_bf16_hardware

__all__ = ['Precision', 'PRECISIONS', 'available_precisions',
           'precision_mode']


class Precision(NamedTuple):
    """How a benchmark row computes.

    Attributes:
        name (str): ``fp32``, ``tf32``, ``bf16`` or ``fp16``.
        dtype (torch.dtype): The dtype of its GEMM yardstick (the limit
            part's primitives run in it).
        autocast (torch.dtype, optional): ``torch.autocast`` dtype of the
            forward and the losses; None: no autocast.
        tf32 (bool): TF32 tensor cores on (CUDA).
        loss_scale (bool): Scale the loss (``GradScaler``) in training.
    """
    name: str
    dtype: torch.dtype
    autocast: Optional[torch.dtype]
    tf32: bool
    loss_scale: bool


PRECISIONS = {
    'fp32': Precision('fp32', torch.float32, None, False, False),
    'tf32': Precision('tf32', torch.float32, None, True, False),
    'bf16': Precision('bf16', torch.bfloat16, torch.bfloat16, False, False),
    'fp16': Precision('fp16', torch.float16, torch.float16, False, True),
}


def available_precisions(device: str) -> List[Precision]:
    """The precisions worth timing on ``device``, fp32 first: on CPU fp32
    and, with bf16 instructions, bf16; on CUDA fp32, tf32, bf16 (where
    supported) and fp16."""
    if device == 'cuda':
        names = ['fp32', 'tf32'] + (
            ['bf16'] if torch.cuda.is_bf16_supported() else []) + ['fp16']
    else:
        names = ['fp32'] + (['bf16'] if cpu_bf16_hardware() else [])
    return [PRECISIONS[n] for n in names]


@contextlib.contextmanager
def precision_mode(precision: Precision, device: str) -> Iterator[None]:
    """Inside: the TF32 switches of cuBLAS and cuDNN as ``precision``
    wants them (CUDA; nothing to set on CPU); restored on exit. Autocast
    is the caller's (it wraps the forward only, not the backward)."""
    if device != 'cuda':
        yield
        return
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    before = (matmul.allow_tf32, cudnn.allow_tf32)
    matmul.allow_tf32 = cudnn.allow_tf32 = precision.tf32
    try:
        yield
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = before
