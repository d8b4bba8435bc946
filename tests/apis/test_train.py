"""``build_train_cfg`` (what ``tools/train.py`` / ``train_localizer`` run
before building anything): work dir, resume modes, the run-protection
rule, seeds and the hooks every training run gets; ``amp`` dtypes,
``compile`` and, on CUDA, pinned memory with non-blocking copies (also in
``build_test_cfg``). No model is built."""
import pytest
import torch
from mmengine.config import Config

from backtal_mmaction.apis.train import build_train_cfg
from backtal_mmaction.cli.config import UnknownConfigKeyError


def _cfg(**extra) -> Config:
    return Config(dict(
        model=dict(type='BackTAL', dropout=0.5),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-4)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        **extra))


def test_hooks_work_dir_and_the_callers_config_left_alone(tmp_path):
    cfg = _cfg()
    out = build_train_cfg(cfg, work_dir=str(tmp_path / 'wd'), seed=3,
                          deterministic=True, no_validate=True,
                          cfg_options={'model.dropout': 0.25})
    assert out.work_dir == str(tmp_path / 'wd')
    assert out.model.dropout == 0.25 and cfg.model.dropout == 0.5
    assert out.default_hooks.checkpoint.type == 'AtomicCheckpointHook'
    assert cfg.default_hooks.checkpoint.type == 'CheckpointHook'
    assert [h['type'] for h in out.custom_hooks] == [
        'RNGStateHook', 'CheckpointCompatibilityHook']
    assert out.randomness == dict(seed=3, deterministic=True)
    assert out.val_cfg is None and out.val_dataloader is None
    assert out.launcher == 'none' and not out.get('resume')
    with_test = build_train_cfg(cfg, work_dir=str(tmp_path / 'wd'),
                                test=True)
    assert with_test.custom_hooks[-1]['type'] == 'TestSpeedHook'


def test_default_work_dir_is_named_after_the_config_file(tmp_path):
    path = tmp_path / 'my_tiny_cfg.py'
    _cfg(custom_imports=dict(imports=['backtal_mmaction.registration'],
                             allow_failed_imports=False)).dump(str(path))
    assert build_train_cfg(str(path)).work_dir == './work_dirs/my_tiny_cfg'
    own = build_train_cfg(_cfg(work_dir=str(tmp_path / 'mine')))
    assert own.work_dir == str(tmp_path / 'mine')


def test_resume_modes_and_the_run_protection(tmp_path):
    wd = tmp_path / 'wd'
    fresh = build_train_cfg(_cfg(), work_dir=str(wd), resume=True)
    assert not fresh.resume and fresh.get('load_from') is None  # nothing yet
    # A requeued fine-tuning job's first start: from the config's load_from.
    tuned = build_train_cfg(_cfg(load_from='pretrained.pth'),
                            work_dir=str(wd), resume=True)
    assert not tuned.resume and tuned.load_from == 'pretrained.pth'
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        build_train_cfg(_cfg(), work_dir=str(wd),
                        resume=str(tmp_path / 'missing.pth'))
    wd.mkdir()
    ckpt = wd / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    with pytest.raises(FileExistsError, match='already holds checkpoints'):
        build_train_cfg(_cfg(), work_dir=str(wd))
    assert build_train_cfg(_cfg(), work_dir=str(wd), overwrite=True)
    named = build_train_cfg(_cfg(), work_dir=str(wd), resume=str(ckpt))
    assert named.resume is True and named.load_from == str(ckpt)
    # a pretrained file kept in a fresh work dir is not the run's
    w2 = tmp_path / 'w2'
    w2.mkdir()
    (w2 / 'pretrained.pth').write_bytes(b'')
    first = build_train_cfg(_cfg(load_from=str(w2 / 'pretrained.pth')),
                            work_dir=str(w2), resume=True)
    assert not first.resume and first.load_from == str(w2 / 'pretrained.pth')
    # checkpoints but no pointer: never start over on top of them
    with pytest.raises(FileExistsError, match=r"holds checkpoints "
                       r"\(\['epoch_1.pth'\]\) but no last_checkpoint pointer"):
        build_train_cfg(_cfg(), work_dir=str(wd), resume=True)


