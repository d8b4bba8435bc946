"""Bad config values of the registered model parts, data transforms,
hooks, metric and dataset are refused at build time with one ValueError
naming the class and the keyword (``Class: `keyword` must be ...``), never
a TypeError or a torch traceback at the first step, nor silently accepted;
the tools print it as one ``error:`` line."""
import math
import re

import pytest

import numpy as np
from mmaction.registry import HOOKS, METRICS, MODELS, TASK_UTILS, TRANSFORMS

from backtal_mmaction import register_all_modules

register_all_modules(init_default_scope=False)

NAN = float('nan')
INF = float('inf')
# the bad values a ``--cfg-options`` typo gives
NOT_A_NUMBER = ('abc', True, NAN)
COUNT = NOT_A_NUMBER + (0, -1, 2.5)  # a width, a count: an integer >= 1
POSITIVE = NOT_A_NUMBER + (0, -1)  # > 0
RATIO = NOT_A_NUMBER + (0, -1, 1.5)  # in (0, 1]
DROPOUT = NOT_A_NUMBER + (-0.1, 1)  # in [0, 1)
FINITE = NOT_A_NUMBER + (INF, )  # any finite number (a weight, a slope)
# a switch: ``--cfg-options KEY=no`` gives the string 'no', which Python
# reads as true; an int or None is no switch either
FLAG = ('no', 'false', 1, 0, None)

C = dict(in_channels=4, hidden_channels=4)
AF_HEAD = dict(in_channels=4, num_classes=3, feat_channels=4)

