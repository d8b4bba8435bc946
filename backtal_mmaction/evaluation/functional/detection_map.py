"""Temporal action detection AP / mAP under the ActivityNet protocol.

Everything here is pure NumPy and framework free, so the same code backs the
registered :class:`~backtal_mmaction.evaluation.metrics.TALMetric`, the offline
``tools/analysis/eval_detections.py`` and the benchmark script.

Predictions are ranked and greedily matched to the GT of their video exactly
as ActivityNet's ``compute_average_precision_detection`` (the evaluator of
BackTAL, LACP, HR-Pro and MMAction2) does, ties included: see
:mod:`.matching`. AP is then the area under the interpolated
precision/recall curve (:func:`average_precision_curve`), summed over the
recall change points as the reference does, so AP is bit-identical to it.
Inputs are detection dicts (:mod:`.detections`).
"""
from typing import Dict, Optional

import numpy as np

from .ambiguous import ambiguous_prediction_mask
from .detections import check_segments, check_vector, flatten_against_gt
from .matching import greedy_match, reference_order
from .tiou import (DEFAULT_TIOU_THRESHOLDS, check_tiou_thresholds,
                   tiou_ranges)

# Re-exported for compatibility only: before the split by concept all of the
# evaluation lived in this module, and tools/analysis/postprocess_raw.py and
# tests/tools/test_distributed.py still import the I/O from here.
# New code imports from ``backtal_mmaction.evaluation.functional``.
from .activitynet_io import (  # noqa: F401
    dump_activitynet_results, load_activitynet_gt, load_activitynet_results)
from .ambiguous import load_ambiguous_segments  # noqa: F401
from .tables import format_detection_table, format_tiou  # noqa: F401
from .tiou import TIOU_RANGES, temporal_iou  # noqa: F401

__all__ = ['average_precision_curve', 'detection_ap', 'evaluate_detections']


def average_precision_curve(precision, recall):
    """ActivityNet interpolated average precision.

    The precision envelope is made monotonically non-increasing from the
    right, then integrated over the recall steps. Batched: the last axis is
    the ranked-prediction axis.

    Args:
        precision (array-like): ``(..., P)`` precision after each prediction.
        recall (array-like): ``(..., P)`` recall after each prediction,
            non-decreasing along the last axis.

    Returns:
        float | np.ndarray: AP, a float for 1-D input, else shape ``(...)``.
        ``P = 0`` (no predictions) gives 0.
    """
    prec = np.asarray(precision, dtype=np.float64)
    rec = np.asarray(recall, dtype=np.float64)
    if prec.shape != rec.shape or prec.ndim == 0:
        raise ValueError('precision and recall must be arrays of the same '
                         f'shape, got {prec.shape} and {rec.shape}')
    pad = np.zeros(prec.shape[:-1] + (1, ))
    mprec = np.concatenate([pad, prec, pad], axis=-1)
    mrec = np.concatenate([pad, rec, pad + 1.0], axis=-1)
    # Running max from the right = the interpolated precision envelope
    # (max is exact, so this equals the reference's Python loop).
    mprec = np.flip(np.maximum.accumulate(np.flip(mprec, -1), axis=-1), -1)
    terms = np.diff(mrec, axis=-1) * mprec[..., 1:]
    change = mrec[..., 1:] != mrec[..., :-1]
    # Sum only the recall change points, one np.sum per curve, like the
    # reference: adding the zero steps too would change np.sum's pairwise
    # grouping and so the last bits of the AP.
    flat_t = terms.reshape(-1, terms.shape[-1])
    flat_c = change.reshape(-1, change.shape[-1])
    ap = np.array([np.sum(t[c]) for t, c in zip(flat_t, flat_c)])
    return float(ap[0]) if prec.ndim == 1 else ap.reshape(prec.shape[:-1])


def _ap_from_tp(tp: np.ndarray, num_gt: int) -> np.ndarray:
    """``(K, P)`` ranked TP flags -> ``(K, )`` AP."""
    tp_cum = np.cumsum(tp, axis=-1, dtype=np.float64)
    # tp + fp after the i-th prediction is exactly i + 1.
    precision = tp_cum / np.arange(1, tp.shape[-1] + 1, dtype=np.float64)
    recall = tp_cum / num_gt
    return np.atleast_1d(average_precision_curve(precision, recall))


def detection_ap(gt_video_idx,
                 gt_segments,
                 pred_video_idx,
                 pred_segments,
                 pred_scores,
                 tiou_thresholds=DEFAULT_TIOU_THRESHOLDS) -> np.ndarray:
    """Average precision of ONE class at several tIoU thresholds.

    Args:
        gt_video_idx (array-like): ``(G, )`` int video index of each GT.
        gt_segments (array-like): ``(G, 2)`` GT [start, end] seconds.
        pred_video_idx (array-like): ``(P, )`` int video index of each
            prediction (same indexing as ``gt_video_idx``).
        pred_segments (array-like): ``(P, 2)`` predicted [start, end].
        pred_scores (array-like): ``(P, )`` confidence scores.
        tiou_thresholds (Sequence[float]): ``K`` thresholds in ``(0, 1]``.

    Returns:
        np.ndarray: ``(K, )`` AP in ``[0, 1]``. All NaN when there is no GT
        (the class is then left out of the mAP); 0 when there are GT but no
        predictions.
    """
    thr = check_tiou_thresholds(tiou_thresholds)
    gt_seg = check_segments(gt_segments, 'gt_segments')
    gt_vid = check_vector(gt_video_idx, len(gt_seg), 'gt_video_idx', True)
    pred_seg = check_segments(pred_segments, 'pred_segments')
    pred_vid = check_vector(pred_video_idx, len(pred_seg), 'pred_video_idx',
                             True)
    scores = check_vector(pred_scores, len(pred_seg), 'pred_scores')
    if len(gt_seg) == 0:
        return np.full(len(thr), np.nan)
    # The reference's own ranking call (ties: see :mod:`.matching`).
    order = np.argsort(scores)[::-1]
    tp = greedy_match(gt_vid, gt_seg, pred_vid[order], pred_seg[order], thr)
    return _ap_from_tp(tp, len(gt_seg))


