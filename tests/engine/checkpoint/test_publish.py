"""``tools/publish_model.py`` / ``publish_checkpoint``: weights and meta
only, named after the file's own SHA-256, loadable without the plugin's
allow-list, and tested to the same numbers as the Runner checkpoint."""
import hashlib
import shutil

import pytest
import torch
from torch.serialization import get_safe_globals

from backtal_mmaction.apis import test_localizer
from backtal_mmaction.engine.checkpoint import (load_checkpoint_file,
                                                safe_checkpoint_globals)
from backtal_mmaction.engine.checkpoint.publish import publish_checkpoint

from tests.helpers import run_tool


@pytest.fixture(scope='module')
def published(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp('publish')
    path, written = publish_checkpoint(trained['ckpt'], str(out / 'tiny.pth'))
    assert written
    return dict(path=path, out=out)


def test_named_after_its_sha256_and_loads_without_the_allow_list(
        trained, published):
    path = published['path']
    data = open(path, 'rb').read()
    assert path == str(published['out'] /
                       f'tiny-{hashlib.sha256(data).hexdigest()[:8]}.pth')
    assert not set(safe_checkpoint_globals()) & set(get_safe_globals())
    ckpt = torch.load(path, weights_only=True)  # plain torch, no allow-list
    assert sorted(ckpt) == ['meta', 'state_dict']
    full = load_checkpoint_file(trained['ckpt'])
    assert {'optimizer', 'message_hub'} <= set(full)
    assert ckpt['meta'] == full['meta']
    assert ckpt['state_dict'].keys() == full['state_dict'].keys()
    for key, value in full['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][key], value), key
    with pytest.raises(Exception, match='HistoryBuffer'):
        torch.load(trained['ckpt'], weights_only=True)  # why it is needed


def test_test_run_gives_the_same_numbers(trained, published, tmp_path):
    want = test_localizer(trained['cfg_file'], trained['ckpt'],
                          work_dir=str(tmp_path / 'a'))
    got = test_localizer(trained['cfg_file'], published['path'],
                         work_dir=str(tmp_path / 'b'))
    assert got == want and 'tal/mAP_avg' in got


def test_publishing_again_is_the_same_file(trained, published):
    before = open(published['path'], 'rb').read()
    path, written = publish_checkpoint(trained['ckpt'],
                                       str(published['out'] / 'tiny.pth'))
    assert path == published['path'] and not written
    assert open(path, 'rb').read() == before


def test_refusals_name_the_problem_and_write_nothing(trained, published,
                                                     tmp_path):
    ckpt = trained['ckpt']
    with pytest.raises(ValueError, match='`out_file` must end with .pth'):
        publish_checkpoint(ckpt, str(tmp_path / 'x'))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        publish_checkpoint(ckpt, str(tmp_path / 'no' / 'x.pth'))
    with pytest.raises(ValueError, match='must include state_dict'):
        publish_checkpoint(ckpt, str(tmp_path / 'x.pth'), ['meta'])
    with pytest.raises(ValueError, match=r"has no \['ema'\].*it holds "
                       r"\['message_hub', 'meta'"):
        publish_checkpoint(ckpt, str(tmp_path / 'x.pth'),
                           ['state_dict', 'ema'])
    bare = tmp_path / 'bare.pth'
    torch.save({'w': torch.zeros(1)}, str(bare))
    with pytest.raises(ValueError, match='not a Runner checkpoint'):
        publish_checkpoint(str(bare), str(tmp_path / 'x.pth'))
    assert sorted(p.name for p in tmp_path.iterdir()) == ['bare.pth']
    # A different file under the final name is left as it is.
    name = published['path'].rsplit('/', 1)[1]
    theirs = tmp_path / name
    theirs.write_bytes(b'the user\'s own file')
    with pytest.raises(ValueError, match='exists with other content'):
        publish_checkpoint(ckpt, str(tmp_path / 'tiny.pth'))
    assert theirs.read_bytes() == b'the user\'s own file'


def test_cli(trained, tmp_path):
    run = run_tool('publish_model.py', [trained['ckpt'], tmp_path / 'm.pth',
                                        '--save-keys', 'state_dict'])
    assert run.exit_code == 0, run.stderr
    (path, ) = tmp_path.glob('m-*.pth')
    assert f'-> {path}' in run.stdout
    assert sorted(torch.load(str(path), weights_only=True)) == ['state_dict']
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    run = run_tool('publish_model.py', [tmp_path / 'none.pth',
                                        tmp_path / 'm.pth'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1].startswith(
        'error: checkpoint not found:')
    assert 'Traceback' not in run.stderr


def test_ddp_prefix_is_taken_off_and_republishing_keeps_the_name(
        trained, tmp_path):
    full = load_checkpoint_file(trained['ckpt'])
    ddp = dict(meta=full['meta'], state_dict={
        'module.' + k: v for k, v in full['state_dict'].items()})
    torch.save(ddp, str(tmp_path / 'ddp.pth'))
    path, _ = publish_checkpoint(str(tmp_path / 'ddp.pth'),
                                 str(tmp_path / 'm.pth'))
    got = torch.load(path, weights_only=True)['state_dict']
    assert got.keys() == full['state_dict'].keys()
    # the published file, published again under its own name: no second
    # hash in the name, nothing written
    again, written = publish_checkpoint(path, path)
    assert again == path and not written
