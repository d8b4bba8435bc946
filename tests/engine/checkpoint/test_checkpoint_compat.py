"""A checkpoint of another model / class count fails with the mismatched
keys and shapes instead of MMEngine's non-strict warning."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from backtal_mmaction.apis import test_localizer, train_localizer
from backtal_mmaction.engine.checkpoint.compat import (
    CheckpointMismatchError, check_checkpoint_compatible, compare_state_dicts,
    in_modules)

from tests.helpers import REPO


def test_compare_state_dicts_hand_made():
    model = {'a': torch.zeros(2, 3), 'b': torch.zeros(4), 'c': torch.zeros(1)}
    ckpt = {'a': torch.zeros(2, 3), 'b': torch.zeros(5), 'd': torch.zeros(1)}
    assert compare_state_dicts(model, ckpt) == dict(
        missing=['c'], unexpected=['d'], shape=[('b', (5, ), (4, ))])


def test_check_allows_module_prefix_and_flags():
    net = torch.nn.Linear(3, 2)
    state = {'module.' + k: v for k, v in net.state_dict().items()}
    check_checkpoint_compatible(net, {'state_dict': state})  # DDP prefix
    partial = {'state_dict': {'weight': net.weight}}
    with pytest.raises(CheckpointMismatchError, match='missing'):
        check_checkpoint_compatible(net, partial)
    check_checkpoint_compatible(net, partial, allow_missing=True)
    extra = {'state_dict': dict(net.state_dict(), extra=torch.zeros(1))}
    with pytest.raises(CheckpointMismatchError, match='extra'):
        check_checkpoint_compatible(net, extra)


def _other_class_count_ckpt(cfg_file: str, path: Path) -> str:
    """A checkpoint of the same config but 4 classes instead of 3."""
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(cfg_file)
    init_default_scope('mmaction')
    cfg.model.cls_head.num_classes = 4
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()},
               str(path))
    return str(path)


def test_test_localizer_refuses_other_class_count(trained, tmp_path):
    ckpt = _other_class_count_ckpt(trained['cfg_file'], tmp_path / 'c4.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        test_localizer(trained['cfg_file'], ckpt,
                       work_dir=str(tmp_path / 'wd'))
    msg = str(err.value)
    assert ckpt in msg
    # The classifier rows: C + 1 = 5 in the checkpoint, 4 in the model.
    assert 'cls_head.conv.weight: checkpoint [5, 16, 1] vs model [4, 16, 1]' \
        in msg
    assert 'num_classes' in msg


def test_test_script_cli_message(trained, tmp_path, sub_env):
    ckpt = _other_class_count_ckpt(trained['cfg_file'], tmp_path / 'c4.pth')
    res = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), trained['cfg_file'],
         ckpt, '--work-dir', str(tmp_path / 'wd')],
        cwd=REPO, capture_output=True, text=True, env=sub_env)
    assert res.returncode != 0
    assert 'does not match the model' in res.stderr
    assert 'Traceback' not in res.stderr
    assert 'mAP' not in res.stdout  # never tested with a random classifier


def test_train_load_from_is_checked(trained, tmp_path):
    ckpt = _other_class_count_ckpt(trained['cfg_file'], tmp_path / 'c4.pth')
    with pytest.raises(CheckpointMismatchError, match='cls_head'):
        train_localizer(trained['cfg_file'], work_dir=str(tmp_path / 'wd'),
                        cfg_options={'load_from': ckpt})
    assert not list((tmp_path / 'wd').glob('*.pth'))


def test_in_modules_matches_whole_module_names():
    assert in_modules('cls_head.conv.weight', ['cls_head'])
    assert in_modules('cls_head.conv.weight', ['cls_head.conv'])
    assert in_modules('cls_head', ['cls_head'])
    assert not in_modules('cls_headx.weight', ['cls_head'])
    assert not in_modules('backbone.cls_head.weight', ['cls_head'])
    assert not in_modules('cls_head.conv.weight', [])


def test_ignored_modules_are_left_out_of_the_comparison():
    model = {'head.cls.weight': torch.zeros(4, 2), 'head.reg.weight':
             torch.zeros(2, 2), 'body.weight': torch.zeros(3)}
    ckpt = {'head.cls.weight': torch.zeros(6, 2), 'head.reg.weight':
            torch.zeros(2, 2), 'body.weight': torch.zeros(5),
            'head.cls.bias': torch.zeros(6)}
    assert compare_state_dicts(model, ckpt, ignore=['head.cls']) == dict(
        missing=[], unexpected=[], shape=[('body.weight', (5, ), (3, ))])
    def net(classes):
        return torch.nn.ModuleDict(dict(body=torch.nn.Linear(3, 2),
                                        cls_out=torch.nn.Linear(2, classes)))
    other = net(7).state_dict()
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_compatible(net(4), other)
    assert "7 outputs in the checkpoint but 4 in the model:" in str(err.value)
    assert "reinitialize=['cls_out']" in str(err.value)
    check_checkpoint_compatible(net(4), other, ignore=['cls_out'])
    with pytest.raises(CheckpointMismatchError, match='model.body'):
        check_checkpoint_compatible(net(4), {}, target='model.body (X)')
