"""Point and single-frame label files of other methods -> click annotations.

Each reader turns one file into ``video -> clicks`` in the in-memory form of
:mod:`.clicks` (``{'time', 'type', 'label', 'annotator'}``), so the result
goes through ``dump_click_file`` / ``ClickTALDataset`` unchanged. Formats:

- ``'lacp'``: the ``point_gaussian`` CSV of LACP, also used by HR-Pro,
  TSPNet and POTLoc. Header ``class,class_index,start_frame,stop_frame,
  video_id,point``; one row per GT instance; ``point`` is a frame index at
  the video's *original* fps. Only ``video_id``, ``class`` and ``point`` are
  read: ``start_frame``/``stop_frame`` are the full GT boundaries and never
  reach the clicks. Time convention: ``seconds = point / fps`` with the
  video's ``fps`` from the GT (LACP itself maps a point to snippet
  ``int(point * feature_fps / (fps * 16))``, i.e. ``point / fps`` seconds;
  its ``fps_dict.json`` can be passed as ``fps_overrides``).
- ``'sfnet'``: SF-Net single-frame files, one per annotator, rows
  ``video,seconds,label`` without header (blank lines are skipped).
- ``'aapl'``: the AAPL CSV, header ``video_id,timestamp,action_label``
  (seconds); label ``background`` is a background click (as AAPL's own
  loader maps it), any other label must be a class.
- ``'backtal'``: the BackTAL human click CSV (``convert_thumos_csv``).

Every row is checked against the GT while reading, so an error names the
file, the line and the video: a video absent from the GT (an error, or
skipped and counted with ``unknown_videos='skip'``), a label that is not a
class, a time that is not a finite number or lies outside
``[0, duration]``.
"""
import csv
import json
import math
import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from ..utils import check_output_path, is_finite_number
from .clicks import (click_statistics, convert_thumos_csv, dump_click_file,
                     load_ground_truth, merge_click_files, validate_clicks)

POINT_LABEL_FORMATS = ('lacp', 'sfnet', 'aapl', 'backtal')
UNKNOWN_VIDEO_POLICIES = ('error', 'skip')
# Annotator id of a format's clicks; several files of one format get
# ``<id>1``, ``<id>2``, ... (one annotator per file).
DEFAULT_ANNOTATORS = dict(lacp='LACP', sfnet='SF', aapl='AAPL', backtal='A1')
LACP_REQUIRED_COLUMNS = ('class', 'video_id', 'point')
AAPL_COLUMNS = ('video_id', 'timestamp', 'action_label')
AAPL_BACKGROUND_LABEL = 'background'
# Unknown videos listed in a skip warning.
_SHOWN = 3

__all__ = [
    'POINT_LABEL_FORMATS', 'DEFAULT_ANNOTATORS', 'convert_lacp_csv',
    'convert_sfnet_txt', 'convert_aapl_csv', 'convert_point_labels',
    'convert_point_label_files', 'default_annotators'
]


def _csv_rows(path: Path) -> Iterator[Tuple[int, List[str]]]:
    """``(line number, stripped cells)`` of each non-blank CSV row."""
    # utf-8-sig drops a BOM; newline='' lets csv handle CRLF files.
    with open(path, encoding='utf-8-sig', newline='') as f:
        reader = csv.reader(f)
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield reader.line_num, cells


def _header_index(path: Path, header: Optional[Sequence[str]],
                  required: Sequence[str], expected: str) -> Dict[str, int]:
    if header is None:
        raise ValueError(f'{path}: empty file, expected the header '
                         f'{expected}')
    for column in required:
        if column not in header:
            raise ValueError(f"{path}: missing column '{column}' in the "
                             f'header {list(header)} (expected {expected})')
    return {column: list(header).index(column) for column in required}


