# Copyright (c) OpenMMLab. All rights reserved.
"""Click annotations: file schema, I/O, THUMOS14 CSV conversion, simulation.

A *click* is a single time stamp (in seconds) that an annotator marked in a
video, either on background (BackTAL's background click) or on an action
(SF-Net's action click, which also carries the class).

Click-file schema (``backtal-clicks/1.0``)
-----------------------------------------
A UTF-8 JSON file::

    {"version": "backtal-clicks/1.0",
     "database": {
       "video_validation_0000051": {"clicks": [
          {"time": 21.5, "type": "background", "annotator": "A1"},
          {"time": 40.2, "type": "action", "label": "HighJump",
           "annotator": "SF"}]},
       "video_validation_0000052": {"clicks": []}}}

- ``version`` (optional): ``"backtal-clicks/1.<minor>"``; other versions are
  rejected.
- ``database``: video name -> ``{"clicks": [...]}``. A video with an empty
  click list is allowed (annotated, but nothing clicked).
- ``time``: click time in seconds (int or float, finite). Checked against
  the video duration by :func:`validate_clicks`, not by the loader.
- ``type``: ``"background"`` or ``"action"``.
- ``label``: class name; required (non-empty string) for action clicks and
  forbidden for background clicks (absent or ``null``), because a label on a
  background click almost always means the two kinds were mixed up.
- ``annotator``: non-empty string id. Several annotators per video are
  allowed (e.g. ``"A1"`` for human background clicks and ``"SF"`` for
  action clicks in the same file).
- Other keys in a click are ignored, so files may carry extra metadata.

In memory, a click file is a ``dict[str, list[dict]]`` mapping video name to
clicks ``{'time': float, 'type': str, 'label': str | None,
'annotator': str}`` in file order.
"""
import csv
import json
import math
import os
import zlib
from numbers import Integral, Real
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils import CLICK_TYPES, atomic_write
from .gt_io import load_gt, parse_gt_video, select_subset, video_annotations

CLICK_FILE_VERSION = 'backtal-clicks/1.0'
THUMOS_CSV_REQUIRED_COLUMNS = ('URLID', 'Tag', 'Start')
THUMOS_BACKGROUND_TAGS = ('background', 'background_background')
THUMOS14_CLASSES = ('BaseballPitch', 'BasketballDunk', 'Billiards',
                    'CleanAndJerk', 'CliffDiving', 'CricketBowling',
                    'CricketShot', 'Diving', 'FrisbeeCatch', 'GolfSwing',
                    'HammerThrow', 'HighJump', 'JavelinThrow', 'LongJump',
                    'PoleVault', 'Shotput', 'SoccerPenalty', 'TennisSwing',
                    'ThrowDiscus', 'VolleyballSpiking')

Click = Dict[str, object]
Clicks = Dict[str, List[Click]]
PathLike = Union[str, os.PathLike]

__all__ = [
    'CLICK_FILE_VERSION', 'CLICK_TYPES', 'THUMOS14_CLASSES', 'load_click_file',
    'parse_clicks', 'validate_clicks', 'dump_click_file', 'merge_click_files',
    'convert_thumos_csv', 'simulate_clicks', 'background_gaps',
    'merge_segments', 'points_in_segments', 'click_statistics',
    'video_gt_segments', 'load_ground_truth'
]