# (registry, type, valid kwargs, keyword, bad values)
SPECS = [
    ('M', 'AffinityTCN', C, 'in_channels', COUNT),
    ('M', 'AffinityTCN', C, 'hidden_channels', COUNT),
    ('M', 'AffinityTCN', C, 'dropout', DROPOUT),
    ('M', 'AffinityTCN', C, 'negative_slope', FINITE),
    ('M', 'TemporalConvStack', C, 'in_channels', COUNT),
    ('M', 'TemporalConvStack', C, 'hidden_channels', COUNT),
    ('M', 'TemporalConvStack', C, 'num_layers', COUNT),
    ('M', 'TemporalConvStack', C, 'kernel_size', COUNT),
    ('M', 'TemporalConvStack', C, 'dropout', DROPOUT),
    ('M', 'TemporalConvStack', C, 'negative_slope', FINITE),
    ('M', 'TemporalEnhancementNet', C, 'in_channels', COUNT),
    ('M', 'TemporalEnhancementNet', C, 'hidden_channels', COUNT),
    ('M', 'TemporalEnhancementNet', C, 'window', COUNT),
    ('M', 'TemporalEnhancementNet', C, 'temperature', POSITIVE + (INF, )),
    ('M', 'TemporalEnhancementNet', C, 'dropout', DROPOUT),
    ('M', 'TemporalEnhancementNet', C, 'negative_slope', FINITE),
    ('M', 'AffinityEmbedding', dict(C, embed_channels=4), 'in_channels',
     COUNT),
    ('M', 'AffinityEmbedding', dict(C, embed_channels=4), 'hidden_channels',
     COUNT),
    ('M', 'AffinityEmbedding', dict(C, embed_channels=4), 'embed_channels',
     COUNT),
    ('M', 'AffinityEmbedding', dict(C, embed_channels=4), 'negative_slope',
     FINITE),
    ('M', 'AffinityConv1d', dict(in_channels=4, out_channels=4),
     'in_channels', COUNT),
    ('M', 'AffinityConv1d', dict(in_channels=4, out_channels=4),
     'out_channels', COUNT),
    ('M', 'ForegroundFilter', C, 'in_channels', COUNT),
    ('M', 'ForegroundFilter', C, 'hidden_channels', COUNT),
    ('M', 'ForegroundFilter', C, 'negative_slope', FINITE),
    ('M', 'TopKMILHead', dict(in_channels=4, num_classes=3), 'in_channels',
     COUNT),
    ('M', 'TopKMILHead', dict(in_channels=4, num_classes=3), 'num_classes',
     COUNT),
    ('M', 'TopKMILHead', dict(in_channels=4, num_classes=3), 'topk_ratio',
     RATIO),
    ('M', 'AnchorFreeHead', AF_HEAD, 'in_channels', COUNT),
    ('M', 'AnchorFreeHead', AF_HEAD, 'num_classes', COUNT),
    ('M', 'AnchorFreeHead', AF_HEAD, 'feat_channels', COUNT),
    ('M', 'AnchorFreeHead', AF_HEAD, 'num_convs', NOT_A_NUMBER + (-1, 1.5)),
    ('M', 'AnchorFreeHead', AF_HEAD, 'num_levels', COUNT),
    ('M', 'AnchorFreeHead', AF_HEAD, 'prior_prob', RATIO + (1, )),
    ('M', 'AnchorFreeHead', AF_HEAD, 'negative_slope', FINITE),
    ('M', 'TemporalPyramid', dict(in_channels=4, out_channels=4),
     'in_channels', COUNT),
    ('M', 'TemporalPyramid', dict(in_channels=4, out_channels=4),
     'out_channels', COUNT),
    ('M', 'TemporalPyramid', dict(in_channels=4, out_channels=4),
     'num_levels', COUNT),
    ('M', 'TemporalPyramid', dict(in_channels=4, out_channels=4),
     'negative_slope', FINITE),
    ('M', 'ScoreSeparationLoss', {}, 'topk_ratio', RATIO),
    ('M', 'ScoreSeparationLoss', {}, 'loss_weight', FINITE),
    ('M', 'ForegroundMILLoss', {}, 'topk_ratio', RATIO),
    ('M', 'ForegroundMILLoss', {}, 'loss_weight', FINITE),
    ('M', 'WholeVideoBackgroundLoss', {}, 'topk_ratio', RATIO),
    ('M', 'WholeVideoBackgroundLoss', {}, 'reinforce_factor',
     NOT_A_NUMBER + (0.5, INF)),
    ('M', 'WholeVideoBackgroundLoss', {}, 'loss_weight', FINITE),
    ('M', 'AffinityEmbeddingLoss', {}, 'topk_ratio', RATIO),
    ('M', 'AffinityEmbeddingLoss', {}, 'intra_margin', FINITE),
    ('M', 'AffinityEmbeddingLoss', {}, 'inter_margin', FINITE),
    ('M', 'AffinityEmbeddingLoss', {}, 'loss_weight', FINITE),
    ('M', 'ClickLoss', {}, 'loss_weight', FINITE),
    ('M', 'BackgroundClickLoss', {}, 'loss_weight', ('abc', )),
    ('M', 'SigmoidClickLoss', {}, 'loss_weight', FINITE),
    ('M', 'PointFocalLoss', {}, 'alpha', NOT_A_NUMBER + (1.5, )),
    ('M', 'PointFocalLoss', {}, 'gamma', NOT_A_NUMBER + (-1, INF)),
    ('M', 'PointFocalLoss', {}, 'loss_weight', FINITE),
    ('M', 'PointDIoULoss', {}, 'loss_weight', FINITE),
    ('M', 'VideoMILLoss', {}, 'loss_weight', FINITE),
    ('M', 'FilterL1Loss', {}, 'loss_weight', FINITE),
    ('M', 'GradientReinforce', {}, 'factor', NOT_A_NUMBER + (0.5, INF)),
    ('T', 'PointTargetAssigner', {}, 'center_radius', POSITIVE + (INF, )),
    ('R', 'ResampleSnippets', dict(num_segments=8), 'num_segments', COUNT),
    ('R', 'RandomCropSnippets', dict(num_segments=8), 'num_segments',
     COUNT),
    ('R', 'RandomCropSnippets', dict(num_segments=8), 'trunc_thresh',
     NOT_A_NUMBER + (-0.1, 1.5)),
    ('R', 'RandomCropSnippets', dict(num_segments=8), 'max_tries', COUNT),
    ('R', 'LoadSnippetFeature', {}, 'feat_dim', COUNT),
    ('M', 'SnippetFeaturePreprocessor', {}, 'pad_batch', FLAG),
    # None is MMEngine's own default there
    ('M', 'SnippetFeaturePreprocessor', {}, 'non_blocking', ('no', 1)),
    ('M', 'BackTALPostProcessor', {}, 'background_in_softmax', FLAG),
    ('T', 'PointTargetAssigner', {}, 'ensure_positive', FLAG),
    ('R', 'LoadSnippetFeature', {}, 'load_point_label', FLAG),
    ('R', 'LoadSnippetFeature', {}, 'mmap', FLAG),
    ('R', 'ResampleSnippets', dict(num_segments=8), 'allow_upsample', FLAG),
    ('R', 'RandomCropSnippets', dict(num_segments=8), 'pad', FLAG),
    ('H', 'CASVisualizationHook', {}, 'num_videos',
     NOT_A_NUMBER + (-1, 2.5)),
    ('H', 'CASVisualizationHook', {}, 'max_classes', COUNT),
    ('H', 'CASVisualizationHook', {}, 'max_detections',
     NOT_A_NUMBER + (-1, 2.5)),
    ('H', 'CASVisualizationHook', {}, 'overwrite', FLAG),
    ('H', 'CheckpointCompatibilityHook', {}, 'allow_missing', FLAG),
    ('H', 'CheckpointCompatibilityHook', {}, 'allow_unexpected', FLAG),
    ('H', 'CheckpointCompatibilityHook', {}, 'reinitialize',
     ('', [1], ['cls_head', ''], 5, None)),
    ('H', 'SaveRawOutputsHook', dict(out_dir='raw'), 'overwrite', FLAG),
    ('H', 'TestSpeedHook', {}, 'interval', NOT_A_NUMBER + (-1, 2.5)),
    # MMEngine's CheckpointHook arguments (-1 keeps its meaning: never / all)
    ('H', 'AtomicCheckpointHook', {}, 'save_last', FLAG),
    ('H', 'AtomicCheckpointHook', {}, 'by_epoch', FLAG),
    ('H', 'AtomicCheckpointHook', {}, 'interval', NOT_A_NUMBER + (2.5, )),
    ('H', 'AtomicCheckpointHook', {}, 'max_keep_ckpts',
     NOT_A_NUMBER + (2.5, )),
    ('E', 'TALMetric', {}, 'overwrite_dump', FLAG),
]
REGISTRIES = dict(M=MODELS, T=TASK_UTILS, R=TRANSFORMS, H=HOOKS, E=METRICS)


