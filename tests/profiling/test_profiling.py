"""The benchmark's measuring helpers (backtal_mmaction.profiling)."""
import math

import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.backbones import AffinityConv1d
from backtal_mmaction.profiling import (OtherLoad, count_forward_flops,
                                               cpu_bf16_hardware,
                                               median_time, peak_memory)
from backtal_mmaction.profiling import machine


def test_flop_counter():
    net = torch.nn.ModuleDict(dict(
        a=AffinityConv1d(6, 4), b=torch.nn.Conv1d(4, 2, 1),
        c=torch.nn.Conv1d(6, 6, 3, padding=1, groups=3)))
    x = torch.randn(2, 6, 10)
    e = F.normalize(torch.randn(2, 3, 10), dim=1)

    def fwd():
        net['b'](net['a'](x, e))
        net['c'](x)
        net['c'](x[..., :5])

    flops = count_forward_flops(fwd, net)
    # 2*B*T*Cout*Cin*k for each call (grouped conv: Cin per group)
    assert flops == (2 * 2 * 10 * 4 * 6 * 3 + 2 * 2 * 10 * 2 * 4 * 1 +
                     2 * 2 * 10 * 6 * 2 * 3 + 2 * 2 * 5 * 6 * 2 * 3)
    # the hooks are gone afterwards
    assert all(not m._forward_hooks for m in net.modules())


def test_peak_tensor_accounting():
    keep = torch.zeros(2**20)  # alive before: not counted

    def fn():
        a = torch.ones(2**20)  # 4 MiB
        b = torch.ones(2**19)  # + 2 MiB -> peak 6 MiB
        del a, b
        c = torch.ones(2**18)  # 1 MiB after the frees
        return c.sum()

    mem = peak_memory(fn)
    assert mem['tensor'] == pytest.approx(6.0, abs=0.01)
    assert keep.numel() == 2**20


def test_median_time_and_other_load():
    calls = []
    t = median_time(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and 0 <= t < 0.1
    with OtherLoad() as load:
        sum(range(10000))
    assert math.isnan(load.value) or load.value >= 0


@pytest.mark.parametrize('caps,expected', [
    (dict(avx512_bf16=True, amx_bf16=True), ('avx512_bf16', 'amx_bf16')),
    (dict(avx512_bf16=True, amx_bf16=False), ('avx512_bf16', )),
    (dict(avx512_bf16=False, amx_bf16=False), ()),
])
def test_bf16_hardware_from_torch_probe(monkeypatch, caps, expected):
    monkeypatch.setattr(torch._C._cpu, '_get_cpu_capability', lambda: caps)
    assert cpu_bf16_hardware() == expected


def test_bf16_hardware_falls_back_to_cpu_flags(monkeypatch):
    def no_probe():
        raise RuntimeError('no cpuinfo')

    monkeypatch.setattr(torch._C._cpu, '_get_cpu_capability', no_probe)
    monkeypatch.setattr(machine, '_cpuinfo', lambda: (
        'model name\t: Some CPU\nflags\t\t: fpu avx2 amx_bf16 avx512f\n'))
    assert cpu_bf16_hardware() == ('amx_bf16', )
    assert machine.cpu_model() == 'Some CPU'
    monkeypatch.setattr(machine, '_cpuinfo', lambda: 'flags : avx2 fma\n')
    assert cpu_bf16_hardware() == ()


def test_time_training_step_phases_and_optimizer():
    from backtal_mmaction.profiling import time_training_step
    torch.manual_seed(0)
    lin = torch.nn.Linear(8, 1)
    x = torch.randn(16, 8)
    w0 = lin.weight.detach().clone()
    optim = torch.optim.SGD(lin.parameters(), lr=0.1)
    between = []
    r = time_training_step(lambda: lin(x).pow(2).mean(), optim, repeats=3,
                           between=lambda: between.append(1))
    assert len(between) == 3  # after each timed step
    assert {'fwd', 'bwd', 'opt', 'step', 'loss', 'mem'} <= set(r)
    assert all(r[k] > 0 for k in ('fwd', 'bwd', 'opt', 'step'))
    # step = median of per-step sums: bounded by the phase medians' sum
    # up to the spread of the three steps
    assert r['step'] <= 3 * (r['fwd'] + r['bwd'] + r['opt'])
    # warm-up + memory step + 3 timed steps = 5 SGD steps were taken
    assert not torch.equal(lin.weight, w0)
    assert r['loss'] == pytest.approx(float(lin(x).pow(2).mean()), rel=0.5)


def test_primitive_rates_limit_is_the_best():
    from backtal_mmaction.profiling import primitive_rates
    r = primitive_rates(1, 16, 32, 32, torch.float32, repeats=1)
    limit, best = r.pop('limit'), r.pop('best')
    assert limit == max(r.values()) and all(v > 0 for v in r.values())
    assert any(k.startswith('torch.mm (16x32)') for k in r)
    assert 'nn.Conv1d(32, 32, 3) fwd+bwd' in r
    kind = {'torch.mm': 'mm', 'oneDNN m': 'onednn', 'nn.Conv1': 'conv'}[
        max(r, key=r.get)[:8]]
    assert best == kind
    # one kind alone (what the training part re-measures next to a step)
    only = primitive_rates(1, 16, 32, 32, torch.float32, repeats=1,
                           kinds=['conv'])
    assert only['best'] == 'conv' and list(only)[0].startswith('nn.Conv1d')
    with pytest.raises(ValueError, match='subset of'):
        primitive_rates(1, 16, 32, 32, torch.float32, kinds=['fft'])
