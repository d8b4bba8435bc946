"""DETAD-style false-positive analysis at one tIoU threshold.

Following Alwassel et al., *Diagnosing Error in Temporal Action Detectors*
(ECCV 2018), every prediction is first matched exactly as the mAP does
(per class, in descending score order, greedy, tIoU >= ``thr``; shared code
with :func:`~backtal_mmaction.evaluation.functional.evaluate_detections`).
Each unmatched prediction (false positive) then gets the first type that
applies, using its best tIoU with the GT of the *same* video:

==================  ===================================================
``double``          tIoU >= thr with a same-label GT (already matched by
                    a higher-scoring prediction)
``wrong_label``     tIoU >= thr with a GT of another label
``localization``    same label, ``low <= tIoU < thr``
``confusion``       another label, ``low <= tIoU < thr`` (wrong label and
                    localization)
``background``      tIoU < ``low`` (0.1) with every GT
==================  ===================================================

The breakdown is reported over the top-ranked false positives, as DETAD
does: per class, the ``ceil(top_k_ratio * G_c)`` highest-scoring false
positives (``G_c`` = GT instances of the class; the total is about
``top_k_ratio * G``), or globally the ``ceil(top_k_ratio * G)`` highest
(``rank_by='global'``). The mAP gain of an error type is the mAP at ``thr``
after removing every false positive of that type (removing false positives
never changes which predictions are true positives).

Everything is vectorized NumPy over predictions; memory is bounded by
processing predictions in chunks against their video's padded GT.
"""
import math
from typing import Dict, Optional

import numpy as np

from ..functional.detection_map import average_precision_curve
from ..functional.detections import flatten_against_gt
from ..functional.matching import (greedy_match, rank_within_group,
                                   reference_order)
from ..functional.tiou import pairwise_tiou

__all__ = [
    'ERROR_TYPES', 'ERROR_NAMES', 'classify_detections', 'map_from_flags',
    'diagnose_false_positives', 'format_error_table'
]

ERROR_TYPES = ('double', 'wrong_label', 'localization', 'confusion',
               'background')
ERROR_NAMES = ('Double detection', 'Wrong label', 'Localization',
               'Wrong label + localization', 'Background')
TRUE_POSITIVE = -1
_CHUNK_ELEMENTS = 4_000_000  # (predictions x padded GT) per chunk


def _padded_gt(gt_vid: np.ndarray, gt_seg: np.ndarray, gt_lab: np.ndarray,
               num_videos: int):
    """GT per video padded to a common length: ``(V, M, 2)``, ``(V, M)``
    labels (-1 in padding)."""
    slot = rank_within_group(gt_vid, num_videos)
    width = int(slot.max()) + 1 if slot.size else 1
    seg = np.zeros((num_videos, width, 2))
    lab = np.full((num_videos, width), -1, dtype=np.int64)
    seg[gt_vid, slot] = gt_seg
    lab[gt_vid, slot] = gt_lab
    return seg, lab


