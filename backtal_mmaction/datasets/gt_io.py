"""The one reader of ActivityNet-style temporal ground truth (THUMOS14,
ActivityNet, HACS): the dataset, the click tools, the synthetic benchmark
and the metric all read GT through this module, under one validity rule.

Layout::

    {"database": {"<video>": {"subset": "test", "duration": 226.8,
                              "fps": 30, "frame_num": 6803,      # optional
                              "annotations": [{"segment": [18.6, 24.8],
                                               "label": "HighJump"}]}},
     "activity_list": ["BaseballPitch", ...]}                    # optional

An entry may also give ``feature_duration``: the seconds its features
span when they cover less than the whole video (the snippet grid divides
that span instead of ``duration``).

**MMAction2's ActivityNet layout** (``ActivityNetDataset``, the BMN / BSN
data: ``anet_anno_{train,val}.json``, one file per split) is read too and
converted on load (:func:`database_from_mmaction`)::

    {"v_--1DO2V4K74": {"duration_second": 211.53, "duration_frame": 6337,
                       "feature_frame": 6336, "fps": 30.0,
                       "annotations": [{"segment": [30.0, 205.2],
                                        "label": "Rock climbing"}]}}

``duration_second`` becomes ``duration``, ``duration_frame``
``frame_num``, ``duration_frame / duration_second`` ``fps`` (the nominal
``fps`` only without ``duration_frame``), and ``feature_frame`` the span
its features cover, ``feature_duration =
feature_frame / duration_frame * duration_second``: MMAction2's
``GenerateLocalizationLabels`` divides the segments by that same span. Its
videos have no ``subset`` (select them with ``subset=None``) unless an
entry gives one. An entry whose ``feature_frame`` exceeds
``duration_frame`` is kept as MMAction2 keeps it, with a warning.

Validity rule, applied to every video entry that is read:

- the entry is an object;
- ``annotations`` is present and a list (possibly empty: the real
  ActivityNet ``testing`` entries have empty lists), of objects;
- ``duration`` is a positive finite number (seconds);
- each ``segment`` is ``[start, end]``, finite numbers, ``start <= end``
  (segments past the video's end are kept, see
  :func:`warn_segments_outside_video`);
- each ``label`` is in the class list;
- the optional ``score`` is a number in ``(0, 1]``, on all annotations of a
  video or on none.

The class list is the caller's, else ``activity_list``, else the leaves of
an ActivityNet ``taxonomy``, else the sorted labels of the whole database
(so class indices do not depend on the selected subset).
"""
import json
import math
import os.path as osp
import warnings
from dataclasses import dataclass
from numbers import Real
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

# ``(what, file)`` pairs already warned about (:func:`_warn_once`): the
# dataset, the click tools and the metric all read the same GT file.
_WARNED = set()
# Seconds a segment may pass the video's bounds without a warning:
# ActivityNet writes durations and segments rounded to 0.01 s, so 180 of
# its 185 segments past the end are past it by less (rounding, not
# annotation errors); THUMOS14's four run seconds past it.
OUTSIDE_TOLERANCE = 0.01

Subset = Union[None, str, Sequence[str]]


@dataclass
class GroundTruth:
    """A loaded, validated GT file (see :func:`load_gt`).

    Attributes:
        path (str): The file it was read from.
        data (dict): The whole JSON object.
        database (dict): ``data['database']`` (all videos, unparsed).
        class_names (list[str]): The class list (index = class id).
        videos (dict): The selected videos in file order -> the
            :func:`parse_gt_video` dict (``duration``, ``fps``,
            ``frame_num``, ``segments`` ``(N, 2)`` float64, ``labels``
            ``(N,)`` int64, ``scores`` ``(N,)`` float64 or None).
    """
    path: str
    data: dict
    database: dict
    class_names: List[str]
    videos: Dict[str, dict]

    @property
    def class_index(self) -> Dict[str, int]:
        """Class name -> index."""
        return {name: i for i, name in enumerate(self.class_names)}


def load_json(path: str, what: str) -> dict:
    """``json.load`` with errors that name the file."""
    try:
        with open(path, encoding='utf-8-sig') as f:
            return json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'{what} file not found: {path}') from None
    except json.JSONDecodeError as e:
        raise ValueError(f'{what} file {path} is not valid JSON: {e}') from None