# ---------------------------------------------------------------------------
# Schema validation
# ---------------------------------------------------------------------------
def _normalize_click(raw: object, source: str, video: str,
                     index: int) -> Click:
    """Check one click against the schema and return its canonical form."""
    where = f"{source}: video '{video}', click #{index}"
    if not isinstance(raw, dict):
        raise ValueError(f'{where}: expected a JSON object, '
                         f'got {type(raw).__name__}')
    for field in ('time', 'type', 'annotator'):
        if field not in raw:
            raise ValueError(f"{where}: missing required field '{field}'")
    time = raw['time']
    # bool is a Real subclass but "time": true is certainly a mistake.
    if isinstance(time, bool) or not isinstance(time, Real):
        raise ValueError(f"{where}: field 'time' must be a number of "
                         f'seconds, got {time!r}')
    time = float(time)
    if not math.isfinite(time):
        raise ValueError(f"{where}: field 'time' must be finite, got {time}")
    ctype = raw['type']
    if ctype not in CLICK_TYPES:
        raise ValueError(f"{where}: field 'type' must be one of "
                         f'{list(CLICK_TYPES)}, got {ctype!r}')
    annotator = raw['annotator']
    if not isinstance(annotator, str) or not annotator:
        raise ValueError(f"{where}: field 'annotator' must be a non-empty "
                         f'string, got {annotator!r}')
    label = raw.get('label')
    if ctype == 'action':
        if not isinstance(label, str) or not label:
            raise ValueError(f"{where}: action click needs field 'label' "
                             f'(a class name), got {label!r}')
    elif label is not None:
        raise ValueError(f"{where}: background click must not carry field "
                         f"'label' (got {label!r}); use type 'action' for "
                         'labelled clicks')
    return {
        'time': time,
        'type': ctype,
        'label': label if ctype == 'action' else None,
        'annotator': annotator
    }


def _normalize_clicks(clicks: object, source: str) -> Clicks:
    """Validate an in-memory ``video -> clicks`` mapping (schema only)."""
    if not isinstance(clicks, dict):
        raise ValueError(f'{source}: clicks must be a dict video -> list of '
                         f'clicks, got {type(clicks).__name__}')
    out: Clicks = {}
    for video, vclicks in clicks.items():
        if not isinstance(video, str) or not video:
            raise ValueError(f'{source}: video names must be non-empty '
                             f'strings, got {video!r}')
        if not isinstance(vclicks, (list, tuple)):
            raise ValueError(f"{source}: video '{video}': clicks must be a "
                             f'list, got {type(vclicks).__name__}')
        out[video] = [
            _normalize_click(c, source, video, i)
            for i, c in enumerate(vclicks)
        ]
    return out


def parse_clicks(data: object, source: str = '<clicks>') -> Clicks:
    """Validate a decoded click file (the JSON object) and return its clicks.

    Args:
        data: The decoded JSON document (see the module docstring).
        source: Name used in error messages, usually the file path.

    Returns:
        dict[str, list[dict]]: video -> clicks in file order.
    """
    if not isinstance(data, dict):
        raise ValueError(f'{source}: top level must be a JSON object with a '
                         f"'database' key, got {type(data).__name__}")
    version = data.get('version')
    if version is not None and (not isinstance(version, str) or
                                not version.startswith('backtal-clicks/1.')):
        raise ValueError(f"{source}: unsupported click-file version "
                         f"{version!r}, expected '{CLICK_FILE_VERSION}'")
    if 'database' not in data:
        raise ValueError(f"{source}: missing top-level key 'database'")
    database = data['database']
    if not isinstance(database, dict):
        raise ValueError(f"{source}: 'database' must be an object video -> "
                         f'{{"clicks": [...]}}, got {type(database).__name__}')
    raw: Dict[str, object] = {}
    for video, entry in database.items():
        if not isinstance(entry, dict) or 'clicks' not in entry:
            raise ValueError(f"{source}: video '{video}': expected an object "
                             "with a 'clicks' list")
        raw[video] = entry['clicks']
    return _normalize_clicks(raw, source)


