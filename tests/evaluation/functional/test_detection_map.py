"""Tests of the vectorized ActivityNet detection mAP.

Expected values are worked out by hand in the comments, then the whole
pipeline is cross-checked against a naive per-prediction loop written here and
against MMAction2's ``average_precision_at_temporal_iou``.
"""
import os.path as osp

import numpy as np
import pytest

from backtal_mmaction.evaluation.functional.detection_map import (
    average_precision_curve, check_tiou_thresholds, detection_ap,
    evaluate_detections, format_detection_table, format_tiou, temporal_iou)
from tests.helpers.detections import det


# ---------------------------------------------------------------------------
# temporal_iou / average_precision_curve
# ---------------------------------------------------------------------------
def test_temporal_iou_hand_values():
    a = [[0, 10], [5, 5]]
    b = [[5, 15], [0, 10], [20, 30], [5, 5]]
    iou = temporal_iou(a, b)
    assert iou.shape == (2, 4)
    # [0,10] vs [5,15]: inter 5, union 10 + 10 - 5 = 15 -> 1/3
    # [0,10] vs [0,10]: 1; vs [20,30]: disjoint -> 0
    # [0,10] vs [5,5]: zero-length inside: inter 0, union 10 -> 0
    # [5,5] vs [5,5]: 0/0 union -> defined as 0 (never a match)
    expected = [[1 / 3, 1, 0, 0], [0, 0, 0, 0]]
    np.testing.assert_allclose(iou, expected, rtol=0, atol=1e-15)


def test_temporal_iou_empty_and_bad_shape():
    assert temporal_iou(np.zeros((0, 2)), [[0, 1]]).shape == (0, 1)
    assert temporal_iou([], []).shape == (0, 0)
    with pytest.raises(ValueError, match='segments_a must have shape'):
        temporal_iou([[0, 1, 2]], [[0, 1]])
    with pytest.raises(ValueError, match='end < start'):
        temporal_iou([[0, 1]], [[3, 2]])


def test_average_precision_curve_hand_value():
    # precision [1, .5, 2/3], recall [.5, .5, 1]
    # envelope from the right: [1, 2/3, 2/3]; recall steps .5 at i=1 and
    # .5 at i=3 -> AP = .5 * 1 + .5 * 2/3 = 5/6
    ap = average_precision_curve([1, 0.5, 2 / 3], [0.5, 0.5, 1.0])
    assert ap == pytest.approx(5 / 6, abs=1e-15)
    # batched along leading axes, empty curve -> 0
    batch = average_precision_curve([[1, 0.5, 2 / 3], [0, 0, 0]],
                                    [[0.5, 0.5, 1.0], [0, 0, 0]])
    np.testing.assert_allclose(batch, [5 / 6, 0.0], atol=1e-15)
    assert average_precision_curve([], []) == 0.0
    with pytest.raises(ValueError, match='same shape'):
        average_precision_curve([1, 1], [1])


def test_check_tiou_thresholds():
    np.testing.assert_array_equal(check_tiou_thresholds(0.5), [0.5])
    for bad in ([], [0.0, 0.5], [1.2], [np.nan]):
        with pytest.raises(ValueError, match='tiou_thresholds'):
            check_tiou_thresholds(bad)
    assert format_tiou(0.5) == '0.50'
    assert format_tiou(0.125) == '0.125'


# ---------------------------------------------------------------------------
# detection_ap: hand-computed single-class cases
# ---------------------------------------------------------------------------
def test_perfect_detection():
    ap = detection_ap([0], [[10, 20]], [0], [[10, 20]], [0.9],
                      (0.1, 0.5, 0.9, 1.0))
    np.testing.assert_array_equal(ap, [1, 1, 1, 1])


def test_duplicate_is_false_positive():
    # GT A=[10,20], B=[30,40]. p1 hits A, p2 duplicates A (FP), p3 hits B.
    # tp [1,0,1]: precision [1, .5, 2/3], recall [.5, .5, 1]
    # AP = .5 * 1 + .5 * 2/3 = 5/6   (would be 1 if p2 counted as TP)
    ap = detection_ap([0, 0], [[10, 20], [30, 40]], [0, 0, 0],
                      [[10, 20], [10, 20], [30, 40]], [0.9, 0.8, 0.7], [0.5])
    np.testing.assert_allclose(ap, [5 / 6], rtol=0, atol=1e-15)