def _owner(kind):
    """The class a message names (``BackgroundClickLoss`` builds a
    ``ClickLoss``)."""
    return 'ClickLoss' if kind == 'BackgroundClickLoss' else kind


def _rows():
    for reg, kind, base, key, bads in SPECS:
        for bad in bads:
            yield pytest.param(reg, kind, base, key, bad,
                               id=f'{kind}-{key}-{bad!r}')


def _build(reg, kind, base, **kwargs):
    return REGISTRIES[reg].build(dict(dict(type=kind, **base), **kwargs))


@pytest.mark.parametrize('reg,kind,base,key,bad', list(_rows()))
def test_bad_value_is_refused_at_build(reg, kind, base, key, bad):
    # the message: the class, the keyword, and the value that was given
    if isinstance(bad, float) and math.isnan(bad):
        shown = 'nan'
    else:
        shown = re.escape(repr(bad) if isinstance(bad, str) else str(bad))
    match = rf'^{_owner(kind)}: `{key}` must be .*, got {shown}$'
    with pytest.raises(ValueError, match=match):
        _build(reg, kind, base, **{key: bad})


@pytest.mark.parametrize('reg,kind,base,key', [
    pytest.param(*spec[:4], id=f'{spec[1]}-{spec[3]}') for spec in SPECS])
def test_valid_base_builds(reg, kind, base, key):
    """Each row's base arguments build: the refusals above come from the
    bad value alone."""
    _build(reg, kind, base)