def load_click_file(path: PathLike) -> Clicks:
    """Load and schema-check a ``backtal-clicks/1.0`` JSON file.

    Args:
        path: Path of the click file.

    Returns:
        dict[str, list[dict]]: video -> list of ``{'time': float,
        'type': str, 'label': str | None, 'annotator': str}`` in file order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: Malformed JSON or schema violations; the message names
            the file, the video and the click index / field.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Click file not found: {path}')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: malformed JSON ({e.msg} at line '
                         f'{e.lineno}, column {e.colno})') from e
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: not a UTF-8 text file ({e})') from e
    return parse_clicks(data, source=str(path))


def load_ground_truth(path: PathLike) -> Tuple[dict, List[str]]:
    """Load an ActivityNet-style GT JSON through :func:`gt_io.load_gt`.

    Args:
        path: GT file with ``database`` (video -> ``{subset, duration,
            annotations, ...}``); every entry is checked against the
            validity rule of :mod:`gt_io`, and the class list follows it
            (``activity_list``, taxonomy leaves, sorted labels), as the
            dataset and the metric do.

    Returns:
        tuple: ``(database, class_names)``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: Malformed JSON or a rule violation, naming the file.
    """
    gt = load_gt(str(path))
    return gt.database, gt.class_names


def video_gt_segments(gt_database: dict,
                      video: str,
                      class_names: Optional[Sequence[str]] = None,
                      source: str = 'ground truth'
                      ) -> Tuple[float, np.ndarray, List[str]]:
    """Duration, (N, 2) segments and labels of one GT video, checked by
    :func:`gt_io.parse_gt_video` (the one validity rule).

    Args:
        gt_database (dict): The ``database`` of an ActivityNet-style GT.
        video (str): The video.
        class_names (Sequence[str], optional): Valid labels; defaults to
            the video's own labels (any class name is accepted).
        source (str): Name of the GT in error messages.

    Returns:
        tuple: ``duration`` (float), ``segments`` ``(N, 2)`` float64
        seconds, ``labels`` (list of N class names).
    """
    entry = gt_database[video]
    if class_names is None:
        class_names = sorted({
            a.get('label')
            for a in video_annotations(source, video, entry)
            if isinstance(a.get('label'), str)
        })
    names = list(class_names)
    info = parse_gt_video(source, video, entry,
                          {name: i for i, name in enumerate(names)})
    return (info['duration'], info['segments'],
            [names[i] for i in info['labels']])


def validate_clicks(clicks: Clicks,
                    gt_database: dict,
                    class_names: Sequence[str],
                    path: str = '<clicks>') -> None:
    """Check clicks against a ground truth: videos, times and labels.

    Args:
        clicks: video -> clicks, as returned by :func:`load_click_file`.
        gt_database: The ``database`` part of an ActivityNet-style GT
            (video -> ``{'duration': seconds, ...}``).
        class_names: Valid labels of action clicks.
        path: Name of the click file, used in error messages.

    Raises:
        ValueError: Clicks for videos absent from the GT (listing up to 5 of
            them and their count), a time outside ``[0, duration]`` (naming
            video, time and duration) or an action label that is not a class.
    """
    unknown = [video for video in clicks if video not in gt_database]
    if unknown:
        raise ValueError(
            f'{path}: {len(unknown)} video(s) with clicks are not in the '
            f'ground truth, e.g. {unknown[:5]}')
    class_set = set(class_names)
    for video, vclicks in clicks.items():
        if not vclicks:
            continue
        duration, _, _ = video_gt_segments(gt_database, video, class_names,
                                           f'ground truth of {path}')
        times = np.array([c['time'] for c in vclicks], dtype=np.float64)
        bad = np.flatnonzero((times < 0) | (times > duration))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{path}: video '{video}', click #{i}: time {times[i]:g} s is "
                f'outside the video [0, {duration:g}] s (duration '
                f'{duration:g} s; {bad.size} click(s) of this video out of '
                'range)')
        for i, click in enumerate(vclicks):
            if click['type'] == 'action' and click['label'] not in class_set:
                raise ValueError(f"{path}: video '{video}', click #{i}: label "
                                 f"{click['label']!r} is not one of the "
                                 f'{len(class_set)} classes')


# ---------------------------------------------------------------------------
# Writing and merging
# ---------------------------------------------------------------------------
def _click_to_json(click: Click) -> str:
    out = {'time': click['time'], 'type': click['type']}
    if click['type'] == 'action':
        out['label'] = click['label']
    out['annotator'] = click['annotator']
    return json.dumps(out, ensure_ascii=False)


def dump_click_file(clicks: Clicks,
                    path: PathLike,
                    overwrite: bool = False) -> None:
    """Write clicks as a ``backtal-clicks/1.0`` file, one click per line.

    The clicks are schema-checked first, so an invalid file is never written.
    The file is written to a temporary name and renamed, so an interrupted
    write never leaves a truncated click file.

    Args:
        clicks: video -> clicks.
        path: Output path; parent folders are created.
        overwrite: Replace an existing file. Defaults to False.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        ValueError: ``clicks`` violate the schema.
    """
    path = Path(path)
    clicks = _normalize_clicks(clicks, source=f'clicks for {path}')
    if path.exists() and not overwrite:
        raise FileExistsError(
            f'{path} already exists; refusing to overwrite it (pass '
            'overwrite=True / --overwrite to replace it)')
    if path.is_dir():
        raise IsADirectoryError(f'{path} is a directory, not a file path')
    videos = []
    for video, vclicks in clicks.items():
        body = ',\n'.join('    ' + _click_to_json(c) for c in vclicks)
        body = f'\n{body}' if body else ''
        videos.append(f'  {json.dumps(video)}: {{"clicks": [{body}]}}')
    text = (f'{{"version": {json.dumps(CLICK_FILE_VERSION)},\n'
            ' "database": {\n' + ',\n'.join(videos) + '}}\n')
    # Written to a hidden temporary name and renamed: an interrupted write
    # never leaves a truncated click file.
    atomic_write(path, text)


def _sorted_clicks(clicks: Iterable[Click]) -> List[Click]:
    return sorted(clicks, key=lambda c: (c['time'], c['annotator']))


def merge_click_files(*clicks: Union[Clicks, PathLike]) -> Clicks:
    """Union of several click sets, per video, keeping annotator ids.

    Args:
        *clicks: Click dicts (video -> clicks) or paths of click files.

    Returns:
        dict[str, list[dict]]: every video of any input (first-seen order);
        its clicks sorted by time, exact duplicates (same time, type, label
        and annotator) kept once.
    """
    merged: Dict[str, List[Click]] = {}
    for i, item in enumerate(clicks):
        if isinstance(item, (str, os.PathLike)):
            item = load_click_file(item)
        else:
            item = _normalize_clicks(item, source=f'merge input #{i}')
        for video, vclicks in item.items():
            merged.setdefault(video, []).extend(vclicks)
    out: Clicks = {}
    for video, vclicks in merged.items():
        unique = {
            (c['time'], c['type'], c['label'], c['annotator']): c
            for c in vclicks
        }
        out[video] = _sorted_clicks(unique.values())
    return out


# ---------------------------------------------------------------------------
# THUMOS14 human click CSV
# ---------------------------------------------------------------------------
def _parse_tag(tag: str,
               lookup: Dict[str, str]) -> Optional[Tuple[str, Optional[str]]]:
    """Map a CSV tag to ``(type, label)``; None if it names nothing known.

    ``background_background`` (or ``background``) is a background click. Any
    other tag is an action click if the tag, or its part after any ``_``
    (``<something>_<Class>``, e.g. ``action_HighJump``), names a class.
    """
    tag = tag.strip()
    if tag.lower() in THUMOS_BACKGROUND_TAGS:
        return 'background', None
    candidates = [tag] + [tag[i + 1:] for i, ch in enumerate(tag) if ch == '_']
    for cand in candidates:
        name = lookup.get(cand.lower())
        if name is not None:
            return 'action', name
    return None


def convert_thumos_csv(csv_path: PathLike,
                       annotator: str = 'A1',
                       class_names: Sequence[str] = THUMOS14_CLASSES
                       ) -> Clicks:
    """Convert the THUMOS14 human click CSV of the BackTAL release.

    The CSV (UTF-8, optionally with a BOM) has the header
    ``URLID,URL,TagID,Tag,Start,End,Time,State`` and one row per click; only
    ``URLID`` (video name), ``Tag`` and ``Start`` (click time in seconds)
    are used and required. ``End`` is ignored: it equals ``Start`` except
    for a handful of rows where the annotator dragged slightly.

    Args:
        csv_path: Path of the CSV file.
        annotator: Annotator id given to every click. Defaults to 'A1'.
        class_names: Classes that action tags may name (matched
            case-insensitively). Defaults to the 20 THUMOS14 classes.

    Returns:
        dict[str, list[dict]]: video -> clicks in file order (only videos
        with at least one row).

    Raises:
        FileNotFoundError: ``csv_path`` does not exist.
        ValueError: Missing header columns (naming the column), a row with
            fewer or more fields than the header (naming the line), a
            non-numeric ``Start`` (naming line and video) or an unknown tag
            (naming line and tag); every message names the file.
    """
    path = Path(csv_path)
    if not path.is_file():
        raise FileNotFoundError(f'Click CSV not found: {path}')
    if not isinstance(annotator, str) or not annotator:
        raise ValueError(f'annotator must be a non-empty string, got '
                         f'{annotator!r}')
    lookup = {name.lower(): name for name in class_names}
    clicks: Clicks = {}
    # utf-8-sig strips the BOM the release files start with.
    with open(path, encoding='utf-8-sig', newline='') as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError(f'{path}: empty file, expected a header with '
                             f'columns {list(THUMOS_CSV_REQUIRED_COLUMNS)}')
        header = [h.strip() for h in header]
        for column in THUMOS_CSV_REQUIRED_COLUMNS:
            if column not in header:
                raise ValueError(
                    f"{path}: missing column '{column}' in the header "
                    f'{header} (expected URLID,URL,TagID,Tag,Start,End,'
                    'Time,State)')
        col = {c: header.index(c) for c in THUMOS_CSV_REQUIRED_COLUMNS}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise ValueError(f'{path}, line {line}: expected '
                                 f'{len(header)} fields, got {len(row)}')
            if len(row) > len(header):
                # E.g. a row appended to a file without a final newline
                # merges into the last row; its click would vanish.
                raise ValueError(
                    f'{path}, line {line}: expected {len(header)} fields, '
                    f'got {len(row)} (two rows on one line? the previous '
                    'row may lack its line break)')
            video = row[col['URLID']].strip()
            if not video:
                raise ValueError(f'{path}, line {line}: empty URLID '
                                 '(video name)')
            start = row[col['Start']].strip()
            try:
                time = float(start)
            except ValueError:
                time = math.nan
            if not math.isfinite(time):
                raise ValueError(f"{path}, line {line}, video '{video}': "
                                 f'Start {start!r} is not a finite number of '
                                 'seconds')
            parsed = _parse_tag(row[col['Tag']], lookup)
            if parsed is None:
                example = f"'action_{class_names[0]}'" if class_names else \
                    "'action_<Class>'"
                raise ValueError(
                    f"{path}, line {line}, video '{video}': unknown Tag "
                    f"{row[col['Tag']]!r} (expected 'background_background' "
                    f'or a tag naming one of the classes, e.g. {example})')
            ctype, label = parsed
            clicks.setdefault(video, []).append({
                'time': time,
                'type': ctype,
                'label': label,
                'annotator': annotator
            })
    return clicks


# ---------------------------------------------------------------------------
# Segment helpers (vectorized, per video)
# ---------------------------------------------------------------------------
def _as_segments(segments) -> np.ndarray:
    seg = np.asarray(segments, dtype=np.float64)
    if seg.size == 0:
        return np.zeros((0, 2), dtype=np.float64)
    if seg.ndim != 2 or seg.shape[1] != 2:
        raise ValueError(f'segments must have shape (N, 2), got {seg.shape}')
    return seg


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
    seg = _as_segments(segments)
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
    seg = _as_segments(segments)
    if len(seg) == 0 or t.size == 0:
        return np.zeros(t.shape, dtype=bool)
    inside = (t[:, None] >= seg[None, :, 0]) & (t[:, None] <= seg[None, :, 1])
    return inside.any(axis=1)


def _sample_in_intervals(rng: np.random.Generator, intervals: np.ndarray,
                         n: int) -> np.ndarray:
    """(n,) times uniform over the union of disjoint intervals (by length)."""
    if n <= 0 or len(intervals) == 0:
        return np.zeros(0, dtype=np.float64)
    lengths = intervals[:, 1] - intervals[:, 0]
    cum = np.cumsum(lengths)
    u = rng.random(n) * cum[-1]
    idx = np.minimum(np.searchsorted(cum, u, side='right'), len(cum) - 1)
    return intervals[idx, 0] + (u - (cum[idx] - lengths[idx]))


# ---------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------
def _is_count(value) -> bool:
    """Whether ``value`` is an integer >= 0 (bools excluded)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, Integral) and value >= 0


