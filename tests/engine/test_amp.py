"""configure_amp: mixed precision on CPU (bf16 autocast) and CUDA configs."""
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import OPTIM_WRAPPERS

from backtal_mmaction.engine import amp
from backtal_mmaction.engine.amp import (AutocastOptimWrapper,
                                         CPUAutocastOptimWrapper,
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
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.device_type == 'cpu'
    assert 'loss_scale' not in cfg.optim_wrapper  # bf16 needs no scaling
    assert 'backtal_mmaction.engine.amp' in cfg.custom_imports.imports
    # idempotent, and existing custom_imports are kept
    cfg.custom_imports.imports.insert(0, 'backtal_mmaction')
    configure_amp(cfg, device='cpu')
    assert cfg.custom_imports.imports == ['backtal_mmaction',
                                          'backtal_mmaction.engine.amp']


def test_cuda_fp16_config_uses_mmengine_amp():
    # only the config is rewritten: no GPU needed
    cfg = configure_amp(_cfg(type='AutocastOptimWrapper', device_type='cpu'),
                        device='cuda')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'float16'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert 'device_type' not in cfg.optim_wrapper
    assert 'custom_imports' not in cfg


def test_cuda_bf16_config_autocasts_without_loss_scale():
    """bf16 on CUDA: the same unscaled autocast wrapper as on the CPU (a
    GradScaler would read its found-inf flag back every step for
    nothing), on the CUDA device type."""
    cfg = configure_amp(_cfg(type='AmpOptimWrapper', loss_scale='dynamic'),
                        device='cuda', dtype='bfloat16')
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert (cfg.optim_wrapper.dtype, cfg.optim_wrapper.device_type) == (
        'bfloat16', 'cuda')
    assert 'loss_scale' not in cfg.optim_wrapper
    assert 'backtal_mmaction.engine.amp' in cfg.custom_imports.imports
    wrapper = OPTIM_WRAPPERS.build(dict(
        cfg.optim_wrapper, optimizer=torch.optim.SGD(
            [torch.nn.Parameter(torch.ones(1))], lr=1)))
    assert (wrapper.device_type, wrapper.cast_dtype) == ('cuda',
                                                         torch.bfloat16)


def test_bad_requests_are_named():
    with pytest.raises(ValueError, match="dtype 'float16' on CPU"):
        configure_amp(_cfg(), device='cpu', dtype='float16')
    with pytest.raises(ValueError, match="device 'tpu'"):
        configure_amp(_cfg(), device='tpu')
    with pytest.raises(ValueError, match="'ApexOptimWrapper'"):
        configure_amp(_cfg(type='ApexOptimWrapper'), device='cuda')
    with pytest.raises(ValueError, match='no optim_wrapper'):
        configure_amp(Config(dict()), device='cpu')
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1)
    with pytest.raises(ValueError, match="'float16' .*needs loss scaling"):
        CPUAutocastOptimWrapper(optimizer=sgd, dtype='float16')
    with pytest.raises(ValueError, match="'float16' .*needs loss scaling"):
        AutocastOptimWrapper(optimizer=sgd, dtype=torch.float16,
                             device_type='cuda')
    with pytest.raises(ValueError, match="device_type 'tpu'"):
        AutocastOptimWrapper(optimizer=sgd, device_type='tpu')


def test_resuming_a_loss_scaled_checkpoint_drops_its_scaler():
    """A checkpoint of an AmpOptimWrapper run (``--amp bf16`` on CUDA
    before it trained unscaled) resumes into the autocast wrapper: the
    optimizer state is loaded, the scaler state dropped."""
    model = torch.nn.Linear(3, 2)
    adam = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(4, 3)).pow(2).mean().backward()
    adam.step()
    state = dict(adam.state_dict(), loss_scaler=dict(scale=65536.0))
    fresh = AutocastOptimWrapper(
        optimizer=torch.optim.Adam(model.parameters(), lr=1e-2))
    fresh.load_state_dict(state)
    assert 'loss_scaler' in state  # the caller's dict is left as it was
    loaded = fresh.optimizer.state_dict()['state'][0]
    assert torch.equal(loaded['exp_avg'], adam.state_dict()['state'][0]
                       ['exp_avg'])


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
    assert type(runner.optim_wrapper) is AutocastOptimWrapper
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
    refuse the CPU), MMEngine's AmpOptimWrapper (fp16) on CUDA."""
    from backtal_mmaction.apis.train import build_train_cfg
    config = 'configs/backtal/backtal_synthetic.py'
    monkeypatch.setattr(amp, 'default_device', lambda: 'cpu')
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'a'), amp=True)
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.optimizer.type == 'Adam'  # the rest is kept
    monkeypatch.setattr(amp, 'default_device', lambda: 'cuda')
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'b'), amp=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    cfg = build_train_cfg(config, work_dir=str(tmp_path / 'c'))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'



@pytest.mark.parametrize('name', ['AutocastOptimWrapper',
                                  'CPUAutocastOptimWrapper'])
def test_plugin_import_registers_the_autocast_wrappers(name):
    """A config naming either wrapper (CPUAutocastOptimWrapper: configs
    and checkpoints of earlier versions) builds with only the plugin's
    custom_imports (not only through --amp's extra import)."""
    import subprocess
    import sys
    code = ('import backtal_mmaction.registration\n'
            'from mmengine.registry import OPTIM_WRAPPERS\n'
            f"print(OPTIM_WRAPPERS.get('{name}').__name__)")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == name
