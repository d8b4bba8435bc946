"""A synthetic ActivityNet-style GT: instance lengths, gaps and classes per
video (package docstring, properties 4 and 5)."""
import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .config import SyntheticConfig, as_config, stream_rng
from .prototypes import (class_group_index, class_groups,
                         class_median_seconds)


def _gap(rng, cfg: SyntheticConfig, density: float) -> float:
    if rng.random() < cfg.touching_prob:
        return float(rng.uniform(0.1, 0.3))
    g = density * rng.lognormal(math.log(cfg.gap_median_seconds),
                                cfg.gap_log_std)
    return float(np.clip(g, 0.1, cfg.max_gap_seconds))


def _synthesize_instances(rng, duration: float, classes: np.ndarray,
                          cfg: SyntheticConfig, medians: np.ndarray
                          ) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 2) segments (0.1 s grid) and (N,) class indices of one video:
    alternating log-normal gaps and class-dependent log-normal lengths
    (see the package docstring, properties 4 and 5)."""
    lo, hi = cfg.instance_seconds
    density = float(np.exp(cfg.video_density_log_std * rng.standard_normal()))
    end_margin = 0.5 if duration >= 10 else 0.1
    starts, ends, labels = [], [], []
    cursor = _gap(rng, cfg, density)
    while True:
        c = classes[rng.integers(len(classes))]
        length = float(np.clip(
            rng.lognormal(math.log(medians[c]), cfg.instance_log_std), lo,
            hi))
        start = round(cursor, 1)
        end = round(start + length, 1)
        if end > duration - end_margin:
            break
        starts.append(start)
        ends.append(end)
        labels.append(c)
        cursor = end + _gap(rng, cfg, density)
    if not starts:  # too short for the layout: one instance inside it
        c = classes[0]
        length = round(
            max(min(medians[c], 0.5 * duration), 0.2), 1)
        start = round(rng.uniform(0.1, max(duration - length - 0.2, 0.1)), 1)
        starts, ends, labels = [start], [round(start + length, 1)], [c]
    segs = np.stack([np.array(starts), np.array(ends)], axis=1)
    labels = np.array(labels, dtype=np.int64)
    if len(classes) > 1 and len(segs) > 1 and (labels == labels[0]).all():
        labels[-1] = classes[1] if labels[0] == classes[0] else classes[0]
    return segs, labels


def gt_annotations(segments: np.ndarray, labels: Sequence[str]) -> List[dict]:
    """(N, 2) segments (s) and N label names -> GT ``annotations`` entries
    ``{'segment': [start, end], 'label'}``."""
    return [
        dict(segment=[float(s), float(e)], label=label)
        for (s, e), label in zip(segments, labels)
    ]


def synthesize_gt(num_videos: Dict[str, int],
                  class_names: Sequence[str],
                  duration_range=(30.0, 120.0),
                  fps: float = 30,
                  alt_fps: float = 25,
                  alt_fps_ratio: float = 0.1,
                  two_class_ratio: float = 0.15,
                  seed: int = 0,
                  cfg=None) -> dict:
    """A synthetic ActivityNet-style GT ``database``.

    Every class is the primary class of about the same number of videos of
    each subset (balanced round robin, shuffled). A ``two_class_ratio`` of
    the videos add a second class: a sibling (same venue) with probability
    ``cfg.sibling_cooccurrence``, else any other class.

    Returns:
        dict: video -> ``{'subset', 'duration', 'fps', 'annotations'}``;
        videos are named ``video_<subset>_<i:07d>``.
    """
    cfg = as_config(cfg)
    num_classes = len(class_names)
    groups = class_groups(num_classes, cfg.class_group_size)
    group_of = class_group_index(num_classes, cfg.class_group_size)
    medians = class_median_seconds(num_classes, cfg)
    database = {}
    for subset, count in num_videos.items():
        rng = stream_rng(seed, 3, f'gt-{subset}')
        primary = rng.permutation(np.arange(count) % num_classes)
        other = (primary + rng.integers(1, max(num_classes, 2), count)) % \
            num_classes
        use_sibling = rng.random(count) < cfg.sibling_cooccurrence
        two = (rng.random(count) < two_class_ratio) & (num_classes > 1)
        durations = np.round(rng.uniform(*duration_range, count), 3)
        fpss = np.where(rng.random(count) < alt_fps_ratio, alt_fps, fps)
        for i in range(count):
            siblings = [
                c for c in groups[group_of[primary[i]]] if c != primary[i]
            ]
            second = siblings[0] if (use_sibling[i] and siblings) else \
                other[i]
            classes = np.array(
                [primary[i], second] if two[i] else [primary[i]])
            segs, labels = _synthesize_instances(rng, float(durations[i]),
                                                 classes, cfg, medians)
            video_fps = float(fpss[i]) if fpss[i] % 1 else int(fpss[i])
            database[f'video_{subset}_{i:07d}'] = dict(
                subset=subset,
                duration=float(durations[i]),
                fps=video_fps,
                annotations=gt_annotations(segs,
                                           [class_names[c] for c in labels]))
    return database