def _video_rng(seed: int, video: str, stream: int) -> np.random.Generator:
    # Seeding per video (crc32 is stable across runs, unlike hash()) keeps a
    # video's clicks unchanged when other videos are added or removed.
    return np.random.default_rng(
        [int(seed), stream, zlib.crc32(video.encode())])


def simulate_clicks(gt_database: dict,
                    class_names: Sequence[str],
                    subset=None,
                    num_background: Union[int, str] = 'auto',
                    background: bool = True,
                    action: bool = True,
                    inside_noise: float = 0.0,
                    seed: int = 0,
                    annotator_prefix: str = 'sim',
                    extra_background: float = 0.0,
                    min_gap: float = 0.0,
                    background_annotator: Optional[str] = None,
                    action_annotator: Optional[str] = None) -> Clicks:
    """Simulate background and/or action clicks from a temporal GT.

    Background clicks (BackTAL protocol) are drawn uniformly from the GT
    background, the complement of the union of GT segments in
    ``[0, duration]``:

    - ``num_background='auto'``: one click uniform inside every maximal
      background gap longer than ``min_gap`` (BackTAL's annotators mark each
      background segment), plus ``Poisson(extra_background * num_gaps)``
      extra clicks uniform over the whole background (humans sometimes
      click a long gap twice).
    - ``num_background=N``: N clicks per video, uniform over the whole
      background (longer gaps get proportionally more).

    Each background click is then, with probability ``inside_noise``, moved
    to a uniform time inside a GT action instead (human annotations have
    ~2-8% such errors; the THUMOS14 A1 file has 7.7%). Videos whose actions
    cover the whole duration get no background click; videos without any
    action keep all clicks on background.

    Action clicks (SF-Net protocol): one per GT instance, uniform inside it,
    labelled with its class. Instances lying entirely after the video end
    (a known THUMOS14 GT glitch) get none.

    Random numbers come from a generator seeded by ``(seed, video name)``,
    so the result is deterministic and a video's clicks do not depend on
    which other videos are simulated.

    Args:
        gt_database (dict): The ``database`` of an ActivityNet-style GT.
        class_names (Sequence[str]): Valid labels; a GT label outside it
            raises ValueError.
        subset (str | Sequence[str], optional): Only videos of these
            subsets. Defaults to all videos.
        num_background (int | 'auto'): See above. Defaults to 'auto'.
        background (bool): Simulate background clicks. Defaults to True.
        action (bool): Simulate action clicks. Defaults to True.
        inside_noise (float): Fraction in [0, 1] of background clicks placed
            inside actions. Defaults to 0.
        seed (int): Random seed. Defaults to 0.
        annotator_prefix (str): Annotator ids are ``f'{prefix}-bg'`` and
            ``f'{prefix}-action'``. Defaults to 'sim'.
        extra_background (float): Expected extra background clicks per gap
            in 'auto' mode. Defaults to 0.
        min_gap (float): In 'auto' mode, gaps not longer than this (seconds)
            get no dedicated click. Defaults to 0.
        background_annotator (str, optional): Overrides the background id.
        action_annotator (str, optional): Overrides the action id.

    Returns:
        dict[str, list[dict]]: every selected video (possibly with no
        clicks) -> its clicks sorted by time.
    """
    if num_background != 'auto' and not _is_count(num_background):
        raise ValueError("num_background must be 'auto' or an int >= 0, got "
                         f'{num_background!r}')
    if not 0.0 <= float(inside_noise) <= 1.0:
        raise ValueError(f'inside_noise must be in [0, 1], got {inside_noise}')
    if extra_background < 0:
        raise ValueError(f'extra_background must be >= 0, got '
                         f'{extra_background}')
    bg_id = background_annotator or f'{annotator_prefix}-bg'
    act_id = action_annotator or f'{annotator_prefix}-action'
    out: Clicks = {}
    for video in select_subset(gt_database, subset, 'ground truth'):
        duration, segs, labels = video_gt_segments(gt_database, video,
                                                   class_names)
        vclicks: List[Click] = []
        if background:
            rng = _video_rng(seed, video, 0)
            gaps = background_gaps(segs, duration)
            if num_background == 'auto':
                own = gaps[(gaps[:, 1] - gaps[:, 0]) > min_gap]
                per_gap = own[:, 0] + rng.random(len(own)) * (
                    own[:, 1] - own[:, 0])
                n_extra = rng.poisson(extra_background * len(gaps)) \
                    if len(gaps) else 0
                times = np.concatenate(
                    [per_gap,
                     _sample_in_intervals(rng, gaps, n_extra)])
            else:
                times = _sample_in_intervals(rng, gaps, num_background)
            actions = merge_segments(segs, duration)
            if len(actions) and times.size and inside_noise > 0:
                noisy = rng.random(times.size) < inside_noise
                times[noisy] = _sample_in_intervals(rng, actions,
                                                    int(noisy.sum()))
            vclicks += [{
                'time': float(t),
                'type': 'background',
                'label': None,
                'annotator': bg_id
            } for t in times]
        if action and len(segs):
            rng = _video_rng(seed, video, 1)
            clipped = np.clip(segs, 0.0, duration)
            u = rng.random(len(segs))
            valid = segs[:, 0] < duration
            times = clipped[:, 0] + u * (clipped[:, 1] - clipped[:, 0])
            vclicks += [{
                'time': float(t),
                'type': 'action',
                'label': labels[i],
                'annotator': act_id
            } for i, t in zip(np.flatnonzero(valid), times[valid])]
        out[video] = _sorted_clicks(vclicks)
    return out


