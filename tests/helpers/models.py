"""Tiny models for the model tests, built from the registry: BackTAL
(``D``-dim features, ``H`` hidden, ``C`` classes, ``T`` snippets) with
click-carrying samples, and AnchorFreeTAD."""
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.models.losses import IGNORE_INDEX

__all__ = ['D', 'H', 'C', 'T', 'backtal_cfg', 'build_backtal',
           'backtal_samples', 'build_anchor_free']

D, H, C, T = 16, 12, 3, 24


def backtal_cfg(**overrides):
    """A tiny BackTAL config with every loss; ``overrides`` replace its
    top-level keys."""
    cfg = dict(
        type='BackTAL',
        embedding=dict(type='AffinityEmbedding', in_channels=D,
                       hidden_channels=8, embed_channels=4),
        backbone=dict(type='AffinityTCN', in_channels=D, hidden_channels=H),
        fg_filter=dict(type='ForegroundFilter', in_channels=D,
                       hidden_channels=8),
        cls_head=dict(type='TopKMILHead', in_channels=H, num_classes=C,
                      topk_ratio=0.125),
        losses=dict(
            mil_base=dict(type='VideoMILLoss', branch='base'),
            mil_supp=dict(type='VideoMILLoss', branch='supp'),
            filter_l1=dict(type='FilterL1Loss'),
            bg_click=dict(type='BackgroundClickLoss'),
            score_sep=dict(type='ScoreSeparationLoss'),
            affinity=dict(type='AffinityEmbeddingLoss')),
        post_processor=dict(type='BackTALPostProcessor', class_threshold=0.0))
    cfg.update(overrides)
    return cfg


def build_backtal(**overrides):
    """:func:`backtal_cfg` built with seeded weights."""
    init_default_scope('mmaction')
    torch.manual_seed(0)
    return MODELS.build(backtal_cfg(**overrides))


def backtal_samples(n, clicks=True, num_classes=C, num_snippets=T,
                    click_at=(1, 7), duration=12.0, num_frames=360):
    """``n`` samples of ``num_snippets`` snippets, video ``i`` labelled
    class ``i % num_classes``, with click labels (``clicks``): background
    clicks (label ``num_classes``) at the snippets ``click_at`` (none:
    every snippet ignored), the rest ``IGNORE_INDEX``."""
    out = []
    for i in range(n):
        ds = ActionDataSample()
        labels = torch.zeros(num_classes)
        labels[i % num_classes] = 1
        ds.gt_video_labels = labels
        if clicks:
            click = torch.full((num_snippets, ), IGNORE_INDEX)
            click[list(click_at)] = num_classes
            ds.gt_click_labels = click
        ds.set_metainfo(dict(video_name=f'v{i}', duration=duration,
                             num_frames=num_frames))
        out.append(ds)
    return out


def build_anchor_free(feat_dim=8, num_classes=2, **kw):
    """A tiny AnchorFreeTAD (3 pyramid levels); ``kw`` replace top-level
    keys."""
    init_default_scope('mmaction')
    cfg = dict(
        type='AnchorFreeTAD',
        backbone=dict(type='TemporalConvStack', in_channels=feat_dim,
                      hidden_channels=16),
        neck=dict(type='TemporalPyramid', in_channels=16, out_channels=16,
                  num_levels=3),
        head=dict(type='AnchorFreeHead', in_channels=16,
                  num_classes=num_classes, feat_channels=16, num_levels=3),
        assigner=dict(type='PointTargetAssigner',
                      regress_ranges=[(0, 4), (4, 8), (8, 1e4)]),
        losses=dict(cls=dict(type='PointFocalLoss'),
                    reg=dict(type='PointDIoULoss')),
        test_cfg=dict(nms=dict(type='hard', iou_thr=0.5)))
    cfg.update(kw)
    return MODELS.build(cfg)
