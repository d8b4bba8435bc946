"""Reference formulation of the ActivityNet detection evaluator.

:func:`naive_evaluate_detections` is ActivityNet's
``compute_average_precision_detection`` loop, one prediction at a time,
with the reference's own ``np.argsort`` orders (ties included), written
independently of the vectorized
:func:`backtal_mmaction.evaluation.functional.evaluate_detections`.
:func:`build_thumos_like_case` is a seeded THUMOS14-sized problem to compare
them on. Used by ``tests/evaluation`` and timed by
``tools/analysis/benchmark_metric.py``.
"""
from typing import Dict, Sequence, Tuple

import numpy as np

from backtal_mmaction.evaluation.functional import DEFAULT_TIOU_THRESHOLDS

__all__ = ['build_thumos_like_case', 'naive_evaluate_detections']


def build_thumos_like_case(num_videos: int = 210,
                           gt_per_video: float = 15.0,
                           num_classes: int = 20,
                           preds_per_video: int = 200,
                           seed: int = 0) -> Tuple[dict, dict, int]:
    """A seeded synthetic detection problem shaped like THUMOS14 test.

    Each video (60-400 s) has one or two action classes and
    ``Poisson(gt_per_video)`` (at least 1) GT instances of 1-15 s. 60% of the
    predictions are jittered copies of GT (so they match at various tIoU),
    the rest are random segments, 80% of them with one of the video's classes.

    Returns:
        tuple: ``(gt, predictions, num_classes)`` in the detection-dict format
        of :func:`evaluate_detections`.
    """
    rng = np.random.default_rng(seed)
    gt, predictions = {}, {}
    for v in range(num_videos):
        duration = rng.uniform(60, 400)
        classes = rng.choice(
            num_classes, size=rng.integers(1, 3), replace=False)
        n_gt = max(1, rng.poisson(gt_per_video))
        length = rng.uniform(1, 15, n_gt)
        start = rng.uniform(0, duration - length)
        gt_seg = np.stack([start, start + length], axis=1)
        gt_lab = rng.choice(classes, n_gt)

        n_jit = int(0.6 * preds_per_video)
        src = rng.integers(0, n_gt, n_jit)
        noise = rng.normal(0, 0.3, (n_jit, 2)) * length[src, None]
        jit = gt_seg[src] + noise
        jit.sort(axis=1)
        jit_lab = np.where(
            rng.random(n_jit) < 0.9, gt_lab[src],
            rng.integers(0, num_classes, n_jit))

        n_rand = preds_per_video - n_jit
        r_len = rng.uniform(1, 20, n_rand)
        r_start = rng.uniform(0, duration, n_rand)
        rnd = np.stack([r_start, r_start + r_len], axis=1)
        rnd_lab = np.where(
            rng.random(n_rand) < 0.8, rng.choice(classes, n_rand),
            rng.integers(0, num_classes, n_rand))

        name = f'video_test_{v:07d}'
        gt[name] = dict(segments=gt_seg, labels=gt_lab)
        predictions[name] = dict(
            segments=np.concatenate([jit, rnd]),
            labels=np.concatenate([jit_lab, rnd_lab]),
            scores=rng.random(preds_per_video))
    return gt, predictions, num_classes


def _naive_ap(tp: Sequence[int], num_gt: int) -> float:
    """Interpolated AP with explicit Python loops."""
    prec, rec, hits = [], [], 0
    for i, t in enumerate(tp):
        hits += t
        prec.append(hits / (i + 1))
        rec.append(hits / num_gt)
    mprec, mrec = [0.0] + prec + [0.0], [0.0] + rec + [1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    return sum((mrec[i] - mrec[i - 1]) * mprec[i] for i in range(1, len(mrec))
               if mrec[i] != mrec[i - 1])


def naive_evaluate_detections(
        gt: Dict[str, dict],
        predictions: Dict[str, dict],
        num_classes: int,
        tiou_thresholds=DEFAULT_TIOU_THRESHOLDS) -> Dict[str, np.ndarray]:
    """Reference: ActivityNet's loop, one prediction at a time.

    Returns:
        dict: ``ap`` ``(K, C)`` (NaN for classes without GT) and ``mAP``
        ``(K, )``.
    """
    thr = list(tiou_thresholds)
    ap = np.full((len(thr), num_classes), np.nan)
    for c in range(num_classes):
        gts = {
            v: [
                tuple(s) for s, lab in zip(
                    np.asarray(d['segments']), np.asarray(d['labels']))
                if lab == c
            ]
            for v, d in gt.items()
        }
        num_gt = sum(len(x) for x in gts.values())
        if num_gt == 0:
            continue
        preds = [(float(sc), v, tuple(s)) for v, d in predictions.items()
                 for s, lab, sc in zip(
                     np.asarray(d['segments']), np.asarray(d['labels']),
                     np.asarray(d['scores'])) if lab == c]
        # the reference's own orders, ties included: scores by
        # ``argsort()[::-1]`` over the class's predictions in input order,
        # GT by ``argsort(tiou)[::-1]`` (see evaluation/functional/matching)
        order = np.argsort(np.array([p[0] for p in preds]))[::-1]
        preds = [preds[i] for i in order]
        for k, t in enumerate(thr):
            locked = {v: [False] * len(x) for v, x in gts.items()}
            tp = []
            for _, v, (ps, pe) in preds:
                ious = []
                for gs, ge in gts[v]:
                    inter = max(0.0, min(pe, ge) - max(ps, gs))
                    union = (pe - ps) + (ge - gs) - inter
                    ious.append(inter / union if union > 0 else 0.0)
                hit = 0
                for j in np.argsort(np.array(ious))[::-1]:
                    if ious[j] < t:
                        break
                    if locked[v][j]:
                        continue
                    locked[v][j] = True
                    hit = 1
                    break
                tp.append(hit)
            ap[k, c] = _naive_ap(tp, num_gt)
    has_gt = ~np.isnan(ap[0])
    return dict(ap=ap, mAP=ap[:, has_gt].mean(axis=1))
