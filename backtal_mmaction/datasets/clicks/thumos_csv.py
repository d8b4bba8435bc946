"""The THUMOS14 human click CSV of the BackTAL release -> clicks."""
import csv
import math
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .schema import Clicks, PathLike

THUMOS_CSV_REQUIRED_COLUMNS = ('URLID', 'Tag', 'Start')
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
        header = _read_header(reader, path)
        col = {c: header.index(c) for c in THUMOS_CSV_REQUIRED_COLUMNS}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            where = f'{path}, line {reader.line_num}'
            _check_row_length(row, len(header), where)
            video, time = _video_and_time(row, col, where)
            where = f"{where}, video '{video}'"
            ctype, label = _click_kind(row[col['Tag']], lookup, class_names,
                                       where)
            clicks.setdefault(video, []).append({
                'time': time,
                'type': ctype,
                'label': label,
                'annotator': annotator
            })
    return clicks


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