def click_statistics(clicks: Clicks, gt_database: dict) -> Dict[str, float]:
    """Summary numbers of a click set against its GT (for CLIs/reports).

    Returns:
        dict: ``num_videos``, ``num_clicks``, ``num_background``,
        ``num_action``, ``mean_per_video``, ``median_per_video``,
        ``background_inside_fraction`` (background clicks inside a GT
        action) and ``action_inside_fraction`` (action clicks inside a GT
        instance of their own label); NaN where undefined.
    """
    counts = np.array([len(v) for v in clicks.values()], dtype=np.float64)
    n_bg = n_bg_in = n_act = n_act_in = 0
    for video, vclicks in clicks.items():
        if not vclicks:
            continue
        _, segs, labels = video_gt_segments(gt_database, video)
        times = np.array([c['time'] for c in vclicks])
        is_bg = np.array([c['type'] == 'background' for c in vclicks])
        n_bg += int(is_bg.sum())
        n_bg_in += int(points_in_segments(times[is_bg], segs).sum())
        n_act += int((~is_bg).sum())
        if len(segs) and (~is_bg).any():
            act_labels = np.array([c['label'] for c in vclicks])[~is_bg]
            t = times[~is_bg][:, None]
            hit = ((t >= segs[None, :, 0]) & (t <= segs[None, :, 1])
                   & (act_labels[:, None] == np.array(labels)[None, :]))
            n_act_in += int(hit.any(axis=1).sum())
    return {
        'num_videos': len(clicks),
        'num_clicks': int(counts.sum()),
        'num_background': n_bg,
        'num_action': n_act,
        'mean_per_video': float(counts.mean()) if counts.size else math.nan,
        'median_per_video':
        float(np.median(counts)) if counts.size else math.nan,
        'background_inside_fraction': n_bg_in / n_bg if n_bg else math.nan,
        'action_inside_fraction': n_act_in / n_act if n_act else math.nan,
    }
