"""Simulated background (BackTAL) and action (SF-Net) clicks from a GT."""
import zlib
from numbers import Integral
from typing import List, Optional, Sequence, Union

import numpy as np

from ...utils import check_range, check_seed
from ..gt_io import select_subset
from ..segments import background_gaps, merge_segments, sample_in_intervals
from .ground_truth import video_gt_segments
from .io import sort_clicks
from .schema import Click, Clicks


def is_count(value) -> bool:
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
            ``f'{prefix}-action'``; not empty. Defaults to 'sim'.
        extra_background (float): Expected extra background clicks per gap
            in 'auto' mode (with ``num_background`` N, a value > 0 is an
            error, as is any background setting with ``background``
            False). Defaults to 0.
        min_gap (float): In 'auto' mode, gaps not longer than this (seconds)
            get no dedicated click. Defaults to 0.
        background_annotator (str, optional): Overrides the background id.
        action_annotator (str, optional): Overrides the action id.

    Returns:
        dict[str, list[dict]]: every selected video (possibly with no
        clicks) -> its clicks sorted by time.

    Raises:
        ValueError: A value out of range (NaN included), a setting that
            would be ignored, or no click kind at all; the message names
            the keyword in backquotes.
    """
    _check_simulation_args(num_background, inside_noise, extra_background,
                           min_gap, background, action, seed,
                           annotator_prefix, background_annotator,
                           action_annotator)
    bg_id = background_annotator or f'{annotator_prefix}-bg'
    act_id = action_annotator or f'{annotator_prefix}-action'
    out: Clicks = {}
    for video in select_subset(gt_database, subset, 'ground truth'):
        duration, segs, labels = video_gt_segments(gt_database, video,
                                                   class_names)
        vclicks: List[Click] = []
        if background:
            times = _background_times(_video_rng(seed, video, 0), segs,
                                      duration, num_background,
                                      inside_noise, extra_background,
                                      min_gap)
            vclicks += [{
                'time': float(t),
                'type': 'background',
                'label': None,
                'annotator': bg_id
            } for t in times]
        if action and len(segs):
            vclicks += _action_clicks(_video_rng(seed, video, 1), segs,
                                      labels, duration, act_id)
        out[video] = sort_clicks(vclicks)
    return out


def _check_simulation_args(num_background, inside_noise: float,
                           extra_background: float, min_gap: float,
                           background: bool, action: bool, seed,
                           annotator_prefix, background_annotator,
                           action_annotator) -> None:
    """ValueError naming the keyword of a bad value, or of a setting that
    would be ignored (the 'auto'-only ones with ``num_background`` N, the
    background ones without background clicks)."""
    if num_background != 'auto' and not is_count(num_background):
        raise ValueError("`num_background` must be 'auto' or an int >= 0, "
                         f'got {num_background!r}')
    check_range('inside_noise', inside_noise, 0, 1)
    check_range('extra_background', extra_background, 0)
    check_range('min_gap', min_gap, 0)
    # every video's generator is seeded from it: None is no seed here
    check_seed('seed', seed, optional=False)
    if not (background or action):
        raise ValueError('nothing to simulate: `background` and `action` '
                         'are both off')
    shaping = [f'`{name}`' for name, given in (
        ('num_background', num_background != 'auto'),
        ('inside_noise', inside_noise > 0),
        ('extra_background', extra_background > 0),
        ('min_gap', min_gap > 0)) if given]
    if shaping and not background:
        verb = 'shapes' if len(shaping) == 1 else 'shape'
        raise ValueError(f'{", ".join(shaping)} {verb} background clicks, '
                         'and there are none: `background` turns them off')
    auto_only = [n for n in shaping if n in ('`extra_background`',
                                             '`min_gap`')]
    if auto_only and num_background != 'auto':
        verb = 'applies' if len(auto_only) == 1 else 'apply'
        raise ValueError(
            f"{', '.join(auto_only)} {verb} only with `num_background` "
            f"'auto' (clicks per background gap), not with "
            f'`num_background` {num_background}')
    for kind, on, override in (('background', background,
                                background_annotator),
                               ('action', action, action_annotator)):
        if on and not override and not (isinstance(annotator_prefix, str)
                                        and annotator_prefix.strip()):
            raise ValueError(
                f'`annotator_prefix` must be a non-empty string (the '
                f'{kind} clicks\' annotator id is PREFIX-'
                f"{'bg' if kind == 'background' else 'action'}), got "
                f'{annotator_prefix!r}')


def _background_times(rng: np.random.Generator, segs: np.ndarray,
                      duration: float, num_background: Union[int, str],
                      inside_noise: float, extra_background: float,
                      min_gap: float) -> np.ndarray:
    """One video's background click times (see :func:`simulate_clicks`),
    an ``inside_noise`` fraction of them moved inside its actions."""
    gaps = background_gaps(segs, duration)
    if num_background == 'auto':
        own = gaps[(gaps[:, 1] - gaps[:, 0]) > min_gap]
        per_gap = own[:, 0] + rng.random(len(own)) * (own[:, 1] - own[:, 0])
        n_extra = rng.poisson(extra_background * len(gaps)) \
            if len(gaps) else 0
        times = np.concatenate(
            [per_gap, sample_in_intervals(rng, gaps, n_extra)])
    else:
        times = sample_in_intervals(rng, gaps, num_background)
    actions = merge_segments(segs, duration)
    if len(actions) and times.size and inside_noise > 0:
        noisy = rng.random(times.size) < inside_noise
        times[noisy] = sample_in_intervals(rng, actions, int(noisy.sum()))
    return times


def _action_clicks(rng: np.random.Generator, segs: np.ndarray,
                   labels: Sequence[str], duration: float,
                   annotator: str) -> List[Click]:
    """One action click per instance, uniform inside it (clipped to the
    video); none for instances starting after the video end."""
    clipped = np.clip(segs, 0.0, duration)
    u = rng.random(len(segs))
    valid = segs[:, 0] < duration
    times = clipped[:, 0] + u * (clipped[:, 1] - clipped[:, 0])
    return [{
        'time': float(t),
        'type': 'action',
        'label': labels[i],
        'annotator': annotator
    } for i, t in zip(np.flatnonzero(valid), times[valid])]