def _is_number(value) -> bool:
    # bool is a Real subclass, but "duration": true is certainly a mistake.
    return isinstance(value, Real) and not isinstance(value, bool)


def video_annotations(path: str, name: str, info) -> list:
    """The ``annotations`` list of one entry, structure checked.

    Raises:
        ValueError: The entry is not an object, ``annotations`` is missing
            or not a list, or an annotation is not an object; the message
            names the file, the video and the field.
    """
    where = f'{path}: video {name!r}'
    if not isinstance(info, dict):
        raise ValueError(f'{where}: the entry must be a JSON object, got '
                         f'{type(info).__name__}')
    if 'annotations' not in info:
        raise ValueError(f"{where}: missing field 'annotations' (a list of "
                         '{"segment", "label"} objects; may be empty)')
    anns = info['annotations']
    if not isinstance(anns, list):
        raise ValueError(f"{where}: field 'annotations' must be a list, got "
                         f'{type(anns).__name__}')
    for i, ann in enumerate(anns):
        if not isinstance(ann, dict):
            raise ValueError(f'{where}: annotations[{i}] must be an object '
                             f'with "segment" and "label", got {ann!r}')
    return anns


def class_names_from_gt(data: dict, path: str = '<gt>') -> List[str]:
    """Class list of a GT file (see module docstring).

    Raises:
        ValueError: a malformed ``activity_list`` or ``taxonomy``, or (when
            the list is inferred from the labels) a malformed entry or a
            label that is not a string.
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
    labels = set()
    for name, info in data['database'].items():
        for i, ann in enumerate(video_annotations(path, name, info)):
            label = ann.get('label')
            if not isinstance(label, str):
                raise ValueError(f'{path}: video {name!r}: annotations[{i}]'
                                 f'.label must be a class name, got '
                                 f'{label!r}')
            labels.add(label)
    return sorted(labels)


# ``GroundTruth.data['layout']`` of a file read in MMAction2's layout
MMACTION_LAYOUT = 'mmaction2-activitynet'


def _warn_once(what: str, path: str, message: str,
               stacklevel: int) -> None:
    """One ``UserWarning`` per ``what`` and GT file in a process;
    ``stacklevel`` as the caller would pass it to ``warnings.warn``."""
    key = (what, osp.abspath(path))
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, UserWarning, stacklevel=stacklevel + 1)


def read_class_list(path: str) -> List[str]:
    """A class list from a file: a GT JSON (any layout this module reads:
    its class list, see the module docstring), else a text file with one
    class name per line (blank lines skipped).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: An empty list, or a name given twice.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'class list file not found: {path}')
    if path.endswith('.json'):
        names = class_names_from_gt(load_gt_database(path), path)
    else:
        with open(path, encoding='utf-8-sig') as f:
            names = [line.strip() for line in f if line.strip()]
    if not names:
        raise ValueError(f'{path}: the class list is empty')
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f'{path}: class name(s) given twice: {twice}')
    return names


def _mmaction_entries(data) -> List[str]:
    """The top-level keys of ``data`` whose value is an entry of
    MMAction2's layout (an object with ``duration_second``)."""
    if not isinstance(data, dict):
        return []
    return [k for k, v in data.items()
            if isinstance(v, dict) and 'duration_second' in v]


def is_mmaction_layout(data) -> bool:
    """Whether a GT JSON object is in MMAction2's ActivityNet layout: no
    ``database``, and entries keyed by video with ``duration_second``."""
    return (isinstance(data, dict) and 'database' not in data
            and bool(_mmaction_entries(data)))


def _positive_field(where: str, info: dict, field: str,
                    integer: bool = False):
    """``info[field]`` (None if absent): a positive finite number (an
    integer, e.g. a frame count, where ``integer``)."""
    value = info.get(field)
    if value is None:
        return None
    whole = not integer or (_is_number(value) and float(value).is_integer())
    if not (_is_number(value) and math.isfinite(value) and value > 0
            and whole):
        what = 'a positive integer' if integer else 'a positive number'
        raise ValueError(f'{where}: field "{field}" must be {what}, got '
                         f'{value!r}')
    return value


