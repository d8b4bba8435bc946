"""The THUMOS14 human click CSV of the BackTAL release -> clicks."""
import csv
import math
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .schema import Clicks, PathLike

THUMOS_CSV_REQUIRED_COLUMNS = ('URLID', 'Tag', 'Start')
# Largest End - Start (s) taken as a slight drag of the click: the real A1
# file has End = Start except 4 rows with End 0.5-1 s after Start.
THUMOS_CSV_MAX_DRAG = 1.0
# Rows listed in a warning.
_SHOWN = 3
THUMOS_BACKGROUND_TAGS = ('background', 'background_background')
THUMOS14_CLASSES = ('BaseballPitch', 'BasketballDunk', 'Billiards',
                    'CleanAndJerk', 'CliffDiving', 'CricketBowling',
                    'CricketShot', 'Diving', 'FrisbeeCatch', 'GolfSwing',
                    'HammerThrow', 'HighJump', 'JavelinThrow', 'LongJump',
                    'PoleVault', 'Shotput', 'SoccerPenalty', 'TennisSwing',
                    'ThrowDiscus', 'VolleyballSpiking')


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
    are used and required. The click is at ``Start``; ``End`` equals it
    except for a handful of rows where the annotator dragged slightly (at
    most :data:`THUMOS_CSV_MAX_DRAG` s later in the real A1 file). Rows
    whose optional columns disagree with the ones used (an ``End`` that is
    not a number, before ``Start`` or more than
    :data:`THUMOS_CSV_MAX_DRAG` s after it; a ``URL`` naming another video
    than ``URLID``) are kept as read, with one UserWarning listing the
    first few (line, video).

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
        ValueError: Missing header columns (naming the column), no row
            after the header, a row with fewer or more fields than the
            header (naming the line), a non-numeric ``Start`` (naming line
            and video) or an unknown tag (naming line and tag); every
            message names the file.
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
        header = _read_header(reader, path)
        col = {c: header.index(c) for c in header}
        disagreeing: List[str] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = f'{path}, line {reader.line_num}'
            _check_row_length(row, len(header), where)
            video, time = _video_and_time(row, col, where)
            issue = _disagreement(row, col, video, time)
            if issue:
                disagreeing.append(
                    f"line {reader.line_num}, video '{video}': {issue}")
            where = f"{where}, video '{video}'"
            ctype, label = _click_kind(row[col['Tag']], lookup, class_names,
                                       where)
            clicks.setdefault(video, []).append({
                'time': time,
                'type': ctype,
                'label': label,
                'annotator': annotator
            })
    if not clicks:
        raise ValueError(f'{path}: no rows after the header (a click CSV '
                         'holds one row per click)')
    if disagreeing:
        more = (f'; and {len(disagreeing) - _SHOWN} more'
                if len(disagreeing) > _SHOWN else '')
        warnings.warn(
            f'{path}: {len(disagreeing)} row(s) whose fields disagree, '
            'kept with the click at Start of the URLID video: '
            f"{'; '.join(disagreeing[:_SHOWN])}{more}", UserWarning,
            stacklevel=2)
    return clicks


def _disagreement(row: List[str], col: Dict[str, int], video: str,
                  start: float) -> Optional[str]:
    """What an optional column of a row says against ``URLID`` / ``Start``
    (None: nothing). ``End`` is the end of the click's drag: a number, from
    ``Start`` to at most :data:`THUMOS_CSV_MAX_DRAG` s later; ``URL`` is
    the video's file (``<URLID>.mp4``), any folder or extension."""
    issues = []
    end = row[col['End']].strip() if 'End' in col else ''
    if end:
        try:
            value = float(end)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            issues.append(f'End {end!r} is not a number')
        elif value < start:
            issues.append(f'End {value:g} is before Start {start:g}')
        elif value - start > THUMOS_CSV_MAX_DRAG:
            issues.append(f'End {value:g} is {value - start:g} s after '
                          f'Start {start:g} (a click, not a segment?)')
    url = row[col['URL']].strip() if 'URL' in col else ''
    if url:
        name = url.replace('\\', '/').rsplit('/', 1)[-1]
        if name != video and name.rsplit('.', 1)[0] != video:
            issues.append(f'URL {url!r} names another video')
    return ', '.join(issues) or None


def _read_header(reader, path: Path) -> List[str]:
    """The stripped header row; ValueError if it is missing or lacks a
    required column."""
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
    return header


def _check_row_length(row: List[str], num_fields: int, where: str) -> None:
    if len(row) < num_fields:
        raise ValueError(f'{where}: expected {num_fields} fields, got '
                         f'{len(row)}')
    if len(row) > num_fields:
        # E.g. a row appended to a file without a final newline
        # merges into the last row; its click would vanish.
        raise ValueError(
            f'{where}: expected {num_fields} fields, got {len(row)} (two '
            'rows on one line? the previous row may lack its line break)')


def _video_and_time(row: List[str], col: Dict[str, int],
                    where: str) -> Tuple[str, float]:
    """A row's non-empty ``URLID`` and finite ``Start``."""
    video = row[col['URLID']].strip()
    if not video:
        raise ValueError(f'{where}: empty URLID (video name)')
    start = row[col['Start']].strip()
    try:
        time = float(start)
    except ValueError:
        time = math.nan
    if not math.isfinite(time):
        raise ValueError(f"{where}, video '{video}': Start {start!r} is not "
                         'a finite number of seconds')
    return video, time


def _click_kind(tag: str, lookup: Dict[str, str], class_names: Sequence[str],
                where: str) -> Tuple[str, Optional[str]]:
    """``(type, label)`` of a row's ``Tag``; ValueError if unknown."""
    parsed = _parse_tag(tag, lookup)
    if parsed is None:
        example = f"'action_{class_names[0]}'" if class_names else \
            "'action_<Class>'"
        raise ValueError(
            f'{where}: unknown Tag {tag!r} (expected '
            "'background_background' or a tag naming one of the classes, "
            f'e.g. {example})')
    return parsed