def test_match_depends_on_threshold():
    # [0,5] vs GT [0,10]: inter 5, union 10 -> tIoU 0.5 exactly.
    # Matched at 0.3 and at 0.5 (>=), not at 0.7.
    ap = detection_ap([0], [[0, 10]], [0], [[0, 5]], [1.0], (0.3, 0.5, 0.7))
    np.testing.assert_array_equal(ap, [1, 1, 0])


def test_greedy_match_takes_highest_tiou():
    # GT A=[0,10], B=[4,14] in one video.
    # p1=[3,12] (score .9): tIoU A = 7/12 = .583, B = 8/11 = .727 -> takes B
    # p2=[5,15] (score .8): tIoU A = 5/15 = .333, B = 9/11 = .818 (taken)
    # thr .5: p2 only has A at .333 < .5 -> FP; tp [1,0] of 2 GT
    #         -> precision [1, .5], recall [.5, .5] -> AP = .5
    #         (a "first GT above threshold" rule would give p1->A, p2->B,
    #          AP = 1)
    # thr .3: p2 -> A (.333 >= .3) -> AP 1
    ap = detection_ap([0, 0], [[0, 10], [4, 14]], [0, 0], [[3, 12], [5, 15]],
                      [0.9, 0.8], (0.3, 0.5))
    np.testing.assert_allclose(ap, [1.0, 0.5], rtol=0, atol=1e-15)


def test_match_only_within_same_video():
    # Same segment but in another video: FP. 1 GT, tp [0] -> AP 0.
    ap = detection_ap([0], [[0, 10]], [1], [[0, 10]], [1.0], [0.5])
    np.testing.assert_array_equal(ap, [0])


def test_tied_scores_follow_reference_argsort():
    # GT [0,10]. Two predictions with the same score: FP [50,60], TP [0,10].
    # The reference ranks with scores.argsort()[::-1]: for 2 equal values
    # argsort gives [0, 1], reversed [1, 0] -> the one listed LATER first.
    # (This test used to assert input order, i.e. the opposite; that was
    # not what the reference does.)
    # FP listed first -> TP processed first: tp [1,0] -> P [1,.5], R [1,1]
    #                    -> AP = 1 * 1 = 1
    # TP listed first -> FP processed first: tp [0,1] -> P [0,.5], R [0,1]
    #                    envelope [.5,.5] -> AP = 1 * .5 = .5
    assert np.argsort(np.array([0.5, 0.5]))[::-1].tolist() == [1, 0]
    gt = ([0], [[0, 10]])
    fp_first = detection_ap(*gt, [0, 0], [[50, 60], [0, 10]], [0.5, 0.5],
                            [0.5])
    tp_first = detection_ap(*gt, [0, 0], [[0, 10], [50, 60]], [0.5, 0.5],
                            [0.5])
    np.testing.assert_array_equal(fp_first, [1.0])
    np.testing.assert_array_equal(tp_first, [0.5])


def test_no_gt_is_nan_and_no_prediction_is_zero():
    ap = detection_ap([], np.zeros((0, 2)), [0], [[0, 1]], [1.0], (0.3, 0.5))
    assert np.isnan(ap).all() and ap.shape == (2, )
    ap = detection_ap([0], [[0, 1]], [], np.zeros((0, 2)), [], (0.3, 0.5))
    np.testing.assert_array_equal(ap, [0, 0])


def test_detection_ap_validates_inputs():
    with pytest.raises(ValueError, match=r'pred_scores must have shape'):
        detection_ap([0], [[0, 1]], [0, 0], [[0, 1], [1, 2]], [1.0], [0.5])
    with pytest.raises(ValueError, match='pred_scores contains NaN'):
        detection_ap([0], [[0, 1]], [0], [[0, 1]], [np.nan], [0.5])


