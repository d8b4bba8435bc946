"""The anchor-free detector's parts against hand-computed values, and the
whole detector learning boundaries from full GT."""
import math

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.structures import InstanceData

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.evaluation.functional.detection_map import \
    evaluate_detections
from backtal_mmaction.models.losses import (PointDIoULoss, PointFocalLoss,
                                            SigmoidClickLoss,
                                            segment_iou_from_offsets,
                                            sigmoid_focal_loss)
from backtal_mmaction.models.necks import TemporalPyramid, level_points
from backtal_mmaction.models.task_modules import PointTargetAssigner
from tests.helpers.models import build_anchor_free as _model

LOG2 = math.log(2.0)


# ---------------------------------------------------------------- losses
def test_sigmoid_focal_loss_hand_values():
    logits = torch.zeros(2)
    targets = torch.tensor([1.0, 0.0])
    # p = 0.5: CE = log 2, (1 - p_t)^2 = 0.25, alpha_t = 0.25 / 0.75
    expected = torch.tensor([0.25 * 0.25 * LOG2, 0.75 * 0.25 * LOG2])
    assert torch.allclose(sigmoid_focal_loss(logits, targets), expected)
    # gamma 0 and no alpha: plain BCE
    x = torch.tensor([2.0, -1.0])
    t = torch.tensor([1.0, 1.0])
    bce = -torch.log(torch.sigmoid(x))
    assert torch.allclose(sigmoid_focal_loss(x, t, alpha=-1, gamma=0), bce)
    # a confident correct point costs far less than an unsure one
    easy = sigmoid_focal_loss(torch.tensor([4.0]), torch.tensor([1.0]))
    hard = sigmoid_focal_loss(torch.tensor([0.0]), torch.tensor([1.0]))
    assert easy < hard / 100


def test_point_focal_loss_normalizes_by_positives_and_weights():
    # B 1, C 2, P 3; point 0 positive for class 1 with weight 0.5
    outputs = dict(cls_logits=torch.zeros(1, 2, 3))
    cls_t = torch.zeros(1, 3, 2)
    cls_t[0, 0, 1] = 1
    targets = dict(cls_targets=cls_t, valid=torch.ones(1, 3),
                   pos_weights=torch.tensor([[0.5, 0.0, 0.0]]))
    pos_el, neg_el = 0.25 * 0.25 * LOG2, 0.75 * 0.25 * LOG2
    # point 0: (pos + neg) * 0.5; points 1, 2: 2 negatives each; / 1 positive
    expected = (pos_el + neg_el) * 0.5 + 4 * neg_el
    assert PointFocalLoss()(outputs, targets).item() == pytest.approx(
        expected, rel=1e-6)


def test_diou_hand_values():
    pred = torch.tensor([[1.0, 1.0], [1.0, 3.0], [0.0, 1.0]])
    target = torch.tensor([[1.0, 1.0], [2.0, 2.0], [2.0, 0.0]])
    # [p-1, p+3] vs [p-2, p+2]: inter 3, union 5; centres 1 apart, hull 5
    iou = segment_iou_from_offsets(pred, target, 'iou')
    diou = segment_iou_from_offsets(pred, target, 'diou')
    assert torch.allclose(iou, torch.tensor([1.0, 0.6, 0.0]))
    # [p, p+1] vs [p-2, p]: no overlap; centres 1.5 apart, hull 3
    assert torch.allclose(diou, torch.tensor([1.0, 0.6 - 1 / 25,
                                              -(1.5**2) / 9]))
    # the loss: (1 - diou) * weight / positives
    outputs = dict(distances=pred.t()[None])
    cls_t = torch.ones(1, 3, 1)
    targets = dict(reg_targets=target[None], cls_targets=cls_t,
                   pos_weights=torch.tensor([[1.0, 1.0, 0.5]]))
    expected = (0 + (1 - 0.56) + 0.5 * (1 + 0.25)) / 3
    assert PointDIoULoss()(outputs, targets).item() == pytest.approx(
        expected, rel=1e-6)


