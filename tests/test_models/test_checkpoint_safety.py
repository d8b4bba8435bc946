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


def test_mmengine_loader_is_routed(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'evil.pth'
    torch.save({'payload': _Evil()}, path)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(str(path), map_location='cpu')
