"""A benchmark shaped on a real GT: its selected (renamed) videos, its
clicks, and which subset is the training split."""
import os
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..clicks import (Clicks, convert_thumos_csv, load_click_file,
                      merge_click_files, validate_clicks)
from ..gt_io import load_gt, select_subset
from ..point_label_formats import convert_sfnet_txt, default_annotators
from .ground_truth import gt_annotations

# What a click file of the generator may be (see click_file_format).
CLICK_FORMATS = ('json', 'thumos_csv', 'sfnet')


def load_real_gt(gt_file, subsets_from_gt, max_videos_per_subset,
                 default_fps,
                 classes: Optional[Sequence[str]] = None
                 ) -> Tuple[dict, List[str], dict]:
    """Selected (and renamed) videos of a real GT, the class list, full DB.

    The GT is read by :func:`gt_io.load_gt` (its validity rule, its class
    list); the entries written keep the file's values (``fps`` as written,
    int or float). With ``classes``, only videos all of whose instances
    are of these classes are kept (before ``max_videos_per_subset``), and
    the class list is ``classes`` in the GT's order.
    """
    path = Path(gt_file)
    full = load_gt(str(path))
    database_in = full.database
    available = list(
        dict.fromkeys(str(e.get('subset')) for e in database_in.values()))
    if subsets_from_gt is None:
        mapping = {s: s for s in available}
    elif isinstance(subsets_from_gt, str):
        mapping = {subsets_from_gt: subsets_from_gt}
    elif isinstance(subsets_from_gt, dict):
        mapping = dict(subsets_from_gt)
    else:
        mapping = {s: s for s in subsets_from_gt}
    # A renaming that names an absent subset is a typo even when the other
    # subsets select videos.
    missing = [s for s in mapping if s not in available]
    if missing:
        raise ValueError(f'{path}: subset(s) {missing} not in the GT; '
                         f'available: {available}')
    class_names = full.class_names
    kept = None
    if classes is not None:
        unknown = sorted(set(classes) - set(class_names))
        if unknown:
            raise ValueError(f'{path}: class(es) {unknown} not in the GT')
        kept = {full.class_index[c] for c in classes}
    counts: Dict[str, int] = {}
    database = {}
    for video in select_subset(database_in, list(mapping), str(path)):
        entry, info = database_in[video], full.videos[video]
        if kept is not None and not set(info['labels'].tolist()) <= kept:
            continue
        out_subset = mapping[entry['subset']]
        if max_videos_per_subset is not None and counts.get(
                out_subset, 0) >= max_videos_per_subset:
            continue
        counts[out_subset] = counts.get(out_subset, 0) + 1
        database[video] = dict(
            subset=out_subset,
            duration=info['duration'],
            fps=entry.get('fps', default_fps),
            annotations=gt_annotations(
                info['segments'], [class_names[i] for i in info['labels']]))
    if kept is not None:
        class_names = [c for c in class_names if full.class_index[c] in kept]
    return database, class_names, database_in


def read_clicks(click_file, class_names) -> Clicks:
    """Clicks of a ``.json`` click file, or of a THUMOS14 CSV (annotator
    'A1', tags checked against ``class_names``)."""
    path = Path(click_file)
    if path.suffix.lower() == '.json':
        return load_click_file(path)
    return convert_thumos_csv(path, annotator='A1', class_names=class_names)