def database_from_mmaction(data: dict, path: str = '<gt>') -> dict:
    """MMAction2's ActivityNet layout (module docstring) -> a
    ``database`` of this module's layout, MMAction2's fields checked.

    Args:
        data (dict): The JSON object, ``{video: entry}``.
        path (str): The file, for errors.

    Returns:
        dict: ``{video: {"duration", "annotations", "fps"?,
        "frame_num"?, "feature_duration"?}}`` in file order.

    Raises:
        ValueError: An entry that is not an object, a missing or
            non-positive ``duration_second``, a frame count that is not a
            positive integer, or ``feature_frame`` without
            ``duration_frame``; the message names the file, the video and
            the field.
    """
    database, longer = {}, []
    for name, info in data.items():
        where = f'{path}: video {name!r}'
        if not isinstance(info, dict):
            raise ValueError(f'{where}: the entry must be a JSON object, '
                             f'got {type(info).__name__}')
        seconds = _positive_field(where, info, 'duration_second')
        if seconds is None:
            raise ValueError(f'{where}: missing field "duration_second" '
                             "(MMAction2's ActivityNet layout)")
        frames = _positive_field(where, info, 'duration_frame', True)
        covered = _positive_field(where, info, 'feature_frame', True)
        fps = _positive_field(where, info, 'fps')
        if covered is not None and frames is None:
            raise ValueError(f'{where}: field "feature_frame" needs '
                             '"duration_frame" (the features span '
                             'feature_frame / duration_frame of the video)')
        entry = dict(duration=seconds)
        for key in ('annotations', 'subset'):  # a subset, where one is given
            if key in info:
                entry[key] = info[key]
        if frames is not None:
            # the decoded frame rate, which MMAction2's own conversions
            # use (its "fps" is nominal: 30.0 for a 29.96 fps video)
            entry.update(fps=frames / seconds, frame_num=int(frames))
        elif fps is not None:
            entry['fps'] = fps
        if covered is not None:
            # as MMAction2's GenerateLocalizationLabels: the features span
            # the video's first feature_frame frames
            entry['feature_duration'] = float(covered) / frames * seconds
            if covered > frames:
                longer.append(f'{name!r} ({covered} > {frames})')
        database[name] = entry
    if longer:
        _warn_once('longer features', path,
                   f'{path}: {len(longer)} video(s) have "feature_frame" > '
                   f'"duration_frame" (features spanning more than the '
                   f'video), e.g. {", ".join(longer[:3])}; their span is '
                   'used as given, as MMAction2 uses it: check these entries',
                   stacklevel=3)
    return database


def load_gt_database(path: str) -> dict:
    """Load a GT file and check its top-level structure (entries are
    checked by :func:`parse_gt_video` when read). A file in MMAction2's
    ActivityNet layout comes back as ``{"database": ...}`` of this
    module's layout (:func:`database_from_mmaction`)."""
    data = load_json(path, 'Ground-truth')
    mixed = _mmaction_entries(data) if isinstance(data, dict) and \
        'database' in data else []
    if mixed:
        raise ValueError(
            f'{path}: holds a "database" object and also {len(mixed)} '
            f'entries of MMAction2\'s layout at the top level (e.g. '
            f'{mixed[:3]}); a file is in one layout: the entries would be '
            'ignored')
    if is_mmaction_layout(data):
        # ``layout`` tells readers that the file had no class list and
        # holds one split (see ClickTALDataset's ``classes``)
        data = dict(database=database_from_mmaction(data, path),
                    layout=MMACTION_LAYOUT)
    if not isinstance(data, dict) or not isinstance(data.get('database'),
                                                    dict):
        raise ValueError(f'Ground-truth file {path} has no "database" '
                         'object (ActivityNet layout expected; MMAction2\'s '
                         'layout, entries with "duration_second", is read '
                         'too).')
    warn_segments_outside_video(data['database'], path)
    return data


