"""BackTALPostProcessor: configuration, input checks, end-to-end hand cases."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS

from backtal_mmaction.models.postprocessing.backtal_postprocessor import \
    BackTALPostProcessor
from backtal_mmaction.models.postprocessing.nms import temporal_nms

# One action class + background; softmax([0, 0]) -> p = .5.
# CAS row [0, 1, 1, 0] (already min-max normalized) upsampled T=4 -> F=8:
# src = .5 (d + .5) - .5 = [0, .25, .75, 1.25, 1.75, 2.25, 2.75, 3.25]
# -> [0, .25, .75, 1, 1, .75, .25, 0].
CAS = np.array([[0.0, 1.0, 1.0, 0.0], [0.3, -0.2, 0.1, 0.0]])
VIDEO = np.zeros(2)
ANET = dict(
    class_threshold=0.1,
    cas_thresholds=[0.5],
    mag_thresholds=[],
    lam=20,
    gamma=0.6,
    nms_thr=0.7)


def _call(proc, cas=CAS, video=VIDEO, mag=None, num_frames=8, duration=4.0):
    return proc(cas, video, mag, num_frames=num_frames, duration=duration)


def test_registered_and_buildable_with_lists():
    proc = MODELS.build(
        dict(type='BackTALPostProcessor', cas_thresholds=[0, 0.1]))
    assert isinstance(proc, BackTALPostProcessor)
    assert proc.cas_thresholds == (0.0, 0.1)


def test_thumos_defaults():
    proc = BackTALPostProcessor()
    np.testing.assert_array_equal(proc.cas_thresholds,
                                  np.arange(0, 0.25, 0.025))
    np.testing.assert_array_equal(proc.mag_thresholds,
                                  np.arange(0.3, 0.8, 0.075))
    assert len(proc.cas_thresholds) == 10 and len(proc.mag_thresholds) == 7
    assert (proc.class_threshold, proc.lam, proc.gamma, proc.nms_thr,
            proc.nms_mode, proc.nms_method) == (0.25, 0.25, 0.2, 0.55,
                                                'standard', 'hard')
    assert 'nms_thr=0.55' in repr(proc)


@pytest.mark.parametrize('kwargs,match', [
    (dict(nms_mode='fast'), "valid modes are \\('standard', 'official'\\)"),
    (dict(nms_method='nms'), 'valid methods'),
    (dict(class_threshold=1.5), 'class_threshold'),
    (dict(nms_thr=1.0), 'nms_thr'),
    (dict(lam=-1), 'lam'),
    (dict(gamma=float('nan')), 'gamma'),
    (dict(shrink_ratio=0.5), 'shrink_ratio'),
    (dict(soft_sigma=0), 'soft_sigma'),
    (dict(whole_video_score=float('inf')), 'whole_video_score'),
    (dict(max_detections=0), 'max_detections'),
    (dict(max_detections=2.5), 'max_detections'),
    (dict(cas_thresholds=[0, float('nan')]), 'cas_thresholds'),
    (dict(mag_thresholds=[[0.3]]), 'mag_thresholds'),
    (dict(cas_mode='softmax'), "cas_mode 'softmax'"),
    # values of the wrong type (a config's string, a bool) are named at
    # build, not a TypeError at the first video
    (dict(nms_thr='0.5'), r"`nms_thr` must be a number, got '0\.5'"),
    (dict(class_threshold='abc'), '`class_threshold` must be a number'),
    (dict(soft_sigma=None), '`soft_sigma` must be a number, got None'),
    (dict(max_detections=True), '`max_detections` must be an integer'),
])
def test_bad_config(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackTALPostProcessor(**kwargs)


@pytest.mark.parametrize('kwargs,match', [
    (dict(cas=CAS[0]), 'cas must be 2-D'),
    (dict(cas=CAS[:1]), 'at least 2 rows'),
    (dict(video=np.zeros(3)), 'video_scores must have shape \\(2,\\)'),
    (dict(mag=np.ones(5)), 'magnitude must have shape \\(4,\\)'),
    (dict(num_frames=0), 'num_frames'),
    (dict(num_frames=8.0), 'num_frames'),
    (dict(num_frames=None), 'num_frames'),
    (dict(duration=0.0), 'duration'),
    (dict(duration=None), 'duration'),
    (dict(cas=np.where(CAS > 0.5, np.nan, CAS)), 'cas contains NaN'),
    (dict(video=np.array([0.0, np.inf])), 'video_scores contains NaN'),
    (dict(mag=np.array([1.0, np.nan, 0, 0])), 'magnitude contains NaN'),
])
def test_bad_inputs_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _call(BackTALPostProcessor(), **kwargs)


def test_no_class_passes_gives_empty_result():
    # p = .5 < class_threshold .6 -> no detections, correctly typed.
    out = _call(BackTALPostProcessor(class_threshold=0.6))
    assert out['segments'].shape == (0, 2) and out['scores'].shape == (0, )
    assert out['labels'].dtype == np.int64


def test_end_to_end_hand_computed_thumos_style():
    # theta = .5: seq [0, 0, .75, 1, 1, .75, 0, 0] -> run [2, 5], n = 4;
    # lam = .25: left int(2 - 1) = 1 -> {1} = 0; right int(5 + 1) = 6 ->
    # range(6, 6) empty. inner 3.5 / 4 = .875 -> .875 - 0 + .2 * .5 = .975.
    # Seconds: 2 / 8 * 4 = 1, (5 + 1) / 8 * 4 = 3.
    proc = BackTALPostProcessor(cas_thresholds=[0.5], mag_thresholds=[])
    out = _call(proc)
    np.testing.assert_allclose(out['segments'], [[1.0, 3.0]])
    np.testing.assert_allclose(out['scores'], [0.975])
    assert out['labels'].tolist() == [0]


def test_background_margin_mode_thresholds_class_minus_background():
    # The class logit alone is flat (min-max -> all 0, one whole-video run);
    # the background logit dips over snippets 1-2, so the margin
    # cas[0] - cas[1] = [0, 3, 3, 0] -> min-max [0, 1, 1, 0], which is the
    # hand-computed CAS of the THUMOS-style case above: run [2, 5] frames,
    # [1, 3] s, score .875 + .2 * .5 = .975.
    cas = np.array([[2.0, 2.0, 2.0, 2.0], [2.0, -1.0, -1.0, 2.0]])
    video = np.zeros(2)
    margin = BackTALPostProcessor(cas_thresholds=[0.5], mag_thresholds=[],
                                  cas_mode='background_margin')
    out = _call(margin, cas=cas, video=video)
    np.testing.assert_allclose(out['segments'], [[1.0, 3.0]])
    np.testing.assert_allclose(out['scores'], [0.975])
    # Same input, class logits: the flat row is 0 everywhere after min-max,
    # nothing reaches .5.
    logits = BackTALPostProcessor(cas_thresholds=[0.5], mag_thresholds=[])
    assert _call(logits, cas=cas, video=video)['scores'].size == 0
    # With a zero background row both modes agree exactly (a constant would
    # not do: BackTAL's min-max clamps at 0, so it is not shift-invariant).
    flat_bg = CAS.copy()
    flat_bg[1] = 0.0
    a, b = _call(margin, cas=flat_bg), _call(logits, cas=flat_bg)
    for key in ('segments', 'scores', 'labels'):
        np.testing.assert_array_equal(a[key], b[key])


def test_shrink_and_whole_video():
    # ANet settings, lam = 20, gamma = .6 (+.3).
    # theta = .5: run [2, 5]: left max(0, int(2 - 80)) = 0 -> {0, 1} = 0;
    #   right min(8, int(85)) = 8 -> {6, 7} = 0. .875 + .3 = 1.175.
    #   [1, 3] s shrunk by .02 * 2 = .04 per side -> [1.04, 2.96].
    # theta = .8: seq [0, 0, 0, 1, 1, 0, 0, 0] -> run [3, 4]: outer all 0
    #   -> 1 + .3 = 1.3; [1.5, 2.5] shrunk by .02 -> [1.52, 2.48].
    #   iou with [1.04, 2.96] = .96 / 1.92 = .5 <= .7: both kept.
    # Whole video [0, 4] (not shrunk), score .6; iou with [1.04, 2.96] is
    #   1.92 / 4 = .48 -> kept.
    proc = BackTALPostProcessor(
        **dict(ANET, cas_thresholds=[0.5, 0.8]),
        shrink_ratio=0.02,
        whole_video_score=0.6)
    out = _call(proc)
    np.testing.assert_allclose(
        out['segments'], [[1.52, 2.48], [1.04, 2.96], [0.0, 4.0]],
        rtol=0,
        atol=1e-12)
    np.testing.assert_allclose(out['scores'], [1.3, 1.175, 0.6])
    assert out['labels'].tolist() == [0, 0, 0]


def test_whole_video_once_per_class_equals_once_per_proposal():
    # The official code appends [0, duration] for every proposal; we add one
    # per class. After hard NMS both must give identical detections.
    rng = np.random.default_rng(0)
    cas = rng.normal(size=(6, 60))
    video = np.array([3.0, 3.0, 3.0, -2.0, -2.0, 0.0])
    for mode in ('standard', 'official'):
        proc = BackTALPostProcessor(
            class_threshold=0.1,
            cas_thresholds=np.arange(0, 0.15, 0.025),
            mag_thresholds=[],
            lam=20,
            gamma=0.6,
            nms_thr=0.7,
            nms_mode=mode,
            shrink_ratio=0.02)
        cas64, video64, _, f, d = proc._check_inputs(cas, video, None, 960,
                                                     40.0)
        parts = proc.generate_proposals(cas64, video64, None, f)
        props = parts['threshold']
        segs, scores, labels = proc._to_seconds(props, parts['classes'], f, d)
        num = scores.size
        assert num > 3 * 10  # several proposals per class
        # Per proposal: one whole-video box per generated proposal.
        segs_pp = np.concatenate([segs, np.tile([[0.0, d]], (num, 1))])
        scores_pp = np.concatenate([scores, np.full(num, 0.6)])
        labels_pp = np.concatenate([labels, labels])
        keep_pp = temporal_nms(segs_pp, scores_pp, labels_pp, 0.7, mode)

        proc.whole_video_score = 0.6
        out = proc(cas, video, None, num_frames=f, duration=d)
        order = np.argsort(-scores_pp[keep_pp], kind='stable')
        keep_pp = keep_pp[order]
        np.testing.assert_array_equal(out['segments'], segs_pp[keep_pp])
        np.testing.assert_array_equal(out['scores'], scores_pp[keep_pp])
        np.testing.assert_array_equal(out['labels'], labels_pp[keep_pp])
        # Exactly one whole-video detection per class with proposals.
        is_wv = (out['segments'][:, 0] == 0) & (out['segments'][:, 1] == d)
        assert sorted(out['labels'][is_wv].tolist()) == [0, 1, 2]


def test_magnitude_used_only_when_enabled():
    # Magnitude [1, 0, 0, 0] -> upsampled [1, .75, .25, 0, 0, 0, 0, 0]: every
    # threshold .3 .. .75 gives run [0, 1] = [0, 1] s (identical boxes, one
    # survives NMS) next to the CAS proposal [1, 3] s (tIoU 0).
    mag = np.array([3.0, 0.0, 0.0, 0.0])
    with_mag = BackTALPostProcessor(cas_thresholds=[0.5], nms_thr=0.99)
    no_mag = BackTALPostProcessor(
        cas_thresholds=[0.5], mag_thresholds=(), nms_thr=0.99)
    out = _call(with_mag, mag=mag)
    np.testing.assert_allclose(out['segments'], [[1.0, 3.0], [0.0, 1.0]])
    assert len(_call(no_mag, mag=mag)['scores']) == 1
    assert len(_call(with_mag, mag=None)['scores']) == 1


def test_torch_inputs_and_sorted_output_and_max_detections():
    rng = np.random.default_rng(5)
    cas = rng.normal(size=(4, 50)).astype(np.float32)
    video = np.array([2.0, 2.0, -1.0, 0.0], dtype=np.float32)
    mag = np.abs(rng.normal(size=50)).astype(np.float32)
    proc = BackTALPostProcessor()
    ref = proc(cas, video, mag, num_frames=800, duration=26.7)
    out = proc(
        torch.from_numpy(cas).requires_grad_(),
        torch.from_numpy(video).to(torch.bfloat16).float(),
        torch.from_numpy(mag),
        num_frames=torch.tensor(800),
        duration=torch.tensor(26.7, dtype=torch.float64))
    for k in ('segments', 'scores', 'labels'):
        np.testing.assert_array_equal(out[k], ref[k])
    assert ref['segments'].dtype == np.float64
    assert ref['labels'].dtype == np.int64
    assert np.all(np.diff(ref['scores']) <= 0)

    top = BackTALPostProcessor(max_detections=5)(
        cas, video, mag, num_frames=800, duration=26.7)
    for k in ('segments', 'scores', 'labels'):
        np.testing.assert_array_equal(top[k], ref[k][:5])


@pytest.mark.parametrize('method', ['soft_gaussian', 'soft_linear'])
def test_soft_nms_methods(method):
    rng = np.random.default_rng(2)
    cas = rng.normal(size=(4, 50))
    video = np.array([2.0, 2.0, -1.0, 0.0])
    proc = BackTALPostProcessor(nms_method=method, soft_min_score=0.0)
    parts = proc.generate_proposals(cas, video, None, 800)
    scores = np.concatenate(
        [parts['threshold'].scores, parts['magnitude'].scores])
    soft = proc(cas, video, None, 800, 26.7)
    # Both decays map [0, inf) into itself, so with min_score 0 exactly the
    # proposals with a non-negative score survive; the best is undecayed.
    assert len(soft['scores']) == np.count_nonzero(scores >= 0)
    assert np.all(np.diff(soft['scores']) <= 0)
    assert soft['scores'][0] == scores.max()
    assert np.all(soft['scores'] >= 0)
