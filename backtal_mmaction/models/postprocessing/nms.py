"""Class-wise temporal NMS (greedy and soft) in pure NumPy.

Two temporal-IoU definitions are supported, both computed by the one tIoU
of :mod:`backtal_mmaction.structures.segments` (:func:`segment_iou` is
re-exported from there):

* ``'standard'``: ``inter = max(0, min(e) - max(s))``, ``len = e - s``,
  ``iou = inter / (len_i + len_j - inter)``.
* ``'official'``: reproduces the official BackTAL code, which reuses a
  frame-index NMS on times in SECONDS: ``area = e - s + 1`` and
  ``inter = max(0, min(e) - max(s) + 1)``. This inflates the IoU of short
  segments (two 1 s segments overlapping by 0.4 s get 1.4 / 2.6 = 0.54
  instead of 0.4 / 1.6 = 0.25).
"""
from typing import Tuple

import numpy as np

from ...structures import TIOU_MODES, check_tiou_mode, pairwise_tiou
from ...structures import segment_iou  # noqa: F401  (public re-export)

NMS_MODES = TIOU_MODES
SOFT_NMS_METHODS = ('gaussian', 'linear')


def _check_inputs(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                  mode: str, fn: str):
    check_tiou_mode(mode, fn)
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if not segments.shape[0] == scores.shape[0] == labels.shape[0]:
        raise ValueError(f'{fn}: segments ({segments.shape[0]}), scores '
                         f'({scores.shape[0]}) and labels ({labels.shape[0]})'
                         f' must have the same length')
    if np.isnan(scores).any():
        raise ValueError(f'{fn}: scores contain NaN')
    return segments, scores, labels


def _check_decay(method: str, sigma: float, fn: str) -> None:
    """The score-decay settings shared by soft-NMS and Matrix NMS."""
    if method not in SOFT_NMS_METHODS:
        raise ValueError(f'{fn}: unknown method {method!r}, valid methods'
                         f' are {SOFT_NMS_METHODS}')
    if method == 'gaussian' and not sigma > 0:
        raise ValueError(f'{fn}: sigma must be > 0, got {sigma}')


def overlapping_pairs(segments: np.ndarray,
                      labels: np.ndarray,
                      mode: str = 'standard') -> Tuple[np.ndarray, np.ndarray]:
    """All unordered same-label pairs with a positive intersection.

    Per label, segments are sorted by start; a segment ``p`` can only
    intersect the segments ``q`` that start in ``[start_p, end_p + offset)``
    (``offset`` = 1 in ``'official'`` mode, where the intersection is
    ``min(e) - max(s) + 1``), a contiguous block found by ``searchsorted``.
    The cost is proportional to the number of such pairs, not to ``N ** 2``.

    Args:
        segments (np.ndarray): ``(N, 2)``.
        labels (np.ndarray): ``(N, )``.
        mode (str): ``'standard'`` or ``'official'``.

    Returns:
        tuple[np.ndarray]: int64 ``(P, )`` index arrays ``first, second``.
    """
    offset = 1.0 if mode == 'official' else 0.0
    firsts, seconds = [], []
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        idx = idx[np.argsort(segments[idx, 0], kind='stable')]
        starts, ends = segments[idx, 0], segments[idx, 1]
        pos = np.arange(idx.size)
        stop = np.searchsorted(starts, ends + offset, side='left')
        count = np.maximum(stop - pos - 1, 0)
        first = np.repeat(pos, count)
        # Position q = p + 1, p + 2, ... inside each block of ``first``.
        block_start = np.cumsum(count) - count
        second = first + 1 + (
            np.arange(first.size) - np.repeat(block_start, count))
        firsts.append(idx[first])
        seconds.append(idx[second])
    if not firsts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return (np.concatenate(firsts).astype(np.int64),
            np.concatenate(seconds).astype(np.int64))


def _overlapping_pair_ious(segments: np.ndarray, labels: np.ndarray,
                           mode: str) -> Tuple[np.ndarray, ...]:
    """:func:`overlapping_pairs` and their tIoU ``(P,)``."""
    first, second = overlapping_pairs(segments, labels, mode)
    # The one tIoU formula, as in segment_iou: both agree bit-wise at iou_thr.
    iou = pairwise_tiou(segments[first], segments[second], mode)
    return first, second, iou


def temporal_nms(segments: np.ndarray,
                 scores: np.ndarray,
                 labels: np.ndarray,
                 iou_thr: float,
                 mode: str = 'standard') -> np.ndarray:
    """Class-wise greedy NMS.

    Result of the greedy rule: boxes are visited by descending score
    (stable: ties keep input order); the best remaining box is kept and every
    remaining box of the SAME label with ``iou > iou_thr`` (strictly) is
    suppressed.

    It is computed without a per-box loop: ``a -> b`` edges link every pair
    with ``iou > iou_thr`` from the better-ranked box ``a`` to ``b``, and
    ``keep[b] = not any(keep[a] for a -> b)`` is iterated from
    ``keep = all True`` to its fixed point. That fixed point is unique (the
    rule fixes ``keep`` rank by rank) and equals the greedy result; each
    iteration makes at least the next rank final, and in practice a handful
    of iterations suffices (suppression chains are short).

    Args:
        segments (np.ndarray): ``(N, 2)`` ``[start, end]``.
        scores (np.ndarray): ``(N, )``.
        labels (np.ndarray): ``(N, )`` class ids.
        iou_thr (float): Suppression threshold.
        mode (str): IoU definition, ``'standard'`` or ``'official'``.

    Returns:
        np.ndarray: ``(K, )`` int64 indices of the kept boxes, by descending
        score.
    """
    segments, scores, labels = _check_inputs(segments, scores, labels, mode,
                                             'temporal_nms')
    order = np.argsort(-scores, kind='stable')
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    first, second, iou = _overlapping_pair_ious(segments, labels, mode)
    edge = iou > iou_thr
    first, second = first[edge], second[edge]
    better = rank[first] < rank[second]
    src = np.where(better, first, second)
    dst = np.where(better, second, first)

    keep = np.ones(order.size, dtype=bool)
    while True:
        suppressed = np.zeros_like(keep)
        suppressed[dst[keep[src]]] = True
        if np.array_equal(~suppressed, keep):
            break
        keep = ~suppressed
    return order[keep[order]].astype(np.int64)