@pytest.mark.parametrize('reg,kind,base,kwargs', [
    ('M', 'AffinityTCN', C, dict(dropout=0.0, negative_slope=0)),
    ('M', 'TemporalConvStack', C, dict(kernel_size=1, negative_slope=-0.5)),
    ('M', 'TemporalEnhancementNet', C, dict(window=1, temperature=1e-3)),
    ('M', 'AnchorFreeHead', AF_HEAD, dict(num_convs=0, num_levels=1,
                                          prior_prob=0.5)),
    ('M', 'TopKMILHead', dict(in_channels=4, num_classes=1),
     dict(topk_ratio=1)),
    ('M', 'ScoreSeparationLoss', {}, dict(topk_ratio=1, loss_weight=0)),
    ('M', 'ClickLoss', {}, dict(loss_weight=-1.0)),
    ('M', 'PointFocalLoss', {}, dict(alpha=-1, gamma=0, loss_weight=2)),
    ('M', 'AffinityEmbeddingLoss', {}, dict(intra_margin=-0.2,
                                            inter_margin=1)),
    ('M', 'WholeVideoBackgroundLoss', {}, dict(reinforce_factor=1)),
    ('M', 'GradientReinforce', {}, dict(factor=1)),
    ('T', 'PointTargetAssigner', {},
     dict(regress_ranges=[[0, 4], (4, INF)], center_radius=0.5)),
    ('R', 'RandomCropSnippets', dict(num_segments=1),
     dict(trunc_thresh=0, max_tries=1)),
    ('R', 'RandomCropSnippets', dict(num_segments=8), dict(trunc_thresh=1)),
    ('R', 'LoadSnippetFeature', {}, dict(feat_dim=None)),
    # NumPy's bool is a switch too (a value read from an array or a file)
    ('R', 'LoadSnippetFeature', {}, dict(mmap=np.True_,
                                         load_point_label=False)),
    ('M', 'SnippetFeaturePreprocessor', {}, dict(pad_batch=True,
                                                 non_blocking=None)),
    ('H', 'CASVisualizationHook', {}, dict(num_videos=0, max_classes=1,
                                           max_detections=0)),
    ('H', 'TestSpeedHook', {}, dict(interval=0)),
    ('H', 'AtomicCheckpointHook', {}, dict(interval=-1, max_keep_ckpts=-1,
                                           save_last=False, by_epoch=True)),
])
def test_edge_values_still_build(reg, kind, base, kwargs):
    _build(reg, kind, base, **kwargs)


@pytest.mark.parametrize('model', ['BackTAL', 'AnchorFreeTAD'])
@pytest.mark.parametrize('bad', FLAG)
def test_localizer_keep_raw_outputs_must_be_a_switch(model, bad):
    from tests.helpers.models import build_anchor_free, build_backtal
    build = dict(BackTAL=build_backtal, AnchorFreeTAD=build_anchor_free)
    build[model](keep_raw_outputs=True)
    shown = re.escape(repr(bad))
    with pytest.raises(ValueError, match=rf'^{model}: `keep_raw_outputs` '
                       rf'must be True or False, got {shown}$'):
        build[model](keep_raw_outputs=bad)


@pytest.mark.parametrize('key,bad,message', [
    ('require_clicks', 'no', "`require_clicks` must be True or False, got "
     "'no'"),
    ('check_files', 0, '`check_files` must be True or False, got 0'),
    ('default_fps', 'abc', "`default_fps` must be a number, got 'abc'"),
    ('default_fps', 0, '`default_fps` must be > 0, got 0'),
    ('default_fps', NAN, '`default_fps` must be a finite number, got nan'),
])
def test_dataset_settings_are_checked(tiny_synthetic, key, bad, message):
    """Refused before the GT is read; the same dataset builds with valid
    settings (``default_fps`` used to fail at the first video with a
    TypeError, or give negative frame counts)."""
    from mmaction.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmaction')
    cfg = dict(type='ClickTALDataset',
               ann_file=str(tiny_synthetic / 'gt.json'), subset='val',
               data_prefix=dict(feature=str(tiny_synthetic / 'features')),
               pipeline=[], default_fps=30.0, require_clicks=False)
    assert len(DATASETS.build(cfg)) == 2
    with pytest.raises(ValueError, match=re.escape(
            f'ClickTALDataset: {message}') + '$'):
        DATASETS.build(dict(cfg, **{key: bad}))


