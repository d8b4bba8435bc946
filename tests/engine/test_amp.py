"""configure_amp: mixed precision on CPU (bf16 autocast) and CUDA configs."""
import warnings

import pytest
import torch
from mmengine.config import Config

from backtal_mmaction.engine import amp
from backtal_mmaction.engine.amp import (CPUAutocastOptimWrapper,
                                         configure_amp)
from tests.helpers import build_runner, synthetic_cfg


def _cfg(**wrapper):
    return Config(dict(optim_wrapper=dict(
        optimizer=dict(type='Adam', lr=1e-4), **wrapper)))


@pytest.fixture
def bf16_cpu(monkeypatch):
    monkeypatch.setattr(amp, 'cpu_bf16_hardware', lambda: ('avx512_bf16', ))


def test_cpu_config_uses_the_bf16_autocast_wrapper(bf16_cpu):
    cfg = configure_amp(_cfg(type='AmpOptimWrapper', loss_scale='dynamic'),
                        device='cpu')
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'loss_scale' not in cfg.optim_wrapper  # bf16 needs no scaling
    assert 'backtal_mmaction.engine.amp' in cfg.custom_imports.imports
    # idempotent, and existing custom_imports are kept
    cfg.custom_imports.imports.insert(0, 'backtal_mmaction')
    configure_amp(cfg, device='cpu')
    assert cfg.custom_imports.imports == ['backtal_mmaction',
                                          'backtal_mmaction.engine.amp']


@pytest.mark.parametrize('dtype,expected', [(None, 'float16'),
                                            ('bfloat16', 'bfloat16')])
def test_cuda_config_uses_mmengine_amp(dtype, expected):
    # only the config is rewritten: no GPU needed
    cfg = configure_amp(_cfg(), device='cuda', dtype=dtype)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == expected
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert 'custom_imports' not in cfg


def test_bad_requests_are_named():
    with pytest.raises(ValueError, match="dtype 'float16' on CPU"):
        configure_amp(_cfg(), device='cpu', dtype='float16')
    with pytest.raises(ValueError, match="device 'tpu'"):
        configure_amp(_cfg(), device='tpu')
    with pytest.raises(ValueError, match="'ApexOptimWrapper'"):
        configure_amp(_cfg(type='ApexOptimWrapper'), device='cuda')
    with pytest.raises(ValueError, match='no optim_wrapper'):
        configure_amp(Config(dict()), device='cpu')
    with pytest.raises(ValueError, match='float16'):
        CPUAutocastOptimWrapper(
            optimizer=torch.optim.SGD([torch.nn.Parameter(torch.ones(1))],
                                      lr=1), dtype='float16')


def test_warns_without_bf16_hardware(monkeypatch):
    monkeypatch.setattr(amp, 'cpu_bf16_hardware', lambda: ())
    with pytest.warns(UserWarning, match='84-88x slower'):
        configure_amp(_cfg(), device='cpu')


def test_no_warning_with_bf16_hardware(bf16_cpu):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        configure_amp(_cfg(), device='cpu')


def test_optim_context_autocasts_and_step_stays_fp32():
    model = torch.nn.Linear(4, 3)
    wrapper = CPUAutocastOptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    with wrapper.optim_context(model):
        assert torch.is_autocast_enabled('cpu')
        y = model(torch.randn(5, 4))
    assert y.dtype == torch.bfloat16
    assert not torch.is_autocast_enabled('cpu')
    before = model.weight.detach().clone()
    wrapper.backward(y.float().pow(2).mean())
    assert model.weight.grad.dtype == torch.float32
    wrapper.step()
    assert not torch.equal(before, model.weight.detach())
    assert model.weight.dtype == torch.float32


def test_runner_trains_on_cpu_under_bf16(tiny_synthetic, tmp_path, bf16_cpu):
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd', epochs=1,
                        validate=False)
    configure_amp(cfg, device='cpu')
    runner = build_runner(cfg)
    seen = []
    model = runner.model
    handle = model.backbone.conv_2.register_forward_hook(
        lambda m, i, o: seen.append((torch.is_autocast_enabled('cpu'),
                                     o.dtype)))
    before = [p.detach().clone() for p in model.parameters()]
    runner.train()
    handle.remove()
    assert isinstance(runner.optim_wrapper, CPUAutocastOptimWrapper)
    # two iterations (8 videos, batch 4), each under bf16 autocast
    assert seen and all(s == (True, torch.bfloat16) for s in seen)
    assert runner.iter == 2
    after = list(model.parameters())
    assert all(p.dtype == torch.float32 for p in after)
    assert any(not torch.equal(b, a.detach()) for b, a in zip(before, after))
    scalars = runner.message_hub.log_scalars
    assert torch.isfinite(torch.tensor(scalars['train/loss'].current()))
    # the dumped config rebuilds the wrapper in a fresh process
    dumped = tmp_path / 'cfg.py'
    cfg.dump(str(dumped))
    assert 'backtal_mmaction.engine.amp' in Config.fromfile(
        str(dumped)).custom_imports.imports


def test_train_amp_flag_configures_for_the_device(bf16_cpu, monkeypatch,
                                                  tmp_path):
    """``tools/train.py --amp`` (build_train_cfg(amp=True)) goes through
    configure_amp for the Runner's device: bf16 autocast on CPU (it used to
    refuse the CPU), MMEngine's AmpOptimWrapper on CUDA."""
    from backtal_mmaction.apis.train import build_train_cfg
    config = 'configs/backtal/backtal_synthetic.py'
    monkeypatch.setattr(amp, 'default_device', lambda: 'cpu')
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'a'), amp=True)
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.type == 'Adam'  # the rest is kept
    monkeypatch.setattr(amp, 'default_device', lambda: 'cuda')
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'b'), amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'c'))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'



def test_plugin_import_registers_the_cpu_autocast_wrapper():
    """A config naming CPUAutocastOptimWrapper builds with only the plugin's
    custom_imports (not only through --amp's extra import)."""
    import subprocess
    import sys
    code = ('import backtal_mmaction.registration\n'
            'from mmengine.registry import OPTIM_WRAPPERS\n'
            "print(OPTIM_WRAPPERS.get('CPUAutocastOptimWrapper').__name__)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == 'CPUAutocastOptimWrapper'