class _ClickCollector:
    """Checks rows of one file against the GT and collects its clicks.

    Args:
        path: The file (named in every message).
        annotator: Id given to every click of the file.
        gt_database: ``database`` of an ActivityNet-style GT.
        class_names: Valid action labels (matched exactly, then
            case-insensitively, and stored with the class list's spelling).
        unknown_videos: ``'error'`` or ``'skip'`` (see module docstring).
        background_label: Label that makes a background click (AAPL).
    """

    def __init__(self, path: Path, annotator: str, gt_database: Mapping,
                 class_names: Sequence[str], unknown_videos: str,
                 background_label: Optional[str] = None) -> None:
        if unknown_videos not in UNKNOWN_VIDEO_POLICIES:
            raise ValueError(f'unknown_videos must be one of '
                             f'{UNKNOWN_VIDEO_POLICIES}, got '
                             f'{unknown_videos!r}')
        if not isinstance(annotator, str) or not annotator:
            raise ValueError(f'{path}: annotator must be a non-empty string, '
                             f'got {annotator!r}')
        self.path = path
        self.annotator = annotator
        self.gt = gt_database
        self.class_names = list(class_names)
        self.exact = set(self.class_names)
        self.lookup = {name.lower(): name for name in self.class_names}
        self.unknown_videos = unknown_videos
        self.background_label = background_label
        self.clicks: Dict[str, List[dict]] = {}
        self.skipped: List[Tuple[int, str]] = []
        self.rows = 0  # data rows read (not the header, not blank lines)

    def where(self, line: int, video: str) -> str:
        return f"{self.path}, line {line}, video '{video}'"

    def known_video(self, line: int, video: str) -> bool:
        """Whether ``video`` is in the GT; records or raises otherwise
        (called once per data row: counts them)."""
        self.rows += 1
        if not video:
            raise ValueError(f'{self.path}, line {line}: empty video name')
        if video in self.gt:
            return True
        if self.unknown_videos == 'skip':
            self.skipped.append((line, video))
            return False
        raise ValueError(
            f'{self.where(line, video)}: video not in the ground truth '
            f'({len(self.gt)} videos); a typo in the file? Pass '
            "unknown_videos='skip' (--skip-unknown-videos) to drop such rows "
            'with a warning')

    def number(self, line: int, video: str, field: str, text: str,
               unit: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f'{self.where(line, video)}: {field} {text!r} is '
                             f'not a finite number of {unit}')
        return value

    def video_fps(self, line: int, video: str,
                  overrides: Optional[Mapping[str, float]]) -> float:
        overridden = video in (overrides or {})
        fps = overrides[video] if overridden else self.gt[video].get('fps')
        if not (is_finite_number(fps) and fps > 0):
            # name where the bad value comes from
            source = ('fps_overrides gives' if overridden else
                      'the ground truth has')
            hint = '' if overridden else \
                ' (give it in fps_overrides / --fps-json)'
            raise ValueError(
                f"{self.where(line, video)}: frame indices need the video's "
                f"fps, but {source} 'fps' {fps!r} for it{hint}")
        return float(fps)

    def add(self, line: int, video: str, time: float, label: str) -> None:
        """Append one click of a known video after checking label and time."""
        if self.background_label is not None and \
                label == self.background_label and label not in self.exact:
            ctype, name = 'background', None
        else:
            ctype = 'action'
            name = label if label in self.exact else self.lookup.get(
                label.lower())
            if name is None:
                raise ValueError(
                    f'{self.where(line, video)}: label {label!r} is not one '
                    f'of the {len(self.class_names)} classes (e.g. '
                    f'{self.class_names[:3]})')
        duration = self.gt[video].get('duration')
        if isinstance(duration, (int, float)) and not isinstance(
                duration, bool) and not 0 <= time <= duration:
            raise ValueError(f'{self.where(line, video)}: time {time:g} s is '
                             f'outside the video [0, {duration:g}] s')
        self.clicks.setdefault(video, []).append(
            dict(time=time, type=ctype, label=name, annotator=self.annotator))

    def result(self) -> Dict[str, List[dict]]:
        """The clicks; warns once with the count of skipped rows.

        Raises:
            ValueError: The file has no data row (a header-only CSV, an
                empty SF-Net file): nothing to convert.
        """
        if not self.rows:
            raise ValueError(f'{self.path}: no rows (no point label to '
                             'convert)')
        if self.skipped:
            shown = ', '.join(f"line {line} '{video}'"
                              for line, video in self.skipped[:_SHOWN])
            more = (f' and {len(self.skipped) - _SHOWN} more'
                    if len(self.skipped) > _SHOWN else '')
            warnings.warn(
                f'{self.path}: skipped {len(self.skipped)} row(s) of '
                f'{len({v for _, v in self.skipped})} video(s) not in the '
                f'ground truth: {shown}{more}', UserWarning, stacklevel=3)
        return self.clicks