def test_unknown_cfg_option_key_fails_before_anything_runs(tmp_path):
    with pytest.raises(UnknownConfigKeyError, match='model.dropuot'):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                        cfg_options={'model.dropuot': 0.1})
    assert not (tmp_path / 'wd').exists()


# ------------------------------------------------------------------ amp
@pytest.fixture
def on_device(monkeypatch):
    """``on_device('cuda')``: the Runner's device as build_train_cfg and
    build_test_cfg see it (``engine.amp.default_device``); no GPU needed,
    only configs are built. The CPU counts as having bf16 instructions
    (no slow-bf16 warning)."""
    from backtal_mmaction.engine import amp
    monkeypatch.setattr(amp, 'cpu_bf16_hardware', lambda: ('amx_bf16', ))

    def set_device(device):
        monkeypatch.setattr(amp, 'default_device', lambda: device)
    return set_device


@pytest.mark.parametrize('device,amp,wrapper,dtype', [
    ('cpu', True, 'AutocastOptimWrapper', 'bfloat16'),
    ('cpu', 'bf16', 'AutocastOptimWrapper', 'bfloat16'),
    ('cpu', 'bfloat16', 'AutocastOptimWrapper', 'bfloat16'),
    ('cuda', True, 'AmpOptimWrapper', 'float16'),
    ('cuda', 'fp16', 'AmpOptimWrapper', 'float16'),
    ('cuda', 'FLOAT16', 'AmpOptimWrapper', 'float16'),
    ('cuda', 'bf16', 'AutocastOptimWrapper', 'bfloat16'),
])
def test_amp_dtype_per_device(device, amp, wrapper, dtype, on_device,
                              tmp_path):
    """``amp=True`` (bare ``--amp``) is the device's default as before; a
    dtype name chooses (``--amp bf16|bfloat16|fp16|float16``); only fp16
    scales the loss."""
    on_device(device)
    cfg = build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'), amp=amp)
    assert cfg.optim_wrapper.type == wrapper
    assert cfg.optim_wrapper.dtype == dtype
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
    assert cfg.optim_wrapper.get('loss_scale') == (
        'dynamic' if dtype == 'float16' else None)
    if wrapper == 'AutocastOptimWrapper':
        assert cfg.optim_wrapper.device_type == device


def test_amp_refusals_name_the_keyword(on_device, tmp_path):
    on_device('cpu')
    for amp in ('fp16', 'float16'):
        with pytest.raises(ValueError, match=f'`amp` {amp}: float16 .*'
                           'CUDA.*bfloat16 only'):
            build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'), amp=amp)
    with pytest.raises(ValueError, match="`amp` must be True or one of "
                       "bf16, bfloat16, fp16, float16; got 'fp8'"):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'), amp='fp8')
    for off in (False, None):
        cfg = build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                              amp=off)
        assert 'type' not in cfg.optim_wrapper


# -------------------------------------------------------------- compile
@pytest.mark.parametrize('compile,expected', [
    (True, True),
    ('default', dict(mode='default')),
    ('max-autotune', dict(mode='max-autotune')),
    ('reduce-overhead', dict(mode='reduce-overhead')),
    ('max-autotune-no-cudagraphs', dict(mode='max-autotune-no-cudagraphs')),
    (dict(backend='aot_eager', dynamic=False),
     dict(backend='aot_eager', dynamic=False)),
])
def test_compile_becomes_mmengines_cfg_compile(compile, expected, tmp_path):
    """``--compile`` -> ``cfg.compile = True``, ``--compile MODE`` ->
    ``dict(mode=MODE)`` (MMEngine's Runner compiles ``train_step``); a
    library caller may pass torch.compile's arguments as a dict."""
    cfg = build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                          compile=compile)
    assert cfg.compile == expected


