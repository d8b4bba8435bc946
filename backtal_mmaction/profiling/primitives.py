"""The machine's own limits: the best GEMM and convolution rates.

The yardstick of "% of the limit": a training step can at best run at the
rate of its GEMMs, measured here on the same machine, in the same run, at
the layer's own shapes, with every library that could run them.
"""
from typing import Dict, Sequence

import torch
import torch.nn as nn

from ..models.backbones.conv_impl import onednn_gemm_ok
from .timing import median_time


def _gemm_rate(m: int, k: int, n: int, dtype: torch.dtype, lib: str,
               repeats: int, device: str) -> float:
    g = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=g).to(device, dtype)
    w = torch.randn(n, k, generator=g).to(device, dtype)
    if lib == 'onednn':
        def fn():
            torch.ops.mkldnn._linear_pointwise(a, w, None, 'none', [], '')
    else:
        out = torch.empty(m, n, dtype=dtype, device=device)

        def fn():
            torch.mm(a, w.t(), out=out)
    return 2 * m * k * n / median_time(fn, repeats, device) / 1e9


def _conv_rate(B: int, D: int, H: int, T: int, dtype: torch.dtype,
               repeats: int, device: str) -> float:
    g = torch.Generator().manual_seed(0)
    conv = nn.Conv1d(D, H, 3, padding=1, bias=False).to(device, dtype)
    x = torch.randn(B, D, T, generator=g).to(device, dtype).requires_grad_()
    gy = torch.randn(B, H, T, generator=g).to(device, dtype)

    def fn():
        conv(x).backward(gy)

    return 3 * 2 * B * T * H * D * 3 / median_time(fn, repeats, device) / 1e9


PRIMITIVES = ('mm', 'onednn', 'conv')


def primitive_rates(B: int, T: int, D: int, H: int, dtype: torch.dtype,
                    repeats: int = 3, device: str = 'cpu',
                    kinds: Sequence[str] = PRIMITIVES) -> Dict[str, float]:
    """GFLOP/s of the primitives a BackTAL step is made of, in ``dtype``.

    Measures the layer's GEMM ``(B*T, D) @ (D, H)`` with ``torch.mm``
    (``'mm'``: MKL on CPU, cuBLAS on CUDA) and, on CPU, with oneDNN's
    matmul primitive (``'onednn'``), and a plain ``nn.Conv1d(D, H, 3)``
    forward + backward (``'conv'``: oneDNN / cuDNN; ``3x`` forward FLOPs).

    Args:
        kinds (Sequence[str]): Which of :data:`PRIMITIVES` to measure
            (e.g. only the fastest one again, next to a timed step).

    Returns:
        dict: ``name -> GFLOP/s``; ``'limit'`` is the best of them and
        ``'best'`` its kind.
    """
    unknown = set(kinds) - set(PRIMITIVES)
    if unknown or not kinds:
        raise ValueError(f'primitive_rates: kinds must be a non-empty subset '
                         f'of {PRIMITIVES}, got {tuple(kinds)}')
    n = B * T
    res, kind_of = {}, {}
    if 'mm' in kinds:
        name = f'torch.mm ({n}x{D}) @ ({D}x{H})'
        res[name] = _gemm_rate(n, D, H, dtype, 'mm', repeats, device)
        kind_of[name] = 'mm'
    if 'onednn' in kinds and device == 'cpu' and onednn_gemm_ok(
            torch.zeros(1, dtype=dtype)):
        name = f'oneDNN matmul ({n}x{D}) @ ({D}x{H})'
        res[name] = _gemm_rate(n, D, H, dtype, 'onednn', repeats, device)
        kind_of[name] = 'onednn'
    if 'conv' in kinds:
        name = f'nn.Conv1d({D}, {H}, 3) fwd+bwd'
        res[name] = _conv_rate(B, D, H, T, dtype, repeats, device)
        kind_of[name] = 'conv'
    if not res:  # only 'onednn' asked where it cannot run
        raise ValueError(f'primitive_rates: none of {tuple(kinds)} runs on '
                         f'{device} in {dtype}')
    best = max(res, key=res.get)
    res['limit'] = res[best]
    res['best'] = kind_of[best]
    return res