def click_file_format(click_file) -> str:
    """Which of :data:`CLICK_FORMATS` a click file is.

    ``.json`` -> 'json'. Otherwise the first non-blank line decides (both
    real CSVs end in ``.txt``): three cells ``video,seconds,label`` with a
    number in the middle -> 'sfnet' (SF-Net single frames, no header);
    anything else -> 'thumos_csv' (header ``URLID,...``), whose reader
    names the file and what is wrong with it, as before lists of click
    files existed (an unreadable or missing file included).
    """
    path = Path(click_file)
    if path.suffix.lower() == '.json':
        return 'json'
    try:
        # utf-8-sig: the THUMOS14 CSV starts with a BOM.
        with open(path, encoding='utf-8-sig', newline='') as f:
            first = next((line for line in f if line.strip()), '')
    except (OSError, UnicodeDecodeError):
        return 'thumos_csv'
    cells = [cell.strip() for cell in first.split(',')]
    if len(cells) == 3 and 'URLID' not in cells:
        try:
            float(cells[1])
        except ValueError:
            return 'thumos_csv'
        return 'sfnet'
    return 'thumos_csv'


def read_click_files(click_file, class_names: Sequence[str],
                     gt_database: Mapping) -> Clicks:
    """Clicks of one click file or of a list of them, checked against the
    GT and merged.

    Args:
        click_file (str | Path | list): A path or a non-empty list of paths;
            each is a ``.json`` click file (its annotator ids kept), the
            THUMOS14 background-click CSV (annotator 'A1'; n CSVs: 'A1' ..
            'An' in list order) or an SF-Net single-frame ``.txt`` (action
            clicks, annotator 'SF'; n files: 'SF1' .. 'SFn', as
            :func:`..point_label_formats.default_annotators`). Format by
            :func:`click_file_format`.
        class_names (list[str]): Valid action labels (the GT's classes).
        gt_database (dict): The full GT ``database`` (every video of the
            file, before subset selection): click times must lie in
            ``[0, duration]`` of a GT video.

    Returns:
        dict[str, list[dict]]: video -> clicks. One path: that file's clicks
        in file order (a ``.json`` or CSV read exactly as before lists were
        accepted); a list: the union of the files' clicks
        (``merge_click_files``: sorted by time).

    Raises:
        ValueError: An empty list, or a file's problem (an unknown video, a
            time outside its video, an unknown label, a malformed row),
            naming that file.
        FileNotFoundError: A missing file, naming it.
    """
    single = isinstance(click_file, (str, os.PathLike))
    paths = [click_file] if single else list(click_file)
    if not paths:
        raise ValueError('click_file: empty list; give at least one file '
                         'or None (simulated clicks)')
    formats = [click_file_format(p) for p in paths]
    csv_ids = [f'A{i + 1}' for i in range(formats.count('thumos_csv'))]
    sf_ids = default_annotators('sfnet', formats.count('sfnet')) \
        if 'sfnet' in formats else []
    per_file = []
    for path, fmt in zip(paths, formats):
        if fmt == 'json':
            clicks = load_click_file(path)
        elif fmt == 'thumos_csv':
            clicks = convert_thumos_csv(path, annotator=csv_ids.pop(0),
                                        class_names=class_names)
        else:
            clicks = convert_sfnet_txt(path, gt_database, class_names,
                                       annotator=sf_ids.pop(0))
        validate_clicks(clicks, gt_database, class_names, path=str(path))
        per_file.append(clicks)
    # One path: its clicks as read (the writer merges them with the
    # simulated ones anyway; this keeps the old code path bit for bit).
    return per_file[0] if single else merge_click_files(*per_file)


def resolve_train_subset(train_subset, subsets: Sequence[str]) -> str:
    """The subset that gets clicks: ``train_subset`` if given (it must be
    one of ``subsets``), else 'train' / 'training', else 'val' when 'val'
    and 'test' are present (THUMOS14); ValueError otherwise."""
    if train_subset is not None:
        if train_subset not in subsets:
            raise ValueError(
                f'train_subset {train_subset!r} is not one of the '
                f'generated subsets {list(subsets)}')
        return train_subset
    for name in ('train', 'training'):
        if name in subsets:
            return name
    # THUMOS14 convention of weakly supervised papers: train on 'val'.
    if 'val' in subsets and 'test' in subsets:
        return 'val'
    raise ValueError(f'cannot tell which of the subsets {list(subsets)} is '
                     'the training split; pass train_subset explicitly')