def test_sigmoid_click_loss_hand_values():
    C, T = 3, 4
    outputs = dict(cls_logits=torch.zeros(1, C, T + 2))  # 2 coarser points
    labels = torch.tensor([[C, -100, 1, -100]])  # bg click, action click 1
    targets = dict(click_labels=labels)
    # bg click: C negatives of log 2; action click: its class, log 2
    both = SigmoidClickLoss(click_types=('background', 'action'))
    assert both(outputs, targets).item() == pytest.approx((C + 1) * LOG2 / 2)
    bg = SigmoidClickLoss()
    assert bg(outputs, targets).item() == pytest.approx(C * LOG2)
    act = SigmoidClickLoss(click_types=('action', ))
    assert act(outputs, targets).item() == pytest.approx(LOG2)
    # gradients push the clicked background logits down
    logits = torch.zeros(1, C, T, requires_grad=True)
    bg(dict(cls_logits=logits), targets).backward()
    assert (logits.grad[0, :, 0] > 0).all() and (logits.grad[0, :, 1] == 0
                                                 ).all()
    with pytest.raises(ValueError, match='click_types'):
        SigmoidClickLoss(click_types=('foreground', ))


# ------------------------------------------------------- pyramid + targets
def test_pyramid_lengths_and_point_positions():
    neck = TemporalPyramid(4, 6, num_levels=3)
    feats = neck(torch.randn(2, 4, 11))
    assert [f.shape for f in feats] == [(2, 6, 11), (2, 6, 6), (2, 6, 3)]
    pts = level_points([11, 6, 3], neck.strides)
    assert pts.shape == (20, 3)
    # level 1 point j is centred on level-0 snippet 2j: position 2j + 0.5
    assert pts[11:17, 0].tolist() == [0.5, 2.5, 4.5, 6.5, 8.5, 10.5]
    assert pts[17:, 0].tolist() == [0.5, 4.5, 8.5]
    assert pts[17:, 1].tolist() == [4.0] * 3


def test_assigner_centre_sampling_and_level_ranges_by_hand():
    """T = 16, strides 1 and 2, ranges (0, 4) and (4, inf), radius 1.5.

    Segment A = [2, 6] (class 0): level 0 points 2.5..5.5 lie inside, the
    centre region (4 -+ 1.5, strict) keeps 3.5 and 4.5 (reach 2.5 <= 4); at
    level 1 (radius 3) 2.5 and 4.5 lie inside but reach 3.5 / 2.5 < 4.
    Segment B = [8, 16] (class 1): level 0 centre points 11.5, 12.5 reach
    4.5 > 4; level 1 points 10.5, 12.5, 14.5 reach 5.5, 4.5, 6.5 >= 4.
    """
    pts = level_points([16, 8], [1, 2])
    segs = torch.tensor([[[2.0, 6.0], [8.0, 16.0]]])
    labels = torch.tensor([[0, 1]])
    a = PointTargetAssigner(regress_ranges=[(0, 4), (4, float('inf'))],
                            center_radius=1.5)
    t = a(pts, segs, labels, num_classes=2,
          weights=torch.tensor([[1.0, 0.7]]))
    pos = torch.nonzero(t['assigned'][0] >= 0)[:, 0].tolist()
    positions = pts[pos, 0].tolist()
    assert positions == [3.5, 4.5, 10.5, 12.5, 14.5]
    assert t['assigned'][0, pos].tolist() == [0, 0, 1, 1, 1]
    assert t['cls_targets'][0, pos].argmax(1).tolist() == [0, 0, 1, 1, 1]
    assert t['cls_targets'].sum().item() == 5
    assert t['pos_weights'][0, pos].tolist() == pytest.approx(
        [1, 1, 0.7, 0.7, 0.7])
    # distances in strides: 3.5 -> (1.5, 2.5); 10.5 (s 2) -> (1.25, 2.75)
    assert torch.allclose(t['reg_targets'][0, pos], torch.tensor(
        [[1.5, 2.5], [2.5, 1.5], [1.25, 2.75], [2.25, 1.75], [3.25, 0.75]]))


