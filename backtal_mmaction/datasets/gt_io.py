"""Reading ActivityNet-style temporal ground truth (THUMOS14, ActivityNet, HACS).

Layout::

    {"database": {"<video>": {"subset": "test", "duration": 226.8,
                              "fps": 30, "frame_num": 6803,      # optional
                              "annotations": [{"segment": [18.6, 24.8],
                                               "label": "HighJump"}]}},
     "activity_list": ["BaseballPitch", ...]}                    # optional

The class list is ``activity_list`` if present, else the leaves of an
ActivityNet ``taxonomy``, else the sorted set of labels.
"""
import json
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

# Files already warned about by :func:`warn_segments_outside_video`: the
# dataset, the click tools and the metric all read the same GT file.
_WARNED_OUTSIDE = set()


def load_json(path: str, what: str) -> dict:
    """``json.load`` with errors that name the file."""
    try:
        with open(path, encoding='utf-8-sig') as f:
            return json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file not found: {path}') from None
    except json.JSONDecodeError as e:
        raise ValueError(f'{what} file {path} is not valid JSON: {e}') from None


def class_names_from_gt(data: dict, path: str = '<gt>') -> List[str]:
    """Class list of a GT file (see module docstring).

    Raises:
        ValueError: a malformed ``activity_list`` or ``taxonomy``.
    """
    if 'activity_list' in data:
        names = data['activity_list']
        if not (isinstance(names, list)
                and all(isinstance(x, str) for x in names)):
            raise ValueError(
                f"{path}: 'activity_list' must be a list of strings")
        return list(names)
    taxonomy = data.get('taxonomy')
    if taxonomy is not None:
        if not isinstance(taxonomy, list) or not all(
                isinstance(n, dict) and 'nodeId' in n and 'nodeName' in n
                for n in taxonomy):
            raise ValueError(
                f"{path}: 'taxonomy' must be a list of objects with "
                "'nodeId', 'nodeName' and 'parentId'")
        parents = {node.get('parentId') for node in taxonomy}
        return sorted(node['nodeName'] for node in taxonomy
                      if node['nodeId'] not in parents)
    return sorted({
        ann['label']
        for video in data['database'].values()
        for ann in video.get('annotations', [])
    })


def load_gt_database(path: str) -> dict:
    """Load a GT file and check its top-level structure."""
    data = load_json(path, 'Ground-truth')
    if not isinstance(data, dict) or not isinstance(data.get('database'),
                                                    dict):
        raise ValueError(f'Ground-truth file {path} has no "database" '
                         'object (ActivityNet layout expected).')
    warn_segments_outside_video(data['database'], path)
    return data


def segments_outside_video(database: dict) -> List[tuple]:
    """GT segments that start before 0 or end after the video's duration.

    Args:
        database (dict): The ``database`` object of a GT file.

    Returns:
        list[tuple]: ``(video, annotation index, [start, end], duration)``
        in file order. Entries without a numeric ``duration`` or
        ``segment`` are skipped (the readers report those).
    """
    out = []
    for name, info in database.items():
        if not isinstance(info, dict):
            continue
        duration = info.get('duration')
        if not isinstance(duration, (int, float)) or isinstance(
                duration, bool):
            continue
        for i, ann in enumerate(info.get('annotations') or []):
            seg = ann.get('segment') if isinstance(ann, dict) else None
            if (isinstance(seg, (list, tuple)) and len(seg) == 2
                    and all(isinstance(x, (int, float)) for x in seg)
                    and (seg[0] < 0 or seg[1] > duration)):
                out.append((name, i, list(seg), duration))
    return out


def warn_segments_outside_video(database: dict, path: str) -> int:
    """Warn once per file about GT segments outside ``[0, duration]``.

    Such segments are kept as they are (the reference evaluators score them
    as given, and the real THUMOS14 GT has 4 test segments past their
    video's end); the warning makes them visible. One ``UserWarning`` per
    file and process, with the count and the first few cases.

    Returns:
        int: Number of such segments.
    """
    bad = segments_outside_video(database)
    key = osp.abspath(path)
    if bad and key not in _WARNED_OUTSIDE:
        _WARNED_OUTSIDE.add(key)
        videos = len({b[0] for b in bad})
        shown = '; '.join(f'{v!r} annotations[{i}] {seg} (duration {d})'
                          for v, i, seg, d in bad[:3])
        more = f'; and {len(bad) - 3} more' if len(bad) > 3 else ''
        warnings.warn(
            f'{path}: {len(bad)} GT segment(s) in {videos} video(s) start '
            f'before 0 or end after the video duration; kept as they are: '
            f'{shown}{more}',
            UserWarning,
            stacklevel=2)
    return len(bad)


def parse_gt_video(path: str, name: str, info: dict,
                   class_index: Dict[str, int]) -> dict:
    """Validate one GT entry and convert it to arrays.

    Returns:
        dict: ``duration`` (float), ``fps`` (float or None), ``frame_num``
        (int or None), ``segments`` ``(N, 2)`` float64 seconds (the file's
        values exactly, as the offline evaluation reads them), ``labels``
        ``(N,)`` int64, ``scores`` ``(N,)`` float64 or None: the optional
        per-annotation ``score`` (a weight in ``(0, 1]``, written by
        ``tools/pseudo_labels.py``); all annotations of a video carry one or
        none do.
    """
    where = f'{path}: video {name!r}'
    duration = info.get('duration')
    if not isinstance(duration, (int, float)) or not np.isfinite(duration) \
            or duration <= 0:
        raise ValueError(f'{where}: field "duration" must be a positive '
                         f'number, got {duration!r}')
    segments, labels, scores = [], [], []
    for i, ann in enumerate(info.get('annotations', [])):
        seg, label = ann.get('segment'), ann.get('label')
        if (not isinstance(seg, (list, tuple)) or len(seg) != 2
                or not all(isinstance(s, (int, float)) for s in seg)
                or not seg[0] <= seg[1]):
            raise ValueError(f'{where}: annotations[{i}].segment must be '
                             f'[start, end] seconds with start <= end, '
                             f'got {seg!r}')
        if label not in class_index:
            raise ValueError(f'{where}: annotations[{i}].label {label!r} is '
                             'not in the class list')
        segments.append(seg)
        labels.append(class_index[label])
        score = ann.get('score')
        if score is not None and (isinstance(score, bool) or not isinstance(
                score, (int, float)) or not 0 < score <= 1):
            raise ValueError(f'{where}: annotations[{i}].score must be a '
                             f'number in (0, 1], got {score!r}')
        scores.append(score)
    if any(x is None for x in scores) and any(x is not None for x in scores):
        raise ValueError(f'{where}: either every annotation has a "score" '
                         'or none has')
    fps = info.get('fps')
    frame_num = info.get('frame_num')
    return dict(
        duration=float(duration),
        fps=float(fps) if fps else None,
        frame_num=int(frame_num) if frame_num else None,
        segments=np.asarray(segments, np.float64).reshape(-1, 2),
        labels=np.asarray(labels, np.int64),
        scores=(np.asarray(scores, np.float64)
                if scores and scores[0] is not None else None))


def select_subset(database: dict,
                  subset: Optional[Sequence[str]]) -> List[str]:
    """Video names of the given subset(s), in file order."""
    if subset is None:
        return list(database)
    subsets = {subset} if isinstance(subset, str) else set(subset)
    return [k for k, v in database.items() if v.get('subset') in subsets]
