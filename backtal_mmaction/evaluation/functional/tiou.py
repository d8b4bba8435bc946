"""Temporal IoU of segments, and the tIoU thresholds of the benchmarks.

The tIoU itself (:func:`pairwise_tiou`, :func:`temporal_iou`) lives in
:mod:`backtal_mmaction.structures.segments` and is re-exported here; the
evaluation uses its ``'standard'`` mode.

Corner case: the tIoU of two zero-length segments is defined as 0 (the
official ActivityNet code gets 0/0 = NaN, which its ``<`` test then treats
as a match), so a zero-length GT can never be matched.
"""
from typing import Dict

import numpy as np

from ...structures import pairwise_tiou, temporal_iou
from ...utils import to_numpy

__all__ = [
    'DEFAULT_TIOU_THRESHOLDS', 'TIOU_RANGES', 'pairwise_tiou', 'temporal_iou',
    'check_tiou_thresholds', 'tiou_ranges'
]

# THUMOS14 convention used by the BackTAL paper. Written out instead of
# ``np.linspace(0.1, 0.7, 7)``: linspace yields 0.30000000000000004 and a
# prediction with tIoU exactly 0.3 would then miss the 0.3 threshold.
DEFAULT_TIOU_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)

# Threshold ranges of the point-supervised tables (LACP, HR-Pro report
# mAP@[0.1:0.5], mAP@[0.3:0.7] and mAP@[0.1:0.7]); HR-Pro computes them as
# ``mAP[:5].mean()`` and ``mAP[2:7].mean()`` of thresholds 0.1, ..., 0.7.
TIOU_RANGES = {
    '0.1:0.5': (0.1, 0.2, 0.3, 0.4, 0.5),
    '0.3:0.7': (0.3, 0.4, 0.5, 0.6, 0.7),
}


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