def test_compile_off_leaves_the_configs_own(tmp_path):
    assert 'compile' not in build_train_cfg(_cfg(),
                                            work_dir=str(tmp_path / 'wd'))
    own = build_train_cfg(_cfg(compile=dict(backend='eager')),
                          work_dir=str(tmp_path / 'wd'), compile=False)
    assert own.compile == dict(backend='eager')
    forced = build_train_cfg(_cfg(compile=dict(backend='eager')),
                             work_dir=str(tmp_path / 'wd'), compile=True)
    assert forced.compile is True


def test_compile_refusals_name_the_keyword(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="`compile` mode must be one of "
                       "default, reduce-overhead, .*; got 'fast'"):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                        compile='fast')
    with pytest.raises(ValueError, match='`compile` must be True, a mode'):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'), compile=3)
    monkeypatch.delattr(torch, 'compile')
    with pytest.raises(ValueError, match='`compile` needs torch.compile'):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                        compile=True)


def test_preprocessor_is_not_traced_by_torch_compile():
    """``cfg.compile`` compiles ``train_step``, which runs the data
    preprocessor: its copy of the samples (a deep copy of each metainfo,
    ``BaseDataElement.to``) must stay out of the graph, as Dynamo fails on
    NumPy values in it ("'ndarray' object has no attribute
    '__deepcopy__'"; PyTorch 2.13, every time on this batch)."""
    import numpy as np
    from mmaction.structures import ActionDataSample

    from backtal_mmaction.models.data_preprocessors import \
        SnippetFeaturePreprocessor
    samples = []
    for i in range(2):
        ds = ActionDataSample()
        ds.set_metainfo(dict(video_name=f'v{i}', duration=12.0,
                             gt_segments=np.array([[1.0, 2.0]])))
        samples.append(ds)
    x = [torch.randn(4, 6), torch.randn(4, 6)]
    pp = SnippetFeaturePreprocessor()
    step = torch.compile(
        lambda d: pp(d, True)['inputs'].sum() * 2, backend='eager')
    got = step(dict(inputs=x, data_samples=samples))
    assert torch.allclose(got, torch.stack(x).sum() * 2)


# ------------------------------------------------ pinned memory (CUDA)
def _loaders_cfg(preprocessor=None, **loader):
    """``_cfg()`` with train / val / test dataloaders (``loader``: extra
    settings of each) and ``model.data_preprocessor``."""
    loaders = {f'{s}_dataloader': dict(batch_size=2, num_workers=0,
                                       dataset=dict(type='TALDataset'),
                                       **loader)
               for s in ('train', 'val', 'test')}
    cfg = _cfg(**loaders)
    cfg.model.data_preprocessor = preprocessor or dict(
        type='SnippetFeaturePreprocessor')
    return cfg


def test_cuda_pins_memory_and_copies_without_blocking(on_device, tmp_path):
    on_device('cuda')
    cfg = build_train_cfg(_loaders_cfg(), work_dir=str(tmp_path / 'wd'))
    for split in ('train', 'val', 'test'):
        assert cfg[f'{split}_dataloader'].pin_memory is True
    assert cfg.model.data_preprocessor == dict(
        type='SnippetFeaturePreprocessor', non_blocking=True)
    # AnchorFreeTAD's configs: the same preprocessor, with pad_batch
    cfg = build_train_cfg(
        _loaders_cfg(dict(type='SnippetFeaturePreprocessor',
                          pad_batch=True)),
        work_dir=str(tmp_path / 'wd'))
    assert cfg.model.data_preprocessor == dict(
        type='SnippetFeaturePreprocessor', pad_batch=True, non_blocking=True)


