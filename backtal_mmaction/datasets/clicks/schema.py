"""Click-file schema: the in-memory form of clicks and its checks.

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
import math
import os
from numbers import Real
from typing import Dict, List, Union

from ...utils import CLICK_TYPES

CLICK_FILE_VERSION = 'backtal-clicks/1.0'

Click = Dict[str, object]
Clicks = Dict[str, List[Click]]
PathLike = Union[str, os.PathLike]


def normalize_click(raw: object, source: str, video: str,
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


def normalize_clicks(clicks: object, source: str) -> Clicks:
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
            normalize_click(c, source, video, i)
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
    return normalize_clicks(raw, source)

