"""Mixed-precision training on CPU and CUDA.

:func:`configure_amp` rewrites a config's ``optim_wrapper`` for the device
and dtype:

- **bfloat16** (the CPU's only choice and its default; on CUDA with
  ``dtype='bfloat16'``): :class:`AutocastOptimWrapper`, whose
  ``optim_context`` (MMEngine's hook around the forward and the loss)
  enters ``torch.autocast(device_type, dtype=torch.bfloat16)``, with no
  loss scaling: bf16's exponent range is float32's, so gradients neither
  underflow nor overflow where float32's would not. (MMEngine's
  ``AmpOptimWrapper`` would scale a bf16 loss too, and its ``GradScaler``
  reads the found-inf flag back to the host every step; on the CPU it
  asserts an accelerator.)
- **float16** (an accelerator's default: CUDA, NPU, MLU, MUSA): MMEngine's
  ``AmpOptimWrapper`` with dynamic loss scaling, which float16's narrow
  range needs.

Only a CPU with bf16 instructions (``avx512_bf16`` or ``amx_bf16``) runs
bf16 GEMMs fast; elsewhere oneDNN emulates them and a training step was
measured 84-88x *slower* (AVX2-only AMD EPYC, ``docs/benchmark.md``), so
there a warning says so. Training stays float32 unless AMP is asked for.

What runs in which precision under autocast (the same on CPU and CUDA):

- bf16 / fp16: every convolution and GEMM, i.e. nearly all FLOPs. The
  affinity conv casts its input and weight once at its entry and runs all
  its GEMMs, its shifted inputs and its saved input in that dtype
  (``models/backbones/affinity_gemm.py``).
- float32: the embedding, the affinities and the filter weights (tiny
  ``(B, E|1, T)`` tensors), the CAS and everything read off it: top-k
  video scores, softmax, every loss (the affinity loss's similarity matrix
  runs with autocast off), and the post-processing (float64 NumPy). The
  validation / test loops run without autocast (MMEngine's ``fp16`` loop
  option is not set).
"""
import warnings
from contextlib import contextmanager
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.device import get_device
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS

from ..profiling.machine import cpu_bf16_hardware

CPU_DTYPES = ('bfloat16', )
CUDA_DTYPES = ('float16', 'bfloat16')
# The names ``tools/train.py --amp DTYPE`` accepts, and the dtype each means.
DTYPE_NAMES = {'bf16': 'bfloat16', 'bfloat16': 'bfloat16',
               'fp16': 'float16', 'float16': 'float16'}
