"""Summary numbers of a click set against its GT."""
import math
from typing import Dict

import numpy as np

from ..segments import points_in_segments
from .ground_truth import video_gt_segments
from .schema import Clicks


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



def format_click_summary(path: str, stats: Dict[str, float]) -> str:
    """The one-line summary the click tools print after writing ``path``.

    Args:
        path (str): The click file written.
        stats (dict): :func:`click_statistics` of its clicks.

    Returns:
        str: ``wrote PATH: N clicks (B background, A action) on V videos;
        per video mean M, median D; background clicks inside GT actions:
        X%`` (``n/a`` without background clicks).
    """
    inside = stats['background_inside_fraction']
    return (f"wrote {path}: {stats['num_clicks']} clicks "
            f"({stats['num_background']} background, "
            f"{stats['num_action']} action) on {stats['num_videos']} "
            f"videos; per video mean {stats['mean_per_video']:.2f}, "
            f"median {stats['median_per_video']:g}; background clicks "
            'inside GT actions: ' +
            ('n/a' if math.isnan(inside) else f'{100 * inside:.1f}%'))
