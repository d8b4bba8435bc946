"""Which kernel library runs the temporal convolutions: measured, per machine.

CPUs differ in which library is fast: on an AVX2 Zen 3 MKL's GEMM beats
oneDNN's convolution, on an AVX-512 Zen 5 oneDNN runs fp32 1.4-2x faster
than MKL (which takes its AVX2 path on AMD), and in bf16 both are oneDNN.
So one fixed choice is wrong somewhere, and the layers choose by
measurement instead. Every implementation computes the same convolution
(equal up to float rounding; the tests check each against a reference):

- ``'gemm'``: ``torch.mm`` (MKL on CPU, cuBLAS on CUDA). Plain kernel-3
  convolutions use the shifted-GEMM formulation of
  :class:`~.affinity_gemm.AffinityConv1dFunction`, 1x1 ones a matmul.
- ``'conv'``: the convolution library's own kernels. Plain convolutions
  are ``F.conv1d`` (oneDNN on CPU, cuDNN on CUDA); the affinity conv's tap
  GEMMs, which no convolution primitive can express (each tap is scaled
  per output position), run as oneDNN matmul (inner-product) primitives.
  Where oneDNN has no kernel (CUDA, float64) the tap GEMMs use ``'gemm'``.
- ``'auto'`` (default): at the first call per shape, dtype and thread
  count, both are timed on the call's own operands and the faster is
  cached for the process (:func:`choice_cache`). Work below
  :data:`MIN_AUTO_FLOPS` is not worth measuring (and would make small
  runs depend on timing noise): it keeps the historical default
  (``'gemm'`` for the affinity taps, ``'conv'`` for plain convolutions).
  An alternative must be :data:`MARGIN` faster to replace the default.
"""
import time
from typing import Callable, Dict, Hashable, List, Optional

import torch
import torch.nn.functional as F

IMPLS = ('auto', 'gemm', 'conv')
# 2^30 FLOPs (~10 ms on one core): below this a choice gains little.
MIN_AUTO_FLOPS = 2**30
# The alternative must be this much faster than the default to be chosen.
MARGIN = 0.95
# Rows of the measurement: enough for a GEMM to reach its steady rate.
MEASURE_ROWS = 4096

_CHOICES: Dict[Hashable, str] = {}


def check_impl(impl: str, owner: str) -> str:
    """``impl`` if it is one of :data:`IMPLS`, else a ValueError naming
    ``owner``."""
    if impl not in IMPLS:
        raise ValueError(f'{owner}: impl={impl!r} is not one of {IMPLS}')
    return impl


def choice_cache() -> Dict[Hashable, str]:
    """The process-wide cache ``key -> 'gemm' | 'conv'`` of ``'auto'``
    (read it to report the choices, ``.clear()`` it to measure again)."""
    return _CHOICES


def describe_choices() -> List[str]:
    """The cached ``'auto'`` choices, one readable line each, e.g.
    ``affinity_conv1d dx 2048x2048 float32 (2 threads) -> conv`` or
    ``conv1d k=3 2048->512 float32 train (2 threads) -> conv`` (for reports
    such as the benchmark's)."""
    lines = []
    for (key, threads), impl in _CHOICES.items():
        if key[0] == 'affinity_conv1d':
            # (name, role, rows bucket, K, N, dtype, device)
            _, role, _, k, n, dtype, _ = key
            what = f'affinity_conv1d {role} {k}x{n} {dtype}'
        else:
            # (name, kernel, D, H, rows bucket, dtype, device, train)
            _, k, d, h, _, dtype, _, train = key
            what = f'conv1d k={k} {d}->{h} {dtype}' + (' train' if train
                                                       else '')
        lines.append(f"{what.replace('torch.', '')} ({threads} threads) -> "
                     f'{impl}')
    return lines


def onednn_gemm_ok(t: torch.Tensor) -> bool:
    """Whether oneDNN's matmul primitive can take ``t`` (CPU, fp32/bf16)."""
    return (t.device.type == 'cpu' and t.dtype in (torch.float32,
                                                   torch.bfloat16)
            and torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, '_linear_pointwise'))


def _best_time(fn: Callable[[], object], repeats: int = 2) -> float:
    fn()  # warm-up: primitive creation, first-touch of the output
    best = float('inf')
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - tic)
    return best


def choose(key: Hashable, flops: float, default: str,
           runs: Callable[[], Dict[str, Callable[[], object]]]) -> str:
    """The cached choice for ``key``, measuring it on a miss.

    Args:
        key: Shape, dtype, device and role of the work (threads are added).
        flops: Work of one call; below :data:`MIN_AUTO_FLOPS` the
            ``default`` is returned without measuring.
        default: The implementation kept unless another is faster by
            :data:`MARGIN`.
        runs: Called on a miss only: ``impl -> zero-argument callable``
            running the work (on the call's own operands) in that impl.

    Returns:
        str: ``'gemm'`` or ``'conv'``.
    """
    if flops < MIN_AUTO_FLOPS:
        return default
    key = (key, torch.get_num_threads())
    if key not in _CHOICES:
        candidates = runs()
        if len(candidates) < 2:
            _CHOICES[key] = default
        else:
            with torch.no_grad():
                times = {k: _best_time(fn) for k, fn in candidates.items()}
            best = min(times, key=times.get)
            _CHOICES[key] = (best if times[best] < MARGIN * times[default]
                             else default)
    return _CHOICES[key]


