"""AnchorFreePostProcessor is AnchorFreeTAD's former inline decoding: the
same detections, bit for bit, on hand-made logits, and the same checks of
the NMS settings."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.models.necks import level_points
from backtal_mmaction.models.postprocessing import AnchorFreePostProcessor
from backtal_mmaction.models.postprocessing.nms import (matrix_nms, soft_nms,
                                                        temporal_nms)


def reference_decode(test_cfg, logits, dists, points, num_snippets,
                     duration):
    """``AnchorFreeTAD.decode`` before the post-processor existed, copied
    verbatim (``self.test_cfg`` is the defaults updated by ``test_cfg``)."""
    cfg = dict(score_thr=0.001, pre_nms_topk=2000,
               nms=dict(type='soft', sigma=0.5, min_score=0.001),
               max_per_video=200, min_length=0.0, video_fusion=None)
    cfg.update(test_cfg or {})
    # ---- the former method body ----
    point_probs = torch.sigmoid(logits.float())  # (C, P)
    C = logits.shape[0]
    fusion = cfg.get('video_fusion')
    if fusion:
        k = max(1, int(num_snippets * fusion.get('topk_ratio', 0.125)))
        level0 = point_probs[:, :num_snippets]
        video = level0.topk(min(k, level0.shape[1]), dim=1).values.mean(1)
        point_probs = point_probs * video[:, None]**fusion.get(
            'power', 1.0)
    probs = point_probs.t().reshape(-1)  # (P * C)
    keep = torch.nonzero(probs > cfg['score_thr'])[:, 0]
    if keep.numel() > cfg['pre_nms_topk']:
        keep = keep[probs[keep].topk(cfg['pre_nms_topk']).indices]
    scores = probs[keep].double().cpu().numpy()
    pt, labels = (keep // C).cpu(), (keep % C).cpu().numpy()
    pos = points[pt.to(points.device), 0].double().cpu().numpy()
    stride = points[pt.to(points.device), 1].double().cpu().numpy()
    d = dists.t()[pt.to(dists.device)].double().cpu().numpy()
    scale = float(duration) / num_snippets
    segments = np.stack([(pos - d[:, 0] * stride) * scale,
                         (pos + d[:, 1] * stride) * scale], axis=1)
    segments = np.clip(segments, 0.0, float(duration)).reshape(-1, 2)
    ok = (segments[:, 1] - segments[:, 0]) > max(cfg['min_length'], 0.0)
    segments, scores, labels = segments[ok], scores[ok], labels[ok]
    nms = dict(cfg['nms'])
    nms_type = nms.pop('type', 'soft')
    if nms_type in ('soft', 'matrix'):
        fn = soft_nms if nms_type == 'soft' else matrix_nms
        idx, scores = fn(segments, scores, labels, **nms)
        segments, labels = segments[idx], labels[idx]
    else:
        idx = temporal_nms(segments, scores, labels, **nms)
        segments, scores, labels = segments[idx], scores[idx], labels[idx]
    order = np.argsort(-scores, kind='stable')[:cfg['max_per_video']]
    return dict(segments=segments[order], scores=scores[order],
                labels=labels[order].astype(np.int64))


def _inputs(seed, C=3, T=40, duration=33.3):
    """Random logits / distances on a 3-level pyramid: (C, P), (2, P)."""
    g = torch.Generator().manual_seed(seed)
    points = level_points([T, (T + 1) // 2, (T + 3) // 4], [1, 2, 4])
    P = points.shape[0]
    logits = torch.randn(C, P, generator=g) * 3 - 1
    dists = torch.rand(2, P, generator=g) * 6
    return logits, dists, points, T, duration


SETTINGS = [
    None,  # the defaults: Gaussian soft-NMS
    dict(nms=dict(type='hard', iou_thr=0.5)),
    dict(nms=dict(type='hard', iou_thr=0.3, mode='official')),
    dict(nms=dict(type='soft', method='linear', iou_thr=0.4, sigma=0.5,
                  min_score=0.01)),
    # the shipped config: matrix NMS + video fusion
    dict(score_thr=0.001, pre_nms_topk=2000,
         nms=dict(type='matrix', sigma=0.5, min_score=0.001),
         video_fusion=dict(topk_ratio=0.125, power=1.0), max_per_video=200,
         min_length=0.0),
    # caps, a length floor and a score threshold that all bite
    dict(score_thr=0.3, pre_nms_topk=25, max_per_video=7, min_length=2.5,
         nms=dict(type='matrix', sigma=0.75, min_score=0.001),
         video_fusion=dict(topk_ratio=0.25, power=2.0)),
    dict(nms=dict(type='hard', iou_thr=0.5), max_per_video=None),
    dict(score_thr=1.0),  # no candidate at all (p > 1 never holds)
]


@pytest.mark.parametrize('setting', SETTINGS)
@pytest.mark.parametrize('seed', range(3))
def test_equals_the_former_inline_decode(setting, seed):
    logits, dists, points, T, duration = _inputs(seed)
    ref = reference_decode(setting, logits, dists, points, T, duration)
    got = AnchorFreePostProcessor(**(setting or {}))(logits, dists, points,
                                                     T, duration)
    assert set(got) == {'segments', 'scores', 'labels'}
    for key in ('segments', 'scores', 'labels'):
        assert got[key].dtype == ref[key].dtype, key
        assert got[key].shape == ref[key].shape, key
        np.testing.assert_array_equal(got[key], ref[key], err_msg=key)
    if setting is not None and setting.get('score_thr') == 1.0:
        assert got['segments'].shape == (0, 2)
    else:
        assert len(got['scores']) > 0  # a non-trivial check


def test_registered_and_built_from_a_config():
    init_default_scope('mmaction')
    pp = MODELS.build(dict(type='AnchorFreePostProcessor',
                           nms=dict(type='hard', iou_thr=0.5)))
    assert isinstance(pp, AnchorFreePostProcessor)
    assert pp.nms == dict(type='hard', iou_thr=0.5)
    # the default NMS when none is given, and a given dict replaces it whole
    assert AnchorFreePostProcessor().nms == dict(type='soft', sigma=0.5,
                                                 min_score=0.001)
    assert 'AnchorFreePostProcessor(' in repr(pp)


def test_bad_nms_settings_are_refused_at_build():
    with pytest.raises(ValueError, match=r"AnchorFreePostProcessor: nms\.type "
                       r"'fancy' not in \('hard', 'soft', 'matrix'\)"):
        AnchorFreePostProcessor(nms=dict(type='fancy'))
    # sigma left over when a config switches soft -> hard
    with pytest.raises(ValueError, match=r"nms of type 'hard' takes "
                       r"\['iou_thr', 'mode'\], got also \['sigma'\] "
                       r'\(replace the whole nms dict: add `_delete_=True`'):
        AnchorFreePostProcessor(nms=dict(type='hard', iou_thr=0.5,
                                         sigma=0.5))
    with pytest.raises(ValueError, match=r"got also \['iou_thr'\]"):
        AnchorFreePostProcessor(nms=dict(type='matrix', iou_thr=0.5))
    # no type: soft, whose arguments are checked too
    with pytest.raises(ValueError, match="of type 'soft'"):
        AnchorFreePostProcessor(nms=dict(power=2))
    init_default_scope('mmaction')
    with pytest.raises(ValueError, match='not in'):
        MODELS.build(dict(type='AnchorFreePostProcessor',
                          nms=dict(type='nope')))


@pytest.mark.parametrize('kwargs, match', [
    (dict(nms=dict(type='matrix', sigma='abc')),
     r"AnchorFreePostProcessor: nms: `sigma` must be a number, got 'abc'"),
    (dict(nms=dict(type='soft', sigma=0)),
     r'nms: `sigma` must be > 0, got 0'),
    (dict(nms=dict(type='hard', iou_thr=1.5)),
     r'nms: `iou_thr` must be in \[0, 1\], got 1.5'),
    (dict(nms=dict(type='matrix', method='box')),
     r"nms.method 'box' not in \('gaussian', 'linear'\)"),
    (dict(nms=dict(type='hard', mode='fast')), r"nms.mode 'fast' not in"),
    (dict(score_thr=float('nan')), '`score_thr` must be a finite number'),
    (dict(pre_nms_topk=0), '`pre_nms_topk` must be >= 1, got 0'),
    (dict(max_per_video=2.5), '`max_per_video` must be an integer'),
    (dict(min_length='1'), '`min_length` must be a number'),
    (dict(video_fusion=dict(topk_ratio=0)),
     r'video_fusion: `topk_ratio` must be in \(0, 1\], got 0'),
    (dict(video_fusion=dict(topk=0.1)), "'topk_ratio' and / or 'power'"),
])
def test_bad_settings_are_named_at_build(kwargs, match):
    """Checked when the model is built (a string from a config, a range
    slip), so a test run never stops at its first video with a TypeError
    from inside the NMS."""
    with pytest.raises(ValueError, match=match):
        AnchorFreePostProcessor(**kwargs)