def _existing(path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Point-label file not found: {path}')
    return path


def convert_lacp_csv(path,
                     gt_database: Mapping,
                     class_names: Sequence[str],
                     annotator: str = 'LACP',
                     unknown_videos: str = 'error',
                     fps_overrides: Optional[Mapping[str, float]] = None):
    """Read the LACP ``point_gaussian`` CSV (see module docstring).

    Args:
        path: The CSV; columns ``class``, ``video_id`` and ``point`` are
            required, ``start_frame``/``stop_frame``/``class_index`` are
            ignored (they are the full GT, not point supervision).
        gt_database: GT ``database``; gives each video's ``fps`` (frame ->
            seconds), ``duration`` (range check) and the known videos.
        class_names: Valid classes.
        annotator: Id of the clicks. Defaults to 'LACP'.
        unknown_videos: ``'error'`` or ``'skip'``.
        fps_overrides: ``video -> fps`` taking precedence over the GT, e.g.
            LACP's ``fps_dict.json`` (it disagrees with the GT on one
            THUMOS14 video, ``video_validation_0000411``: 24 vs 30).

    Returns:
        dict[str, list[dict]]: video -> action clicks in file order, at
        ``point / fps`` seconds.
    """
    path = _existing(path)
    out = _ClickCollector(path, annotator, gt_database, class_names,
                          unknown_videos)
    rows = _csv_rows(path)
    header = next(rows, (0, None))[1]
    col = _header_index(path, header, LACP_REQUIRED_COLUMNS,
                        'class,class_index,start_frame,stop_frame,video_id,'
                        'point')
    for line, row in rows:
        if len(row) != len(header):
            raise ValueError(f'{path}, line {line}: expected {len(header)} '
                             f'fields, got {len(row)}')
        video = row[col['video_id']]
        if not out.known_video(line, video):
            continue
        point = out.number(line, video, 'point', row[col['point']], 'frames')
        fps = out.video_fps(line, video, fps_overrides)
        out.add(line, video, point / fps, row[col['class']])
    return out.result()


def convert_sfnet_txt(path,
                      gt_database: Mapping,
                      class_names: Sequence[str],
                      annotator: str = 'SF',
                      unknown_videos: str = 'error'):
    """Read one SF-Net single-frame file (rows ``video,seconds,label``).

    Args:
        path: The file of one annotator (no header; blank lines allowed).
        gt_database: GT ``database`` (known videos, durations).
        class_names: Valid classes.
        annotator: Id of this file's clicks. Defaults to 'SF'.
        unknown_videos: ``'error'`` or ``'skip'`` (the real
            ``SFNet_THUMOS14_single_frames_2.txt`` has one row of
            ``ideo_validation_0000945``, a name that lost its first letter).

    Returns:
        dict[str, list[dict]]: video -> action clicks in file order.
    """
    path = _existing(path)
    out = _ClickCollector(path, annotator, gt_database, class_names,
                          unknown_videos)
    for line, row in _csv_rows(path):
        if len(row) != 3:
            raise ValueError(f'{path}, line {line}: expected 3 fields '
                             f'video,seconds,label, got {len(row)}')
        video, seconds, label = row
        if out.known_video(line, video):
            out.add(line, video,
                    out.number(line, video, 'seconds', seconds, 'seconds'),
                    label)
    return out.result()


def convert_aapl_csv(path,
                     gt_database: Mapping,
                     class_names: Sequence[str],
                     annotator: str = 'AAPL',
                     unknown_videos: str = 'error'):
    """Read an AAPL CSV (header ``video_id,timestamp,action_label``).

    Args:
        path: The CSV; other columns are ignored.
        gt_database: GT ``database`` (known videos, durations).
        class_names: Valid classes; label ``background`` (unless it is a
            class) makes a background click.
        annotator: Id of the clicks. Defaults to 'AAPL'.
        unknown_videos: ``'error'`` or ``'skip'``.

    Returns:
        dict[str, list[dict]]: video -> clicks in file order.
    """
    path = _existing(path)
    out = _ClickCollector(path, annotator, gt_database, class_names,
                          unknown_videos, AAPL_BACKGROUND_LABEL)
    rows = _csv_rows(path)
    header = next(rows, (0, None))[1]
    col = _header_index(path, header, AAPL_COLUMNS, ','.join(AAPL_COLUMNS))
    for line, row in rows:
        if len(row) != len(header):
            raise ValueError(f'{path}, line {line}: expected {len(header)} '
                             f'fields, got {len(row)}')
        video = row[col['video_id']]
        if out.known_video(line, video):
            out.add(line, video,
                    out.number(line, video, 'timestamp',
                               row[col['timestamp']], 'seconds'),
                    row[col['action_label']])
    return out.result()


def _convert_backtal_csv(path, gt_database, class_names, annotator,
                         unknown_videos):
    """``convert_thumos_csv`` + the GT checks the other readers do."""
    clicks = convert_thumos_csv(path, annotator=annotator,
                                class_names=class_names)
    unknown = [video for video in clicks if video not in gt_database]
    if unknown and unknown_videos == 'skip':
        rows = sum(len(clicks.pop(video)) for video in unknown)
        warnings.warn(f'{path}: skipped {rows} row(s) of {len(unknown)} '
                      f'video(s) not in the ground truth: '
                      f'{unknown[:_SHOWN]}', UserWarning, stacklevel=3)
    validate_clicks(clicks, gt_database, class_names, str(path))
    return clicks


_READERS = dict(lacp=convert_lacp_csv, sfnet=convert_sfnet_txt,
                aapl=convert_aapl_csv, backtal=_convert_backtal_csv)


def default_annotators(fmt: str, num_files: int) -> List[str]:
    """``DEFAULT_ANNOTATORS[fmt]`` for one file, numbered from 1 for more."""
    base = DEFAULT_ANNOTATORS[fmt]
    return [base] if num_files == 1 else [
        f'{base}{i + 1}' for i in range(num_files)
    ]


def convert_point_labels(fmt: str,
                         paths: Sequence,
                         gt_database: Mapping,
                         class_names: Sequence[str],
                         annotators: Optional[Sequence[str]] = None,
                         unknown_videos: str = 'error',
                         fps_overrides: Optional[Mapping[str, float]] = None):
    """Convert one or several files of one format; each file is an annotator.

    Args:
        fmt: One of :data:`POINT_LABEL_FORMATS`.
        paths: Files (e.g. the two SF-Net annotators).
        gt_database: GT ``database``.
        class_names: Valid classes.
        annotators: One id per file. Defaults to
            :func:`default_annotators` (``SF`` for one SF-Net file, ``SF1``,
            ``SF2`` for two), so ``ClickTALDataset(annotator_mode='random')``
            draws one file's clicks per video and epoch, SF-Net's protocol.
        unknown_videos: ``'error'`` or ``'skip'`` (warns with the count).
        fps_overrides: ``video -> fps`` for the ``'lacp'`` format.

    Returns:
        dict[str, list[dict]]: video -> clicks of all files, sorted by time
        (``merge_click_files``: a row repeated exactly in one file is kept
        once).

    Raises:
        ValueError: A file given twice, a file without rows, no click at
            all (every row skipped), or a problem of a row (naming file,
            line and video).
    """
    if fmt not in POINT_LABEL_FORMATS:
        raise ValueError(f'unknown point-label format {fmt!r}; choose one of '
                         f'{POINT_LABEL_FORMATS}')
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else \
        list(paths)
    if not paths:
        raise ValueError('no point-label file given')
    _check_distinct(paths)
    if annotators is None:
        annotators = default_annotators(fmt, len(paths))
    if len(annotators) != len(paths):
        raise ValueError(f'{len(annotators)} annotator id(s) {annotators} '
                         f'for {len(paths)} file(s); give one per file')
    if len(set(annotators)) != len(annotators):
        raise ValueError(f'annotator ids must differ between files (each '
                         f'file is one annotator), got {annotators}')
    extra = dict(fps_overrides=fps_overrides) if fmt == 'lacp' else {}
    clicks = merge_click_files(*[
        _READERS[fmt](path, gt_database, class_names, annotator=who,
                      unknown_videos=unknown_videos, **extra)
        for path, who in zip(paths, annotators)
    ])
    if not any(clicks.values()):
        # every row skipped: the files are of other videos than the GT's
        raise ValueError(
            f"no row of {', '.join(str(p) for p in paths)} is of a video in "
            f'the ground truth ({len(gt_database)} videos): another '
            "dataset's or split's labels?")
    return clicks


def _check_distinct(paths: Sequence) -> None:
    """ValueError if one file is given twice (as two names too): each file
    is one annotator, so it would count as two identical annotators."""
    seen: Dict[str, str] = {}
    for path in paths:
        key = os.path.realpath(os.fspath(path))
        if key in seen:
            also = '' if seen[key] == os.fspath(path) else \
                f' (also as {seen[key]})'
            raise ValueError(
                f'label file {os.fspath(path)} is given twice{also}; each '
                'file is one annotator, so the same file twice would make '
                'two identical annotators')
        seen[key] = os.fspath(path)


def _load_fps_json(path, gt_database: Mapping) -> Dict[str, float]:
    """``video -> fps`` of an fps JSON (LACP's ``fps_dict.json``).

    Warns (UserWarning) naming a few of its videos that are not in the GT
    (ignored: a file of another dataset?).

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not a JSON object, or a value that is not a number
            > 0 (``0``, ``"30"``); the message names the file and the video.
    """
    where = f'`fps_json` {path}'
    if not Path(path).is_file():
        raise FileNotFoundError(f'{where}: file not found')
    try:
        with open(path, encoding='utf-8') as f:
            fps = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f'{where}: not a JSON file ({e})') from e
    if not isinstance(fps, dict):
        raise ValueError(f'{where}: expected a JSON object video -> fps')
    for video, value in fps.items():
        if not (is_finite_number(value) and value > 0):
            raise ValueError(f"{where}, video '{video}': fps {value!r} is "
                             'not a number > 0')
    unknown = [video for video in fps if video not in gt_database]
    if unknown:
        more = (f' and {len(unknown) - _SHOWN} more'
                if len(unknown) > _SHOWN else '')
        warnings.warn(
            f'{where}: {len(unknown)} of its {len(fps)} video(s) are not in '
            f'the ground truth, ignored: {unknown[:_SHOWN]}{more}',
            UserWarning, stacklevel=2)
    return fps


