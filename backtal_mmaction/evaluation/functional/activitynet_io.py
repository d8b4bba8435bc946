"""ActivityNet JSON files of the evaluation: detection results (read and
written) and ground truth (read through :mod:`backtal_mmaction.datasets.gt_io`,
the one GT reader).

Result format: ``{"version": ..., "results": {video: [{"label": name,
"segment": [start, end], "score": x}, ...]}, "external_data": {}}``; the
readers return the detection dicts of :mod:`.detections`.
"""
import json
from collections.abc import Mapping
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ...datasets.gt_io import GroundTruth, load_gt, load_json
from ...utils import atomic_write, check_output_path
from .detections import flatten_detections

__all__ = [
    'load_activitynet_results', 'dump_activitynet_results',
    'load_activitynet_gt', 'gt_detections'
]


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
        path: str, where: str,
        entries) -> Tuple[List[str], np.ndarray, np.ndarray]:
    """Parse ActivityNet ``[{label, segment, score}]`` entries of a video.

    Fast path with list comprehensions and array checks; on any problem the
    slow diagnosis names the first bad entry.

    Returns:
        tuple: ``labels`` (N names), ``segments`` ``(N, 2)`` and ``scores``
        ``(N, )`` float64.
    """
    fields = ('label', 'segment', 'score')
    if not isinstance(entries, list):
        raise ValueError(f'{path}: {where} must be a list of objects, got '
                         f'{type(entries).__name__}')
    if not entries:
        return [], np.zeros((0, 2)), np.zeros(0)
    try:
        labels = [e['label'] for e in entries]
        seg = np.asarray([e['segment'] for e in entries])
        score = np.asarray([e['score'] for e in entries])
        ok = (
            seg.ndim == 2 and seg.shape[1] == 2 and seg.dtype.kind in 'iuf'
            and all(isinstance(x, str) for x in labels)
            and score.ndim == 1 and score.dtype.kind in 'iuf')
        if ok:
            seg = seg.astype(np.float64)
            ok = bool(
                np.isfinite(seg).all() and (seg[:, 1] >= seg[:, 0]).all())
        if ok:
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
    class_names: Optional[Sequence[str]] = None,
    extend_classes: bool = False
) -> Tuple[Dict[str, dict], List[str]]:
    """Read an ActivityNet detection result JSON.

    Format: ``{"version": ..., "results": {video: [{"label": name,
    "segment": [start, end], "score": x}, ...]}, "external_data": {}}``.

    Args:
        path (str): Result file.
        class_names (Sequence[str], optional): Class list giving label
            indices; a label outside it is an error. Defaults to the sorted
            unique labels of the file.
        extend_classes (bool): Append the file's labels outside
            ``class_names`` to it (sorted) instead of refusing them: for a
            GT whose class list is only the labels of its own instances.

    Returns:
        tuple[dict, list[str]]: Detection dict ``{video: dict(segments=(N, 2),
        labels=(N, ), scores=(N, ))}`` and the class names used.
    """
    data = load_json(path, 'Result')
    if not isinstance(data, Mapping) or not isinstance(
            data.get('results'), Mapping):
        raise ValueError(f"{path}: expected a JSON object with a 'results' "
                         'object {video: [detections]}')
    parsed = {
        vid: _parse_entries(path, f'results[{vid!r}]', entries)
        for vid, entries in data['results'].items()
    }
    labels = {x for p in parsed.values() for x in p[0]}
    if class_names is None:
        class_names = sorted(labels)
    class_names = list(class_names)
    if extend_classes:
        class_names += sorted(labels - set(class_names))
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
                             overwrite: bool = False,
                             inputs: Iterable[Optional[str]] = ()) -> str:
    """Write detections as an ActivityNet result JSON.

    Args:
        predictions (dict): ``{video: dict(segments=(N, 2), labels=(N, ),
            scores=(N, ))}`` (arrays or tensors).
        class_names (Sequence[str]): Name of each label index.
        path (str): Output file; parent folders are created.
        overwrite (bool): Replace an existing file. Defaults to False.
        inputs (Iterable[str]): Files the caller's run read (GT, config,
            ...): ``path`` may be none of them, even with ``overwrite``.

    Returns:
        str: ``path``.

    Raises:
        FileExistsError / IsADirectoryError / ValueError: ``path`` exists
            (without ``overwrite``), is a folder or is one of ``inputs``
            (:func:`~backtal_mmaction.utils.check_output_path`).
    """
    check_output_path(path, '`path`', overwrite, inputs)
    class_names = [str(x) for x in class_names]
    names, vid, seg, lab, scores = flatten_detections(
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


def gt_detections(gt: GroundTruth,
                  videos: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """The GT detection dict of a loaded GT file.

    Args:
        gt (GroundTruth): From :func:`~backtal_mmaction.datasets.gt_io.\
load_gt`.
        videos (Sequence[str], optional): Videos to keep, in this order
            (each must be in ``gt.videos``). Defaults to all of them.

    Returns:
        dict: ``{video: dict(segments=(N, 2) float64, labels=(N, ) int64,
        duration=float)}``.
    """
    names = gt.videos if videos is None else videos
    return {
        name: dict(
            segments=gt.videos[name]['segments'],
            labels=gt.videos[name]['labels'],
            duration=gt.videos[name]['duration'])
        for name in names
    }


def load_activitynet_gt(
    path: str,
    subset: Optional[str] = None,
    class_names: Optional[Sequence[str]] = None
) -> Tuple[Dict[str, dict], List[str]]:
    """Read ActivityNet-style ground truth (ActivityNet 1.2/1.3, THUMOS14).

    A thin adapter over :func:`~backtal_mmaction.datasets.gt_io.load_gt`,
    the one GT reader of the plugin: its validity rule (every video read
    has an ``annotations`` list and a positive ``duration``; segments
    ``[start, end]`` with ``start <= end``; labels in the class list) and
    its class-list rule apply, so metric and dataset indices agree.

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
        segments=(N, 2), labels=(N, ), duration=float)}`` (file order) and
        the class names.
    """
    gt = load_gt(path, subset=subset, class_names=class_names)
    return gt_detections(gt), gt.class_names
