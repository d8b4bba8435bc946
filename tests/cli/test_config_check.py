"""--cfg-options keys are checked against the loaded config before anything
runs."""
import subprocess
import sys

import pytest
from mmengine.config import Config

from backtal_mmaction.apis import test_localizer
from backtal_mmaction.cli.config import (UnknownConfigKeyError,
                                                  accepted_kwargs,
                                                  check_cfg_options)

from tests.helpers import REPO

CFG = str(REPO / 'configs/backtal/backtal_synthetic.py')


@pytest.fixture(scope='module')
def cfg():
    return Config.fromfile(CFG)


@pytest.mark.parametrize('key, suggestion', [
    ('model.backbone.afinity', 'model.backbone.affinity'),
    ('train_cfg.max_epoch', 'train_cfg.max_epochs'),
    ('max_epoch', 'max_epochs'),
    ('train_dataloader.dataset.click_annotator',
     'train_dataloader.dataset.click_annotators'),
    # CheckpointHook takes **kwargs, but a near miss is still refused.
    ('default_hooks.checkpoint.max_keep_ckpt',
     'default_hooks.checkpoint.max_keep_ckpts'),
])
def test_typos_name_key_and_close_match(cfg, key, suggestion):
    with pytest.raises(UnknownConfigKeyError) as err:
        check_cfg_options(cfg, {key: 1})
    msg = str(err.value)
    assert repr(key) in msg and repr(suggestion) in msg


@pytest.mark.parametrize('key', [
    'model.backbone.affinity',  # existing key
    'train_dataloader.dataset.pipeline.1.num_segments',  # list index
    'env_cfg.dist_cfg.backend',
    'work_dir',  # Runner argument absent from the file
    'model.post_processor.max_detections',  # kwarg of the built class
    'train_dataloader.persistent_workers',  # DataLoader kwarg
    'optim_wrapper.clip_grad',  # OptimWrapper kwarg (no `type` given)
    'randomness.diff_rank_seed',
    # under an argument left at its default: a new dict (every part takes
    # MMEngine's init_cfg)
    'model.backbone.init_cfg.type',
    'model.cls_head.init_cfg.prefix',
])
def test_valid_keys_pass(cfg, key):
    check_cfg_options(cfg, {key: 1})


def test_structural_errors(cfg):
    with pytest.raises(UnknownConfigKeyError, match='not a valid index'):
        check_cfg_options(cfg, {'train_dataloader.dataset.pipeline.9.x': 1})
    with pytest.raises(UnknownConfigKeyError, match='not a dict'):
        check_cfg_options(cfg, {'model.cls_head.num_classes.x': 1})
    # A missing intermediate key is refused even if the leaf would be OK.
    with pytest.raises(UnknownConfigKeyError, match="no key 'foo'"):
        check_cfg_options(cfg, {'model.foo.bar': 1})


def test_all_problems_reported_and_escape_hatch(cfg):
    opts = {'model.backbone.afinity': 'official', 'train_cfg.max_epoch': 3}
    with pytest.raises(UnknownConfigKeyError) as err:
        check_cfg_options(cfg, opts)
    assert 'afinity' in str(err.value) and 'max_epoch' in str(err.value)
    check_cfg_options(cfg, opts, allow_new=True)
    check_cfg_options(cfg, None)


