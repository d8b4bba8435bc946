"""Reading, writing and merging ``backtal-clicks/1.0`` files (schema in
:mod:`.schema`)."""
import json
import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

from ...utils import atomic_write, check_output_path
from .schema import (CLICK_FILE_VERSION, Click, Clicks, PathLike,
                     normalize_clicks, parse_clicks)


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


def _click_to_json(click: Click) -> str:
    out = {'time': click['time'], 'type': click['type']}
    if click['type'] == 'action':
        out['label'] = click['label']
    out['annotator'] = click['annotator']
    return json.dumps(out, ensure_ascii=False)


def dump_click_file(clicks: Clicks,
                    path: PathLike,
                    overwrite: bool = False,
                    inputs: Iterable[Optional[PathLike]] = ()) -> None:
    """Write clicks as a ``backtal-clicks/1.0`` file, one click per line.

    The clicks are schema-checked first, so an invalid file is never written.
    The file is written to a temporary name and renamed, so an interrupted
    write never leaves a truncated click file.

    Args:
        clicks: video -> clicks.
        path: Output path; parent folders are created.
        overwrite: Replace an existing file. Defaults to False.
        inputs: The files the clicks were made from (a GT, a CSV): ``path``
            may be none of them, even with ``overwrite``
            (:func:`~backtal_mmaction.utils.check_output_path`).

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False.
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is one of ``inputs``, or ``clicks`` violate
            the schema.
    """
    check_output_path(path, '`path`', overwrite, inputs)
    path = Path(path)
    clicks = normalize_clicks(clicks, source=f'clicks for {path}')
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


def sort_clicks(clicks: Iterable[Click]) -> List[Click]:
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
            item = normalize_clicks(item, source=f'merge input #{i}')
        for video, vclicks in item.items():
            merged.setdefault(video, []).extend(vclicks)
    out: Clicks = {}
    for video, vclicks in merged.items():
        unique = {
            (c['time'], c['type'], c['label'], c['annotator']): c
            for c in vclicks
        }
        out[video] = sort_clicks(unique.values())
    return out

