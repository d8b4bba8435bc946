"""Every shipped config builds the MMEngine Runner, trains one iteration and
tests two videos, on a tiny dataset in that config's real file layout.

Only data paths and sizes change (``data/...`` -> a temporary folder; feature
dim, hidden widths, snippets per video, batch size, workers, epochs); the
validation/test wiring, losses, post-processing and class counts stay as
shipped, so a config that MMEngine (or MMAction2's own ``tools/train.py``,
or ``mim train``) would refuse fails here. New configs are picked up
automatically; ``_base_`` files are not runnable on their own.
"""
import math
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from backtal_mmaction.engine.checkpoint import load_checkpoint_file

from tests.helpers import (REPO, SPLITS, build_runner, real_layout,
                           shrink_cfg, subprocess_env)

CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
    if '_base_' not in p.parts)
# data/<dataset>/ -> the layout written for it
DATASETS = ('thumos14', 'activitynet12', 'hacs', 'synthetic', 'ActivityNet')
HIDDEN = 16
NUM_SEGMENTS = 16


def _dataset_of(cfg) -> str:
    ann = cfg.test_dataloader.dataset.ann_file
    for name in DATASETS:
        if ann.startswith(f'data/{name}/'):
            return name
    raise AssertionError(f'{cfg.filename}: ann_file {ann!r} is not under '
                         f'data/<one of {DATASETS}>/: add its layout to '
                         'tests/helpers/real_layout.py')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    """``<tmp>/data/<dataset>/`` for every dataset the configs use."""
    from backtal_mmaction.datasets.synthetic import (
        SyntheticBenchmarkConfig, generate_synthetic_benchmark)
    root = tmp_path_factory.mktemp('real_layout')
    data = root / 'data'
    real_layout.write_thumos14(data / 'thumos14')
    real_layout.write_activitynet_like(data / 'activitynet12',
                                       'activity_net.v1-2.min.json', 100,
                                       official_npz=True)
    real_layout.write_activitynet_like(data / 'hacs',
                                       'hacs_segments_v1.1.1.json', 200,
                                       official_npz=False)
    # MMAction2's own data layout, at its default data/ActivityNet/
    real_layout.write_mmaction_activitynet(data / 'ActivityNet')
    # The synthetic configs' layout is the generator's own (gt.json,
    # clicks.json, features/<video>.npy (T, C)), with their class count.
    num_classes = Config.fromfile(
        str(REPO / 'configs/backtal/backtal_synthetic.py')
    ).model.cls_head.num_classes
    generate_synthetic_benchmark(
        str(data / 'synthetic'), SyntheticBenchmarkConfig(
            num_classes=num_classes, num_videos=dict(train=2, val=2, test=2),
            feat_dim=real_layout.FEAT_DIM, duration_range=(12.0, 24.0),
            seed=0),
        overwrite=True)
    return root


def _retarget(path: str, root: Path) -> str:
    if path.startswith(str(root)):
        return path  # a dataset dict shared by two loaders (select-on-test)
    assert path.startswith('data/'), path
    return str(root / path)


def shrink(cfg, root: Path, work_dir: Path) -> None:
    """Data paths -> ``root``; sizes -> tiny. Nothing else changes."""
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        ds = loader.dataset
        if split == 'train' and cfg.get('two_stage'):
            # a pipeline's stage 2 trains on the pseudo-GT file its first
            # steps write; that file has the real GT's schema, so the real
            # GT stands in for it here (tests/workflows runs the pipeline)
            ds.ann_file = cfg.test_dataloader.dataset.ann_file
        ds.ann_file = _retarget(ds.ann_file, root)
        if ds.get('click_file'):
            ds.click_file = _retarget(ds.click_file, root)
        if isinstance(ds.get('classes'), str):  # a class-list file
            ds.classes = _retarget(ds.classes, root)
        ds.data_prefix = dict(feature=_retarget(ds.data_prefix.feature,
                                                root))
    shrink_cfg(cfg, feat_dim=real_layout.FEAT_DIM, hidden=HIDDEN,
               num_segments=NUM_SEGMENTS, crop_segments=NUM_SEGMENTS,
               batch_size=2, eval_batch_size=1, num_workers=0, epochs=1,
               val_interval=1 if cfg.get('val_cfg') else None,
               checkpoint_interval=1)
    cfg.work_dir = str(work_dir)