def soft_nms(segments: np.ndarray,
             scores: np.ndarray,
             labels: np.ndarray,
             method: str = 'gaussian',
             sigma: float = 0.5,
             iou_thr: float = 0.3,
             min_score: float = 1e-3,
             mode: str = 'standard') -> Tuple[np.ndarray, np.ndarray]:
    """Class-wise soft-NMS.

    Repeatedly takes the remaining box with the highest (decayed) score
    (ties: lowest input index) and decays the scores of the remaining boxes of
    the same label: ``'gaussian'``: ``score *= exp(-iou ** 2 / sigma)``;
    ``'linear'``: ``score *= 1 - iou`` where ``iou > iou_thr``. Boxes whose
    score is (or decays) below ``min_score`` are discarded. The decay is
    multiplicative, so it only lowers non-negative scores; negative-score
    boxes are below any ``min_score >= 0`` and are discarded up front.

    Args:
        segments (np.ndarray): ``(N, 2)`` ``[start, end]``.
        scores (np.ndarray): ``(N, )``.
        labels (np.ndarray): ``(N, )`` class ids.
        method (str): ``'gaussian'`` or ``'linear'``.
        sigma (float): Gaussian width (> 0).
        iou_thr (float): Linear-method IoU threshold.
        min_score (float): Score below which boxes are discarded.
        mode (str): IoU definition, ``'standard'`` or ``'official'``.

    Returns:
        tuple[np.ndarray]: ``keep`` ``(K, )`` int64 indices in selection order
        and their decayed scores ``(K, )`` float64.
    """
    segments, scores, labels = _check_inputs(segments, scores, labels, mode,
                                             'soft_nms')
    _check_decay(method, sigma, 'soft_nms')
    current = scores.copy()
    # ``pool`` stays in input order so that argmax breaks ties by index.
    pool = np.flatnonzero(current >= min_score)
    keep, kept_scores = [], []
    while pool.size:
        pos = int(np.argmax(current[pool]))
        best = pool[pos]
        keep.append(best)
        kept_scores.append(current[best])
        pool = np.delete(pool, pos)
        same = pool[labels[pool] == labels[best]]
        iou = segment_iou(segments[best], segments[same], mode)
        if method == 'gaussian':
            decay = np.exp(-iou**2 / sigma)
        else:
            decay = np.where(iou > iou_thr, 1.0 - iou, 1.0)
        current[same] *= decay
        pool = pool[current[pool] >= min_score]
    return (np.asarray(keep, dtype=np.int64),
            np.asarray(kept_scores, dtype=np.float64))


def matrix_nms(segments: np.ndarray,
               scores: np.ndarray,
               labels: np.ndarray,
               method: str = 'gaussian',
               sigma: float = 0.5,
               min_score: float = 1e-3,
               mode: str = 'standard') -> Tuple[np.ndarray, np.ndarray]:
    """Class-wise Matrix NMS (SOLOv2): soft-NMS's decay, in parallel.

    Soft-NMS decays box ``j`` sequentially by every box picked before it;
    Matrix NMS decays it by every better-scored box ``i`` of its label at
    once, compensating for how much ``i`` was itself suppressed::

        cmax_i  = max_{k better than i} iou(k, i)        (0 if none)
        decay_j = min_{i better than j} f(iou(i, j)) / f(cmax_i)
        f(x)    = exp(-x ** 2 / sigma)  ('gaussian')  or  1 - x  ('linear')

    ``score_j * decay_j`` below ``min_score`` is discarded. No loop over
    boxes: the same-label overlapping pairs come from
    :func:`overlapping_pairs`, the min / max by ``np.minimum.at``.

    Args:
        segments (np.ndarray): ``(N, 2)``.
        scores (np.ndarray): ``(N, )``.
        labels (np.ndarray): ``(N, )``.
        method (str): ``'gaussian'`` or ``'linear'``.
        sigma (float): Gaussian width (> 0).
        min_score (float): Decayed scores below it are discarded.
        mode (str): IoU definition.

    Returns:
        tuple[np.ndarray]: ``keep`` ``(K, )`` int64 indices by descending
        decayed score (ties: input order) and those scores ``(K, )``.
    """
    segments, scores, labels = _check_inputs(segments, scores, labels, mode,
                                             'matrix_nms')
    _check_decay(method, sigma, 'matrix_nms')
    order = np.argsort(-scores, kind='stable')
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    first, second, iou = _overlapping_pair_ious(segments, labels, mode)
    better = rank[first] < rank[second]
    src = np.where(better, first, second)
    dst = np.where(better, second, first)
    cmax = np.zeros(scores.size)
    np.maximum.at(cmax, dst, iou)
    if method == 'gaussian':
        ratio = np.exp(-(iou**2 - cmax[src]**2) / sigma)
    else:
        ratio = (1.0 - iou) / np.maximum(1.0 - cmax[src], 1e-12)
    decay = np.ones(scores.size)
    np.minimum.at(decay, dst, np.minimum(ratio, 1.0))
    decayed = scores * decay
    keep = order[decayed[order] >= min_score]
    keep = keep[np.argsort(-decayed[keep], kind='stable')]
    return keep.astype(np.int64), decayed[keep]