def convert_point_label_files(fmt: str, paths: Sequence, gt_file, out_file,
                              annotators: Optional[Sequence[str]] = None,
                              skip_unknown_videos: bool = False,
                              fps_json=None, overwrite: bool = False) -> dict:
    """Label files -> click file (``tools/data/convert_point_labels.py``):
    :func:`convert_point_labels` against ``gt_file``, ``dump_click_file``.

    Args:
        fmt, paths, annotators: As for :func:`convert_point_labels`.
        gt_file (str): ActivityNet-style GT JSON (videos, fps, classes).
        out_file (str): Output click JSON; refused before anything is read
            if it exists and not ``overwrite``, and always if it is one of
            the files read (``paths``, ``gt_file``, ``fps_json``).
        skip_unknown_videos (bool): Drop rows of videos absent from the GT
            (counted in a warning) instead of failing.
        fps_json (str, optional): ``'lacp'`` only: JSON ``video -> fps``,
            each a number > 0; its videos absent from the GT are ignored
            with a warning.

    Returns:
        dict: ``clicks`` (video -> clicks), ``warnings`` (list[str], the
        messages of the warnings the conversion raised, e.g. skipped rows)
        and ``summary`` (str, one line: counts per type and annotator, the
        share of action clicks inside a GT instance of their class).
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else \
        list(paths)
    inputs = [*paths, gt_file, fps_json]
    check_output_path(out_file, '`out_file`', overwrite, inputs)
    if fps_json is not None and fmt != 'lacp':
        raise ValueError(f'`fps_json` applies to the lacp format only, not '
                         f'{fmt!r}')
    database, class_names = load_ground_truth(gt_file)
    # Recorded, not shown: the caller reports them (a CLI as one
    # "warning: ..." line each).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        fps = _load_fps_json(fps_json, database) if fps_json else None
        clicks = convert_point_labels(
            fmt, paths, database, class_names, annotators=annotators,
            unknown_videos='skip' if skip_unknown_videos else 'error',
            fps_overrides=fps)
    dump_click_file(clicks, out_file, overwrite=overwrite, inputs=inputs)
    stats = click_statistics(clicks, database)
    who = Counter(c['annotator'] for v in clicks.values() for c in v)
    inside = stats['action_inside_fraction']
    # rounded down: 3002 of 3003 is 99.9 %, never "100.0%"
    inside = ('n/a' if inside != inside else
              f'{math.floor(1000 * inside + 1e-9) / 10:.1f}%')
    summary = (f"wrote {out_file}: {stats['num_clicks']} clicks "
               f"({stats['num_action']} action, {stats['num_background']} "
               f"background) on {stats['num_videos']} videos; per annotator "
               f'{dict(sorted(who.items()))}; action clicks inside a GT '
               f'instance of their class: {inside}')
    return dict(clicks=clicks, warnings=[str(w.message) for w in caught],
                summary=summary)