def test_assigner_takes_the_shortest_and_ignores_padding():
    pts = level_points([16], [1])
    segs = torch.tensor([[[0.0, 10.0], [3.0, 6.0], [4.0, 5.0]]])
    labels = torch.tensor([[0, 1, 2]])
    valid = torch.tensor([[True, True, False]])  # [4, 5] is padding
    a = PointTargetAssigner(regress_ranges=[(0, float('inf'))],
                            center_radius=100)
    t = a(pts, segs, labels, 3, valid=valid)
    # 4.5 lies in [0, 10] and [3, 6]: the shorter wins, padding is ignored
    assert t['assigned'][0, 4].item() == 1
    assert t['assigned'][0, 8].item() == 0
    assert t['assigned'][0, 12].item() == -1
    # no segment at all: every point negative
    empty = a(pts, torch.zeros(1, 0, 2), torch.zeros(1, 0, dtype=torch.long),
              3)
    assert (empty['assigned'] == -1).all() and empty['cls_targets'].sum() == 0


def test_assigner_gives_every_segment_a_positive():
    """Fixed-T inputs squeeze short actions below one snippet: [3.6, 3.9]
    contains no point centre (3.5, 4.5), so rules 1-3 give it no positive
    point and, without ``ensure_positive`` (the earlier recipe), it is only
    ever seen as background. With it, the level-0 point nearest its centre
    (3.75 -> 3.5) learns it; distances clamp at 0, so the target is
    [3.5, 3.9]: ((3.5 - 3.6) -> 0, 3.9 - 3.5 = 0.4)."""
    pts = level_points([8, 4], [1, 2])
    segs = torch.tensor([[[3.6, 3.9], [0.0, 8.0]]])
    labels = torch.tensor([[1, 0]])
    ranges = [(0, 4), (4, float('inf'))]
    old = PointTargetAssigner(ranges, ensure_positive=False)(
        pts, segs, labels, 2)
    assert not (old['assigned'] == 0).any()
    t = PointTargetAssigner(ranges)(pts, segs, labels, 2)
    pos = torch.nonzero(t['assigned'][0] == 0)[:, 0].tolist()
    assert pts[pos, 0].tolist() == [3.5] and pts[pos, 1].tolist() == [1.0]
    assert t['reg_targets'][0, pos[0]].tolist() == pytest.approx([0.0, 0.4])
    assert t['cls_targets'][0, pos[0]].tolist() == [0.0, 1.0]
    # segments that already have positives are untouched
    assert torch.equal(old['assigned'] == 1, t['assigned'] == 1)


# ------------------------------------------------------------ the detector
def _sample(name, duration, segments, labels):
    ds = ActionDataSample()
    ds.set_metainfo(dict(video_name=name, duration=duration))
    gt = InstanceData()
    gt.segments = torch.tensor(segments, dtype=torch.float32).reshape(-1, 2)
    gt.labels = torch.tensor(labels, dtype=torch.long)
    ds.gt_instances = gt
    return ds


def test_encode_decode_round_trip():
    """Logits high exactly at the assigned points and distances equal to
    the regression targets decode back to the GT segments in seconds."""
    model = _model().eval()
    T, duration = 32, 64.0  # 2 s per snippet
    gt_sec = [[8.0, 16.0], [30.0, 60.0]]
    ds = _sample('v', duration, gt_sec, [1, 0])
    segs, labels, weights, valid = model._segments_in_snippets([ds], T, 'cpu')
    assert segs[0].tolist() == [[4.0, 8.0], [15.0, 30.0]]
    pts = level_points([32, 16, 8], [1, 2, 4])
    t = model.assigner(pts, segs, labels, 2, weights, valid)
    logits = torch.where(t['cls_targets'][0].t() > 0, 10.0, -10.0)
    det = model.decode(logits, t['reg_targets'][0].t(), pts, T, duration)
    order = np.argsort(det['segments'][:, 0])
    assert np.allclose(det['segments'][order], gt_sec)
    assert det['labels'][order].tolist() == [1, 0]
    assert det['segments'].dtype == np.float64


def test_decode_caps_and_clips():
    model = _model(test_cfg=dict(max_per_video=3,
                                 nms=dict(type='hard', iou_thr=0.99)))
    pts = level_points([8, 4, 2], [1, 2, 4])
    logits = torch.full((2, 14), 5.0)
    dists = torch.full((2, 14), 0.4)  # disjoint segments around each point
    dists[:, 0] = 100.0  # far past both ends
    det = model.decode(logits, dists, pts, 8, 16.0)
    assert len(det['scores']) == 3  # of 28 candidates
    assert model.decode(logits, dists, pts, 8, 16.0)['segments'].shape == (
        3, 2)
    uncapped = _model(test_cfg=dict(max_per_video=100, nms=dict(
        type='hard', iou_thr=0.99))).decode(logits, dists, pts, 8, 16.0)
    assert [0.0, 16.0] in uncapped['segments'].tolist()  # clipped
    assert det['segments'].min() >= 0 and det['segments'].max() <= 16.0