# ---------------------------------------------------------------------------
# evaluate_detections: hand-computed multi-class cases
# ---------------------------------------------------------------------------
def test_class_without_gt_excluded_from_map():
    # 3 classes; class 2 has predictions but no GT anywhere -> NaN, excluded.
    # class 0: perfect -> AP 1; class 1: its only prediction is a miss -> 0.
    gt = {'v1': det([[0, 10], [20, 30]], [0, 1])}
    pred = {
        'v1': det([[0, 10], [50, 60], [20, 30]], [0, 1, 2], [0.9, 0.8, 0.7])
    }
    res = evaluate_detections(gt, pred, 3, (0.5, ))
    assert res['ap'].shape == (1, 3)
    np.testing.assert_array_equal(res['ap'][0, :2], [1, 0])
    assert np.isnan(res['ap'][0, 2])
    assert res['classes_without_gt'] == [2]
    np.testing.assert_array_equal(res['mAP'], [0.5])  # (1 + 0) / 2
    assert res['average_mAP'] == 0.5
    np.testing.assert_array_equal(res['num_gt'], [1, 1, 0])


def test_video_without_predictions_counts_its_gt():
    # Class 0 has GT in v1 and v2; only v1 is predicted (perfectly).
    # tp [1] of 2 GT: precision [1], recall [.5] -> AP = .5
    gt = {'v1': det([[0, 10]], [0]), 'v2': det([[0, 10]], [0])}
    pred = {'v1': det([[0, 10]], [0], [1.0])}
    res = evaluate_detections(gt, pred, 1, (0.5, 0.7))
    np.testing.assert_allclose(res['mAP'], [0.5, 0.5], atol=1e-15)


def test_empty_prediction_set():
    gt = {'v1': det([[0, 10]], [0]), 'v2': det([], [])}
    res = evaluate_detections(gt, {}, 2, (0.5, ))
    np.testing.assert_array_equal(res['ap'][0, 0], 0)
    assert np.isnan(res['ap'][0, 1])
    np.testing.assert_array_equal(res['mAP'], [0])
    # Videos present with empty arrays behave the same.
    res = evaluate_detections(gt, {'v1': det([], [], [])}, 2, (0.5, ))
    np.testing.assert_array_equal(res['mAP'], [0])


def test_no_gt_at_all_gives_nan_map():
    res = evaluate_detections({'v1': det([], [])},
                              {'v1': det([[0, 1]], [0], [1])}, 2, (0.5, ))
    assert np.isnan(res['mAP']).all() and np.isnan(res['average_mAP'])
    assert res['classes_without_gt'] == [0, 1]


def test_multi_class_hand_case_and_table():
    # class 0: GT v1 [0,10], v2 [5,15]. Predictions by score:
    #   v1 [0,10] .9 (tIoU 1), v2 [5,10] .85 (tIoU .5), v1 [0,10] .8 (dup)
    #   thr .5: tp [1,1,0] -> P [1,1,2/3], R [.5,1,1] -> AP 1
    #   thr .9: tp [1,0,0] -> P [1,.5,1/3], R [.5,.5,.5] -> AP .5
    # class 1: GT v1 [20,30], prediction [22,30] tIoU .8 -> AP [1, 0]
    # mAP [1, .25], average .625
    gt = {'v1': det([[0, 10], [20, 30]], [0, 1]), 'v2': det([[5, 15]], [0])}
    pred = {
        'v1': det([[0, 10], [0, 10], [22, 30]], [0, 0, 1], [0.9, 0.8, 0.7]),
        'v2': det([[5, 10]], [0], [0.85])
    }
    res = evaluate_detections(gt, pred, 2, (0.5, 0.9))
    np.testing.assert_allclose(res['ap'], [[1, 1], [0.5, 0]], atol=1e-15)
    np.testing.assert_allclose(res['mAP'], [1, 0.25], atol=1e-15)
    assert res['average_mAP'] == pytest.approx(0.625, abs=1e-15)

    text = format_detection_table(res, ['jump', 'run'])
    assert '0.50' in text and '0.90' in text
    assert '100.00' in text and '25.00' in text and '62.50' in text
    assert 'jump' in text and 'run' in text


def test_accepts_torch_tensors():
    torch = pytest.importorskip('torch')
    gt = {
        'v1':
        dict(segments=torch.tensor([[0., 10.]]), labels=torch.tensor([0]))
    }
    pred = {
        'v1':
        dict(
            segments=torch.tensor([[0., 5.]]),
            labels=torch.tensor([0]),
            scores=torch.tensor([1.]))
    }
    res = evaluate_detections(gt, pred, 1, (0.5, 0.7))
    np.testing.assert_array_equal(res['mAP'], [1, 0])


