"""The Runner's own checkpoint loads (``load_from``, ``resume``, test) go
through CheckpointCompatibilityHook's public before_run /
after_load_checkpoint: checked first, loaded once under the allow-list,
which is open only for the load."""
import os

import pytest
import torch
from mmengine.hooks import Hook
from torch.serialization import get_safe_globals

from backtal_mmaction.engine import (CheckpointReadError,
                                     UnsafeCheckpointError,
                                     safe_checkpoint_globals)

from tests.helpers import build_runner, synthetic_cfg


class _Evil:

    def __reduce__(self):
        return (os.system, ('true', ))


class Recorder(Hook):
    """Runs after every other hook; notes the hook calls and whether the
    allow-list is open at each."""
    priority = 'LOWEST'

    def __init__(self):
        self.events = []

    def _note(self, name):
        allowed = set(safe_checkpoint_globals()) <= set(get_safe_globals())
        self.events.append((name, allowed))

    def before_run(self, runner):
        self._note('before_run')

    def after_load_checkpoint(self, runner, checkpoint):
        self._note('after_load_checkpoint')

    def before_test(self, runner):
        self._note('before_test')


@pytest.fixture(scope='module')
def trained(tiny_synthetic, tmp_path_factory):
    root = tmp_path_factory.mktemp('ckpt_load')
    cfg = synthetic_cfg(tiny_synthetic, work_dir=root / 'wd', epochs=1)
    build_runner(cfg).train()
    return dict(root=root, data=tiny_synthetic,
                ckpt=str(root / 'wd' / 'epoch_1.pth'))


def _test_runner(trained, tmp_path, load_from, hooks=()):
    cfg = synthetic_cfg(trained['data'], work_dir=tmp_path / 'test_wd')
    cfg.load_from = load_from
    runner = build_runner(cfg)
    for hook in hooks:
        runner.register_hook(hook)
    return runner


def test_load_is_checked_and_allow_list_scoped(trained, tmp_path):
    before = set(get_safe_globals())
    recorder = Recorder()
    metrics = _test_runner(trained, tmp_path, trained['ckpt'],
                           [recorder]).test()
    assert 'tal/mAP_avg' in metrics
    # The allow-list is open from before_run to the load, closed after it
    # (CheckpointCompatibilityHook, VERY_HIGH, runs before the recorder).
    assert recorder.events == [('before_run', True),
                               ('after_load_checkpoint', False),
                               ('before_test', False)]
    assert set(get_safe_globals()) == before


@pytest.mark.parametrize('kind', ['unsafe', 'truncated', 'missing'])
def test_bad_checkpoint_fails_before_the_load(trained, tmp_path, kind):
    path = tmp_path / f'{kind}.pth'
    if kind == 'unsafe':
        torch.save({'state_dict': {}, 'x': _Evil()}, path)
        error, match = UnsafeCheckpointError, r'unsafe\.pth.*system'
    elif kind == 'truncated':
        data = open(trained['ckpt'], 'rb').read()
        path.write_bytes(data[:len(data) // 2])
        error, match = CheckpointReadError, r'truncated\.pth'
    else:
        error, match = FileNotFoundError, r'missing\.pth'
    before = set(get_safe_globals())
    recorder = Recorder()
    runner = _test_runner(trained, tmp_path, str(path), [recorder])
    with pytest.raises(error, match=match):
        runner.test()
    assert recorder.events == []  # refused in the first before_run
    assert set(get_safe_globals()) == before


def test_allow_list_left_open_by_a_failed_run_is_closed(trained, tmp_path):
    class Crash(Hook):
        priority = 'LOWEST'

        def before_run(self, runner):
            raise RuntimeError('killed between before_run and the load')

    before = set(get_safe_globals())
    with pytest.raises(RuntimeError, match='killed'):
        _test_runner(trained, tmp_path, trained['ckpt'], [Crash()]).test()
    assert set(safe_checkpoint_globals()) <= set(get_safe_globals())
    # The next Runner's before_run closes it, loading or not.
    recorder = Recorder()
    _test_runner(trained, tmp_path / 'next', None, [recorder]).test()
    assert recorder.events == [('before_run', False), ('before_test', False)]
    assert set(get_safe_globals()) == before


def test_second_test_after_train_does_not_reload(trained, tmp_path):
    """train() then test() on one Runner: the test loads nothing, so the
    hook checks nothing (the load_from file may be gone by then)."""
    import shutil
    ckpt = tmp_path / 'copy.pth'
    shutil.copy(trained['ckpt'], ckpt)
    cfg = synthetic_cfg(trained['data'], work_dir=tmp_path / 'wd', epochs=2)
    cfg.load_from = str(ckpt)
    runner = build_runner(cfg)
    runner.train()
    os.remove(ckpt)
    recorder = Recorder()
    runner.register_hook(recorder)
    assert 'tal/mAP_avg' in runner.test()
    assert recorder.events == [('before_run', False), ('before_test', False)]