def test_full_gt_training_learns_boundaries():
    """On features that say where each action is (a class indicator inside
    the segments plus noise), training from full GT localizes almost
    perfectly: the detector can learn boundaries."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    threads = torch.get_num_threads()
    # a tiny model: one thread is fastest and immune to a busy machine
    torch.set_num_threads(1)
    try:
        _train_and_check(rng)
    finally:
        torch.set_num_threads(threads)


def _train_and_check(rng):
    T, D, C = 64, 8, 2
    samples, inputs = [], []
    for v in range(16):
        x = rng.normal(0, 0.1, (D, T)).astype(np.float32)
        segs, labs, t0 = [], [], int(rng.integers(1, 6))
        while t0 < T - 4:
            length = int(rng.integers(3, 20))
            t1 = min(t0 + length, T - 1)
            c = int(rng.integers(0, C))
            x[c, t0:t1] += 1.0
            segs.append([t0 * 0.5, t1 * 0.5])  # 0.5 s per snippet
            labs.append(c)
            t0 = t1 + int(rng.integers(3, 10))
        inputs.append(torch.from_numpy(x))
        samples.append(_sample(f'v{v}', T * 0.5, segs, labs))
    model = _model(D, C)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = torch.stack(inputs)
    for _ in range(300):
        losses = model.loss(batch, samples)
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
    model.eval()
    preds = model.predict(batch, samples)
    gt = {ds.video_name: dict(segments=ds.gt_instances.segments.numpy(),
                              labels=ds.gt_instances.labels.numpy())
          for ds in samples}
    det = {ds.video_name: dict(segments=ds.pred_instances.segments.numpy(),
                               scores=ds.pred_instances.scores.numpy(),
                               labels=ds.pred_instances.labels.numpy())
           for ds in preds}
    res = evaluate_detections(gt, det, num_classes=C,
                              tiou_thresholds=[0.5, 0.7])
    assert res['mAP'][0] > 0.9 and res['mAP'][1] > 0.8, res['mAP']


def test_variable_length_test_videos_run_alone():
    """A list of videos of different lengths gives each exactly the
    detections it gets alone (no padding)."""
    model = _model().eval()
    a, b = torch.randn(8, 20), torch.randn(8, 33)
    sa, sb = _sample('a', 10.0, [], []), _sample('b', 16.5, [], [])
    both = model.predict([a, b], [sa, sb])
    alone = model.predict(b[None], [_sample('b', 16.5, [], [])])
    assert torch.equal(both[1].pred_instances.segments,
                       alone[0].pred_instances.segments)
    assert torch.equal(both[1].pred_instances.scores,
                       alone[0].pred_instances.scores)


def test_affinity_stem_plugs_in():
    """BackTAL's AffinityEmbedding + AffinityTCN as the detector's stem."""
    model = _model(
        embedding=dict(type='AffinityEmbedding', in_channels=8,
                       hidden_channels=8, embed_channels=4),
        backbone=dict(type='AffinityTCN', in_channels=8, hidden_channels=16,
                      dropout=0.0),
        losses=dict(cls=dict(type='PointFocalLoss'),
                    reg=dict(type='PointDIoULoss'),
                    bg_click=dict(type='SigmoidClickLoss')))
    ds = _sample('v', 8.0, [[1.0, 3.0]], [0])
    ds.set_data(dict(gt_click_labels=torch.tensor([2] + [-100] * 15)))
    losses = model.loss(torch.randn(1, 8, 16), [ds])
    assert set(losses) == {'loss_cls', 'loss_reg', 'loss_bg_click'}
    sum(losses.values()).backward()
    # the embedding is trained through the affinity convolutions
    assert model.embedding.conv_1.weight.grad.abs().sum() > 0
    assert all(torch.isfinite(v) for v in losses.values())


def test_video_fusion_scales_scores_by_video_level_evidence():
    """Point scores times the class's top-k mean probability over the
    level-0 points (k = floor(ratio * T))."""
    T = 8
    pts = level_points([8, 4, 2], [1, 2, 4])
    logits = torch.full((2, 14), -20.0)
    logits[0, :4] = 2.0  # class 0 seen at 4 snippets
    logits[1, 5] = 2.0  # class 1 at a single snippet
    dists = torch.full((2, 14), 0.4)
    p = torch.sigmoid(torch.tensor(2.0)).item()
    plain = _model(test_cfg=dict(nms=dict(type='hard', iou_thr=0.5),
                                 score_thr=0.01)).decode(
                                     logits, dists, pts, T, 8.0)
    fused = _model(test_cfg=dict(nms=dict(type='hard', iou_thr=0.5),
                                 score_thr=0.01,
                                 video_fusion=dict(topk_ratio=0.25,
                                                   power=1.0))).decode(
                                     logits, dists, pts, T, 8.0)
    assert np.allclose(sorted(plain['scores']), [p] * 5)
    # k = 2: class 0's top-2 mean is p, class 1's is (p + ~0) / 2
    by_label = {int(c): s for c, s in zip(fused['labels'], fused['scores'])}
    assert by_label[0] == pytest.approx(p * p)
    assert by_label[1] == pytest.approx(p * (p + torch.sigmoid(
        torch.tensor(-20.0)).item()) / 2)


def test_nms_settings_are_checked_at_build():
    with pytest.raises(ValueError, match="takes.*'iou_thr'.*sigma"):
        _model(test_cfg=dict(nms=dict(type='hard', iou_thr=0.5, sigma=0.5)))
    with pytest.raises(ValueError, match='not in'):
        _model(test_cfg=dict(nms=dict(type='fancy')))


# ------------------------------------------- post-processor and raw outputs
# score_thr 0: an untrained head may score every point below the default
NMS = dict(nms=dict(type='hard', iou_thr=0.5), score_thr=0.0)
PP = dict(type='AnchorFreePostProcessor', **NMS)


def test_post_processor_and_test_cfg_build_the_same_detector():
    """``test_cfg=`` (older configs, checkpoints' configs) and
    ``post_processor=`` decode identically, as the same class."""
    torch.manual_seed(0)
    old = _model(test_cfg=NMS).eval()
    torch.manual_seed(0)
    new = _model(test_cfg=None, post_processor=PP).eval()
    assert type(old.post_processor) is type(new.post_processor)
    assert vars(old.post_processor) == vars(new.post_processor)
    x = torch.randn(2, 8, 24)
    a = old.predict(x, [_sample('a', 12.0, [], []), _sample('b', 9.0, [], [])])
    b = new.predict(x, [_sample('a', 12.0, [], []), _sample('b', 9.0, [], [])])
    for pa, pb in zip(a, b):
        for key in ('segments', 'scores', 'labels'):
            assert torch.equal(pa.pred_instances[key], pb.pred_instances[key])
    assert len(a[0].pred_instances.scores) > 0  # a non-trivial check
    # the detections stay float64 (see AnchorFreeTAD.pred_dtype)
    assert a[0].pred_instances.segments.dtype == torch.float64
    assert a[0].pred_instances.scores.dtype == torch.float64
    # neither: the post-processor's defaults (Gaussian soft-NMS)
    default = _model(test_cfg=None).post_processor
    assert default.nms == dict(type='soft', sigma=0.5, min_score=0.001)


def test_test_cfg_and_post_processor_together_are_refused():
    with pytest.raises(ValueError, match='AnchorFreeTAD: got both '
                       '`post_processor` and `test_cfg`'):
        _model(post_processor=PP)  # _model passes a test_cfg


def test_test_cfg_errors_name_test_cfg():
    with pytest.raises(ValueError, match=r"AnchorFreeTAD: test_cfg\.nms "
                       r"of type 'hard' takes \['iou_thr', 'mode'\], got also "
                       r"\['sigma'\]"):
        _model(test_cfg=dict(nms=dict(type='hard', iou_thr=0.5, sigma=0.5)))
    with pytest.raises(ValueError, match=r"AnchorFreeTAD: test_cfg\.nms\.type "
                       "'fancy' not in"):
        _model(test_cfg=dict(nms=dict(type='fancy')))
    # a mistyped key would silently decode with the default
    with pytest.raises(ValueError, match=r"test_cfg got unknown key\(s\) "
                       r"\['score_thresh'\]"):
        _model(test_cfg=dict(score_thresh=0.1))
    # the post_processor spelling is checked by the post-processor itself
    with pytest.raises(ValueError, match='AnchorFreePostProcessor: nms'):
        _model(test_cfg=None, post_processor=dict(
            type='AnchorFreePostProcessor', nms=dict(type='fancy')))


@pytest.mark.parametrize('batched', [True, False])
def test_raw_outputs_reproduce_predictions(batched):
    """``keep_raw_outputs``: ``cls_logits`` (C, P), ``distances`` (2, P),
    ``points`` (P, 3) as float32 NumPy, from which the post-processor
    gives the same detections; the detections do not change."""
    torch.manual_seed(0)
    model = _model(test_cfg=NMS).eval()
    torch.manual_seed(2)
    x = torch.randn(2, 8, 20)
    inputs = x if batched else [x[0], x[1, :, :13]]
    lengths = [20, 20] if batched else [20, 13]
    metas = [('a', 10.0), ('b', 6.5)]
    plain = model.predict(inputs, [_sample(n, d, [], []) for n, d in metas])
    assert all('raw_outputs' not in ds for ds in plain)
    model.keep_raw_outputs = True
    raw_run = model.predict(inputs, [_sample(n, d, [], []) for n, d in metas])
    for ds, ref, T, (_, duration) in zip(raw_run, plain, lengths, metas):
        raw = ds.raw_outputs
        P = {20: 20 + 10 + 5, 13: 13 + 7 + 4}[T]  # T, ceil(T/2), ceil(T/4)
        assert set(raw) == {'cls_logits', 'distances', 'points'}
        assert raw['cls_logits'].shape == (2, P)
        assert raw['distances'].shape == (2, P)
        assert raw['points'].shape == (P, 3)
        assert all(v.dtype == np.float32 for v in raw.values())
        for key in ('segments', 'scores', 'labels'):
            assert torch.equal(ds.pred_instances[key],
                               ref.pred_instances[key])
        again = model.post_processor(
            torch.from_numpy(raw['cls_logits']),
            torch.from_numpy(raw['distances']),
            torch.from_numpy(raw['points']), T, duration)
        assert np.array_equal(again['segments'],
                              ds.pred_instances.segments.numpy())
        assert np.array_equal(again['scores'],
                              ds.pred_instances.scores.numpy())
        assert len(again['scores']) > 0  # a non-trivial check
    # the constructor option does the same
    assert _model(keep_raw_outputs=True).keep_raw_outputs is True


def test_raw_output_hook_accepts_the_detector():
    """``attach_raw_consumer`` (``--save-raw``) switches the detector's
    raw outputs on, hands them over, strips them and restores the flag."""
    from backtal_mmaction.engine.hooks.raw_outputs import (
        attach_raw_consumer, detach_raw_consumer, raw_record)
    model = _model().eval()
    seen = []

    def consumer(samples):
        seen.extend(raw_record(s) for s in samples)

    attach_raw_consumer(model, consumer)
    assert model.keep_raw_outputs is True
    ds = model.predict([torch.randn(8, 16)], [_sample('v', 8.0, [], [])])[0]
    assert 'cls_logits' in ds.raw_outputs
    detach_raw_consumer(model, consumer)
    assert model.keep_raw_outputs is False


def test_predict_names_the_missing_metainfo():
    model = _model().eval()
    ds = _sample('v', 8.0, [], [])
    ds.set_metainfo(dict(duration=None))
    with pytest.raises(ValueError, match="video 'v': AnchorFreeTAD.predict "
                       'needs `duration` in the sample metainfo'):
        model.predict(torch.randn(1, 8, 16), [ds])
    with pytest.raises(ValueError, match='AnchorFreeTAD training needs '
                       'equal-length videos'):
        model.loss([torch.randn(8, 16)], [_sample('v', 8.0, [], [])])