def segments_outside_video(database: dict,
                           tolerance: float = 0.0) -> List[tuple]:
    """GT segments that start before 0 or end after the video's duration
    by more than ``tolerance`` seconds.

    Args:
        database (dict): The ``database`` object of a GT file.
        tolerance (float): Seconds of overshoot passed over (>= 0).

    Returns:
        list[tuple]: ``(video, annotation index, [start, end], duration)``
        in file order. Entries without a positive ``duration`` or a numeric
        ``segment`` are skipped (the readers report those).
    """
    out = []
    for name, info in database.items():
        if not isinstance(info, dict):
            continue
        duration = info.get('duration')
        if not _is_number(duration) or not duration > 0:
            continue
        anns = info.get('annotations')
        for i, ann in enumerate(anns if isinstance(anns, list) else []):
            seg = ann.get('segment') if isinstance(ann, dict) else None
            if (isinstance(seg, (list, tuple)) and len(seg) == 2
                    and all(_is_number(x) for x in seg)
                    and (seg[0] < -tolerance
                         or seg[1] > duration + tolerance)):
                out.append((name, i, list(seg), duration))
    return out


def warn_segments_outside_video(database: dict, path: str) -> int:
    """Warn once per file about GT segments outside ``[0, duration]`` by
    more than :data:`OUTSIDE_TOLERANCE` (rounding to 0.01 s).

    Such segments are kept as they are (the reference evaluators score them
    as given, and the real THUMOS14 GT has 4 test segments past their
    video's end); the warning makes them visible. One ``UserWarning`` per
    file and process, with the count and the first few cases.

    Returns:
        int: Number of such segments.
    """
    bad = segments_outside_video(database, OUTSIDE_TOLERANCE)
    if bad:
        videos = len({b[0] for b in bad})
        shown = '; '.join(f'{v!r} annotations[{i}] {seg} (duration {d})'
                          for v, i, seg, d in bad[:3])
        more = f'; and {len(bad) - 3} more' if len(bad) > 3 else ''
        _warn_once('segments outside', path,
                   f'{path}: {len(bad)} GT segment(s) in {videos} video(s) '
                   f'start before 0 or end after the video duration (by '
                   f'more than {OUTSIDE_TOLERANCE} s); kept as they are: '
                   f'{shown}{more}', stacklevel=2)
    return len(bad)


def parse_gt_video(path: str, name: str, info: dict,
                   class_index: Dict[str, int]) -> dict:
    """Check one GT entry against the validity rule (module docstring) and
    convert it to arrays.

    Args:
        path (str): The GT file (or another source name), for errors.
        name (str): The video.
        info (dict): Its entry in ``database``.
        class_index (dict): Class name -> index.

    Returns:
        dict: ``duration`` (float), ``fps`` (float or None), ``frame_num``
        (int or None), ``feature_duration`` (float or None: the seconds the
        features span, where not the whole video), ``segments`` ``(N, 2)`` float64 seconds (the file's
        values exactly, as the offline evaluation reads them), ``labels``
        ``(N,)`` int64, ``scores`` ``(N,)`` float64 or None: the optional
        per-annotation ``score`` (a weight in ``(0, 1]``, written by
        ``tools/pseudo_labels.py``); all annotations of a video carry one or
        none do.

    Raises:
        ValueError: A rule violation, naming the file, the video and the
            field.
    """
    where = f'{path}: video {name!r}'
    anns = video_annotations(path, name, info)
    duration = info.get('duration')
    if not _is_number(duration) or not math.isfinite(duration) \
            or duration <= 0:
        raise ValueError(f'{where}: field "duration" must be a positive '
                         f'number, got {duration!r}')
    segments, labels, scores = [], [], []
    for i, ann in enumerate(anns):
        seg, label = ann.get('segment'), ann.get('label')
        if (not isinstance(seg, (list, tuple)) or len(seg) != 2
                or not all(_is_number(s) and math.isfinite(s) for s in seg)
                or not seg[0] <= seg[1]):
            raise ValueError(f'{where}: annotations[{i}].segment must be '
                             f'[start, end] seconds with start <= end, '
                             f'got {seg!r}')
        if not isinstance(label, str) or label not in class_index:
            raise ValueError(f'{where}: annotations[{i}].label: unknown '
                             f'label {label!r}, not in the class list '
                             f'({len(class_index)} classes)')
        segments.append(seg)
        labels.append(class_index[label])
        score = ann.get('score')
        if score is not None and (not _is_number(score)
                                  or not 0 < score <= 1):
            raise ValueError(f'{where}: annotations[{i}].score must be a '
                             f'number in (0, 1], got {score!r}')
        scores.append(score)
    if any(x is None for x in scores) and any(x is not None for x in scores):
        raise ValueError(f'{where}: either every annotation has a "score" '
                         'or none has')
    fps = info.get('fps')
    frame_num = info.get('frame_num')
    span = _positive_field(where, info, 'feature_duration')
    return dict(
        duration=float(duration),
        fps=float(fps) if fps else None,
        frame_num=int(frame_num) if frame_num else None,
        feature_duration=None if span is None else float(span),
        segments=np.asarray(segments, np.float64).reshape(-1, 2),
        labels=np.asarray(labels, np.int64),
        scores=(np.asarray(scores, np.float64)
                if scores and scores[0] is not None else None))


