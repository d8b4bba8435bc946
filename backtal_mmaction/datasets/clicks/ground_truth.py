"""Clicks against their temporal ground truth, read through :mod:`..gt_io`
(the one GT reader and its validity rule)."""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from ..gt_io import GroundTruth, load_gt, parse_gt_video, video_annotations
from .schema import Clicks, PathLike


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
                    gt: Union[GroundTruth, dict],
                    class_names: Optional[Sequence[str]] = None,
                    path: str = '<clicks>') -> None:
    """Check clicks against a ground truth: videos, times and labels.

    Args:
        clicks: video -> clicks, as returned by :func:`load_click_file`.
        gt: A loaded :class:`~backtal_mmaction.datasets.gt_io.GroundTruth`
            (:func:`gt_io.load_gt`), or the raw ``database`` part of an
            ActivityNet-style GT (video -> ``{'duration': seconds, ...}``).
            With a ``GroundTruth`` the durations of its loaded videos are
            taken as parsed; only clicked videos outside its selected
            subset(s) are read from its ``database``.
        class_names: Valid labels of action clicks. Defaults to the
            ``GroundTruth``'s class list; required with a raw database.
        path: Name of the click file, used in error messages.

    Raises:
        ValueError: Clicks for videos absent from the GT database (listing
            up to 5 of them and their count), a time outside
            ``[0, duration]`` (naming video, time and duration), an action
            label that is not a class, a GT entry of a clicked video that
            breaks the :mod:`gt_io` rule, or ``class_names`` missing with a
            raw database.
    """
    if isinstance(gt, GroundTruth):
        database = gt.database
        if class_names is None:
            class_names = gt.class_names
        # Parsed under the same class list: the same durations and checks
        # as a second parse of the raw entries would give.
        parsed = gt.videos if list(class_names) == gt.class_names else {}
    else:
        if class_names is None:
            raise ValueError(f'{path}: validate_clicks needs class_names '
                             'with a raw GT database (or pass the loaded '
                             'GroundTruth)')
        database, parsed = gt, {}
    unknown = [video for video in clicks if video not in database]
    if unknown:
        raise ValueError(
            f'{path}: {len(unknown)} video(s) with clicks are not in the '
            f'ground truth, e.g. {unknown[:5]}')
    class_set = set(class_names)
    for video, vclicks in clicks.items():
        if not vclicks:
            continue
        if video in parsed:
            duration = parsed[video]['duration']
        else:
            duration, _, _ = video_gt_segments(database, video, class_names,
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
