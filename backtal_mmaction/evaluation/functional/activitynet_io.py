"""ActivityNet JSON files of the evaluation: detection results (read and
written) and ground truth (read).

Result format: ``{"version": ..., "results": {video: [{"label": name,
"segment": [start, end], "score": x}, ...]}, "external_data": {}}``; the
readers return the detection dicts of :mod:`.detections`.
"""
import json
import os.path as osp
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...datasets.gt_io import (class_names_from_gt,
                               warn_segments_outside_video)
from ...utils import atomic_write
from .detections import flatten_detections

__all__ = [
    'load_activitynet_results', 'dump_activitynet_results',
    'load_activitynet_gt'
]


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
