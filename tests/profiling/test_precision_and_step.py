"""Precisions of the benchmark rows, the loss-scaled and pipelined training
step, and the CUDA machine line (all checked without a GPU)."""
import subprocess

import pytest
import torch

from backtal_mmaction.profiling import machine, time_training_step
from backtal_mmaction.profiling.precision import (PRECISIONS,
                                                  available_precisions,
                                                  precision_mode)


def _flags():
    return (torch.backends.cuda.matmul.allow_tf32,
            torch.backends.cudnn.allow_tf32)


@pytest.mark.parametrize('name, inside', [('fp32', (False, False)),
                                          ('tf32', (True, True)),
                                          ('bf16', (False, False)),
                                          ('fp16', (False, False))])
def test_precision_mode_sets_both_tf32_switches_and_restores(name, inside):
    """PyTorch's defaults differ (cuBLAS TF32 off, cuDNN TF32 on): an fp32
    row must turn the cuDNN one off too, a TF32 row both on; the flags are
    process-global, so they must come back as they were."""
    before = _flags()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = True  # PyTorch's defaults
    try:
        with precision_mode(PRECISIONS[name], 'cuda'):
            assert _flags() == inside
        assert _flags() == (False, True)
        with pytest.raises(RuntimeError):  # restored on errors too
            with precision_mode(PRECISIONS[name], 'cuda'):
                raise RuntimeError('inside')
        assert _flags() == (False, True)
        with precision_mode(PRECISIONS['tf32'], 'cpu'):  # nothing on CPU
            assert _flags() == (False, True)
    finally:
        (torch.backends.cuda.matmul.allow_tf32,
         torch.backends.cudnn.allow_tf32) = before


def test_available_precisions(monkeypatch):
    from backtal_mmaction.profiling import precision
    monkeypatch.setattr(precision, 'cpu_bf16_hardware', lambda: ())
    assert [p.name for p in available_precisions('cpu')] == ['fp32']
    monkeypatch.setattr(precision, 'cpu_bf16_hardware',
                        lambda: ('avx512_bf16', ))
    assert [p.name for p in available_precisions('cpu')] == ['fp32', 'bf16']
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: True)
    assert [p.name for p in available_precisions('cuda')] == [
        'fp32', 'tf32', 'bf16', 'fp16']
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: False)
    assert [p.name for p in available_precisions('cuda')] == [
        'fp32', 'tf32', 'fp16']
    # only fp16 scales its loss; only the autocast rows autocast
    assert [n for n, p in PRECISIONS.items() if p.loss_scale] == ['fp16']
    assert {n: p.autocast for n, p in PRECISIONS.items()} == {
        'fp32': None, 'tf32': None, 'bf16': torch.bfloat16,
        'fp16': torch.float16}


def _train(loss_scale: bool, repeats: int = 2):
    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 1)
    x = torch.randn(16, 8)
    optim = torch.optim.SGD(lin.parameters(), lr=0.1)
    r = time_training_step(lambda: lin(x).pow(2).mean(), optim,
                           repeats=repeats, memory=False,
                           loss_scale=loss_scale)
    return lin, r


def test_loss_scaled_step_takes_the_same_steps():
    """A dynamic loss scale is a power of two: the unscaled gradients, and
    so the SGD steps, are exactly those of unscaled training (no inf, no
    skipped step in fp32)."""
    plain, r0 = _train(False)
    scaled, r1 = _train(True)
    for a, b in zip(plain.parameters(), scaled.parameters()):
        assert torch.equal(a, b)
    assert r1['loss'] == r0['loss']  # the reported loss is unscaled
    # the scaler did scale (GradScaler's initial 2 ** 16; it grows only
    # after 2000 clean steps), so the equality above is not vacuous
    assert r1['loss_scale'] == 2.0 ** 16 and 'loss_scale' not in r0


def test_pipelined_time_and_step_count():
    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 1)
    x = torch.randn(16, 8)
    calls = []

    def loss():
        calls.append(1)
        return lin(x).pow(2).mean()

    r = time_training_step(loss, torch.optim.SGD(lin.parameters(), lr=0.1),
                           repeats=3, memory=False)
    # warm-up + 3 phase-timed + 3 pipelined steps
    assert len(calls) == 7
    assert r['pipelined'] > 0 and r['step'] > 0


def test_cuda_summary_and_driver(monkeypatch):
    if not torch.cuda.is_available():
        assert machine.cuda_summary() == 'CUDA not available'

    def fake_run(cmd, **kwargs):
        assert cmd[0] == 'nvidia-smi'
        return subprocess.CompletedProcess(cmd, 0, '550.54.15\n550.54.15\n',
                                           '')

    monkeypatch.setattr(machine.subprocess, 'run', fake_run)
    assert machine.nvidia_driver() == '550.54.15'  # GPU 0's line

    def missing(cmd, **kwargs):
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(machine.subprocess, 'run', missing)
    assert machine.nvidia_driver() is None
    monkeypatch.setattr(
        machine.subprocess, 'run', lambda cmd, **kw:
        subprocess.CompletedProcess(cmd, 9, '', 'NVIDIA-SMI has failed'))
    assert machine.nvidia_driver() is None
