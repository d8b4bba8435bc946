import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@pytest.fixture(scope='session')
def tiny_synthetic(tmp_path_factory):
    """A tiny synthetic benchmark (seconds to build) shared by Runner tests."""
    from backtal_mmaction.datasets.synthetic import (
        SyntheticBenchmarkConfig, generate_synthetic_benchmark)
    out = tmp_path_factory.mktemp('synthetic')
    generate_synthetic_benchmark(
        str(out), SyntheticBenchmarkConfig(
            num_classes=3, num_videos=dict(train=8, val=2, test=4),
            feat_dim=16, duration_range=(12.0, 24.0), seed=0),
        overwrite=True)
    return out


def synthetic_cfg(data_root, config='configs/backtal/backtal_synthetic.py',
                  work_dir=None, epochs=1):
    """The shipped synthetic config pointed at ``data_root``, shrunk."""
    from mmengine.config import Config
    from backtal_mmaction.datasets.config_utils import (
        SPLITS, retarget_synthetic_config)
    cfg = Config.fromfile(str(REPO / config))
    retarget_synthetic_config(cfg, data_root)
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for t in loader.dataset.pipeline:
            if t['type'] == 'LoadSnippetFeature':
                t['feat_dim'] = 16
            if t['type'] == 'ResampleSnippets':
                t['num_segments'] = 20
    cfg.train_dataloader.batch_size = 4
    m = cfg.model
    for part in ('embedding', 'backbone', 'fg_filter'):
        if m.get(part):
            m[part].in_channels = 16
    if m.get('embedding'):
        m.embedding.hidden_channels = 8
    if m.get('fg_filter'):
        m.fg_filter.hidden_channels = 8
    m.backbone.hidden_channels = 16
    m.cls_head.in_channels = 16
    m.cls_head.num_classes = 3
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.work_dir = str(work_dir) if work_dir else None
    return cfg


def build_runner(cfg):
    """The tools' ``build_runner``: ``Runner.from_cfg`` with an experiment
    name of its own, so Runners built in this test process within one second
    never share MMEngine's logger/visualizer instances."""
    from backtal_mmaction.cli.runner import build_runner as build
    return build(cfg)