def size_bucket(rows: int) -> int:
    """Power-of-two bucket of a row count, so variable-length inference
    does not measure every length."""
    return max(1, int(rows)).bit_length()


# ---------------------------------------------------------------------- #
# the two GEMM libraries
# ---------------------------------------------------------------------- #
def _onednn_nt(a: torch.Tensor, b: torch.Tensor,
               acc: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``a @ b.T`` (``+ acc``) by oneDNN's inner-product primitive.

    ``a`` is made contiguous (the primitive copies otherwise anyway);
    ``b`` may be any strided view. Returns a new contiguous tensor.
    """
    a = a.contiguous()
    if acc is None:
        return torch.ops.mkldnn._linear_pointwise(a, b, None, 'none', [], '')
    return torch.ops.mkldnn._linear_pointwise.binary(a, acc, b, None, 'add')


def gemm_nt(a: torch.Tensor, b: torch.Tensor, impl: str,
            acc: Optional[torch.Tensor] = None) -> torch.Tensor:
    """``a @ b.T + acc`` in ``impl`` (``acc`` updated in place by
    ``'gemm'``; ``'conv'`` returns a new tensor)."""
    if impl == 'conv' and onednn_gemm_ok(a):
        return _onednn_nt(a, b, acc)
    if acc is None:
        return torch.mm(a, b.t())
    return acc.addmm_(a, b.t())


def gemm_nt_into(a: torch.Tensor, b: torch.Tensor, impl: str,
                 out: torch.Tensor) -> torch.Tensor:
    """``a @ b.T`` written into ``out`` (``'gemm'``) or returned as a new
    tensor (``'conv'``); use the returned tensor."""
    if impl == 'conv' and onednn_gemm_ok(a):
        return _onednn_nt(a, b)
    return torch.mm(a, b.t(), out=out)


# ---------------------------------------------------------------------- #
# plain convolutions
# ---------------------------------------------------------------------- #
def plain_conv1d(x: torch.Tensor, weight: torch.Tensor,
                 bias: Optional[torch.Tensor], impl: str) -> torch.Tensor:
    """Stride-1 'same' convolution (odd kernel ``k``) in ``impl``.

    Args:
        x (Tensor): ``(B, D, T)``.
        weight (Tensor): ``(H, D, k)``; only ``k`` in ``{1, 3}`` has a GEMM
            formulation, other kernels always run ``F.conv1d``.
        bias (Tensor, optional): ``(H, )``.
        impl (str): One of :data:`IMPLS`.

    Returns:
        Tensor: ``(B, H, T)``.
    """
    k = weight.shape[-1]
    if k not in (1, 3):
        return F.conv1d(x, weight, bias, padding=k // 2)
    if impl == 'auto':
        B, D, T = x.shape
        rows = max(1, min(B, MEASURE_ROWS // max(T, 1)))
        train = torch.is_grad_enabled() and (x.requires_grad
                                             or weight.requires_grad)
        dtype = (torch.get_autocast_dtype(x.device.type)
                 if torch.is_autocast_enabled(x.device.type) else x.dtype)

        def runs():
            xs = x[:rows].detach().requires_grad_(x.requires_grad)

            def run(name):
                def fn():
                    with torch.enable_grad() if train else torch.no_grad():
                        y = plain_conv1d(xs, weight, bias, name)
                        if train:
                            inputs = [t for t in (xs, weight, bias)
                                      if t is not None and t.requires_grad]
                            torch.autograd.grad(y, inputs, torch.ones_like(y))
                return fn

            return {name: run(name) for name in ('gemm', 'conv')}

        key = ('conv1d', k, D, weight.shape[0], size_bucket(B * T),
               dtype, x.device.type, train)
        impl = choose(key, 2 * B * T * D * weight.shape[0] * k * (3 if train
                                                                  else 1),
                      'conv', runs)
    if impl == 'conv':
        return F.conv1d(x, weight, bias, padding=k // 2)
    if k == 1:
        y = torch.matmul(weight[:, :, 0], x)
    else:
        # Imported here: affinity_gemm imports this module.
        from .affinity_gemm import affinity_conv1d, plain_tap_ranges
        ones = x.new_ones(x.shape[0], 1, x.shape[2])
        y = affinity_conv1d(x, ones, ones, weight,
                            plain_tap_ranges(x.shape[1]), impl='gemm')
    return y if bias is None else y + bias[:, None].to(y.dtype)


class SelectableConv1d(torch.nn.Conv1d):
    """``nn.Conv1d`` (odd kernel, 'same' padding, stride 1) whose
    implementation is chosen by ``impl`` (see the module docstring; kernels
    other than 1 and 3 always run ``F.conv1d``).

    Parameters and state-dict keys are those of ``nn.Conv1d``, so
    checkpoints load unchanged.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel_size: int, bias: bool = True,
                 impl: str = 'auto') -> None:
        if kernel_size % 2 == 0:
            raise ValueError('SelectableConv1d: kernel_size must be odd, '
                             f'got {kernel_size}')
        super().__init__(in_channels, out_channels, kernel_size,
                         padding=kernel_size // 2, bias=bias)
        self.impl = check_impl(impl, type(self).__name__)

    def extra_repr(self) -> str:
        return super().extra_repr() + f', impl={self.impl!r}'

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return plain_conv1d(x, self.weight, self.bias, self.impl)