def test_kernel_size_must_be_odd():
    with pytest.raises(ValueError, match=r'^TemporalConvStack: '
                       r'`kernel_size` must be odd, got 4$'):
        _build('M', 'TemporalConvStack', C, kernel_size=4)


@pytest.mark.parametrize('ranges,match', [
    ('abc', r"`regress_ranges` must be a non-empty list of \(lo, hi\) "
     r"pairs, got 'abc'"),
    ([], r'`regress_ranges` must be a non-empty list .*, got \[\]'),
    ([(0, 4, 8)], r'`regress_ranges` must be .* pairs, got \(0, 4, 8\) at index 0'),
    ([(0, 'x')], r"`regress_ranges\[0\]\[1\]` must be a number, got 'x'"),
    ([(0, 4), (-1, 8)], r'`regress_ranges\[1\]\[0\]` must be >= 0, got -1'),
    ([(4, 2)], r'`regress_ranges\[0\]\[1\]` must be >= 4, got 2'),
    ([(0, NAN)], r'`regress_ranges\[0\]\[1\]` must be a finite number'),
])
def test_regress_ranges_are_checked(ranges, match):
    with pytest.raises(ValueError, match=f'^PointTargetAssigner: {match}'):
        _build('T', 'PointTargetAssigner', {}, regress_ranges=ranges)


@pytest.mark.parametrize('option,message', [
    ('model.cls_head.topk_ratio=abc',
     "error: TopKMILHead: `topk_ratio` must be a number, got 'abc'"),
    ('model.backbone.dropout=nan',
     'error: AffinityTCN: `dropout` must be a finite number, got nan'),
])
def test_train_tool_refuses_bad_value_in_one_line(tiny_synthetic, tmp_path,
                                                  option, message):
    """End to end: ``tools/train.py --cfg-options`` with a bad value ends
    with exit status 1 and one ``error:`` line naming the class and the
    keyword, before any training, without a traceback."""
    from tests.helpers.configs import synthetic_cfg
    from tests.helpers.tool_runner import run_tool
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd')
    cfg_file = tmp_path / 'tiny_cfg.py'
    cfg.dump(str(cfg_file))
    run = run_tool('train.py', [cfg_file, '--work-dir', tmp_path / 'wd',
                                '--cfg-options', option])
    assert run.exit_code == 1, run.stderr
    assert run.exception is None
    assert 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == message
    assert not list((tmp_path / 'wd').rglob('*.pth'))


@pytest.mark.parametrize('part,override,match', [
    ('head', dict(num_levels=2), r'neck\.num_levels\) but head\.num_levels '
     r'gives 2'),
    ('assigner', dict(regress_ranges=[(0, 4), (4, 1e4)]),
     r'neck\.num_levels\) but assigner\.regress_ranges \(one per level\) '
     r'gives 2'),
])
def test_anchor_free_levels_must_match_the_neck(part, override, match):
    """A neck of 3 levels with a head or assigner of 2 is refused at build
    (it used to fail at the first training / test step)."""
    from tests.helpers.models import build_anchor_free
    build_anchor_free()  # 3 levels everywhere
    cfg = dict(
        head=dict(type='AnchorFreeHead', in_channels=16, num_classes=2,
                  feat_channels=16, num_levels=3),
        assigner=dict(type='PointTargetAssigner',
                      regress_ranges=[(0, 4), (4, 8), (8, 1e4)]))[part]
    with pytest.raises(ValueError,
                       match=r'^AnchorFreeTAD: the neck has 3 levels \(' +
                       match):
        build_anchor_free(**{part: dict(cfg, **override)})
