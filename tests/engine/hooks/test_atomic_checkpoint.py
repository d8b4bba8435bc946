"""Checkpoints are written atomically: a failure while saving leaves the
previous checkpoint and the ``last_checkpoint`` pointer intact."""
import os

import pytest
from mmengine.runner.checkpoint import find_latest_checkpoint

from backtal_mmaction.engine import load_checkpoint_file
from backtal_mmaction.engine.hooks.atomic_checkpoint_hook import (atomic_write,
                                                     resolve_last_checkpoint)

from tests.helpers import build_runner, synthetic_cfg


class DiskFull(OSError):
    pass


def _failing_save(fail_on: str):
    """A ``save_checkpoint`` that writes half of a file named ``fail_on``
    and then fails, as a kill / full disk in the middle of a write."""
    import mmengine.runner.runner as runner_module
    original = runner_module.save_checkpoint

    def save(checkpoint, filename, *args, **kwargs):
        if fail_on in os.path.basename(filename):
            with open(filename, 'wb') as f:
                f.write(b'PK\x03\x04 truncated')
            raise DiskFull('No space left on device')
        return original(checkpoint, filename, *args, **kwargs)
    return save


def test_atomic_write_replaces_or_keeps(tmp_path):
    path = tmp_path / 'last_checkpoint'
    atomic_write(str(path), 'old')
    atomic_write(str(path), 'new')
    assert path.read_text() == 'new'
    assert os.listdir(tmp_path) == ['last_checkpoint']  # no temp left


def _run(data, work_dir, hook_type, monkeypatch):
    cfg = synthetic_cfg(data, work_dir=work_dir, epochs=2, validate=False)
    cfg.default_hooks.checkpoint = dict(type=hook_type, interval=1,
                                        max_keep_ckpts=1)
    monkeypatch.setattr('mmengine.runner.runner.save_checkpoint',
                        _failing_save('epoch_2'))
    with pytest.raises(DiskFull):
        build_runner(cfg).train()


def test_failed_save_keeps_previous_checkpoint(tiny_synthetic, tmp_path,
                                               monkeypatch):
    wd = tmp_path / 'wd'
    _run(tiny_synthetic, wd, 'AtomicCheckpointHook', monkeypatch)
    # epoch_1 survives although max_keep_ckpts=1 (rotation happens after a
    # successful save); no truncated epoch_2 and no temp file remain.
    assert sorted(p.name for p in wd.iterdir()
                  if p.is_file() and not p.name.endswith('.py')) == [
                      'epoch_1.pth', 'last_checkpoint'
                  ]
    # The pointer is relative to the work dir (a copied or moved work dir
    # resumes its own checkpoints); resolve_last_checkpoint reads it.
    assert find_latest_checkpoint(str(wd)) == 'epoch_1.pth'
    latest = resolve_last_checkpoint(str(wd))
    assert latest == str(wd / 'epoch_1.pth')
    ckpt = load_checkpoint_file(latest)
    assert ckpt['meta']['epoch'] == 1 and ckpt['state_dict']


def test_plain_checkpoint_hook_loses_the_run(tiny_synthetic, tmp_path,
                                             monkeypatch):
    """Why the hook exists: MMEngine's hook deletes epoch_1 before writing
    epoch_2, and leaves the truncated file behind."""
    wd = tmp_path / 'wd'
    _run(tiny_synthetic, wd, 'CheckpointHook', monkeypatch)
    assert not (wd / 'epoch_1.pth').exists()
    assert (wd / 'epoch_2.pth').stat().st_size < 100


def _pointer_dir(tmp_path, pointer):
    wd = tmp_path / 'wd'
    wd.mkdir()
    for n in (1, 2):
        (wd / f'epoch_{n}.pth').write_bytes(b'x')
    (wd / 'last_checkpoint').write_text(pointer)
    return wd


def test_resolve_last_checkpoint_relative_and_absolute(tmp_path):
    wd = _pointer_dir(tmp_path, 'epoch_2.pth')
    assert resolve_last_checkpoint(str(wd)) == str(wd / 'epoch_2.pth')
    # An absolute pointer inside the work dir is used as it is ...
    (wd / 'last_checkpoint').write_text(str(wd / 'epoch_1.pth'))
    assert resolve_last_checkpoint(str(wd)) == str(wd / 'epoch_1.pth')
    # ... one outside (a copied / moved work dir) by its base name.
    (tmp_path / 'orig').mkdir()
    (tmp_path / 'orig' / 'epoch_2.pth').write_bytes(b'original')
    (wd / 'last_checkpoint').write_text(str(tmp_path / 'orig' /
                                            'epoch_2.pth'))
    assert resolve_last_checkpoint(str(wd)) == str(wd / 'epoch_2.pth')
    # No pointer: a fresh run.
    os.remove(wd / 'last_checkpoint')
    assert resolve_last_checkpoint(str(wd)) is None


def test_resolve_last_checkpoint_names_a_missing_file(tmp_path):
    wd = _pointer_dir(tmp_path, '/elsewhere/epoch_3.pth')
    with pytest.raises(FileNotFoundError,
                       match=r"epoch_3.pth.*\['epoch_1.pth', 'epoch_2.pth'\]"):
        resolve_last_checkpoint(str(wd))


def test_hook_resolves_the_pointer_for_mmengine_auto_resume(tmp_path):
    """MIM / MMAction2's own train.py: resume=True, no load_from; MMEngine
    would open the pointer's text relative to the current directory."""
    from types import SimpleNamespace

    from backtal_mmaction.engine.hooks.atomic_checkpoint_hook import AtomicCheckpointHook
    wd = _pointer_dir(tmp_path, 'epoch_2.pth')
    logs = []
    runner = SimpleNamespace(_resume=True, _load_from=None,
                             _has_loaded=False, work_dir=str(wd),
                             logger=SimpleNamespace(info=logs.append))
    AtomicCheckpointHook(interval=1).before_run(runner)
    assert runner._load_from == str(wd / 'epoch_2.pth')
    assert 'epoch_2.pth' in logs[0]
