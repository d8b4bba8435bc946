"""Temporal segment geometry of one video (vectorized): union, background
gaps, membership, sampling. Segments are ``(N, 2)`` ``[start, end]`` in
seconds; the segment check and the tIoU live in
:mod:`backtal_mmaction.structures.segments`."""
from typing import Optional

import numpy as np

from ..structures import check_segments


def as_segments(segments) -> np.ndarray:
    """``(N, 2)`` float64 segments, shape checked only: reversed or
    non-finite segments are kept (:func:`merge_segments` drops the ones
    without positive length)."""
    return check_segments(segments, 'segments', finite=False, ordered=False)


def merge_segments(segments, duration: Optional[float] = None) -> np.ndarray:
    """Union of segments as disjoint, sorted intervals.

    Args:
        segments (array-like): (N, 2) ``[start, end]`` in seconds.
        duration (float, optional): If given, segments are clipped to
            ``[0, duration]`` first.

    Returns:
        np.ndarray: (M, 2) maximal intervals covered by at least one segment
        of positive length (touching segments are merged).
    """
    seg = as_segments(segments)
    if duration is not None:
        seg = np.clip(seg, 0.0, float(duration))
    seg = seg[seg[:, 1] > seg[:, 0]]
    if len(seg) == 0:
        return np.zeros((0, 2), dtype=np.float64)
    seg = seg[np.argsort(seg[:, 0], kind='stable')]
    run_end = np.maximum.accumulate(seg[:, 1])
    # A new group starts where a segment begins after everything before it.
    new_group = np.ones(len(seg), dtype=bool)
    new_group[1:] = seg[1:, 0] > run_end[:-1]
    first = np.flatnonzero(new_group)
    last = np.append(first[1:] - 1, len(seg) - 1)
    return np.stack([seg[first, 0], run_end[last]], axis=1)


def background_gaps(segments,
                    duration: float,
                    min_length: float = 0.0) -> np.ndarray:
    """Maximal background intervals: ``[0, duration]`` minus all segments.

    Args:
        segments (array-like): (N, 2) GT ``[start, end]`` in seconds; parts
            outside ``[0, duration]`` are ignored.
        duration (float): Video duration in seconds.
        min_length (float): Drop gaps not longer than this. Defaults to 0
            (only empty gaps are dropped).

    Returns:
        np.ndarray: (M, 2) sorted disjoint gaps ``[start, end]``.
    """
    union = merge_segments(segments, duration)
    starts = np.concatenate([[0.0], union[:, 1]])
    ends = np.concatenate([union[:, 0], [float(duration)]])
    keep = (ends - starts) > max(min_length, 0.0)
    return np.stack([starts[keep], ends[keep]], axis=1)


def points_in_segments(times, segments) -> np.ndarray:
    """Whether each time lies in at least one closed segment.

    Args:
        times (array-like): (K,) seconds.
        segments (array-like): (N, 2) ``[start, end]``.

    Returns:
        np.ndarray: (K,) bool.
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    seg = as_segments(segments)
    if len(seg) == 0 or t.size == 0:
        return np.zeros(t.shape, dtype=bool)
    inside = (t[:, None] >= seg[None, :, 0]) & (t[:, None] <= seg[None, :, 1])
    return inside.any(axis=1)


def sample_in_intervals(rng: np.random.Generator, intervals: np.ndarray,
                         n: int) -> np.ndarray:
    """(n,) times uniform over the union of disjoint intervals (by length)."""
    if n <= 0 or len(intervals) == 0:
        return np.zeros(0, dtype=np.float64)
    lengths = intervals[:, 1] - intervals[:, 0]
    cum = np.cumsum(lengths)
    u = rng.random(n) * cum[-1]
    idx = np.minimum(np.searchsorted(cum, u, side='right'), len(cum) - 1)
    return intervals[idx, 0] + (u - (cum[idx] - lengths[idx]))

