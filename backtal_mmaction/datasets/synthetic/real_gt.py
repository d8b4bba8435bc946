# Copyright (c) OpenMMLab. All rights reserved.
"""A benchmark shaped on a real GT: its selected (renamed) videos, its
clicks, and which subset is the training split."""
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from ..clicks import Clicks, convert_thumos_csv, load_click_file
from ..gt_io import load_gt, select_subset
from .ground_truth import gt_annotations


def load_real_gt(gt_file, subsets_from_gt, max_videos_per_subset,
                 default_fps) -> Tuple[dict, List[str], dict]:
    """Selected (and renamed) videos of a real GT, the class list, full DB.

    The GT is read by :func:`gt_io.load_gt` (its validity rule, its class
    list); the entries written keep the file's values (``fps`` as written,
    int or float).
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
    counts: Dict[str, int] = {}
    database = {}
    for video in select_subset(database_in, list(mapping), str(path)):
        entry, info = database_in[video], full.videos[video]
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
    return database, class_names, database_in


def read_clicks(click_file, class_names) -> Clicks:
    """Clicks of a ``.json`` click file, or of a THUMOS14 CSV (annotator
    'A1', tags checked against ``class_names``)."""
    path = Path(click_file)
    if path.suffix.lower() == '.json':
        return load_click_file(path)
    return convert_thumos_csv(path, annotator='A1', class_names=class_names)


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