def _best_tiou(pred_vid, pred_seg, pred_lab, pad_seg, pad_lab):
    """Best tIoU of each prediction with same- and other-label GT of its
    video: two ``(P,)`` arrays (0 where there is no such GT)."""
    num = len(pred_vid)
    same = np.zeros(num)
    other = np.zeros(num)
    step = max(1, _CHUNK_ELEMENTS // max(1, pad_seg.shape[1]))
    for lo in range(0, num, step):
        sl = slice(lo, lo + step)
        vid = pred_vid[sl]
        iou = pairwise_tiou(pred_seg[sl, None, :], pad_seg[vid])  # (n, M)
        lab = pad_lab[vid]
        is_same = lab == pred_lab[sl, None]
        is_other = (lab >= 0) & ~is_same
        same[sl] = np.where(is_same, iou, 0.0).max(axis=1)
        other[sl] = np.where(is_other, iou, 0.0).max(axis=1)
    return same, other


def classify_detections(gt: Dict[str, dict],
                        predictions: Dict[str, dict],
                        num_classes: int,
                        tiou_threshold: float = 0.5,
                        low_tiou: float = 0.1) -> dict:
    """Match predictions like the mAP and type every false positive.

    Args:
        gt (dict): ``{video: dict(segments=(N, 2), labels=(N,))}``.
        predictions (dict): ``{video: dict(segments=(M, 2), labels=(M,),
            scores=(M,))}``; every video must be in ``gt``.
        num_classes (int): ``C``.
        tiou_threshold (float): Matching threshold ``thr`` in ``(0, 1]``.
        low_tiou (float): Lower bound of localization errors, in
            ``[0, thr)``. Defaults to 0.1 (DETAD).

    Returns:
        dict: over all predictions, in descending score order (ties as in
        the mAP's ranking of their class):
        ``video`` ``(P,)`` video names, ``segments`` ``(P, 2)``, ``labels``,
        ``scores``, ``error`` ``(P,)`` int (-1 = true positive, else an index
        into :data:`ERROR_TYPES`), ``tiou_same`` / ``tiou_other`` ``(P,)``
        best tIoU with same- / other-label GT of the video; plus
        ``num_gt`` ``(C,)`` and ``tiou_threshold``.
    """
    if not 0 < tiou_threshold <= 1:
        raise ValueError(f'tiou_threshold must be in (0, 1], got '
                         f'{tiou_threshold}')
    if not 0 <= low_tiou < tiou_threshold:
        raise ValueError(f'low_tiou must be in [0, tiou_threshold), got '
                         f'{low_tiou}')
    (gt_names, gt_vid, gt_seg, gt_lab, pred_vid, pred_seg, pred_lab,
     scores) = flatten_against_gt(gt, predictions, num_classes)

    # Descending score, and within each class exactly the metric's
    # (reference) order, so tied scores are matched as the mAP matches them:
    # sort by score, ties by the position in the class's reference ranking.
    ref_order, _ = reference_order(pred_lab, scores, num_classes)
    class_rank = np.empty(len(ref_order), dtype=np.int64)
    class_rank[ref_order] = np.arange(len(ref_order))
    order = np.lexsort((class_rank, -scores))
    pred_vid, pred_seg = pred_vid[order], pred_seg[order]
    pred_lab, scores = pred_lab[order], scores[order]
    tp = greedy_match(gt_vid * num_classes + gt_lab, gt_seg,
                       pred_vid * num_classes + pred_lab, pred_seg,
                       np.array([tiou_threshold]))[0]

    pad_seg, pad_lab = _padded_gt(gt_vid, gt_seg, gt_lab, len(gt_names))
    same, other = _best_tiou(pred_vid, pred_seg, pred_lab, pad_seg, pad_lab)
    error = np.select(
        [tp, same >= tiou_threshold, other >= tiou_threshold,
         same >= low_tiou, other >= low_tiou],
        [TRUE_POSITIVE, 0, 1, 2, 3], default=4).astype(np.int64)
    return dict(
        video=np.asarray(gt_names, dtype=object)[pred_vid],
        segments=pred_seg,
        labels=pred_lab,
        scores=scores,
        error=error,
        tiou_same=same,
        tiou_other=other,
        num_gt=np.bincount(gt_lab, minlength=num_classes),
        tiou_threshold=float(tiou_threshold))


def map_from_flags(is_tp: np.ndarray, labels: np.ndarray,
                   num_gt: np.ndarray,
                   keep: Optional[np.ndarray] = None) -> float:
    """mAP (in [0, 1]) of score-ordered predictions with known TP flags.

    Args:
        is_tp (np.ndarray): ``(P,)`` bool, predictions in descending score
            order.
        labels (np.ndarray): ``(P,)`` class indices.
        num_gt (np.ndarray): ``(C,)`` GT count per class; classes without GT
            are left out, as in the metric.
        keep (np.ndarray, optional): ``(P,)`` bool, predictions to keep.

    Returns:
        float: mean AP over classes with GT (NaN if none).
    """
    if keep is not None:
        is_tp, labels = is_tp[keep], labels[keep]
    aps = []
    for c in np.flatnonzero(num_gt):  # C small curves, each vectorized
        flags = is_tp[labels == c]
        if flags.size == 0:
            aps.append(0.0)
            continue
        hits = np.cumsum(flags, dtype=np.float64)
        precision = hits / np.arange(1, flags.size + 1)
        aps.append(average_precision_curve(precision, hits / num_gt[c]))
    return float(np.mean(aps)) if aps else float('nan')


def diagnose_false_positives(gt: Dict[str, dict],
                             predictions: Dict[str, dict],
                             num_classes: int,
                             tiou_threshold: float = 0.5,
                             top_k_ratio: float = 1.0,
                             rank_by: str = 'class',
                             low_tiou: float = 0.1) -> dict:
    """False-positive breakdown over the top-ranked false positives.

    Args:
        gt, predictions, num_classes, tiou_threshold, low_tiou: See
            :func:`classify_detections`.
        top_k_ratio (float): Keep ``ceil(top_k_ratio * G_c)`` false
            positives per class (or ``ceil(top_k_ratio * G)`` overall).
            Defaults to 1 (DETAD's top-G).
        rank_by (str): ``'class'`` (per class, DETAD) or ``'global'``.

    Returns:
        dict: ``counts_top`` / ``counts_all`` ``(5,)`` false positives of
        each type among the top-ranked / all false positives,
        ``shares_top`` ``(5,)`` (fractions of the top-ranked false
        positives; NaN if there are none), ``num_top``, ``num_fp``,
        ``num_tp``, ``num_gt`` (total), ``map`` (mAP at ``thr``, [0, 1]),
        ``map_gain`` ``(5,)`` (mAP increase when removing all false
        positives of each type), ``top_mask`` ``(P,)`` and the
        :func:`classify_detections` output under ``detections``.
    """
    if rank_by not in ('class', 'global'):
        raise ValueError(f"rank_by must be 'class' or 'global', got "
                         f'{rank_by!r}')
    if not top_k_ratio > 0:
        raise ValueError(f'top_k_ratio must be > 0, got {top_k_ratio}')
    det = classify_detections(gt, predictions, num_classes, tiou_threshold,
                              low_tiou)
    error, labels, num_gt = det['error'], det['labels'], det['num_gt']
    is_fp = error != TRUE_POSITIVE
    fp_idx = np.flatnonzero(is_fp)  # already in descending score order
    if rank_by == 'class':
        rank = rank_within_group(labels[fp_idx], num_classes)
        limit = np.ceil(top_k_ratio * num_gt).astype(np.int64)[labels[fp_idx]]
        top_fp = fp_idx[rank < limit]
    else:
        top_fp = fp_idx[:math.ceil(top_k_ratio * int(num_gt.sum()))]
    top_mask = np.zeros(len(error), dtype=bool)
    top_mask[top_fp] = True

    num_types = len(ERROR_TYPES)
    counts_top = np.bincount(error[top_fp], minlength=num_types)
    counts_all = np.bincount(error[fp_idx], minlength=num_types)
    with np.errstate(invalid='ignore', divide='ignore'):
        shares_top = counts_top / counts_top.sum()
    is_tp = ~is_fp
    base = map_from_flags(is_tp, labels, num_gt)
    gain = np.array([
        map_from_flags(is_tp, labels, num_gt, keep=error != t) - base
        for t in range(num_types)
    ])
    return dict(
        error_types=ERROR_TYPES,
        error_names=ERROR_NAMES,
        counts_top=counts_top,
        counts_all=counts_all,
        shares_top=shares_top,
        num_top=int(top_fp.size),
        num_fp=int(fp_idx.size),
        num_tp=int(is_tp.sum()),
        num_gt=int(num_gt.sum()),
        map=base,
        map_gain=gain,
        top_mask=top_mask,
        top_k_ratio=float(top_k_ratio),
        rank_by=rank_by,
        tiou_threshold=float(tiou_threshold),
        detections=det)


def format_error_table(result: dict) -> str:
    """Markdown table of a :func:`diagnose_false_positives` result."""
    thr = result['tiou_threshold']
    scope = ('per class' if result['rank_by'] == 'class' else 'overall')
    subset = result.get('subset')  # set by diagnose_result_file
    where = '' if subset is None else f' (subset {subset!r})'
    lines = [
        f"False-positive analysis at tIoU {thr:g}: {result['num_gt']} GT"
        f"{where}, "
        f"{result['num_tp']} true / {result['num_fp']} false positives, "
        f"mAP@{thr:g} = {100 * result['map']:.2f}%. Shares over the top "
        f"{result['num_top']} false positives (top "
        f"{result['top_k_ratio']:g} x G, {scope}).",
        '',
        '| Error type | Top-G FPs | Share (%) | All FPs | mAP gain if '
        'removed (pts) |',
        '|---|---:|---:|---:|---:|',
    ]
    for i, name in enumerate(result['error_names']):
        share = result['shares_top'][i]
        share_txt = 'n/a' if np.isnan(share) else f'{100 * share:.1f}'
        gain = result['map_gain'][i]
        gain_txt = 'n/a' if np.isnan(gain) else f'{100 * gain:+.2f}'
        lines.append(f"| {name} | {int(result['counts_top'][i])} | "
                     f"{share_txt} | {int(result['counts_all'][i])} | "
                     f'{gain_txt} |')
    return '\n'.join(lines)
