"""Tests of the vectorized ActivityNet detection mAP.

Expected values are worked out by hand in the comments, then the whole
pipeline is cross-checked against a naive per-prediction loop written here and
against MMAction2's ``average_precision_at_temporal_iou``.
"""
import numpy as np
import pytest

from backtal_mmaction.evaluation.functional.detection_map import (
    average_precision_curve, check_tiou_thresholds, detection_ap,
    evaluate_detections, format_detection_table, format_tiou, temporal_iou)


def det(segments, labels, scores=None):
    """Detection-dict entry from plain lists."""
    out = dict(
        segments=np.asarray(segments, dtype=float).reshape(-1, 2),
        labels=np.asarray(labels, dtype=np.int64).reshape(-1))
    if scores is not None:
        out['scores'] = np.asarray(scores, dtype=float).reshape(-1)
    return out


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


def test_tied_scores_keep_input_order():
    # GT [0,10]. Two predictions with the same score: FP [50,60], TP [0,10].
    # FP first: tp [0,1] -> precision [0, .5], recall [0, 1]
    #           envelope [.5, .5] -> AP = 1 * .5 = .5
    # TP first: tp [1,0] -> AP = 1
    gt = ([0], [[0, 10]])
    fp_first = detection_ap(*gt, [0, 0], [[50, 60], [0, 10]], [0.5, 0.5],
                            [0.5])
    tp_first = detection_ap(*gt, [0, 0], [[0, 10], [50, 60]], [0.5, 0.5],
                            [0.5])
    np.testing.assert_allclose(fp_first, [0.5], atol=1e-15)
    np.testing.assert_allclose(tp_first, [1.0], atol=1e-15)


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
def naive_class_ap(gt, pred, cls, thresholds):
    """ActivityNet's per-prediction loop for one class (reference)."""
    gts = {
        v: [s for s, lab in zip(d['segments'], d['labels']) if lab == cls]
        for v, d in gt.items()
    }
    num_gt = sum(len(x) for x in gts.values())
    rows = [(sc, v, s) for v, d in pred.items()
            for s, lab, sc in zip(d['segments'], d['labels'], d['scores'])
            if lab == cls]
    rows = sorted(rows, key=lambda r: -r[0])  # Python sort is stable
    aps = []
    for thr in thresholds:
        used = {v: set() for v in gts}
        tp = []
        for _, v, (ps, pe) in rows:
            ious = []
            for gs, ge in gts[v]:
                inter = max(0.0, min(pe, ge) - max(ps, gs))
                union = (pe - ps) + (ge - gs) - inter
                ious.append(inter / union if union > 0 else 0.0)
            hit = False
            # sorted() is stable: equal tIoU -> GT listed first.
            for j in sorted(range(len(ious)), key=lambda j: -ious[j]):
                if ious[j] < thr:
                    break
                if j in used[v]:
                    continue
                used[v].add(j)
                hit = True
                break
            tp.append(hit)
        if num_gt == 0:
            aps.append(np.nan)
            continue
        prec, rec, n_tp = [], [], 0
        for i, t in enumerate(tp):
            n_tp += t
            prec.append(n_tp / (i + 1))
            rec.append(n_tp / num_gt)
        mprec, mrec = [0.0] + prec + [0.0], [0.0] + rec + [1.0]
        for i in range(len(mprec) - 2, -1, -1):
            mprec[i] = max(mprec[i], mprec[i + 1])
        aps.append(
            sum((mrec[i] - mrec[i - 1]) * mprec[i]
                for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1]))
    return np.array(aps)


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
    np.testing.assert_allclose(res['ap'], expected, rtol=0, atol=1e-12)
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
