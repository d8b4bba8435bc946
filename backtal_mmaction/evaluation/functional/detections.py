"""The detection-dict layout shared by the metric, the I/O and the analysis.

A *detection dict* maps a video name to ``dict(segments=(N, 2),
labels=(N, )[, scores=(N, )])``: segments are [start, end] in seconds,
labels integer class indices. Values may be NumPy arrays, lists or (CPU/GPU)
torch tensors. This module validates such dicts and flattens them into the
concatenated arrays the vectorized code works on; the segment check is
:func:`backtal_mmaction.structures.check_segments` (re-exported here).
"""
from collections.abc import Mapping
from typing import List, Tuple

import numpy as np

from ...structures import check_segments
from ...utils import to_numpy

__all__ = ['check_segments', 'check_vector', 'flatten_detections',
           'flatten_against_gt']


def check_vector(values,
                 length: int,
                 name: str,
                 integer: bool = False) -> np.ndarray:
    """Validate a 1-D array of ``length`` finite numbers.

    Returns:
        np.ndarray: ``(length, )`` int64 with ``integer``, else float64.
    """
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


def flatten_detections(entries, what: str, num_classes: int,
                       with_scores: bool) -> Tuple[List[str], ...]:
    """Validate a detection dict and concatenate it into flat arrays.

    Args:
        entries (dict): The detection dict.
        what (str): Its name in error messages (``'gt'``, ``'predictions'``).
        num_classes (int): ``C``; labels must lie in ``[0, C)``.
        with_scores (bool): Require and return ``scores``.

    Returns:
        tuple: ``(video_names, video_idx (N, ), segments (N, 2),
        labels (N, ), scores (N, ) or None)``; ``video_idx`` indexes
        ``video_names``, entries keep the input order (videos in dict order).
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
        seg = check_segments(item['segments'], f'{where}.segments')
        lab = check_vector(item['labels'], len(seg), f'{where}.labels', True)
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
                check_vector(item['scores'], len(seg), f'{where}.scores'))
    video_idx = np.repeat(np.arange(len(names)), counts)
    segs = np.concatenate(segs) if segs else np.zeros((0, 2))
    labels = np.concatenate(labels) if labels else np.zeros(0, np.int64)
    if with_scores:
        scores = np.concatenate(scores) if scores else np.zeros(0)
    else:
        scores = None
    return names, video_idx, segs, labels, scores


# Unknown prediction videos named in an error, at most.
_MAX_NAMES_IN_ERROR = 5


def flatten_against_gt(gt, predictions, num_classes: int) -> tuple:
    """:func:`flatten_detections` of a GT dict and of the predictions on
    its videos, the predictions' videos indexed like the GT's.

    Args:
        gt (dict): ``{video: dict(segments, labels)}``.
        predictions (dict): ``{video: dict(segments, labels, scores)}``.
        num_classes (int): ``C``.

    Returns:
        tuple: ``(gt_names, gt_vid (G,), gt_seg (G, 2), gt_lab (G,),
        pred_vid (P,), pred_seg (P, 2), pred_lab (P,), scores (P,))``;
        ``pred_vid`` indexes ``gt_names``, entries keep the input order.

    Raises:
        ValueError: a prediction video is not in ``gt`` (the first ones
            named), or what :func:`flatten_detections` raises.
    """
    gt_names, gt_vid, gt_seg, gt_lab, _ = flatten_detections(
        gt, 'gt', num_classes, with_scores=False)
    pred_names, pred_vid, pred_seg, pred_lab, scores = flatten_detections(
        predictions, 'predictions', num_classes, with_scores=True)
    index = {name: i for i, name in enumerate(gt_names)}
    unknown = [name for name in pred_names if name not in index]
    if unknown:
        shown = ', '.join(repr(n) for n in unknown[:_MAX_NAMES_IN_ERROR])
        more = (f' and {len(unknown) - _MAX_NAMES_IN_ERROR} more'
                if len(unknown) > _MAX_NAMES_IN_ERROR else '')
        raise ValueError(f'predictions contain {len(unknown)} video(s) that '
                         f'are not in the ground truth: {shown}{more}')
    to_gt = np.array([index[n] for n in pred_names], dtype=np.int64)
    return (gt_names, gt_vid, gt_seg, gt_lab, to_gt[pred_vid], pred_seg,
            pred_lab, scores)