def evaluate_detections(gt: Dict[str, dict],
                        predictions: Dict[str, dict],
                        num_classes: int,
                        tiou_thresholds=DEFAULT_TIOU_THRESHOLDS,
                        ambiguous: Optional[Dict[str, np.ndarray]] = None
                        ) -> dict:
    """Per-class AP and mAP of temporal action detections.

    All classes are matched in a single pass: matching is independent per
    ``(video, class)`` pair, so that pair is the group of
    :func:`~.matching.greedy_match`.

    Args:
        gt (dict): ``{video_name: dict(segments=(N, 2), labels=(N, ))}``.
            Videos without predictions still count through their GT.
        predictions (dict): ``{video_name: dict(segments=(M, 2),
            labels=(M, ), scores=(M, ))}``. Every video must be in ``gt``.
        num_classes (int): ``C``; labels must lie in ``[0, C)``.
        tiou_thresholds (Sequence[float]): ``K`` thresholds in ``(0, 1]``.
        ambiguous (dict, optional): ``{video_name: (A, 2)}`` ambiguous
            segments (seconds), e.g. from :func:`~.load_ambiguous_segments`.
            Predictions overlapping one of their video's segments are removed
            before matching (rule of :func:`ambiguous_prediction_mask`).

    Returns:
        dict: ``ap`` ``(K, C)`` (NaN for classes without any GT), ``mAP``
        ``(K, )`` mean over the classes that have GT (NaN if none has),
        ``average_mAP`` (float, mean of ``mAP`` over thresholds),
        ``range_mAP`` (dict ``'0.1:0.5'`` / ``'0.3:0.7'`` -> float, the mean
        of ``mAP`` over those thresholds; a range is present only when all
        its thresholds are evaluated), ``classes_without_gt`` (list of class
        indices), ``num_gt`` ``(C, )``, ``tiou_thresholds`` ``(K, )`` and
        ``num_ambiguous_removed`` (int, or None without ``ambiguous``). AP
        values are in ``[0, 1]``.
    """
    if (isinstance(num_classes, bool)
            or not isinstance(num_classes,
                              (int, np.integer)) or num_classes < 1):
        raise ValueError(
            f'num_classes must be a positive int, got {num_classes!r}')
    num_classes = int(num_classes)
    thr = check_tiou_thresholds(tiou_thresholds)
    (gt_names, gt_vid, gt_seg, gt_lab, pred_vid, pred_seg, pred_lab,
     scores) = flatten_against_gt(gt, predictions, num_classes)

    num_removed = None
    if ambiguous is not None:
        drop = ambiguous_prediction_mask(gt_names, pred_vid, pred_seg,
                                         ambiguous)
        num_removed = int(drop.sum())
        keep = ~drop  # boolean indexing keeps the input order
        pred_vid, pred_seg = pred_vid[keep], pred_seg[keep]
        pred_lab, scores = pred_lab[keep], scores[keep]

    # Class-major order, each class ranked by the reference's own call.
    order, ends = reference_order(pred_lab, scores, num_classes)
    pred_lab, pred_seg = pred_lab[order], pred_seg[order]
    pred_group = pred_vid[order] * num_classes + pred_lab
    gt_group = gt_vid * num_classes + gt_lab
    tp = greedy_match(gt_group, gt_seg, pred_group, pred_seg, thr)

    starts = ends - np.bincount(pred_lab, minlength=num_classes)
    num_gt = np.bincount(gt_lab, minlength=num_classes)

    ap = np.full((len(thr), num_classes), np.nan)
    for c in np.flatnonzero(num_gt):  # C small curves, each vectorized
        ap[:, c] = _ap_from_tp(tp[:, starts[c]:ends[c]], int(num_gt[c]))

    has_gt = num_gt > 0
    if has_gt.any():
        mean_ap = ap[:, has_gt].mean(axis=1)
    else:
        mean_ap = np.full(len(thr), np.nan)
    return dict(
        ap=ap,
        mAP=mean_ap,
        average_mAP=float(mean_ap.mean()),
        range_mAP={
            name: float(mean_ap[idx].mean())
            for name, idx in tiou_ranges(thr).items()
        },
        classes_without_gt=np.flatnonzero(~has_gt).tolist(),
        num_gt=num_gt,
        tiou_thresholds=thr,
        num_ambiguous_removed=num_removed)
