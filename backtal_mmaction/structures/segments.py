"""Temporal segments ``[start, end]``: the one tIoU and the one segment check.

Every layer (datasets, models, evaluation) computes segment overlap and
validates segment arrays here. The module imports only NumPy and
:mod:`..utils`, so it sits on the ``utils`` floor of the import graph.

Temporal IoU, two conventions (``mode``):

* ``'standard'``: ``inter = max(0, min(e) - max(s))``, ``len = e - s``,
  ``iou = inter / (len_a + len_b - inter)``.
* ``'official'``: the official BackTAL code reuses a frame-index NMS on
  times in SECONDS: ``len = e - s + 1`` and
  ``inter = max(0, min(e) - max(s) + 1)``. This inflates the IoU of short
  segments (two 1 s segments overlapping by 0.4 s get 1.4 / 2.6 = 0.54
  instead of 0.4 / 1.6 = 0.25). The NMS offers it (``mode='official'``);
  the evaluation always uses ``'standard'``.

A pair whose union is not positive (two zero-length segments at the same
instant) gets tIoU 0 instead of the 0/0 NaN, so such a pair never matches
nor suppresses (the official ActivityNet code gets NaN, which its ``<``
test then treats as a match).

One formula serves both conventions: ``offset`` (0.0 or 1.0) is always
added, in the operation order of the NMS it comes from. In ``'standard'``
mode the results are bit-identical to the former evaluation formula
``clip(min(e) - max(s), 0) / ((e_a - s_a) + (e_b - s_b) - inter)``:
``x + 0.0`` only turns ``-0.0`` into ``+0.0``, ``maximum(0.0, x)`` and
``clip(x, 0, None)`` agree except on a ``-0.0`` argument (which the
``+ 0.0`` excludes, so no SIMD tie-break between signed zeros is reached),
and a signed-zero union is not positive, so it yields the same ``+0.0``
output either way (see ``tests/structures/test_segments.py``).
"""
import numpy as np

from ..utils import to_numpy

__all__ = [
    'TIOU_MODES', 'check_segments', 'check_tiou_mode', 'pairwise_tiou',
    'segment_iou', 'temporal_iou'
]

TIOU_MODES = ('standard', 'official')
_OFFSETS = {'standard': 0.0, 'official': 1.0}


def check_tiou_mode(mode: str, fn: str = 'tiou') -> float:
    """Validate a tIoU ``mode`` and return its offset (0.0 or 1.0).

    Raises:
        ValueError: ``'{fn}: unknown mode ..., valid modes are ...'``.
    """
    if mode not in TIOU_MODES:
        raise ValueError(f'{fn}: unknown mode {mode!r}, valid modes are '
                         f'{TIOU_MODES}')
    return _OFFSETS[mode]


def _tiou(start_a, end_a, start_b, end_b, offset: float):
    """Elementwise (broadcast) tIoU; ``offset`` a Python float, so that it
    never changes the dtype (NEP 50: Python scalars are weak)."""
    inter = np.maximum(
        0.0,
        np.minimum(end_a, end_b) - np.maximum(start_a, start_b) + offset)
    union = (end_a - start_a + offset) + (end_b - start_b + offset) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def pairwise_tiou(seg_a: np.ndarray,
                  seg_b: np.ndarray,
                  mode: str = 'standard') -> np.ndarray:
    """tIoU of broadcastable segment arrays ``(..., 2)`` -> ``(...)``.

    No validation of the segments (the vectorized matching calls it in its
    inner loop); ``seg_a[:, None]`` against ``seg_b[None]`` gives the
    ``(N, M)`` table, two ``(P, 2)`` arrays the tIoU of ``P`` pairs. Keeps
    the floating dtype of the inputs.

    Args:
        seg_a (np.ndarray): ``(..., 2)`` ``[start, end]``.
        seg_b (np.ndarray): ``(..., 2)``, broadcastable with ``seg_a``.
        mode (str): ``'standard'`` or ``'official'`` (module docstring).

    Returns:
        np.ndarray: The broadcast shape without the last axis; 0 where the
        union is not positive.
    """
    offset = check_tiou_mode(mode, 'pairwise_tiou')
    return _tiou(seg_a[..., 0], seg_a[..., 1], seg_b[..., 0], seg_b[..., 1],
                 offset)


def temporal_iou(segments_a, segments_b, mode: str = 'standard') -> np.ndarray:
    """Pairwise temporal IoU of two validated sets of segments.

    Args:
        segments_a (array-like): ``(N, 2)`` [start, end] in seconds.
        segments_b (array-like): ``(M, 2)`` [start, end] in seconds.
        mode (str): ``'standard'`` or ``'official'``.

    Returns:
        np.ndarray: ``(N, M)`` float64 tIoU.

    Raises:
        ValueError: A malformed input (see :func:`check_segments`, named
            ``segments_a`` / ``segments_b``) or an unknown ``mode``.
    """
    offset = check_tiou_mode(mode, 'temporal_iou')
    a = check_segments(segments_a, 'segments_a')
    b = check_segments(segments_b, 'segments_b')
    return _tiou(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1],
                 offset)


def segment_iou(segment, segments, mode: str = 'standard') -> np.ndarray:
    """Temporal IoU of one segment against many (the NMS form).

    Args:
        segment (array-like): ``(2, )`` ``[start, end]``.
        segments (array-like): ``(N, 2)`` (reshaped, not validated).
        mode (str): ``'standard'`` or ``'official'``.

    Returns:
        np.ndarray: ``(N, )`` float64; 0 where the union is not positive.
    """
    offset = check_tiou_mode(mode, 'segment_iou')
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    return _tiou(float(segment[0]), float(segment[1]), segments[:, 0],
                 segments[:, 1], offset)


def check_segments(segments,
                   name: str = 'segments',
                   finite: bool = True,
                   ordered: bool = True) -> np.ndarray:
    """Validate an ``(N, 2)`` array of ``[start, end]`` segments.

    Args:
        segments (array-like): Array, (nested) list or torch tensor.
        name (str): The field (and video) in error messages, e.g.
            ``"gt['v1'].segments"``.
        finite (bool): Reject NaN and infinite values.
        ordered (bool): Reject ``end < start``.

    Returns:
        np.ndarray: ``(N, 2)`` float64 (``(0, 2)`` for any empty input).

    Raises:
        ValueError: ``'{name} must have shape (N, 2) [start, end], ...'``,
            ``'{name} contains NaN or infinite values'`` or
            ``'{name} has K segment(s) with end < start, first one: ...'``.
    """
    seg = to_numpy(segments, np.float64)
    if seg.size == 0:
        return seg.reshape(0, 2)
    if seg.ndim != 2 or seg.shape[1] != 2:
        raise ValueError(f'{name} must have shape (N, 2) [start, end], '
                         f'got shape {seg.shape}')
    if finite and not np.isfinite(seg).all():
        raise ValueError(f'{name} contains NaN or infinite values')
    if ordered:
        bad = np.flatnonzero(seg[:, 1] < seg[:, 0])
        if bad.size:
            raise ValueError(
                f'{name} has {bad.size} segment(s) with end < start, '
                f'first one: {seg[bad[0]].tolist()}')
    return seg