def test_cuda_keeps_the_configs_own_settings(on_device, tmp_path):
    on_device('cuda')
    cfg = build_train_cfg(
        _loaders_cfg(dict(type='SnippetFeaturePreprocessor',
                          non_blocking=False), pin_memory=False),
        work_dir=str(tmp_path / 'wd'), no_validate=True)
    assert cfg.train_dataloader.pin_memory is False
    assert cfg.test_dataloader.pin_memory is False
    assert cfg.val_dataloader is None
    assert cfg.model.data_preprocessor.non_blocking is False
    # a preprocessor without the argument (MMAction2's) gets none
    cfg = build_train_cfg(
        _loaders_cfg(dict(type='ActionDataPreprocessor')),
        work_dir=str(tmp_path / 'wd'))
    assert cfg.model.data_preprocessor == dict(type='ActionDataPreprocessor')
    assert cfg.train_dataloader.pin_memory is True


def test_cpu_config_is_unchanged(on_device, tmp_path):
    """No accelerator: nothing is pinned (PyTorch warns about pin_memory
    without one) and the preprocessor blocks, as configured."""
    on_device('cpu')
    cfg = build_train_cfg(_loaders_cfg(), work_dir=str(tmp_path / 'wd'))
    for split in ('train', 'val', 'test'):
        assert 'pin_memory' not in cfg[f'{split}_dataloader']
    assert cfg.model.data_preprocessor == dict(
        type='SnippetFeaturePreprocessor')


def test_test_cfg_pins_memory_on_cuda_only(on_device, tmp_path):
    from backtal_mmaction.apis.test import build_test_cfg
    ckpt = tmp_path / 'epoch_1.pth'
    ckpt.write_bytes(b'')
    on_device('cuda')
    cfg = build_test_cfg(_loaders_cfg(), str(ckpt),
                         work_dir=str(tmp_path / 'wd'))
    assert cfg.test_dataloader.pin_memory is True
    assert cfg.model.data_preprocessor.non_blocking is True
    on_device('cpu')
    cfg = build_test_cfg(_loaders_cfg(), str(ckpt),
                         work_dir=str(tmp_path / 'wd'))
    assert 'pin_memory' not in cfg.test_dataloader
    assert 'non_blocking' not in cfg.model.data_preprocessor


def test_auto_scale_lr_switches_on_mmengines_scaling(tmp_path):
    cfg = build_train_cfg(
        _cfg(auto_scale_lr=dict(enable=False, base_batch_size=16)),
        work_dir=str(tmp_path / 'wd'), auto_scale_lr=True)
    assert cfg.auto_scale_lr == dict(enable=True, base_batch_size=16)
    off = build_train_cfg(
        _cfg(auto_scale_lr=dict(enable=False, base_batch_size=16)),
        work_dir=str(tmp_path / 'wd'))
    assert off.auto_scale_lr.enable is False


@pytest.mark.parametrize('scale', [None, dict(enable=False)])
def test_auto_scale_lr_without_a_base_batch_is_refused(scale, tmp_path):
    """No default: a guessed base batch would scale by a wrong ratio."""
    extra = {} if scale is None else dict(auto_scale_lr=scale)
    with pytest.raises(ValueError, match='`auto_scale_lr` needs auto_scale_'
                       r'lr\.base_batch_size in the config'):
        build_train_cfg(_cfg(**extra), work_dir=str(tmp_path / 'wd'),
                        auto_scale_lr=True)
    with pytest.raises(ValueError, match='base_batch_size` must be an '
                       'integer >= 1, got 0'):
        build_train_cfg(_cfg(auto_scale_lr=dict(base_batch_size=0)),
                        work_dir=str(tmp_path / 'wd'), auto_scale_lr=True)
    with pytest.raises(ValueError, match="base_batch_size` must be an "
                       "integer, got str 'abc'"):
        build_train_cfg(_cfg(auto_scale_lr=dict(base_batch_size='abc')),
                        work_dir=str(tmp_path / 'wd'), auto_scale_lr=True)
    whole = build_train_cfg(_cfg(auto_scale_lr=dict(base_batch_size=16.0)),
                            work_dir=str(tmp_path / 'wd'), auto_scale_lr=True)
    assert whole.auto_scale_lr.base_batch_size == 16
