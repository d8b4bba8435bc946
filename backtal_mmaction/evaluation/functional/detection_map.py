"""Temporal action detection mAP under the ActivityNet protocol.

Everything here is pure NumPy and framework free, so the same code backs the
registered :class:`~backtal_mmaction.evaluation.metrics.TALMetric`, the offline
``tools/analysis/eval_detections.py`` and the benchmark script.

Protocol (ActivityNet ``compute_average_precision_detection``, the
evaluator of BackTAL, LACP, HR-Pro and MMAction2), per class and per tIoU
threshold:

1. the class's predictions, in input order (videos in dict order, entries in
   order), are ranked by ``np.argsort(scores)[::-1]``, exactly the
   reference's call;
2. each prediction, in that order, is matched to the not-yet-matched ground
   truth (GT) of the *same video* with the highest tIoU among those with
   ``tIoU >= threshold``; unmatched predictions are false positives. Among
   GT with exactly equal tIoU the reference takes the one that comes first
   in ``np.argsort(tiou)[::-1]`` over the video's GT of that class (in file
   order), and so do we (see below);
3. AP is the area under the interpolated precision/recall curve
   (:func:`average_precision_curve`), summed over the recall change points
   as the reference does, so AP is bit-identical to it.

Tie rule. ``np.argsort`` uses numpy's default kind (``'quicksort'``), which
is not stable: for exactly equal values the order it returns depends on the
array length, the other values, the numpy build and the CPU (numpy >= 1.25
sorts with x86-simd-sort on AVX-512 / AVX2 machines). With 2 or 3 elements
(e.g. two tied GT of a class in one video, or two tied scores) it returned
equal values in input order in all our measurements, so ``[::-1]`` puts the
one listed *later* first (the reference's choice in the THUMOS14 HighJump
case of the tests); from 4 elements on, numpy 2.4 on an AVX-512 machine
returns ties in varying orders (``tests/test_evaluation`` pins both facts
for the machine they run on). Rather than re-implement one of these sorts, the metric calls the very
same ``np.argsort`` on the very same float64 array as the reference (the
class's scores in input order; the tIoU of a prediction with its video's
class GT, computed with the same formula), so it reproduces the reference
bit for bit on the same machine and numpy, whatever they are. The GT tie
break is only computed for the (rare) predictions that do have a tie; all
other work stays vectorized.

Data layout shared by the helpers: a *detection dict* maps a video name to
``dict(segments=(N, 2), labels=(N, )[, scores=(N, )])`` with segments as
[start, end] in seconds and integer class labels. Values may be NumPy arrays,
lists or (CPU/GPU) torch tensors.

Corner case: the tIoU of two zero-length segments is defined as 0 (the
official code gets 0/0 = NaN, which its ``<`` test then treats as a match),
so a zero-length GT can never be matched.
"""
import json
import os.path as osp
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...datasets.gt_io import (class_names_from_gt,
                               warn_segments_outside_video)
from ...utils import atomic_write, to_numpy

__all__ = [
    'DEFAULT_TIOU_THRESHOLDS', 'temporal_iou', 'average_precision_curve',
    'check_tiou_thresholds', 'detection_ap', 'evaluate_detections',
    'format_detection_table', 'format_tiou', 'load_activitynet_results',
    'dump_activitynet_results', 'load_activitynet_gt', 'TIOU_RANGES',
    'tiou_ranges', 'load_ambiguous_segments', 'ambiguous_prediction_mask'
]

# THUMOS14 convention used by the BackTAL paper. Written out instead of
# ``np.linspace(0.1, 0.7, 7)``: linspace yields 0.30000000000000004 and a
# prediction with tIoU exactly 0.3 would then miss the 0.3 threshold.
DEFAULT_TIOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)

_MAX_NAMES_IN_ERROR = 5