# ---------------------------------------------------------------------------
# Error cases
# ---------------------------------------------------------------------------
def test_unknown_videos_error_names_them():
    gt = {'v1': det([[0, 1]], [0])}
    pred = {f'x{i}': det([[0, 1]], [0], [1]) for i in range(7)}
    with pytest.raises(ValueError) as err:
        evaluate_detections(gt, pred, 1)
    msg = str(err.value)
    assert '7 video(s)' in msg and "'x0'" in msg and "'x4'" in msg
    assert "'x5'" not in msg and '2 more' in msg


def test_bad_labels_name_the_video():
    gt = {'v1': det([[0, 1]], [0])}
    with pytest.raises(ValueError, match=r"predictions\['v1'\].*index 3"):
        evaluate_detections(gt, {'v1': det([[0, 1]], [3], [1])}, 2)
    with pytest.raises(ValueError, match=r"gt\['v1'\].*index -1"):
        evaluate_detections({'v1': det([[0, 1]], [-1])}, {}, 2)
    with pytest.raises(ValueError, match='integer class indices'):
        evaluate_detections(
            gt, {'v1': dict(segments=[[0, 1]], labels=[0.5], scores=[1])}, 2)


def test_malformed_entries():
    gt = {'v1': det([[0, 1]], [0])}
    with pytest.raises(ValueError, match=r"'v1'.*missing field.*scores"):
        evaluate_detections(gt, {'v1': det([[0, 1]], [0])}, 1)
    with pytest.raises(ValueError, match=r"'v1'.*labels must have shape"):
        evaluate_detections(gt, {'v1': det([[0, 1]], [0, 0], [1])}, 1)
    with pytest.raises(ValueError, match=r"'v1'.*end < start"):
        evaluate_detections(gt, {'v1': det([[2, 1]], [0], [1])}, 1)
    with pytest.raises(ValueError, match='num_classes'):
        evaluate_detections(gt, {}, 0)
    with pytest.raises(TypeError, match='predictions must be a dict'):
        evaluate_detections(gt, [], 1)


# ---------------------------------------------------------------------------
# Cross-checks on random data
# ---------------------------------------------------------------------------
def reference_segment_iou(target, candidates):
    """tIoU of one segment with ``(N, 2)`` candidates, in the formula and
    operation order of ActivityNet's ``segment_iou`` (0/0 -> 0, our
    documented deviation; the random cases below never hit it)."""
    tt1 = np.maximum(target[0], candidates[:, 0])
    tt2 = np.minimum(target[1], candidates[:, 1])
    inter = (tt2 - tt1).clip(0)
    union = (candidates[:, 1] - candidates[:, 0]) + (target[1] -
                                                     target[0]) - inter
    with np.errstate(invalid='ignore'):
        tiou = inter.astype(float) / union
    return np.where(union > 0, tiou, 0.0)


def reference_interpolated_ap(prec, rec):
    """ActivityNet's ``interpolated_prec_rec``, same structure."""
    mprec = np.hstack([[0], prec, [0]])
    mrec = np.hstack([[0], rec, [1]])
    for i in range(len(mprec) - 1)[::-1]:
        mprec[i] = max(mprec[i], mprec[i + 1])
    idx = np.where(mrec[1::] != mrec[0:-1])[0] + 1
    return np.sum((mrec[idx] - mrec[idx - 1]) * mprec[idx])