def test_delete_replaces_a_dict_whole():
    """MMEngine's ``KEY._delete_=True``: the other keys under KEY are
    checked against the new dict (its registered type's arguments), and
    any key is new under a dict whose type no registry holds."""
    af = Config.fromfile(
        str(REPO / 'configs/anchor_free_tad/anchor_free_tad_synthetic_full_gt.py'))
    nms = 'model.post_processor.nms'
    switch = {f'{nms}._delete_': True, f'{nms}.type': 'hard',
              f'{nms}.iou_thr': 0.5}
    with pytest.raises(UnknownConfigKeyError, match="has no key 'iou_thr'"):
        check_cfg_options(af, {k: v for k, v in switch.items()
                               if '_delete_' not in k})  # a merge: refused
    check_cfg_options(af, switch)
    merged = Config.fromfile(af.filename)
    merged.merge_from_dict(switch)  # what the Runner then builds from
    assert merged.model.post_processor.nms == dict(type='hard', iou_thr=0.5)
    # a registered type: its arguments, typos refused
    pp = 'model.post_processor'
    check_cfg_options(af, {f'{pp}._delete_': True,
                           f'{pp}.type': 'AnchorFreePostProcessor',
                           f'{pp}.max_per_video': 100})
    with pytest.raises(UnknownConfigKeyError, match="'max_per_vid'"):
        check_cfg_options(af, {f'{pp}._delete_': True,
                               f'{pp}.type': 'AnchorFreePostProcessor',
                               f'{pp}.max_per_vid': 100})
    # nothing to replace
    with pytest.raises(UnknownConfigKeyError,
                       match=r"'model.nothing._delete_': .* no key 'nothing'"):
        check_cfg_options(af, {'model.nothing._delete_': True})
    with pytest.raises(UnknownConfigKeyError, match='not a dict, so there'):
        check_cfg_options(af, {'model.head.num_classes._delete_': True})
    # a keyword the class takes that the config does not set
    with pytest.raises(UnknownConfigKeyError,
                       match=r"'model.post_processor.min_length._delete_': "
                       r'.* holds 0.0, not a dict'):
        check_cfg_options(af, {'model.post_processor.min_length._delete_':
                               True})
    with pytest.raises(UnknownConfigKeyError, match='holds None, not a dict'):
        check_cfg_options(af, {'model.embedding._delete_': True})


def test_accepted_kwargs_walks_the_init_chain():
    from backtal_mmaction.datasets import ClickTALDataset
    names, closed = accepted_kwargs(ClickTALDataset)
    # Its own arguments and those its **kwargs forwards to the bases.
    assert {'click_file', 'test_mode', 'serialize_data'} <= set(names)
    assert closed and len(names) == len(set(names))


def test_train_script_fails_before_running(tmp_path, sub_env):
    work_dir = tmp_path / 'wd'
    res = subprocess.run(
        [sys.executable, str(REPO / 'tools/train.py'), CFG, '--work-dir',
         str(work_dir), '--cfg-options', 'model.backbone.afinity=official'],
        cwd=REPO, capture_output=True, text=True, env=sub_env)
    assert res.returncode != 0
    assert "did you mean 'model.backbone.affinity'" in res.stderr
    assert 'Traceback' not in res.stderr
    assert not work_dir.exists()  # nothing ran


def test_test_localizer_checks_keys(trained, tmp_path):
    with pytest.raises(UnknownConfigKeyError, match='nms_thres'):
        test_localizer(trained['cfg_file'], trained['ckpt'],
                       work_dir=str(tmp_path / 'wd'),
                       cfg_options={'model.post_processor.nms_thres': 0.6})
    assert not (tmp_path / 'wd').exists()


def test_a_config_that_drops_the_plugin_registration_is_named(tmp_path):
    """A child config whose ``custom_imports.imports`` replaces the base's
    list without ``backtal_mmaction.registration`` (``import
    backtal_mmaction`` registers nothing) stops with one line naming the
    config and the fix, not a registry KeyError from deep in the Runner.
    A fresh process: this one has the plugin registered already."""
    import subprocess
    import sys

    from tests.helpers import REPO
    child = tmp_path / 'child.py'
    child.write_text(
        f"_base_ = '{REPO}/configs/backtal/backtal_synthetic.py'\n"
        "custom_imports = dict(imports=['backtal_mmaction'], "
        "allow_failed_imports=False)\n")
    res = subprocess.run(
        [sys.executable, 'tools/train.py', str(child), '--work-dir',
         str(tmp_path / 'wd')], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 1, res.stderr[-2000:]
    assert res.stderr.strip().splitlines()[-1] == (
        f"error: {child}: custom_imports ['backtal_mmaction'] do not load "
        "'backtal_mmaction.registration', so the plugin's datasets, "
        "transforms and models are not registered; add it to the list (a "
        "child config's custom_imports.imports replaces its base's)")
    assert not (tmp_path / 'wd').exists()
