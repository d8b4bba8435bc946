"""Human-like simulated clicks: 'A1' background clicks, 'SF' action clicks
with a share moved just outside their instance (package docstring,
property 6)."""
from typing import List

import numpy as np

from ..clicks import (Clicks, merge_click_files, points_in_segments,
                      simulate_clicks)
from .config import stream_rng


def human_like_clicks(database: dict, class_names, subsets, seed: int,
                      background: bool, action: bool, inside_noise: float,
                      extra_background: float, min_gap: float,
                      action_outside_noise: float,
                      outside_seconds: float) -> Clicks:
    """'A1' background clicks (:func:`simulate_clicks` 'auto' mode, an
    ``inside_noise`` share inside actions) and / or 'SF' action clicks (one
    per instance, ``action_outside_noise`` of them moved up to
    ``outside_seconds`` outside it) for the videos of ``subsets``."""
    if not subsets or not (background or action):
        return {}
    parts = []
    if background:
        parts.append(
            simulate_clicks(
                database,
                class_names,
                subset=subsets,
                num_background='auto',
                action=False,
                inside_noise=inside_noise,
                extra_background=extra_background,
                min_gap=min_gap,
                seed=seed,
                background_annotator='A1'))
    if action:
        sf = simulate_clicks(
            database,
            class_names,
            subset=subsets,
            background=False,
            seed=seed,
            action_annotator='SF')
        if action_outside_noise > 0:
            sf = {
                v: _move_outside(database[v], c, action_outside_noise,
                                 outside_seconds, stream_rng(seed, 5, v))
                for v, c in sf.items()
            }
        parts.append(sf)
    return merge_click_files(*parts)


def _move_outside(entry: dict, vclicks: List[dict], fraction: float,
                  reach: float, rng: np.random.Generator) -> List[dict]:
    """Move a ``fraction`` of a video's action clicks just outside their
    instance (0.1 s to ``reach`` s before its start or after its end, where
    the action still seems to go on), keeping them in ``[0, duration]`` and
    off every other instance; a click with no such place stays."""
    duration = float(entry['duration'])
    segs = np.array([a['segment'] for a in entry['annotations']],
                    dtype=np.float64).reshape(-1, 2)
    out = []
    for click in vclicks:
        click = dict(click)
        if rng.random() < fraction and len(segs):
            hit = np.flatnonzero((segs[:, 0] <= click['time'])
                                 & (click['time'] <= segs[:, 1]))
            if len(hit):
                s, e = segs[hit[0]]
                offset = rng.uniform(0.1, max(reach, 0.1))
                for t in ((s - offset, e + offset) if rng.random() < 0.5
                          else (e + offset, s - offset)):
                    t = round(float(t), 3)
                    if 0.0 <= t <= duration and not points_in_segments(
                            [t], segs).any():
                        click['time'] = t
                        break
        out.append(click)
    return sorted(out, key=lambda c: c['time'])