def naive_class_ap(gt, pred, cls, thresholds):
    """Independent reference for one class, following the code structure of
    ActivityNet's ``compute_average_precision_detection`` (pandas-free):
    ``score.argsort()[::-1]`` ranking, per-prediction loop, GT visited in
    ``tiou.argsort()[::-1]`` order, a lock per threshold and GT."""
    thresholds = np.asarray(thresholds, dtype=float)
    # ground_truth rows of the class in input order; 'index' = row number.
    gt_rows = [(v, s) for v, d in gt.items()
               for s, lab in zip(d['segments'], d['labels']) if lab == cls]
    npos = float(len(gt_rows))
    if npos == 0:
        return np.full(len(thresholds), np.nan)
    gt_by_video = {}
    for index, (v, s) in enumerate(gt_rows):
        gt_by_video.setdefault(v, []).append((index, s))
    # prediction rows of the class in input order
    p_vid = [v for v, d in pred.items() for lab in d['labels'] if lab == cls]
    p_seg = np.array([s for v, d in pred.items()
                      for s, lab in zip(d['segments'], d['labels'])
                      if lab == cls]).reshape(-1, 2)
    p_score = np.array([sc for v, d in pred.items()
                        for sc, lab in zip(d['scores'], d['labels'])
                        if lab == cls], dtype=float)
    if len(p_score) == 0:
        return np.zeros(len(thresholds))
    lock_gt = np.ones((len(thresholds), len(gt_rows))) * -1
    sort_idx = p_score.argsort()[::-1]
    tp = np.zeros((len(thresholds), len(sort_idx)))
    fp = np.zeros((len(thresholds), len(sort_idx)))
    for idx, src in enumerate(sort_idx):
        if p_vid[src] not in gt_by_video:
            fp[:, idx] = 1
            continue
        this_gt = gt_by_video[p_vid[src]]
        tiou_arr = reference_segment_iou(
            p_seg[src], np.array([s for _, s in this_gt]).reshape(-1, 2))
        tiou_sorted_idx = tiou_arr.argsort()[::-1]
        for tidx, tiou_thr in enumerate(thresholds):
            for jdx in tiou_sorted_idx:
                if tiou_arr[jdx] < tiou_thr:
                    fp[tidx, idx] = 1
                    break
                if lock_gt[tidx, this_gt[jdx][0]] >= 0:
                    continue
                tp[tidx, idx] = 1
                lock_gt[tidx, this_gt[jdx][0]] = idx
                break
            if fp[tidx, idx] == 0 and tp[tidx, idx] == 0:
                fp[tidx, idx] = 1
    tp_cumsum = np.cumsum(tp, axis=1).astype(float)
    fp_cumsum = np.cumsum(fp, axis=1).astype(float)
    recall = tp_cumsum / npos
    precision = tp_cumsum / (tp_cumsum + fp_cumsum)
    return np.array([
        reference_interpolated_ap(precision[t], recall[t])
        for t in range(len(thresholds))
    ])


def random_case(seed,
                num_videos=12,
                num_classes=4,
                num_pred=400,
                quantize=False):
    """GT plus jittered copies and random segments as predictions.

    With ``quantize`` the times snap to 0.5 s and scores to 0.05, which
    creates many tied scores and tied tIoU values.
    """
    rng = np.random.default_rng(seed)
    gt, pred = {}, {}
    pred_video = rng.integers(0, num_videos, num_pred)
    for v in range(num_videos):
        n_gt = int(rng.integers(0, 6))
        start = rng.uniform(0, 100, n_gt)
        seg = np.stack([start, start + rng.uniform(1, 10, n_gt)], 1)
        lab = rng.integers(0, num_classes - 1, n_gt)  # last class: no GT
        n_p = int((pred_video == v).sum())
        src = rng.integers(0, max(n_gt, 1), n_p)
        if n_gt:
            p_seg = seg[src] + rng.normal(0, 1.5, (n_p, 2))
            p_lab = np.where(
                rng.random(n_p) < 0.7, lab[src],
                rng.integers(0, num_classes, n_p))
        else:
            p_seg = rng.uniform(0, 100, (n_p, 2))
            p_lab = rng.integers(0, num_classes, n_p)
        p_seg.sort(axis=1)
        scores = rng.random(n_p)
        if quantize:
            seg, p_seg = np.round(seg * 2) / 2, np.round(p_seg * 2) / 2
            scores = np.round(scores * 20) / 20
        gt[f'v{v}'] = det(seg, lab)
        if v % 5 != 4:  # some GT videos get no predictions at all
            pred[f'v{v}'] = det(p_seg, p_lab, scores)
    return gt, pred, num_classes


@pytest.mark.parametrize('seed,quantize', [(0, False), (1, False), (2, True),
                                           (3, True), (4, False)])
