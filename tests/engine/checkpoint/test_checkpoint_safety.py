"""Checkpoints load with weights_only=True through an exact allow-list."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from backtal_mmaction.engine import UnsafeCheckpointError, load_checkpoint_file


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null', ))


def test_message_hub_state_roundtrip(tmp_path):
    hub = MessageHub.get_instance('ckpt-test')
    hub.update_scalar('train/loss', 1.0)
    hub.update_scalar('train/loss', np.float64(3.0))
    path = tmp_path / 'ok.pth'
    torch.save(dict(message_hub=hub.state_dict(),
                    meta=dict(best=np.float64(0.5), arr=np.arange(3)),
                    state_dict={'w': torch.ones(2)}), path)
    ckpt = load_checkpoint_file(str(path))
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer) and buf.mean() == 2.0
    assert ckpt['meta']['best'] == 0.5
    np.testing.assert_array_equal(ckpt['meta']['arr'], [0, 1, 2])


def test_fresh_process_loads_history_buffer(tmp_path):
    # HistoryBuffer registers its statistics lazily: a process that never
    # built one (e.g. tools/test.py) must still load a checkpoint.
    hub = MessageHub.get_instance('ckpt-test-2')
    hub.update_scalar('loss', 1.0)
    path = tmp_path / 'ok.pth'
    torch.save(dict(message_hub=hub.state_dict()), path)
    code = ('from backtal_mmaction.engine import load_checkpoint_file as f; '
            f'print(f({str(path)!r})["message_hub"]["log_scalars"]'
            '["loss"].current())')
    res = subprocess.run([sys.executable, '-c', code], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith('1.0')


def test_pickled_callable_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': _Evil()}, path)
    with pytest.raises(UnsafeCheckpointError, match='system'):
        load_checkpoint_file(str(path))


def test_getattr_is_not_a_general_getattr(tmp_path):
    # A crafted pickle calling getattr on something other than a
    # HistoryBuffer statistic must be refused.
    import pickle

    class Crafted:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = tmp_path / 'crafted.pth'
    torch.save({'x': Crafted()}, path, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(str(path))


def test_mmengine_loader_is_left_alone(tmp_path):
    """The plugin no longer replaces MMEngine's local loader: outside a
    Runner (whose CheckpointCompatibilityHook opens the allow-list) MMEngine
    loads as it does without the plugin, i.e. torch's weights_only refuses
    both a pickled callable and the MessageHub state; inside
    allow_checkpoint_globals() the MessageHub state loads."""
    import pickle

    from mmengine.runner.checkpoint import _load_checkpoint

    from backtal_mmaction.engine import allow_checkpoint_globals
    evil = tmp_path / 'evil.pth'
    torch.save({'payload': _Evil()}, evil)
    with pytest.raises(pickle.UnpicklingError, match='posix.system'):
        _load_checkpoint(str(evil), map_location='cpu')
    hub = MessageHub.get_instance('ckpt-test-3')
    hub.update_scalar('loss', 2.0)
    ok = tmp_path / 'ok.pth'
    torch.save(dict(message_hub=hub.state_dict()), ok)
    with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
        _load_checkpoint(str(ok), map_location='cpu')
    with allow_checkpoint_globals():
        ckpt = _load_checkpoint(str(ok), map_location='cpu')
        with pytest.raises(pickle.UnpicklingError, match='posix.system'):
            _load_checkpoint(str(evil), map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 2.0


def test_allow_list_is_scoped_and_nests():
    from torch.serialization import add_safe_globals, get_safe_globals

    from backtal_mmaction.engine import (allow_checkpoint_globals,
                                         safe_checkpoint_globals)
    before = get_safe_globals()
    add_safe_globals([HistoryBuffer])  # a user's own entry
    try:
        with allow_checkpoint_globals():
            inside = set(get_safe_globals())
            assert set(safe_checkpoint_globals()) <= inside
            with allow_checkpoint_globals():
                assert set(get_safe_globals()) == inside
            assert set(get_safe_globals()) == inside  # inner exit: as is
        # Only what the block added went; the user's HistoryBuffer stays
        # (torch's own safe_globals context would remove it).
        assert set(get_safe_globals()) == set(before) | {HistoryBuffer}
    finally:
        torch.serialization.clear_safe_globals()
        add_safe_globals(before)


def _hub_checkpoint(path, legacy=False):
    hub = MessageHub.get_instance('ckpt-test-4')
    hub.update_scalar('loss', 1.0)
    torch.save(dict(message_hub=hub.state_dict(),
                    state_dict={'w': torch.ones(2)}), path,
               _use_new_zipfile_serialization=not legacy)
    return str(path)


@pytest.mark.parametrize('legacy', [False, True])
def test_check_checkpoint_file(tmp_path, legacy):
    from backtal_mmaction.engine import (CheckpointReadError,
                                         check_checkpoint_file)
    check_checkpoint_file(_hub_checkpoint(tmp_path / 'ok.pth', legacy))
    evil = tmp_path / 'evil.pth'
    torch.save({'payload': _Evil()}, evil,
               _use_new_zipfile_serialization=not legacy)
    with pytest.raises(UnsafeCheckpointError, match=r'evil\.pth.*system'):
        check_checkpoint_file(str(evil))
    data = (tmp_path / 'ok.pth').read_bytes()
    (tmp_path / 'half.pth').write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointReadError, match='half.pth'):
        check_checkpoint_file(str(tmp_path / 'half.pth'))
    (tmp_path / 'empty.pth').write_bytes(b'')
    with pytest.raises(CheckpointReadError, match='empty.pth.*empty'):
        check_checkpoint_file(str(tmp_path / 'empty.pth'))
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        check_checkpoint_file(str(tmp_path / 'nope.pth'))


@pytest.mark.parametrize('legacy', [False, True])
def test_mmap_load_equals_the_read_one(tmp_path, legacy):
    """``mmap=True`` (what the Pretrained check uses: shapes only) maps a
    zip checkpoint's storage and reads a legacy pickle whole; either way
    the tensors and the rest equal a plain load."""
    ckpt = dict(state_dict={'w': torch.randn(3, 4), 'b': torch.arange(5)},
                meta=dict(epoch=2))
    path = str(tmp_path / 'c.pth')
    torch.save(ckpt, path, _use_new_zipfile_serialization=not legacy)
    got = load_checkpoint_file(path, map_location='cpu', mmap=True)
    assert got['meta'] == ckpt['meta']
    for key, value in ckpt['state_dict'].items():
        assert torch.equal(got['state_dict'][key], value)


def test_a_folder_is_named_as_one(tmp_path):
    with pytest.raises(FileNotFoundError, match='is a folder; name a '
                       r'checkpoint file \(e.g. FOLDER/epoch_N.pth\)'):
        load_checkpoint_file(str(tmp_path))