def feature_span(video: dict) -> tuple:
    """``(seconds, frames)`` of the part of a video its features cover,
    which the snippet grid divides: the whole video, or its
    ``feature_duration`` (MMAction2's ``feature_frame``).

    Args:
        video (dict): A :func:`parse_gt_video` dict.

    Returns:
        tuple: The span's seconds, and its frame count where the GT gives
        it (the video's ``frame_num`` for a whole-video span; else None,
        to be derived from the frame rate).
    """
    if video['feature_duration'] is not None:
        return video['feature_duration'], None
    return video['duration'], video['frame_num']


def select_subset(database: dict, subset: Subset,
                  path: str = '<gt>') -> List[str]:
    """Video names of the given subset(s), in file order.

    Args:
        database (dict): The ``database`` object of a GT file.
        subset (None | str | Sequence[str]): None selects every video; else
            the videos whose ``subset`` field is (one of) these.
        path (str): The GT file, for errors.

    Returns:
        list[str]: The selected videos, never empty.

    Raises:
        ValueError: Nothing selected (naming the file and the subsets
            present), a bad ``subset`` argument or an entry that is not an
            object.
    """
    if subset is None:
        wanted = None
    elif isinstance(subset, str):
        wanted = {subset}
    elif isinstance(subset, (list, tuple, set, frozenset)) and all(
            isinstance(s, str) for s in subset):
        wanted = set(subset)
    else:
        raise ValueError(f'{path}: subset must be None, a name or a list of '
                         f'names, got {subset!r}')
    for name, info in database.items():
        if not isinstance(info, dict):
            raise ValueError(f'{path}: video {name!r}: the entry must be a '
                             f'JSON object, got {type(info).__name__}')
    names = [
        k for k, v in database.items()
        if wanted is None or v.get('subset') in wanted
    ]
    if not names and wanted is not None and not any(
            'subset' in v for v in database.values()):
        raise ValueError(f'{path}: its videos have no "subset" field (one '
                         'file per split, as in MMAction2\'s ActivityNet '
                         f'layout), so subset {subset!r} selects nothing; '
                         'set subset=None to read them all')
    if not names:
        available = sorted({str(v.get('subset')) for v in database.values()})
        if wanted is None:
            what = 'the database'
        elif isinstance(subset, str):
            what = f'subset {subset!r}'
        else:
            what = f'subsets {sorted(wanted)}'
        raise ValueError(f'{path}: no video in {what}; available subsets: '
                         f'{available}')
    return names


def load_gt(path: str,
            subset: Subset = None,
            class_names: Optional[Sequence[str]] = None) -> GroundTruth:
    """Read and validate a GT file: the one reader of the plugin.

    Args:
        path (str): ActivityNet-style GT JSON (module docstring).
        subset (None | str | Sequence[str]): Videos to read (see
            :func:`select_subset`). Defaults to all.
        class_names (Sequence[str], optional): Class list; defaults to the
            file's (module docstring).

    Returns:
        GroundTruth: Every selected video parsed by :func:`parse_gt_video`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: Malformed JSON, no ``database``, an empty selection or
            a rule violation; messages name the file (and video, field).
    """
    path = str(path)
    data = load_gt_database(path)
    database = data['database']
    names = (list(class_names) if class_names is not None else
             class_names_from_gt(data, path))
    index = {name: i for i, name in enumerate(names)}
    videos = {
        name: parse_gt_video(path, name, database[name], index)
        for name in select_subset(database, subset, path)
    }
    return GroundTruth(
        path=path,
        data=data,
        database=database,
        class_names=names,
        videos=videos)