def test_matches_naive_loop(seed, quantize):
    thresholds = (0.1, 0.3, 0.5, 0.7, 0.9)
    gt, pred, num_classes = random_case(seed, quantize=quantize)
    res = evaluate_detections(gt, pred, num_classes, thresholds)
    expected = np.stack(
        [naive_class_ap(gt, pred, c, thresholds) for c in range(num_classes)],
        axis=1)
    # Bit-identical, ties included (same argsort calls, same sums).
    np.testing.assert_array_equal(res['ap'], expected)
    assert np.isnan(res['ap'][:, -1]).all()  # the class with no GT
    # Non-trivial case: APs spread between 0 and 1.
    assert 0.05 < np.nanmean(res['ap']) < 0.95

    # The single-class entry point agrees with the joint computation.
    names = list(gt)
    for c in range(num_classes - 1):
        g_vid = np.concatenate([
            np.full((gt[v]['labels'] == c).sum(), i)
            for i, v in enumerate(names)
        ])
        g_seg = np.concatenate(
            [gt[v]['segments'][gt[v]['labels'] == c] for v in names])
        p_vid = np.concatenate([
            np.full((pred[v]['labels'] == c).sum(), names.index(v))
            for v in pred
        ])
        p_seg = np.concatenate(
            [pred[v]['segments'][pred[v]['labels'] == c] for v in pred])
        p_sc = np.concatenate(
            [pred[v]['scores'][pred[v]['labels'] == c] for v in pred])
        ap = detection_ap(g_vid, g_seg, p_vid, p_seg, p_sc, thresholds)
        np.testing.assert_allclose(ap, expected[:, c], rtol=0, atol=1e-12)


