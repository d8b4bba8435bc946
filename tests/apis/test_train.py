"""``build_train_cfg`` (what ``tools/train.py`` / ``train_localizer`` run
before building anything): work dir, resume modes, the run-protection
rule, seeds and the hooks every training run gets. No model is built."""
import pytest
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
    _cfg().dump(str(path))
    assert build_train_cfg(str(path)).work_dir == './work_dirs/my_tiny_cfg'
    own = build_train_cfg(_cfg(work_dir=str(tmp_path / 'mine')))
    assert own.work_dir == str(tmp_path / 'mine')


def test_resume_modes_and_the_run_protection(tmp_path):
    wd = tmp_path / 'wd'
    fresh = build_train_cfg(_cfg(), work_dir=str(wd), resume=True)
    assert fresh.resume is True and fresh.load_from is None  # nothing yet
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


def test_unknown_cfg_option_key_fails_before_anything_runs(tmp_path):
    with pytest.raises(UnknownConfigKeyError, match='model.dropuot'):
        build_train_cfg(_cfg(), work_dir=str(tmp_path / 'wd'),
                        cfg_options={'model.dropuot': 0.1})
    assert not (tmp_path / 'wd').exists()