# ---------------------------------------------------------------------------
# Small array helpers
# ---------------------------------------------------------------------------
def _pairwise_tiou(seg_a: np.ndarray, seg_b: np.ndarray) -> np.ndarray:
    """tIoU of broadcastable segment arrays ``(..., 2)`` -> ``(...)``.

    A zero union (two zero-length segments at the same instant) gives 0
    instead of the 0/0 NaN, so such a pair never matches.
    """
    inter = np.minimum(seg_a[..., 1], seg_b[..., 1]) - np.maximum(
        seg_a[..., 0], seg_b[..., 0])
    inter = np.clip(inter, 0.0, None)
    union = (seg_a[..., 1] - seg_a[..., 0]) + (seg_b[..., 1] -
                                               seg_b[..., 0]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _check_segments(segments, name: str) -> np.ndarray:
    """Validate a ``(N, 2)`` float array of finite [start, end] pairs."""
    seg = to_numpy(segments, np.float64)
    if seg.size == 0:
        return seg.reshape(0, 2)
    if seg.ndim != 2 or seg.shape[1] != 2:
        raise ValueError(f'{name} must have shape (N, 2) [start, end], '
                         f'got shape {seg.shape}')
    if not np.isfinite(seg).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    bad = np.flatnonzero(seg[:, 1] < seg[:, 0])
    if bad.size:
        raise ValueError(f'{name} has {bad.size} segment(s) with end < start, '
                         f'first one: {seg[bad[0]].tolist()}')
    return seg


def _check_vector(values,
                  length: int,
                  name: str,
                  integer: bool = False) -> np.ndarray:
    """Validate a 1-D array of ``length`` finite numbers."""
    arr = to_numpy(values)
    if arr.size == 0:
        arr = arr.reshape(0)
    if arr.ndim != 1 or len(arr) != length:
        raise ValueError(f'{name} must have shape ({length}, ) to match the '
                         f'segments, got shape {arr.shape}')
    if arr.dtype.kind not in 'iuf':
        raise ValueError(f'{name} must be numeric, got dtype {arr.dtype}')
    if not np.isfinite(arr).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    if integer:
        if arr.dtype.kind == 'f' and not (arr == np.round(arr)).all():
            raise ValueError(f'{name} must hold integer class indices, got '
                             f'non-integer values')
        return arr.astype(np.int64)
    return arr.astype(np.float64)


def check_tiou_thresholds(tiou_thresholds) -> np.ndarray:
    """Validate tIoU thresholds.

    Args:
        tiou_thresholds (float | Sequence[float] | np.ndarray): One or more
            thresholds in ``(0, 1]``. A threshold of 0 would count segments
            that do not overlap at all as matches, so it is rejected.

    Returns:
        np.ndarray: ``(K, )`` float64 thresholds, in the given order.
    """
    thr = np.atleast_1d(to_numpy(tiou_thresholds, np.float64))
    if thr.ndim != 1 or thr.size == 0:
        raise ValueError('tiou_thresholds must be a non-empty 1-D sequence, '
                         f'got shape {thr.shape}')
    if not (np.isfinite(thr).all() and (thr > 0).all() and (thr <= 1).all()):
        raise ValueError(
            f'tiou_thresholds must lie in (0, 1], got {thr.tolist()}')
    return thr


# ---------------------------------------------------------------------------
# Core metric
# ---------------------------------------------------------------------------
def temporal_iou(segments_a, segments_b) -> np.ndarray:
    """Pairwise temporal IoU of two sets of segments.

    Args:
        segments_a (array-like): ``(N, 2)`` [start, end] in seconds.
        segments_b (array-like): ``(M, 2)`` [start, end] in seconds.

    Returns:
        np.ndarray: ``(N, M)`` tIoU, ``inter / (len_a + len_b - inter)`` with
        ``inter = max(0, min(end) - max(start))``.
    """
    a = _check_segments(segments_a, 'segments_a')
    b = _check_segments(segments_b, 'segments_b')
    return _pairwise_tiou(a[:, None, :], b[None, :, :])


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


def _rank_within_group(group: np.ndarray, num_groups: int) -> np.ndarray:
    """Position of each element among those of its group, in input order.

    Args:
        group (np.ndarray): ``(N, )`` group ids in ``[0, num_groups)``.

    Returns:
        np.ndarray: ``(N, )`` int64 ranks, ``0`` for a group's first element.
    """
    order = np.argsort(group, kind='stable')
    count = np.bincount(group, minlength=num_groups)
    first = np.cumsum(count) - count
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - first[group[order]]
    return rank


def _greedy_match(gt_group: np.ndarray, gt_segments: np.ndarray,
                  pred_group: np.ndarray, pred_segments: np.ndarray,
                  tiou_thresholds: np.ndarray) -> np.ndarray:
    """ActivityNet greedy matching, all thresholds at once.

    Matching is only sequential inside a group (a video, or a
    ``(video, class)`` pair), so the loop runs over the *rank* of a
    prediction inside its group: step ``r`` handles the ``r``-th prediction of
    every group and every threshold with array ops, against that group's GT
    padded to a common length. Its length is the largest number of
    predictions in one group that has GT.

    Args:
        gt_group (np.ndarray): ``(G, )`` int group id of each GT.
        gt_segments (np.ndarray): ``(G, 2)``.
        pred_group (np.ndarray): ``(P, )`` int group id of each prediction.
        pred_segments (np.ndarray): ``(P, 2)``. Predictions must already be in
            processing (descending score) order within each group.
        tiou_thresholds (np.ndarray): ``(K, )``.

    Returns:
        np.ndarray: ``(K, P)`` bool, True where the prediction is a true
        positive at that threshold.
    """
    num_thr, num_pred = len(tiou_thresholds), len(pred_group)
    tp = np.zeros((num_thr, num_pred), dtype=bool)
    if num_pred == 0 or len(gt_group) == 0:
        return tp

    # Compact ids over the groups that have GT. Predictions of other groups
    # can never match, so they stay false positives and skip the loop.
    groups, gt_gid = np.unique(gt_group, return_inverse=True)
    gt_gid = gt_gid.reshape(-1)
    pos = np.searchsorted(groups, pred_group)
    in_gt = groups[np.minimum(pos, len(groups) - 1)] == pred_group
    pred_idx = np.flatnonzero(in_gt)
    if pred_idx.size == 0:
        return tp
    pred_gid = pos[pred_idx]
    num_groups = len(groups)

    # GT padded per group: (num_groups, max_gt, 2); slot order = input order
    # (the reference's GT order, which its tie break depends on).
    gt_slot = _rank_within_group(gt_gid, num_groups)
    max_gt = int(gt_slot.max()) + 1
    padded = np.zeros((num_groups, max_gt, 2))
    valid = np.zeros((num_groups, max_gt), dtype=bool)
    padded[gt_gid, gt_slot] = gt_segments
    valid[gt_gid, gt_slot] = True

    # Predictions bucketed by their rank inside their group.
    rank = _rank_within_group(pred_gid, num_groups)
    by_rank = np.argsort(rank, kind='stable')
    bounds = np.concatenate([[0], np.cumsum(np.bincount(rank))])

    gt_count = np.bincount(gt_gid, minlength=num_groups)

    matched = np.zeros((num_thr, num_groups, max_gt), dtype=bool)
    thr = tiou_thresholds[:, None, None]
    thr_min = tiou_thresholds.min()
    for r in range(len(bounds) - 1):
        sel = by_rank[bounds[r]:bounds[r + 1]]  # at most one per group
        gid = pred_gid[sel]
        seg = pred_segments[pred_idx[sel]]
        iou = _pairwise_tiou(seg[:, None, :], padded[gid])  # (n, max_gt)
        iou = np.where(valid[gid], iou, -np.inf)
        cand = (iou >= thr) & ~matched[:, gid]  # (K, n, max_gt)
        masked = np.where(cand, iou, -np.inf)
        best = masked.argmax(axis=-1)  # (K, n); first maximum
        hit = cand.any(axis=-1)
        # Exactly equal best tIoU on two or more free GT: the reference
        # takes the first of them in ``argsort(tiou)[::-1]`` order. Cheap
        # pre-check per prediction (not per threshold): two equal tIoU
        # values at or above the lowest threshold.
        srt = np.sort(iou, axis=-1)
        dup = ((srt[:, 1:] == srt[:, :-1]) & (srt[:, 1:] >= thr_min)).any(-1)
        if dup.any():
            rows = np.flatnonzero(dup)
            sub = masked[:, rows]
            tied = np.zeros_like(hit)
            tied[:, rows] = hit[:, rows] & (
                (sub == sub.max(axis=-1, keepdims=True)).sum(axis=-1) > 1)
            if tied.any():
                _break_gt_ties(tied, cand, iou, gt_count[gid], best)
        tp[:, pred_idx[sel]] = hit
        k_idx, n_idx = np.nonzero(hit)
        # ``gid`` is unique within one rank, so these writes never collide.
        matched[k_idx, gid[n_idx], best[k_idx, n_idx]] = True
    return tp


def _break_gt_ties(tied: np.ndarray, cand: np.ndarray, iou: np.ndarray,
                   num_gt: np.ndarray, best: np.ndarray) -> None:
    """Re-pick ``best`` where several free GT share the best tIoU.

    Calls ``np.argsort`` on the same array as the reference: the tIoU of the
    prediction with its group's GT, unpadded, in GT input order.

    Args:
        tied (np.ndarray): ``(K, n)`` bool, entries to re-pick.
        cand (np.ndarray): ``(K, n, max_gt)`` bool, free GT above threshold.
        iou (np.ndarray): ``(n, max_gt)`` tIoU (padding ``-inf``).
        num_gt (np.ndarray): ``(n, )`` GT count of each prediction's group.
        best (np.ndarray): ``(K, n)`` chosen GT slot, updated in place.
    """
    k_idx, n_idx = np.nonzero(tied)
    for n in np.unique(n_idx):
        order = np.argsort(iou[n, :num_gt[n]])[::-1]
        for k in k_idx[n_idx == n]:
            # ``order`` is by descending tIoU, so its first free candidate
            # has the best tIoU; it is the reference's choice.
            best[k, n] = order[np.argmax(cand[k, n, order])]


def _reference_order(labels: np.ndarray, scores: np.ndarray,
                     num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Processing order of predictions: class-major, reference rank within.

    Each class's predictions, taken in input order, are ranked with the
    reference's own ``np.argsort(scores)[::-1]`` (not a stable sort), so
    tied scores come out exactly as in the reference.

    Args:
        labels (np.ndarray): ``(P, )`` int labels in ``[0, num_classes)``.
        scores (np.ndarray): ``(P, )`` float64 scores.

    Returns:
        tuple: ``order (P, )`` indices and ``ends (C, )``: class ``c`` is
        ``order[ends[c] - count[c]:ends[c]]``.
    """
    order = np.argsort(labels, kind='stable')  # class-major, input order
    count = np.bincount(labels, minlength=num_classes)
    ends = np.cumsum(count)
    for c in np.flatnonzero(count):
        idx = order[ends[c] - count[c]:ends[c]]
        order[ends[c] - count[c]:ends[c]] = idx[np.argsort(scores[idx])[::-1]]
    return order, ends


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
    gt_seg = _check_segments(gt_segments, 'gt_segments')
    gt_vid = _check_vector(gt_video_idx, len(gt_seg), 'gt_video_idx', True)
    pred_seg = _check_segments(pred_segments, 'pred_segments')
    pred_vid = _check_vector(pred_video_idx, len(pred_seg), 'pred_video_idx',
                             True)
    scores = _check_vector(pred_scores, len(pred_seg), 'pred_scores')
    if len(gt_seg) == 0:
        return np.full(len(thr), np.nan)
    # The reference's own ranking call (ties: see the module docstring).
    order = np.argsort(scores)[::-1]
    tp = _greedy_match(gt_vid, gt_seg, pred_vid[order], pred_seg[order], thr)
    return _ap_from_tp(tp, len(gt_seg))


def _flatten_detections(entries, what: str, num_classes: int,
                        with_scores: bool) -> Tuple[List[str], ...]:
    """Validate a detection dict and concatenate it into flat arrays.

    Returns:
        tuple: ``(video_names, video_idx (N, ), segments (N, 2),
        labels (N, ), scores (N, ) or None)``; ``video_idx`` indexes
        ``video_names``.
    """
    if not isinstance(entries, Mapping):
        raise TypeError(f'{what} must be a dict {{video_name: dict(segments='
                        f'..., labels=...)}}, got {type(entries).__name__}')
    fields = ('segments', 'labels', 'scores') if with_scores else ('segments',
                                                                   'labels')
    names = list(entries.keys())
    segs, labels, scores, counts = [], [], [], []
    # One iteration per video (not per segment): validation needs the video
    # name for its error message.
    for name in names:
        item = entries[name]
        where = f'{what}[{name!r}]'
        if not isinstance(item, Mapping):
            raise ValueError(f'{where} must be a dict with fields {fields}, '
                             f'got {type(item).__name__}')
        missing = [f for f in fields if f not in item]
        if missing:
            raise ValueError(f'{where} is missing field(s) {missing}')
        seg = _check_segments(item['segments'], f'{where}.segments')
        lab = _check_vector(item['labels'], len(seg), f'{where}.labels', True)
        bad = (lab < 0) | (lab >= num_classes)
        if bad.any():
            raise ValueError(
                f'{where}.labels has class index {int(lab[bad][0])} outside '
                f'[0, {num_classes}) ({int(bad.sum())} bad label(s))')
        segs.append(seg)
        labels.append(lab)
        counts.append(len(seg))
        if with_scores:
            scores.append(
                _check_vector(item['scores'], len(seg), f'{where}.scores'))
    video_idx = np.repeat(np.arange(len(names)), counts)
    segs = np.concatenate(segs) if segs else np.zeros((0, 2))
    labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    if with_scores:
        scores = np.concatenate(scores) if scores else np.zeros(0)
    else:
        scores = None
    return names, video_idx, segs, labels, scores


def evaluate_detections(gt: Dict[str, dict],
                        predictions: Dict[str, dict],
                        num_classes: int,
                        tiou_thresholds=DEFAULT_TIOU_THRESHOLDS,
                        ambiguous: Optional[Dict[str, np.ndarray]] = None
                        ) -> dict:
    """Per-class AP and mAP of temporal action detections.

    All classes are matched in a single pass: matching is independent per
    ``(video, class)`` pair, so that pair is the group of
    :func:`_greedy_match`.

    Args:
        gt (dict): ``{video_name: dict(segments=(N, 2), labels=(N, ))}``.
            Videos without predictions still count through their GT.
        predictions (dict): ``{video_name: dict(segments=(M, 2),
            labels=(M, ), scores=(M, ))}``. Every video must be in ``gt``.
        num_classes (int): ``C``; labels must lie in ``[0, C)``.
        tiou_thresholds (Sequence[float]): ``K`` thresholds in ``(0, 1]``.
        ambiguous (dict, optional): ``{video_name: (A, 2)}`` ambiguous
            segments (seconds), e.g. from :func:`load_ambiguous_segments`.
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
    gt_names, gt_vid, gt_seg, gt_lab, _ = _flatten_detections(
        gt, 'gt', num_classes, with_scores=False)
    pred_names, pred_vid, pred_seg, pred_lab, scores = _flatten_detections(
        predictions, 'predictions', num_classes, with_scores=True)

    video_index = {name: i for i, name in enumerate(gt_names)}
    unknown = [name for name in pred_names if name not in video_index]
    if unknown:
        shown = ', '.join(repr(n) for n in unknown[:_MAX_NAMES_IN_ERROR])
        more = (f' and {len(unknown) - _MAX_NAMES_IN_ERROR} more'
                if len(unknown) > _MAX_NAMES_IN_ERROR else '')
        raise ValueError(f'predictions contain {len(unknown)} video(s) that '
                         f'are not in the ground truth: {shown}{more}')

    num_removed = None
    if ambiguous is not None:
        drop = ambiguous_prediction_mask(pred_names, pred_vid, pred_seg,
                                         ambiguous)
        num_removed = int(drop.sum())
        keep = ~drop  # boolean indexing keeps the input order
        pred_vid, pred_seg = pred_vid[keep], pred_seg[keep]
        pred_lab, scores = pred_lab[keep], scores[keep]

    pred_to_gt = np.array([video_index[n] for n in pred_names], dtype=np.int64)
    pred_vid = pred_to_gt[pred_vid]

    # Class-major order, each class ranked by the reference's own call.
    order, ends = _reference_order(pred_lab, scores, num_classes)
    pred_lab, pred_seg = pred_lab[order], pred_seg[order]
    pred_group = pred_vid[order] * num_classes + pred_lab
    gt_group = gt_vid * num_classes + gt_lab
    tp = _greedy_match(gt_group, gt_seg, pred_group, pred_seg, thr)

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


# Threshold ranges of the point-supervised tables (LACP, HR-Pro report
# mAP@[0.1:0.5], mAP@[0.3:0.7] and mAP@[0.1:0.7]); HR-Pro computes them as
# ``mAP[:5].mean()`` and ``mAP[2:7].mean()`` of thresholds 0.1, ..., 0.7.
TIOU_RANGES = {
    '0.1:0.5': (0.1, 0.2, 0.3, 0.4, 0.5),
    '0.3:0.7': (0.3, 0.4, 0.5, 0.6, 0.7),
}


def tiou_ranges(tiou_thresholds) -> Dict[str, np.ndarray]:
    """Threshold ranges of :data:`TIOU_RANGES` that are fully evaluated.

    Args:
        tiou_thresholds (array-like): ``(K, )`` evaluated thresholds.

    Returns:
        dict: range name -> ``(5, )`` int indices into ``tiou_thresholds``,
        in the range's order; ranges with a missing threshold are left out.
        Matching allows 1e-9 so ``np.linspace(0.1, 0.7, 7)`` also qualifies.
    """
    thr = np.asarray(tiou_thresholds, dtype=np.float64)
    out = {}
    for name, values in TIOU_RANGES.items():
        idx = [np.flatnonzero(np.abs(thr - v) < 1e-9) for v in values]
        if all(len(i) for i in idx):
            out[name] = np.array([int(i[0]) for i in idx])
    return out


# ---------------------------------------------------------------------------
# Ambiguous segments (THUMOS14 ``Ambiguous_test.txt``)
# ---------------------------------------------------------------------------
def load_ambiguous_segments(path: str) -> Dict[str, np.ndarray]:
    """Read an ambiguous-segment file (THUMOS14 ``Ambiguous_test.txt``).

    Layout: one ``video start end`` per line (seconds), separated by any
    whitespace (the THUMOS14 file uses two spaces after the name); blank
    lines are skipped.

    Args:
        path (str): The file.

    Returns:
        dict: ``{video: (A, 2) float64 [start, end]}`` in file order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a line without exactly 3 fields, a non-numeric or
            non-finite time, or ``end < start``; the message names the file
            and the line number.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'ambiguous-segment file not found: {path}')
    segments: Dict[str, list] = {}
    with open(path, encoding='utf-8-sig') as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}, line {lineno}'
            if len(fields) != 3:
                raise ValueError(
                    f'{where}: expected 3 fields "video start end", got '
                    f'{len(fields)}: {line.strip()!r}')
            try:
                start, end = float(fields[1]), float(fields[2])
            except ValueError:
                raise ValueError(f'{where}: start/end must be numbers '
                                 f'(seconds), got {line.strip()!r}') from None
            if not (np.isfinite(start) and np.isfinite(end)):
                raise ValueError(f'{where}: start/end must be finite, got '
                                 f'{line.strip()!r}')
            if end < start:
                raise ValueError(f'{where}: end {end} < start {start} for '
                                 f'video {fields[0]!r}')
            segments.setdefault(fields[0], []).append((start, end))
    return {v: np.asarray(s, np.float64) for v, s in segments.items()}


def ambiguous_prediction_mask(video_names: Sequence[str],
                              video_idx: np.ndarray,
                              segments: np.ndarray,
                              ambiguous: Dict[str, np.ndarray],
                              bins_per_second: float = 1.0) -> np.ndarray:
    """Which predictions overlap an ambiguous segment of their video.

    The rule of the CO2-Net / HR-Pro evaluators (``filter_segments``), any
    class: the ambiguous segment becomes the integer bins
    ``range(round(a_start), round(a_end))`` (Python ``round``: half to
    even), the prediction ``range(int(p_start), int(p_end))`` (``int``
    truncates), and the prediction is removed when the two sets share a bin.
    HR-Pro applies it in seconds (``bins_per_second=1``, the default);
    CO2-Net in feature snippets (``bins_per_second=25 / 16``). Where both
    ranges are empty the reference divides 0 by 0 and crashes; here the
    prediction is kept.

    Args:
        video_names (Sequence[str]): Names indexed by ``video_idx``.
        video_idx (np.ndarray): ``(P, )`` video of each prediction.
        segments (np.ndarray): ``(P, 2)`` predictions, seconds.
        ambiguous (dict): ``{video: (A, 2)}`` seconds; videos without
            predictions are ignored.
        bins_per_second (float): Bin rate of the rule (see above).

    Returns:
        np.ndarray: ``(P, )`` bool, True = remove.
    """
    drop = np.zeros(len(video_idx), dtype=bool)
    for v, name in enumerate(video_names):
        amb = ambiguous.get(name)
        if amb is None or len(amb) == 0:
            continue
        sel = np.flatnonzero(video_idx == v)
        if sel.size == 0:
            continue
        amb = np.asarray(amb, np.float64).reshape(-1, 2) * bins_per_second
        a_lo, a_hi = np.round(amb[:, 0]), np.round(amb[:, 1])  # half-even
        pred = segments[sel] * bins_per_second
        p_lo, p_hi = np.trunc(pred[:, 0]), np.trunc(pred[:, 1])
        # range(a, b) and range(c, d) share an integer iff max(a, c) <
        # min(b, d): (P_v, A) pairs.
        share = (np.maximum(p_lo[:, None], a_lo[None]) < np.minimum(
            p_hi[:, None], a_hi[None]))
        drop[sel] = share.any(axis=1)
    return drop


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------
def format_tiou(threshold: float) -> str:
    """``0.5 -> '0.50'``; keeps more digits only when 2 would round."""
    text = f'{threshold:.2f}'
    return text if float(text) == threshold else f'{threshold:g}'


def _render_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                  title: str) -> str:
    """Plain-text table, first column left-aligned, others right-aligned."""
    table = [list(header)] + [list(r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return ' | '.join([first] + rest)

    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([title, line(table[0]), rule] +
                     [line(r) for r in table[1:]])


def format_detection_table(result: dict,
                           class_names: Optional[Sequence[str]] = None,
                           per_class: bool = True,
                           ambiguous_file: Optional[str] = None) -> str:
    """Readable text tables of an :func:`evaluate_detections` result.

    Args:
        result (dict): Output of :func:`evaluate_detections`.
        class_names (Sequence[str], optional): ``C`` names; defaults to
            ``class_i``.
        per_class (bool): Also render the per-class AP table.
        ambiguous_file (str, optional): Named in the title when ambiguous
            segments were removed (``result['num_ambiguous_removed']``).

    Returns:
        str: mAP per threshold, their average and the averages over the
        fully evaluated ranges of :data:`TIOU_RANGES` (percent), then
        per-class AP; classes without GT show ``n/a``.
    """
    ap, thr = np.asarray(result['ap']), result['tiou_thresholds']
    if class_names is None:
        class_names = [f'class_{i}' for i in range(ap.shape[1])]
    ranges = tiou_ranges(thr)

    def pct(value):
        return 'n/a' if np.isnan(value) else f'{100 * value:.2f}'

    header = ['tIoU'] + [format_tiou(t) for t in thr] + ['avg'] + [
        f'avg {name}' for name in ranges
    ]
    range_map = result.get('range_mAP', {})
    title = 'Temporal action detection mAP'
    removed = result.get('num_ambiguous_removed')
    if removed is not None:
        source = f' of {ambiguous_file}' if ambiguous_file else ''
        title += (f' (ambiguous segments{source} on: {removed} overlapping '
                  'prediction(s) removed)')
    summary = _render_table(
        header, [['mAP (%)'] + [pct(v) for v in result['mAP']] +
                 [pct(result['average_mAP'])] +
                 [pct(range_map.get(name, np.nan)) for name in ranges]],
        title=title)
    if not per_class:
        return summary
    with np.errstate(all='ignore'):  # NaN rows of classes without GT
        class_avg = ap.mean(axis=0)
        class_ranges = [ap[idx].mean(axis=0) for idx in ranges.values()]
    rows = [[str(name)] + [pct(v) for v in ap[:, c]] + [pct(class_avg[c])] +
            [pct(r[c]) for r in class_ranges]
            for c, name in enumerate(class_names)]
    per_cls = _render_table(
        ['class'] + header[1:], rows, title='Per-class AP (%)')
    return summary + '\n\n' + per_cls


# ---------------------------------------------------------------------------
# ActivityNet JSON I/O
# ---------------------------------------------------------------------------
def _read_json(path: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'JSON file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path} is not valid JSON: {err}') from None


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _diagnose_entries(path: str, where: str, entries: list,
                      fields: Sequence[str]) -> None:
    """Slow path: find and report the first malformed entry."""
    for i, entry in enumerate(entries):
        loc = f'{path}: {where}[{i}]'
        if not isinstance(entry, Mapping):
            raise ValueError(
                f'{loc} must be an object, got {type(entry).__name__}')
        for field in fields:
            if field not in entry:
                raise ValueError(f"{loc} is missing field '{field}'")
        if not isinstance(entry['label'], str):
            raise ValueError(f"{loc}: field 'label' must be a class name "
                             f"string, got {entry['label']!r}")
        seg = entry['segment']
        if not (isinstance(seg, (list, tuple)) and len(seg) == 2
                and all(_is_number(s) for s in seg)):
            raise ValueError(f"{loc}: field 'segment' must be [start, end] "
                             f'numbers, got {seg!r}')
        if not (np.isfinite(seg).all() and seg[1] >= seg[0]):
            raise ValueError(f"{loc}: field 'segment' must be finite with "
                             f'end >= start, got {seg!r}')
        if 'score' in fields and not (_is_number(entry['score'])
                                      and np.isfinite(entry['score'])):
            raise ValueError(f"{loc}: field 'score' must be a finite number, "
                             f"got {entry['score']!r}")
    raise ValueError(f'{path}: {where} is malformed')  # pragma: no cover


def _parse_entries(
        path: str, where: str, entries, with_score: bool
) -> Tuple[List[str], np.ndarray, Optional[np.ndarray]]:
    """Parse ActivityNet ``[{label, segment[, score]}]`` entries of a video.

    Fast path with list comprehensions and array checks; on any problem the
    slow diagnosis names the first bad entry.
    """
    fields = ('label', 'segment', 'score') if with_score else ('label',
                                                               'segment')
    if not isinstance(entries, list):
        raise ValueError(f'{path}: {where} must be a list of objects, got '
                         f'{type(entries).__name__}')
    if not entries:
        return [], np.zeros((0, 2)), (np.zeros(0) if with_score else None)
    try:
        labels = [e['label'] for e in entries]
        seg = np.asarray([e['segment'] for e in entries])
        score = np.asarray([e['score']
                            for e in entries]) if with_score else None
        ok = (
            seg.ndim == 2 and seg.shape[1] == 2 and seg.dtype.kind in 'iuf'
            and all(isinstance(x, str) for x in labels))
        if ok and with_score:
            ok = score.ndim == 1 and score.dtype.kind in 'iuf'
        if ok:
            seg = seg.astype(np.float64)
            ok = bool(
                np.isfinite(seg).all() and (seg[:, 1] >= seg[:, 0]).all())
        if ok and with_score:
            score = score.astype(np.float64)
            ok = bool(np.isfinite(score).all())
    except (TypeError, KeyError, ValueError):
        ok = False
    if not ok:
        _diagnose_entries(path, where, entries, fields)
    return labels, seg, score


def _labels_to_index(path: str, where: str, labels: List[str],
                     index: Dict[str, int]) -> np.ndarray:
    try:
        return np.array([index[x] for x in labels], dtype=np.int64)
    except KeyError as err:
        raise ValueError(
            f'{path}: {where} has unknown label {err.args[0]!r} (not one of '
            f'the {len(index)} class names)') from None


def load_activitynet_results(
    path: str,
    class_names: Optional[Sequence[str]] = None
) -> Tuple[Dict[str, dict], List[str]]:
    """Read an ActivityNet detection result JSON.

    Format: ``{"version": ..., "results": {video: [{"label": name,
    "segment": [start, end], "score": x}, ...]}, "external_data": {}}``.

    Args:
        path (str): Result file.
        class_names (Sequence[str], optional): Class list giving label
            indices; a label outside it is an error. Defaults to the sorted
            unique labels of the file.

    Returns:
        tuple[dict, list[str]]: Detection dict ``{video: dict(segments=(N, 2),
        labels=(N, ), scores=(N, ))}`` and the class names used.
    """
    data = _read_json(path)
    if not isinstance(data, Mapping) or not isinstance(
            data.get('results'), Mapping):
        raise ValueError(f"{path}: expected a JSON object with a 'results' "
                         'object {video: [detections]}')
    parsed = {
        vid: _parse_entries(path, f'results[{vid!r}]', entries, True)
        for vid, entries in data['results'].items()
    }
    if class_names is None:
        class_names = sorted({x for p in parsed.values() for x in p[0]})
    class_names = list(class_names)
    index = {name: i for i, name in enumerate(class_names)}
    predictions = {
        vid:
        dict(
            segments=seg,
            labels=_labels_to_index(path, f'results[{vid!r}]', labels, index),
            scores=score)
        for vid, (labels, seg, score) in parsed.items()
    }
    return predictions, class_names


def dump_activitynet_results(predictions: Dict[str, dict],
                             class_names: Sequence[str],
                             path: str,
                             overwrite: bool = False) -> str:
    """Write detections as an ActivityNet result JSON.

    Args:
        predictions (dict): ``{video: dict(segments=(N, 2), labels=(N, ),
            scores=(N, ))}`` (arrays or tensors).
        class_names (Sequence[str]): Name of each label index.
        path (str): Output file; parent folders are created.
        overwrite (bool): Replace an existing file. Defaults to False.

    Returns:
        str: ``path``.
    """
    if osp.exists(path) and not overwrite:
        raise FileExistsError(f'{path} already exists; refusing to overwrite '
                              'it (pass overwrite=True to replace it)')
    class_names = [str(x) for x in class_names]
    names, vid, seg, lab, scores = _flatten_detections(
        predictions, 'predictions', len(class_names), with_scores=True)
    # Plain Python floats keep full precision in JSON.
    seg_list, lab_list, score_list = seg.tolist(), lab.tolist(), \
        scores.tolist()
    bounds = np.concatenate([[0],
                             np.cumsum(np.bincount(vid, minlength=len(names)))
                             ]).tolist()
    results = {
        name: [
            dict(
                label=class_names[lab_list[i]],
                segment=seg_list[i],
                score=score_list[i]) for i in range(bounds[v], bounds[v + 1])
        ]
        for v, name in enumerate(names)
    }
    out = dict(version='VERSION 1.3', results=results, external_data={})
    # Written then renamed: an interrupted dump never leaves a truncated file.
    atomic_write(path, json.dumps(out))
    return path


def load_activitynet_gt(
    path: str,
    subset: Optional[str] = None,
    class_names: Optional[Sequence[str]] = None
) -> Tuple[Dict[str, dict], List[str]]:
    """Read ActivityNet-style ground truth (ActivityNet 1.2/1.3, THUMOS14).

    Args:
        path (str): JSON with ``database`` -> video -> ``subset``,
            ``duration`` and ``annotations`` [{``segment``, ``label``}].
        subset (str, optional): Keep only videos of this subset (e.g.
            ``'test'``, ``'validation'``). Defaults to all videos.
        class_names (Sequence[str], optional): Class list. Defaults to the
            top-level ``activity_list``, else the leaves of ``taxonomy``
            (sorted), else the sorted unique labels of the whole database
            (so indices do not depend on ``subset``).

    Returns:
        tuple[dict, list[str]]: GT detection dict ``{video: dict(
        segments=(N, 2), labels=(N, ), duration=float | None)}`` and the class
        names.
    """
    data = _read_json(path)
    if not isinstance(data, Mapping) or not isinstance(
            data.get('database'), Mapping):
        raise ValueError(f"{path}: expected a JSON object with a 'database' "
                         'object {video: {subset, duration, annotations}}')
    database = data['database']
    for vid, info in database.items():
        if not isinstance(info, Mapping):
            raise ValueError(f'{path}: database[{vid!r}] must be an object')
        if 'annotations' not in info:
            raise ValueError(
                f"{path}: database[{vid!r}] is missing field 'annotations'")
    warn_segments_outside_video(database, path)

    if subset is not None:
        videos = [
            v for v, info in database.items() if info.get('subset') == subset
        ]
        if not videos:
            available = sorted(
                {str(i.get('subset'))
                 for i in database.values()})
            raise ValueError(f'{path}: no video in subset {subset!r}; '
                             f'available subsets: {available}')
    else:
        videos = list(database)

    # Labels of the whole database are only needed to infer the class list.
    infer_classes = (
        class_names is None and 'activity_list' not in data
        and 'taxonomy' not in data)
    parsed = {
        vid:
        _parse_entries(path, f'database[{vid!r}].annotations',
                       database[vid]['annotations'], False)
        for vid in (database if infer_classes else videos)
    }
    if class_names is None:
        # the same class-list rule as the dataset (activity_list, taxonomy
        # leaves, sorted labels), so metric and dataset indices agree
        class_names = class_names_from_gt(data, path)
    class_names = list(class_names)
    index = {name: i for i, name in enumerate(class_names)}

    gt = {}
    for vid in videos:
        labels, seg, _ = parsed[vid]
        duration = database[vid].get('duration')
        gt[vid] = dict(
            segments=seg,
            labels=_labels_to_index(path, f'database[{vid!r}].annotations',
                                    labels, index),
            duration=float(duration) if _is_number(duration) else None)
    return gt, class_names