def test_config_list_is_complete():
    """The walk finds every shipped config (30 when this test was written:
    5 dataset configs, 24 ablation variants, select-on-test)."""
    assert len(CONFIGS) >= 30
    assert 'configs/backtal/backtal_thumos14_select-on-test.py' in CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_auto_scale_lr_base_is_the_train_batch(config):
    """The learning rate of every shipped config is set for its own train
    batch on one process, so ``--auto-scale-lr`` (MMEngine's
    ``auto_scale_lr``) keeps it on one process and scales it by the number
    of processes on several (ActivityNet's batch is 128, HACS's 64)."""
    cfg = Config.fromfile(str(REPO / config))
    assert cfg.auto_scale_lr == dict(
        enable=False, base_batch_size=cfg.train_dataloader.batch_size)


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_and_tests(config, data_root, tmp_path):
    cfg = Config.fromfile(str(REPO / config))
    dataset = _dataset_of(cfg)
    validates = cfg.get('val_cfg') is not None
    # MMEngine's rule, which its Runner (in every trainer) enforces.
    assert all((cfg.get(k) is None) != validates
               for k in ('val_dataloader', 'val_evaluator')), config
    num_classes = (cfg.model.get('cls_head') or cfg.model.head).num_classes
    shrink(cfg, data_root, tmp_path / 'wd')
    runner = build_runner(cfg)
    assert runner.train_dataloader.dataset.metainfo['classes'].__len__() \
        == num_classes
    runner.train()
    assert runner.iter == 1  # 2 training videos, batch 2: one iteration
    assert (tmp_path / 'wd' / 'epoch_1.pth').is_file()
    metrics = runner.test()
    assert len(runner.test_dataloader.dataset) == 2
    assert 'tal/mAP_avg' in metrics
    assert all(math.isfinite(v) and 0 <= v <= 100
               for k, v in metrics.items() if k.startswith('tal/mAP'))
    if dataset == 'synthetic' or config.endswith('select-on-test.py'):
        assert validates, f'{config} should validate'
    else:
        assert not validates, (f'{config}: {dataset} has no held-out split '
                               'with clicks; it must not validate')
    if config.endswith('select-on-test.py'):
        # Its meaning: validate on the *test* split every epoch and keep the
        # best epoch by avg mAP.
        assert cfg.val_dataloader.dataset.subset == 'test'
        assert cfg.train_cfg.val_interval == 1
        best = sorted(p.name for p in (tmp_path / 'wd').glob('best_*.pth'))
        assert best == ['best_tal_mAP_avg_epoch_1.pth'], best


# ---------------------------------------------------------------------------
# MMAction2's own tools/train.py and tools/test.py (what `mim train/test
# mmaction2` run) on the three main dataset configs
# ---------------------------------------------------------------------------
def _mmaction_tool(name: str) -> Path:
    import mmaction
    path = Path(mmaction.__file__).parent / '.mim' / 'tools' / name
    assert path.is_file(), f'MMAction2 ships no {path}'
    return path


@pytest.mark.parametrize('config', [
    'configs/backtal/backtal_thumos14.py',
    'configs/backtal/backtal_activitynet12.py',
    'configs/backtal/backtal_hacs.py',
    'configs/backtal/backtal_activitynet13_mmaction.py',
])
def test_mmaction2_tools_train_and_test(config, data_root, tmp_path):
    cfg = Config.fromfile(str(REPO / config))
    shrink(cfg, data_root, tmp_path / 'wd')
    cfg_file = tmp_path / Path(config).name
    cfg.dump(str(cfg_file))
    res = subprocess.run(
        [sys.executable, str(_mmaction_tool('train.py')), str(cfg_file),
         '--work-dir', str(tmp_path / 'wd')],
        cwd=tmp_path, capture_output=True, text=True, env=subprocess_env(),
        timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    ckpt = tmp_path / 'wd' / 'epoch_1.pth'
    assert ckpt.is_file(), out[-2000:]
    state = load_checkpoint_file(str(ckpt), map_location='cpu')
    assert state['meta']['iter'] == 1
    res = subprocess.run(
        [sys.executable, str(_mmaction_tool('test.py')), str(cfg_file),
         str(ckpt), '--work-dir', str(tmp_path / 'test_wd')],
        cwd=tmp_path, capture_output=True, text=True, env=subprocess_env(),
        timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    assert 'tal/mAP_avg' in out
