"""The private MMEngine 0.10 state the plugin relies on
(``backtal_mmaction/engine/mmengine_private.py`` and
``AtomicCheckpointHook._save_checkpoint_with_step``), checked against the
pinned MMEngine. A failure here after an MMEngine upgrade names what to
re-verify."""
import inspect
import os.path as osp

import mmengine
import torch
from mmengine.hooks import CheckpointHook
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint

from backtal_mmaction.engine import allow_checkpoint_globals
from backtal_mmaction.engine.mmengine_private import (
    has_loaded, history_buffer_statistics, init_weights_quietly, is_resuming,
    load_from, set_load_from, starts_training)

from tests.helpers import build_runner, synthetic_cfg


def test_pinned_mmengine_version():
    assert mmengine.__version__.startswith('0.10.'), (
        f'MMEngine {mmengine.__version__}: re-verify engine/mmengine_private'
        '.py and AtomicCheckpointHook._save_checkpoint_with_step, then '
        'widen this check')


def test_init_weights_quietly_skips_only_the_table(monkeypatch):
    """What it relies on: a top-level BaseModule's init_weights writes its
    table through ``_dump_init_info`` (where to depends on the current
    logger: recorded here instead); the initialization itself still
    runs."""
    from mmengine.model import BaseModule
    assert callable(getattr(BaseModule, '_dump_init_info', None))
    dumped = []
    monkeypatch.setattr(BaseModule, '_dump_init_info',
                        lambda self: dumped.append(type(self).__name__))

    def net():
        module = BaseModule(init_cfg=dict(type='Constant', layer='Linear',
                                          val=0.5))
        module.add_module('fc', torch.nn.Linear(2, 2))
        return module

    net().init_weights()
    assert dumped == ['BaseModule']
    quiet = net()
    init_weights_quietly(quiet)
    assert dumped == ['BaseModule']
    assert torch.all(quiet.fc.weight == 0.5)
    assert '_dump_init_info' not in vars(quiet)


def test_starts_training_in_before_run_of_train_only(tiny_synthetic,
                                                    tmp_path):
    """Runner.train() builds its loop before ``before_run``; test() does
    not build it; a test after train() sees a loop past iteration 0."""
    seen = []

    class Note(CheckpointHook.__base__):
        def before_run(self, runner):
            seen.append(starts_training(runner))

    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd')
    runner = build_runner(cfg)
    runner.register_hook(Note())
    assert not starts_training(runner)  # built, not running
    runner.train()
    runner.test()
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd2')
    cfg.load_from = str(tmp_path / 'wd' / 'epoch_1.pth')
    runner = build_runner(cfg)
    runner.register_hook(Note())
    runner.test()
    assert seen == [True, False, False]


def test_runner_load_state(tiny_synthetic, tmp_path):
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd')
    runner = build_runner(cfg)
    assert load_from(runner) is None and not is_resuming(runner)
    runner.train()
    ckpt = str(tmp_path / 'wd' / 'epoch_1.pth')

    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd2')
    cfg.load_from, cfg.resume = ckpt, True
    runner = build_runner(cfg)
    assert load_from(runner) == ckpt and is_resuming(runner)
    assert not has_loaded(runner)
    # What set_load_from relies on: load_or_resume reads _load_from when
    # it runs (after before_run), and resumes that file.
    other = str(tmp_path / 'other.pth')
    torch.save(torch.load(ckpt, weights_only=False), other)
    set_load_from(runner, other)
    loaded = []
    runner.register_hook(type('Note', (CheckpointHook.__base__, ), dict(
        after_load_checkpoint=lambda self, runner, checkpoint: loaded.append(
            checkpoint)))())
    # Called directly (no before_run): the allow-list the compatibility
    # hook opens there is opened here.
    with allow_checkpoint_globals():
        runner.load_or_resume()
    assert has_loaded(runner) and len(loaded) == 1
    assert runner.message_hub.get_info('last_ckpt')  # resumed, not loaded
    assert 'resume' in inspect.getsource(Runner.load_or_resume)


def test_auto_resume_reads_the_pointer_verbatim(tmp_path):
    """Why set_load_from exists: MMEngine hands the pointer's text to
    load_checkpoint as it is (relative to the current directory)."""
    (tmp_path / 'last_checkpoint').write_text('epoch_2.pth')
    assert find_latest_checkpoint(str(tmp_path)) == 'epoch_2.pth'
    src = inspect.getsource(Runner.load_or_resume)
    assert 'find_latest_checkpoint(self.work_dir)' in src
    assert 'self._load_from' in src and 'self._has_loaded' in src


def test_history_buffer_statistics_registry():
    HistoryBuffer([1.0], [1])  # registers the built-in statistics
    assert {'min', 'max', 'current', 'mean'} <= history_buffer_statistics()

    def backtal_test_stat(self):
        return 0

    HistoryBuffer.register_statistics(backtal_test_stat)
    try:
        assert 'backtal_test_stat' in history_buffer_statistics()
    finally:
        # a registered local function would make every later HistoryBuffer
        # (a MessageHub in a checkpoint) unpicklable
        # pylint: disable=protected-access
        HistoryBuffer._statistics_methods.pop('backtal_test_stat')
    assert 'backtal_test_stat' not in history_buffer_statistics()


def test_checkpoint_hook_save_method():
    """AtomicCheckpointHook overrides CheckpointHook._save_checkpoint_with_
    step(runner, step, meta); every public save path must end there."""
    params = list(
        inspect.signature(CheckpointHook._save_checkpoint_with_step).parameters)
    assert params == ['self', 'runner', 'step', 'meta']
    assert '_save_checkpoint_with_step(runner' in inspect.getsource(
        CheckpointHook._save_checkpoint)
    best = inspect.getsource(CheckpointHook._save_best_checkpoint)
    assert 'runner.save_checkpoint(' in best
    assert '_save_checkpoint_with_step(runner' in best
    assert '_save_best_checkpoint(runner' in inspect.getsource(
        CheckpointHook.after_val_epoch)
    # Runner.save_checkpoint joins out_dir and filename: the temporary
    # name of atomic_runner_save lands next to the final one.
    assert 'join_path' in inspect.getsource(Runner.save_checkpoint)
    assert osp.basename(__file__)
