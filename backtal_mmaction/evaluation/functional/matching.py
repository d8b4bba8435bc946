"""ActivityNet greedy matching of predictions to GT, and its tie rules.

Protocol (ActivityNet ``compute_average_precision_detection``, the
evaluator of BackTAL, LACP, HR-Pro and MMAction2), per class and per tIoU
threshold:

1. the class's predictions, in input order (videos in dict order, entries in
   order), are ranked by ``np.argsort(scores)[::-1]``, exactly the
   reference's call (:func:`reference_order`);
2. each prediction, in that order, is matched to the not-yet-matched ground
   truth (GT) of the *same video* with the highest tIoU among those with
   ``tIoU >= threshold``; unmatched predictions are false positives. Among
   GT with exactly equal tIoU the reference takes the one that comes first
   in ``np.argsort(tiou)[::-1]`` over the video's GT of that class (in file
   order), and so do we (:func:`greedy_match`).

Tie rule. ``np.argsort`` uses numpy's default kind (``'quicksort'``), which
is not stable: for exactly equal values the order it returns depends on the
array length, the other values, the numpy build and the CPU (numpy >= 1.25
sorts with x86-simd-sort on AVX-512 / AVX2 machines). With 2 or 3 elements
(e.g. two tied GT of a class in one video, or two tied scores) it returned
equal values in input order in all our measurements, so ``[::-1]`` puts the
one listed *later* first (the reference's choice in the THUMOS14 HighJump
case of the tests); from 4 elements on, numpy 2.4 on an AVX-512 machine
returns ties in varying orders (``tests/evaluation`` pins both facts
for the machine they run on). Rather than re-implement one of these sorts,
we call the very same ``np.argsort`` on the very same float64 array as the
reference (the class's scores in input order; the tIoU of a prediction with
its video's class GT, computed with the same formula), so matching
reproduces the reference bit for bit on the same machine and numpy,
whatever they are. The GT tie break is only computed for the (rare)
predictions that do have a tie; all other work stays vectorized.
"""
from typing import Tuple

import numpy as np

from .tiou import pairwise_tiou

__all__ = ['rank_within_group', 'greedy_match', 'reference_order']


def rank_within_group(group: np.ndarray, num_groups: int) -> np.ndarray:
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


def greedy_match(gt_group: np.ndarray, gt_segments: np.ndarray,
                  pred_group: np.ndarray, pred_segments: np.ndarray,
                  tiou_thresholds: np.ndarray,
                  return_gt_index: bool = False):
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
        return_gt_index (bool): Also return which GT each true positive
            matched (DETAD's sensitivity analysis needs it).

    Returns:
        np.ndarray | tuple: ``(K, P)`` bool, True where the prediction is a
        true positive at that threshold; with ``return_gt_index`` also the
        ``(K, P)`` int64 index of the matched GT in the GT arrays (-1 for a
        false positive).
    """
    num_thr, num_pred = len(tiou_thresholds), len(pred_group)
    tp = np.zeros((num_thr, num_pred), dtype=bool)
    gt_index = np.full((num_thr, num_pred), -1, dtype=np.int64)
    done = (tp, gt_index) if return_gt_index else tp
    if num_pred == 0 or len(gt_group) == 0:
        return done

    # Compact ids over the groups that have GT. Predictions of other groups
    # can never match, so they stay false positives and skip the loop.
    groups, gt_gid = np.unique(gt_group, return_inverse=True)
    gt_gid = gt_gid.reshape(-1)
    pos = np.searchsorted(groups, pred_group)
    in_gt = groups[np.minimum(pos, len(groups) - 1)] == pred_group
    pred_idx = np.flatnonzero(in_gt)
    if pred_idx.size == 0:
        return done
    pred_gid = pos[pred_idx]
    num_groups = len(groups)

    # GT padded per group: (num_groups, max_gt, 2); slot order = input order
    # (the reference's GT order, which its tie break depends on).
    gt_slot = rank_within_group(gt_gid, num_groups)
    max_gt = int(gt_slot.max()) + 1
    padded = np.zeros((num_groups, max_gt, 2))
    valid = np.zeros((num_groups, max_gt), dtype=bool)
    padded[gt_gid, gt_slot] = gt_segments
    valid[gt_gid, gt_slot] = True
    slot_gt = np.full((num_groups, max_gt), -1, dtype=np.int64)
    slot_gt[gt_gid, gt_slot] = np.arange(len(gt_group))

    # Predictions bucketed by their rank inside their group.
    rank = rank_within_group(pred_gid, num_groups)
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
        iou = pairwise_tiou(seg[:, None, :], padded[gid])  # (n, max_gt)
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
        gt_index[k_idx, pred_idx[sel][n_idx]] = slot_gt[gid[n_idx],
                                                        best[k_idx, n_idx]]
    return done


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


def reference_order(labels: np.ndarray, scores: np.ndarray,
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