ACCELERATORS = ('cuda', 'npu', 'mlu', 'musa')
# What AutocastOptimWrapper runs: the dtype that needs no loss scaling.
UNSCALED_DTYPES = ('bfloat16', )
# The wrapper types configure_amp replaces (anything else is refused).
_PLAIN_WRAPPERS = (None, 'OptimWrapper', 'AmpOptimWrapper',
                   'AutocastOptimWrapper', 'CPUAutocastOptimWrapper')


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that runs the forward and the loss under
    ``torch.autocast(device_type, dtype)``, bfloat16, without loss scaling.

    The backward and the optimizer step are those of ``OptimWrapper``: the
    parameters, their gradients and Adam's state stay float32, and a step
    syncs nothing back to the host. float16 is refused: without a loss
    scale its small gradients flush to zero (use MMEngine's
    ``AmpOptimWrapper``).

    Args:
        dtype (str or torch.dtype): Autocast dtype; bfloat16 (default).
        device_type (str): ``torch.autocast``'s device type: ``'cpu'``
            (default) or one of :data:`ACCELERATORS`.
        **kwargs: Passed to ``OptimWrapper``.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 device_type: str = 'cpu', **kwargs) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        if device_type not in ('cpu', ) + ACCELERATORS:
            raise ValueError(f'{name}: device_type {device_type!r} is not '
                             f"'cpu' or one of {ACCELERATORS}")
        if isinstance(dtype, torch.dtype):
            dtype = str(dtype).replace('torch.', '')
        if dtype not in UNSCALED_DTYPES:
            raise ValueError(f'{name}: dtype {dtype!r} is not one of '
                             f'{UNSCALED_DTYPES} (float16 needs loss '
                             "scaling: MMEngine's AmpOptimWrapper)")
        self.cast_dtype = getattr(torch, dtype)
        self.device_type = device_type

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield

    def load_state_dict(self, state_dict: dict) -> None:
        """``OptimWrapper.load_state_dict`` of a checkpoint that may come
        from an ``AmpOptimWrapper`` run (e.g. ``--amp bf16`` on CUDA
        before it used this wrapper): its ``loss_scaler`` state is
        dropped, as no loss is scaled here."""
        state_dict = dict(state_dict)
        state_dict.pop('loss_scaler', None)
        super().load_state_dict(state_dict)


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(AutocastOptimWrapper):
    """:class:`AutocastOptimWrapper` on the CPU: the name that configs and
    checkpoints of earlier versions (``--amp`` on a CPU) carry.

    Args:
        dtype (str or torch.dtype): Autocast dtype; bfloat16 (default).
        **kwargs: Passed to ``OptimWrapper``.
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        super().__init__(dtype=dtype, device_type='cpu', **kwargs)


def default_device() -> str:
    """The device an MMEngine Runner trains on: ``'cuda'``, ``'npu'``,
    ``'mlu'``, ``'musa'`` (or ``'mps'``) when available, else ``'cpu'``
    (``mmengine.device.get_device``)."""
    return get_device()


def no_bf16_hardware_message() -> str:
    """The warning :func:`configure_amp` gives on a CPU without bf16
    instructions."""
    return ('`amp` on CPU: this CPU has no bf16 instructions (neither '
            'avx512_bf16 nor amx_bf16), so bf16 GEMMs are emulated: a '
            'BackTAL training step was measured 84-88x slower than float32 '
            'on such a CPU (AVX2-only AMD EPYC, docs/benchmark.md). Train '
            'without `amp` here.')


def configure_amp(cfg, device: Optional[str] = None,
                  dtype: Optional[str] = None):
    """Rewrite ``cfg.optim_wrapper`` for mixed precision on ``device``.

    Args:
        cfg (mmengine.Config): The training config (changed in place).
        device (str, optional): ``'cpu'``, ``'cuda'`` (or ``'npu'``,
            ``'mlu'``, ``'musa'``). Defaults to :func:`default_device`.
        dtype (str, optional): ``'bfloat16'`` (the CPU's only choice, and
            its default) or, on an accelerator, ``'float16'`` (default,
            with dynamic loss scaling) or ``'bfloat16'``.

    Returns:
        mmengine.Config: ``cfg``.

    Raises:
        ValueError: an unknown device or dtype, or an ``optim_wrapper``
            of another type than ``OptimWrapper`` / ``AmpOptimWrapper``
            (its behaviour cannot be kept).
    """
    device = device or default_device()
    wrapper = cfg.get('optim_wrapper')
    if wrapper is None:
        raise ValueError('configure_amp: the config has no optim_wrapper')
    if wrapper.get('type') not in _PLAIN_WRAPPERS:
        raise ValueError(f"configure_amp: optim_wrapper.type="
                         f"{wrapper.get('type')!r} is not a plain "
                         "OptimWrapper; set mixed precision in that wrapper")
    if device == 'cpu':
        dtype = dtype or 'bfloat16'
        if dtype not in CPU_DTYPES:
            raise ValueError(f'configure_amp: dtype {dtype!r} on CPU; only '
                             f'{CPU_DTYPES} runs fast there')
        if not cpu_bf16_hardware():
            warnings.warn(no_bf16_hardware_message(), stacklevel=2)
    elif device in ACCELERATORS:
        dtype = dtype or 'float16'
        if dtype not in CUDA_DTYPES:
            raise ValueError(f'configure_amp: dtype {dtype!r} is not one of '
                             f'{CUDA_DTYPES}')
    else:
        raise ValueError(f"configure_amp: device {device!r} is not 'cpu' or "
                         f'one of {ACCELERATORS}')
    if dtype in UNSCALED_DTYPES:
        wrapper.pop('loss_scale', None)
        wrapper.update(type='AutocastOptimWrapper', dtype=dtype,
                       device_type=device)
        # So that a dumped config builds the wrapper in a new process.
        if cfg.get('custom_imports') is None:
            cfg.custom_imports = dict(imports=[], allow_failed_imports=False)
        imports = list(cfg.custom_imports.get('imports', []))
        if __name__ not in imports:
            cfg.custom_imports.imports = imports + [__name__]
    else:
        wrapper.pop('device_type', None)
        wrapper.update(type='AmpOptimWrapper', dtype=dtype)
        wrapper.setdefault('loss_scale', 'dynamic')
    return cfg