@pytest.mark.parametrize('seed', [10, 11, 12])
def test_matches_mmaction_where_conventions_agree(seed):
    """Compare with ``mmaction.evaluation.functional.
    average_precision_at_temporal_iou``.

    Its conventions differ on corners, which this data avoids:

    * tied scores: it sorts with ``argsort()[::-1]`` (ties end up in reverse
      order), we keep input order -> continuous random scores, no ties;
    * tIoU ties between GTs: it takes the GT listed *last*, we the first ->
      continuous segments, no ties;
    * it computes tIoU and AP in float32 -> compare to 1e-6 and make sure no
      tIoU lies within 1e-5 of a threshold (float32 could flip the match);
    * a class without GT divides by zero there (we return NaN), and a video
      key with an empty GT array raises -> only classes/videos with GT are
      passed to it.
    """
    from mmaction.evaluation.functional import \
        average_precision_at_temporal_iou
    thresholds = np.array([0.3, 0.5, 0.7])
    gt, pred, num_classes = random_case(seed)
    assert all(
        len(np.unique(d['scores'])) == len(d['scores']) for d in pred.values())
    for v, d in pred.items():
        iou = temporal_iou(d['segments'], gt[v]['segments'])
        assert np.abs(iou[..., None] - thresholds).min(initial=1) > 1e-5

    res = evaluate_detections(gt, pred, num_classes, thresholds)
    for c in range(num_classes):
        ref_gt = {
            v: d['segments'][d['labels'] == c]
            for v, d in gt.items() if (d['labels'] == c).any()
        }
        if not ref_gt:
            assert np.isnan(res['ap'][:, c]).all()
            continue
        rows = [[v, c, s[0], s[1], sc] for v, d in pred.items()
                for s, lab, sc in zip(d['segments'], d['labels'], d['scores'])
                if lab == c]
        ref = average_precision_at_temporal_iou(ref_gt,
                                                np.array(rows, dtype=object),
                                                thresholds)
        np.testing.assert_allclose(res['ap'][:, c], ref, rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------
# Ties: the reference's argsort()[::-1] rules
# ---------------------------------------------------------------------------
THUMOS_GT = '../shared/data/gt_thumos14.json'


def test_argsort_tie_facts_on_this_machine():
    """What ``np.argsort(x)[::-1]`` gives for exactly equal values (the rule
    the module docstring documents): with 2 or 3 elements equal values come
    out in input order, so reversed the one listed LATER comes first; longer
    arrays are not stable-reversed in general (numpy's default sort is not
    stable; on SIMD builds the order varies already at 4 elements)."""
    import itertools
    for n in (2, 3):
        for pattern in itertools.product([0.25, 0.5], repeat=n):
            x = np.array(pattern)
            np.testing.assert_array_equal(
                np.argsort(x)[::-1],
                np.argsort(x, kind='stable')[::-1])
    rng = np.random.default_rng(0)
    differs = sum(
        not np.array_equal(np.argsort(x)[::-1],
                           np.argsort(x, kind='stable')[::-1])
        for x in (rng.integers(0, 3, 64) / 4.0 for _ in range(50)))
    assert differs > 0  # why the metric calls argsort itself


def test_gt_tie_goes_to_the_reference_choice():
    # GT A=[0,10], B=[20,30]. p1=[5,25] (.9): tIoU A = 5/25 = .2 and
    # B = 5/25 = .2, exactly equal. argsort([.2,.2])[::-1] = [1, 0] -> the
    # reference takes B (listed later). p2=[0,12] (.8): tIoU A = 10/12.
    # thr .1: p1 -> B, p2 -> A: tp [1,1] of 2 -> AP 1
    #         (taking A for p1 would leave p2 a FP: tp [1,0] -> AP .5)
    # thr .5: p1 FP (.2), p2 -> A: tp [0,1] -> P [0,.5], R [0,.5];
    #         envelope [.5,.5] -> AP = .5 * .5 = .25
    gt = ([0, 0], [[0, 10], [20, 30]])
    pred = ([0, 0], [[5, 25], [0, 12]], [0.9, 0.8])
    iou = temporal_iou([[5, 25]], gt[1])
    assert iou[0, 0] == iou[0, 1] == 0.2
    ap = detection_ap(*gt, *pred, (0.1, 0.5))
    np.testing.assert_array_equal(ap, [1.0, 0.25])
    res = evaluate_detections({'v': det(gt[1], [0, 0])},
                              {'v': det(pred[1], [0, 0], pred[2])}, 1,
                              (0.1, 0.5))
    np.testing.assert_array_equal(res['ap'][:, 0], [1.0, 0.25])
    # The same GT listed in the other order: the tie now goes to [0,10]
    # (listed later), p2 has nothing left -> tp [1,0] -> AP .5 at 0.1.
    ap = detection_ap([0, 0], [[20, 30], [0, 10]], *pred, (0.1, ))
    np.testing.assert_array_equal(ap, [0.5])


def _load_thumos_gt():
    from backtal_mmaction.evaluation.functional.detection_map import \
        load_activitynet_gt
    if not osp.isfile(THUMOS_GT):
        pytest.skip(f'{THUMOS_GT} not available')
    return load_activitynet_gt(THUMOS_GT, subset='test')


def test_real_thumos14_highjump_gt_tie():
    """video_test_0000887, HighJump: the prediction [152.069, 193.136] s has
    tIoU 0.14853776 (float64, exactly equal) with GT #4 [157.4, 163.5] and
    GT #8 [182.1, 188.2] of the video's 12 HighJump instances. The reference
    takes #8 (argsort()[::-1] = [8, 4, ...] with numpy 2.4 on AVX-512, and
    with numpy's insertion sort for <= 16 elements). A second prediction, an
    exact copy of #4, is then a TP too: tp [1,1] of 12 GT -> AP@0.1 = 2/12.
    The old rule (first listed: #4) made it a duplicate: AP@0.1 = 1/12.
    The tie order of 12 elements is up to the numpy build, so the expected
    value follows what argsort does here (the metric calls the same)."""
    gt_all, names = _load_thumos_gt()
    c = names.index('HighJump')
    video = 'video_test_0000887'
    gt = {video: gt_all[video]}
    seg = gt[video]['segments'][gt[video]['labels'] == c]
    assert len(seg) == 12
    np.testing.assert_array_equal(seg[[4, 8]],
                                  [[157.4, 163.5], [182.1, 188.2]])
    iou = temporal_iou([[152.069, 193.136]], seg)[0]
    assert iou[4] == iou[8] and round(iou[4], 4) == 0.1485
    first = np.argsort(iou)[::-1][0]  # the reference's pick
    assert first in (4, 8)
    expected = 2 / 12 if first == 8 else 1 / 12
    pred = {video: det([[152.069, 193.136], [157.4, 163.5]], [c, c],
                       [0.9, 0.8])}
    res = evaluate_detections(gt, pred, len(names), (0.1, ))
    assert res['ap'][0, c] == expected
    assert naive_class_ap(gt, pred, c, (0.1, ))[0] == expected


@pytest.mark.parametrize('seed', [20, 21, 22])
def test_matches_reference_loop_with_many_ties(seed):
    """Coarse grid (1 s) and 5 score levels: many tied scores and many
    exactly tied tIoU values between GT of one video."""
    rng = np.random.default_rng(seed)
    gt, pred = {}, {}
    for v in range(8):
        n_gt = int(rng.integers(3, 12))
        start = rng.integers(0, 40, n_gt).astype(float)
        seg = np.stack([start, start + 2 * rng.integers(1, 3, n_gt)], 1)
        lab = rng.integers(0, 2, n_gt)
        n_p = 60
        p_start = rng.integers(0, 44, n_p).astype(float)
        p_seg = np.stack([p_start, p_start + rng.integers(1, 9, n_p)], 1)
        gt[f'v{v}'] = det(seg, lab)
        pred[f'v{v}'] = det(p_seg, rng.integers(0, 2, n_p),
                            rng.integers(1, 6, n_p) / 5.0)
    thresholds = (0.1, 0.3, 0.5, 0.7)
    # The case does exercise GT ties: count predictions whose best tIoU
    # (>= 0.1) is shared by two GT of their video and class.
    n_tied = 0
    for v in gt:
        for c in (0, 1):
            g = gt[v]['segments'][gt[v]['labels'] == c]
            p = pred[v]['segments'][pred[v]['labels'] == c]
            if len(g) and len(p):
                iou = temporal_iou(p, g)
                top = iou.max(axis=1, keepdims=True)
                n_tied += int((((iou == top) & (top >= 0.1)).sum(1) > 1).sum())
    assert n_tied >= 5
    res = evaluate_detections(gt, pred, 2, thresholds)
    expected = np.stack([naive_class_ap(gt, pred, c, thresholds)
                         for c in (0, 1)], axis=1)
    np.testing.assert_array_equal(res['ap'], expected)


def test_matches_reference_loop_on_real_thumos14_gt():
    """Real THUMOS14 test GT as predictions, perturbed on a 0.1 s grid, with
    scores on 20 levels (many ties), some labels swapped and some
    duplicates: equal to the reference loop, bit for bit."""
    gt, names = _load_thumos_gt()
    rng = np.random.default_rng(5)
    pred = {}
    for v, d in gt.items():
        seg = np.asarray(d['segments'])
        lab = np.asarray(d['labels'])
        if len(seg) == 0:
            continue
        dup = rng.random(len(seg)) < 0.3
        seg = np.concatenate([seg, seg[dup]])
        lab = np.concatenate([lab, lab[dup]])
        noisy = np.round((seg + rng.normal(0, 0.8, seg.shape)) * 10) / 10
        noisy.sort(axis=1)
        swap = rng.random(len(lab)) < 0.1
        lab = np.where(swap, rng.integers(0, len(names), len(lab)), lab)
        pred[v] = det(noisy, lab, rng.integers(1, 21, len(lab)) / 20.0)
    thresholds = (0.1, 0.3, 0.5, 0.7)
    res = evaluate_detections(gt, pred, len(names), thresholds)
    expected = np.stack([
        naive_class_ap(gt, pred, c, thresholds) for c in range(len(names))
    ], axis=1)
    np.testing.assert_array_equal(res['ap'], expected)
    assert 0.2 < res['average_mAP'] < 0.9


@pytest.mark.parametrize('seed', [30, 31])
def test_false_positive_analysis_matches_like_the_metric_on_ties(seed):
    """classify_detections (diagnose_errors.py) ranks tied scores as the
    metric does, so its TP flags rebuild the metric's mAP exactly."""
    from backtal_mmaction.evaluation.analysis.false_positives import (
        classify_detections, map_from_flags)
    gt, pred, num_classes = random_case(seed, quantize=True)
    for thr in (0.3, 0.5):
        det_ = classify_detections(gt, pred, num_classes, thr)
        assert (np.diff(det_['scores']) <= 0).all()
        assert map_from_flags(det_['error'] < 0, det_['labels'],
                              det_['num_gt']) == evaluate_detections(
                                  gt, pred, num_classes, (thr, ))['mAP'][0]
