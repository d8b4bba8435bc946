"""Shipped configs made tiny for tests, and the tools' Runner builder.

:func:`shrink_cfg` is the one place that shrinks a localizer config
(feature dim, hidden widths, snippets per video, batch sizes, epochs);
:func:`retargeted_cfg` points a shipped synthetic config at a generated
benchmark; :func:`synthetic_cfg` also shrinks it the way most Runner tests
want it.
"""
from typing import Optional

from tests.helpers.paths import REPO

__all__ = [
    'SPLITS', 'shrink_cfg', 'retargeted_cfg', 'synthetic_cfg', 'build_runner'
]

SPLITS = ('train', 'val', 'test')


def shrink_cfg(cfg, *, feat_dim: int = 16, hidden: int = 16,
               side_hidden: Optional[int] = None, num_segments: int = 20,
               crop_segments: Optional[int] = None,
               num_classes: Optional[int] = None, batch_size: int = 4,
               eval_batch_size: Optional[int] = None,
               num_workers: Optional[int] = None,
               epochs: Optional[int] = None,
               val_interval: Optional[int] = None,
               checkpoint_interval: Optional[int] = None):
    """Shrink a BackTAL or AnchorFreeTAD config in place (and return it):
    sizes only, the wiring stays as shipped. ``None`` leaves a setting as
    the config has it.

    Args:
        feat_dim: ``LoadSnippetFeature.feat_dim`` and the input channels of
            the embedding, backbone and foreground filter.
        hidden: hidden channels of the backbone, and the width of what
            reads it (BackTAL's ``cls_head``; AnchorFreeTAD's neck and
            head).
        side_hidden: hidden channels of BackTAL's embedding and foreground
            filter (default: ``hidden``).
        num_segments: ``ResampleSnippets.num_segments``.
        crop_segments: ``RandomCropSnippets.num_segments``.
        num_classes: the classifier's (``cls_head`` / ``head``) classes.
        batch_size: the training batch size.
        eval_batch_size: the validation and test batch sizes.
        num_workers: every loader's workers (``persistent_workers`` off).
        epochs: ``train_cfg.max_epochs``.
        val_interval: ``train_cfg.val_interval``.
        checkpoint_interval: the checkpoint hook's interval.
    """
    for split in SPLITS:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            continue
        for t in loader.dataset.pipeline:
            if t['type'] == 'LoadSnippetFeature':
                t['feat_dim'] = feat_dim
            if t['type'] == 'ResampleSnippets':
                t['num_segments'] = num_segments
            if t['type'] == 'RandomCropSnippets' and crop_segments:
                t['num_segments'] = crop_segments
        if split == 'train':
            loader.batch_size = batch_size
        elif eval_batch_size is not None:
            loader.batch_size = eval_batch_size
        if num_workers is not None:
            loader.num_workers = num_workers
            loader.persistent_workers = False
    m = cfg.model
    for part in ('embedding', 'backbone', 'fg_filter'):
        if m.get(part):
            m[part].in_channels = feat_dim
            m[part].hidden_channels = (
                hidden if part == 'backbone' or side_hidden is None else
                side_hidden)
    if m.get('cls_head'):  # BackTAL
        m.cls_head.in_channels = hidden
        if num_classes is not None:
            m.cls_head.num_classes = num_classes
    if m.get('neck'):  # AnchorFreeTAD
        m.neck.in_channels = m.neck.out_channels = hidden
        m.head.in_channels = m.head.feat_channels = hidden
        if num_classes is not None:
            m.head.num_classes = num_classes
    if epochs is not None:
        cfg.train_cfg.max_epochs = epochs
    if val_interval is not None:
        cfg.train_cfg.val_interval = val_interval
    if checkpoint_interval is not None:
        cfg.default_hooks.checkpoint.interval = checkpoint_interval
    cfg.default_hooks.logger.interval = 1
    return cfg


def retargeted_cfg(data_root, config):
    """The shipped synthetic config ``config`` (relative to the repository)
    pointed at the synthetic benchmark in ``data_root``, not shrunk."""
    from mmengine.config import Config

    from backtal_mmaction.datasets.config_utils import \
        retarget_synthetic_config
    cfg = Config.fromfile(str(REPO / config))
    retarget_synthetic_config(cfg, data_root)
    return cfg


def synthetic_cfg(data_root, config='configs/backtal/backtal_synthetic.py',
                  work_dir=None, epochs=1, validate=True):
    """The shipped synthetic config ``config`` pointed at the benchmark in
    ``data_root`` (3 classes, 16-dim features: the ``tiny_synthetic``
    fixture), shrunk: 20 snippets per video, batch 4, hidden widths 16 / 8,
    ``epochs`` epochs validated at the last one, a checkpoint and a log
    line every epoch / iteration. ``validate=False`` drops validation."""
    cfg = retargeted_cfg(data_root, config)
    shrink_cfg(cfg, side_hidden=8, num_classes=3, epochs=epochs,
               val_interval=epochs, checkpoint_interval=1)
    cfg.work_dir = str(work_dir) if work_dir else None
    if not validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.train_cfg.val_interval = 100
    return cfg


def build_runner(cfg):
    """The tools' ``build_runner``: ``Runner.from_cfg`` with an experiment
    name of its own, so Runners built in this test process within one second
    never share MMEngine's logger/visualizer instances."""
    from backtal_mmaction.cli.runner import build_runner as build
    return build(cfg)
