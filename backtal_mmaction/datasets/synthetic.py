# Copyright (c) OpenMMLab. All rights reserved.
"""Synthetic click-supervised localization benchmark (I3D-like features).

Real users bring pre-extracted two-stream I3D features; this module writes
stand-ins with the same layout so the whole pipeline can be trained and
evaluated offline, either on a fully synthetic GT or on a real GT (real
videos, durations, fps, segments, classes and clicks; only the features are
synthetic). Nothing is downloaded: the generator ships, not the data.

Output of :func:`generate_synthetic_benchmark`::

    out_dir/gt.json        ActivityNet-style GT: {"version", "activity_list",
                           "database": {video: {subset, duration, fps,
                           annotations: [{segment: [s, e], label}]}}}
    out_dir/clicks.json    backtal-clicks/1.0 (see ``clicks.py``): annotator
                           'A1' = human-like background clicks, 'SF' = one
                           human-like action click per GT instance
    out_dir/features/<video>.npy   layout='npy': float32 (T, feat_dim),
                           T = round(duration * fps / frames_per_snippet)
    out_dir/features/<video>.npz   layout='official' (files of the official
                           BackTAL code): feat_spa, feat_tem float32
                           (feat_dim / 2, T), cls_label float32 (C,) multi-hot,
                           vid_name; train-subset files add point_label int64
                           (T,) (= num_classes at snippets holding a
                           background click, -100 elsewhere); other subsets
                           add frame_num, fps, duration.

What makes it hard, and why real I3D features are like that
-----------------------------------------------------------
The first version (``backtal-synthetic/1.0``) was too easy (BackTAL 97 avg
mAP@0.1:0.7, against 36.3 mAP@0.5 on real THUMOS14 I3D features): isolated
4 s actions with a flat, sharp-edged, class-unique signature. Version 2
models six properties real I3D features and THUMOS14 annotations have; the
GT statistics below were measured on the real ``gt_thumos14.json`` (val +
test, 6314 instances, 413 videos) and the click statistics on the real A1 /
SF-Net files, and are hard-coded here as summary statistics (no real file
is read):

1. **Temporal autocorrelation over several snippets.** An I3D snippet
   feature is computed from a 64-frame window (2.1 s at 30 fps) that
   overlaps its neighbours' windows, so both the content and the nuisance
   (camera motion, lighting, clutter) are smooth over several snippets.
   Content is the fraction of each snippet covered by an instance, blurred
   by a Gaussian receptive field of ``receptive_field_seconds`` (2.1: the
   ±2 sigma width); the nuisance is Gaussian-smoothed noise with time
   constant ``noise_corr_seconds`` (1 s: lag-2 autocorrelation ~0.75,
   lag-6 ~0.1 at 0.53 s snippets) plus a slow low-rank drift. A false
   positive is then a multi-snippet blob, not one outlier snippet that
   neighbours out-vote, and short instances are smeared (a 0.3 s action
   reaches about a fifth of its full strength).
2. **Context that resembles the action near its boundaries.** The run-up
   before a long jump, the wind-up before a pitch and the follow-through
   after it look and move like the action but are not annotated as it.
   Outside each instance its own signature continues at
   ``approach_strength`` (0.5) of its strength, decaying with distance over
   ``approach_seconds`` (1.5). Together with property 1 and THUMOS14's short
   gaps this is what makes boundaries, and thus localization errors, hard.
3. **Classes sharing scene context** (CliffDiving / Diving: both at the
   water; CricketBowling / CricketShot: the same pitch). Classes come in
   sibling groups of ``class_group_size`` (2: class00/01, class02/03, ...);
   a group shares one venue (context) prototype and ``sibling_share`` of
   its class-specific action part, and two-class videos hold a sibling pair
   ``sibling_cooccurrence`` of the time (THUMOS14: 60 of 413 videos hold two
   classes, 53 of them a sibling pair: CricketBowling/CricketShot 27,
   CliffDiving/Diving 26). Every action also shares a class-agnostic motion
   component (``motion_share``): large motion looks alike in flow whatever
   the sport. The venue appears throughout a video of its classes
   (``context_floor``), strongest near instances (``context_peak``, decay
   ``context_decay_seconds``), so video labels alone over-extend detections
   into it. (THUMOS14 additionally labels every CliffDiving instance as
   Diving too, i.e. nested labels; that is not modelled: here every instance
   has one label.)
4. **Actions of very different lengths.** THUMOS14 instances last 0.2 s to
   118 s (percentiles 1/50/99: 0.5 / 3.0 / 17.3 s); per-class medians range
   from 1.1 s (CricketShot) to 8.75 s (CleanAndJerk) with a within-class
   log-std of about 0.6. Class medians are log-spaced over
   ``class_median_seconds`` (siblings adjacent, hence of similar length,
   as in THUMOS14), instance lengths log-normal around them
   (``instance_log_std``), clipped to ``instance_seconds`` (0.2, 40).
5. **Many instances per video.** THUMOS14 has 15.4 instances per video on
   average (median 8); gaps between instances are log-normal (median 3.1 s,
   log-std 1.47; 10% of instances touch the previous one), and videos
   differ in density (instances per minute: median 3.5, log-std 0.9).
   Gaps here: a per-video density factor ``exp(N(0,
   video_density_log_std))`` times a log-normal (median
   ``gap_median_seconds`` 4.5, ``gap_log_std`` 1.3), ``touching_prob`` (0.1)
   of them 0.1-0.3 s. Dense videos contribute more gaps, so pooled over
   gaps, as measured on THUMOS14, this gives quartiles 0.7 / 2.3 / 6.4 s
   (THUMOS14: 0.7 / 2.5 / 7.6 s, zero gaps included), 5 instances per
   minute (THUMOS14: 4.3) and 32% of the time inside actions (THUMOS14:
   31%). A 30-120 s video holds 2-13 instances (10th-90th percentile).
6. **Label noise in clicks.** The real A1 background clicks put 7.7% (175
   of 2264) inside GT actions (``inside_noise`` default 0.077) and skip
   some gaps (0.75 clicks per instance; annotators skip gaps shorter than
   ``min_gap`` = 1 s here); 2.2-3.9% of the real SF-Net action clicks lie
   outside every GT instance (``action_outside_noise`` 0.03: those clicks are
   moved just outside their instance, within ``approach_seconds``, where
   the action still seems to go on). Wrong class labels are rare in SF-Net
   (0.15%) and are not modelled.

Snippet ``t`` of a video (features are ``[RGB | flow]``, ``feat_dim / 2``
each, like I3D's two streams) is::

    x(t) = relu(b + s_v + drift_v(t) + noise_std * n(t)
                + sum_i w_i(t) * P_i          (action instances, 1 + 2)
                + sum_g k_g(t) * Q_g          (shared venues, 3)
                + sum_j g_j(t) * D_j)         (distractors)

with ``w_i = RF * (cover_i + approach_i)``; ``P_i = amp_i * P_c * (1 +
instance_variation * N(0, 1))`` (positive part); ``P_c = norm(sqrt(m) M +
sqrt(1 - m) S_c)`` with ``M`` the shared motion and ``S_c = norm(sqrt(r)
G_g + sqrt(1 - r) U_c)`` (group part ``G_g``, own part ``U_c``); ``Q_g`` an
appearance-heavy venue with cosine ``context_cosine`` to its group's mean
action. ``D_j`` (``num_distractors``, motion heavy: camera pans, crowds)
appear in random bursts anywhere, so magnitude alone is not proof of an
action. Values are non-negative (post-ReLU averages, like I3D), mostly in
0..3.

Clicks: 'A1' is simulated with :func:`simulate_clicks` ('auto': one click per
background gap longer than ``min_gap``, ``extra_background`` extra per gap
on average, an ``inside_noise`` fraction landing inside actions); 'SF' is
one uniform click per instance, ``action_outside_noise`` of them just
outside it. By default only the train subset is clicked (like the real A1
file, which covers the THUMOS14 training split only).

Everything is deterministic given ``seed``; each video's features and clicks
come from generators seeded by (seed, video name).
"""
import dataclasses
import json
import math
import zlib
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .clicks import (Clicks, convert_thumos_csv, dump_click_file, is_count,
                     load_click_file, merge_click_files, points_in_segments,
                     simulate_clicks, validate_clicks)
from ..utils import IGNORE_INDEX, atomic_replace, atomic_write, snippet_times
from .gt_io import load_gt, select_subset

GT_VERSION = 'backtal-synthetic/2.0'
DEFAULT_NUM_VIDEOS = dict(train=200, val=20, test=200)
# Shortest synthetic video: room for one minimal instance with background on
# both sides at the 0.1 s GT grid.
MIN_VIDEO_SECONDS = 2.0

__all__ = [
    'SyntheticConfig', 'make_prototypes', 'synthesize_video_features',
    'synthesize_gt', 'generate_synthetic_benchmark', 'num_snippets', 'class_groups', 'class_median_seconds',
    'MIN_VIDEO_SECONDS'
]


@dataclasses.dataclass
class SyntheticConfig:
    """Knobs of the synthetic GT and features (see the module docstring).

    Magnitudes refer to feature values before the final ReLU; times are in
    seconds.
    """
    # Shared background, per-video scene, drift and noise (property 1).
    background_rgb: float = 0.45
    background_flow: float = 0.15
    scene_scale: float = 0.2
    drift_scale: float = 0.12
    drift_rank: int = 4
    drift_seconds: float = 8.0
    noise_std: float = 0.3
    noise_corr_seconds: float = 1.0
    receptive_field_seconds: float = 2.1
    # Action prototypes (sparse, exponential values; property 3).
    prototype_density: float = 0.35
    action_rgb: float = 0.7
    action_flow: float = 1.0
    motion_share: float = 0.3
    class_group_size: int = 2
    sibling_share: float = 0.5
    instance_variation: float = 0.25
    instance_amplitude: Tuple[float, float] = (0.6, 1.2)
    # Boundary-resembling context (property 2).
    approach_strength: float = 0.5
    approach_seconds: float = 1.5
    # Venue (context) prototypes, one per class group (property 3).
    context_cosine: float = 0.6
    context_norm: float = 0.9
    context_floor: float = 0.15
    context_peak: float = 1.0
    context_decay_seconds: float = 6.0
    context_amplitude: Tuple[float, float] = (0.7, 1.3)
    # Distractors.
    num_distractors: int = 3
    distractor_norm: float = 0.6
    distractor_per_minute: float = 0.6
    distractor_seconds: Tuple[float, float] = (3.0, 12.0)
    # GT layout (properties 4 and 5; THUMOS14 statistics).
    class_median_seconds: Tuple[float, float] = (1.1, 8.75)
    instance_log_std: float = 0.6
    instance_seconds: Tuple[float, float] = (0.2, 40.0)
    gap_median_seconds: float = 4.5
    gap_log_std: float = 1.3
    video_density_log_std: float = 0.7
    touching_prob: float = 0.1
    max_gap_seconds: float = 120.0
    sibling_cooccurrence: float = 0.88


def _config(cfg) -> SyntheticConfig:
    if cfg is None:
        return SyntheticConfig()
    if isinstance(cfg, SyntheticConfig):
        return cfg
    if isinstance(cfg, dict):
        names = {f.name for f in dataclasses.fields(SyntheticConfig)}
        unknown = sorted(set(cfg) - names)
        if unknown:
            raise ValueError(f'unknown synthetic config key(s) {unknown}; '
                             f'valid keys: {sorted(names)}')
        return SyntheticConfig(**cfg)
    raise TypeError(f'cfg must be None, a dict or SyntheticConfig, got '
                    f'{type(cfg).__name__}')


def _rng(seed: int, stream: int, name: str = '') -> np.random.Generator:
    # crc32 is stable across processes (unlike hash()), so a video's data
    # only depends on (seed, its name).
    return np.random.default_rng(
        [int(seed), stream, zlib.crc32(name.encode())])


# ---------------------------------------------------------------------------
# Classes
# ---------------------------------------------------------------------------
def class_groups(num_classes: int, group_size: int = 2) -> List[List[int]]:
    """Sibling groups sharing a venue: consecutive classes, ``group_size``
    each (the last group may be smaller); ``group_size`` 1 = no sharing."""
    size = max(int(group_size), 1)
    return [
        list(range(s, min(s + size, num_classes)))
        for s in range(0, num_classes, size)
    ]


def _group_of(num_classes: int, group_size: int) -> np.ndarray:
    return np.array([c // max(int(group_size), 1)
                     for c in range(num_classes)])


def class_median_seconds(num_classes: int, cfg=None) -> np.ndarray:
    """(C,) median instance length of each class: log-spaced over
    ``cfg.class_median_seconds`` in class order (siblings are adjacent, so
    of similar length)."""
    cfg = _config(cfg)
    lo, hi = cfg.class_median_seconds
    if num_classes == 1:
        return np.array([math.sqrt(lo * hi)])
    return np.exp(np.linspace(math.log(lo), math.log(hi), num_classes))


# ---------------------------------------------------------------------------
# Prototypes
# ---------------------------------------------------------------------------
def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (
        np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


def _sparse_positive(rng, n, feat_dim, density, rgb, flow) -> np.ndarray:
    half = feat_dim // 2
    x = rng.exponential(1.0, (n, feat_dim)) * (
        rng.random((n, feat_dim)) < density)
    # An all-zero vector would make a component invisible.
    x[x.sum(1) == 0, 0] = 1.0
    x[:, :half] *= rgb
    x[:, half:] *= flow
    return x


def _unit(x: np.ndarray) -> np.ndarray:
    return x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-12)


def make_prototypes(num_classes: int,
                    feat_dim: int,
                    seed: int = 0,
                    cfg=None) -> Dict[str, np.ndarray]:
    """Class action prototypes, group venues, distractors, background.

    Args:
        num_classes (int): C.
        feat_dim (int): D (even: RGB and flow halves).
        seed (int): Random seed.
        cfg (SyntheticConfig | dict, optional): Knobs.

    Returns:
        dict: ``action`` (C, D); ``context`` (C, D), the venue of each
        class's group (identical rows for siblings) with cosine
        ``context_cosine`` to the group's mean action; ``group`` (C,) group
        index; ``distractor`` (K, D); ``background`` (D,). All prototypes
        are non-negative float64.
    """
    cfg = _config(cfg)
    rng = _rng(seed, 7, f'prototypes-{num_classes}-{feat_dim}')
    half = feat_dim // 2
    group = _group_of(num_classes, cfg.class_group_size)
    num_groups = int(group.max()) + 1
    dens, a_rgb, a_flow = (cfg.prototype_density, cfg.action_rgb,
                           cfg.action_flow)
    # Class-agnostic motion: flow heavy.
    motion = _unit(_sparse_positive(rng, 1, feat_dim, dens, 0.5 * a_rgb,
                                    a_flow))
    group_part = _unit(
        _sparse_positive(rng, num_groups, feat_dim, dens, a_rgb, a_flow))
    own = _unit(_sparse_positive(rng, num_classes, feat_dim, dens, a_rgb,
                                 a_flow))
    r = float(np.clip(cfg.sibling_share, 0.0, 1.0))
    m = float(np.clip(cfg.motion_share, 0.0, 1.0))
    specific = _unit(math.sqrt(r) * group_part[group] +
                     math.sqrt(1 - r) * own)
    action = _unit(math.sqrt(m) * motion + math.sqrt(1 - m) * specific)
    # Norms equal up to +-15%: no class is trivially easy or invisible; the
    # scale matches the first version's prototypes (mean norm ~7 at D=128).
    scale = 0.62 * math.sqrt(feat_dim)
    action *= scale * rng.uniform(0.85, 1.15, (num_classes, 1))
    # Venue = alpha * group mean action + independent appearance-heavy
    # part; alpha is found per group by bisection (cosine grows
    # monotonically with alpha).
    group_action = np.stack(
        [action[group == g].mean(0) for g in range(num_groups)])
    indep = _sparse_positive(rng, num_groups, feat_dim, dens, a_rgb,
                             0.2 * a_flow)
    target = float(np.clip(cfg.context_cosine, 0.0, 0.999))
    lo = np.zeros(num_groups)
    hi = np.full(num_groups, 50.0)
    for _ in range(50):
        mid = (lo + hi) / 2
        too_low = _cosine(mid[:, None] * group_action + indep,
                          group_action) < target
        lo = np.where(too_low, mid, lo)
        hi = np.where(too_low, hi, mid)
    venue = hi[:, None] * group_action + indep
    venue *= cfg.context_norm * np.linalg.norm(
        group_action, axis=1, keepdims=True) / np.linalg.norm(
            venue, axis=1, keepdims=True)
    distractor = _sparse_positive(rng, cfg.num_distractors, feat_dim, dens,
                                  0.8, 1.2)
    if cfg.num_distractors:
        distractor *= cfg.distractor_norm * np.linalg.norm(
            action, axis=1).mean() / (
                np.linalg.norm(distractor, axis=1, keepdims=True) + 1e-12)
    background = np.empty(feat_dim)
    background[:half] = rng.gamma(2.0, cfg.background_rgb / 2, half)
    background[half:] = rng.gamma(2.0, cfg.background_flow / 2,
                                  feat_dim - half)
    return dict(
        action=action,
        context=venue[group],
        group=group,
        distractor=distractor,
        background=background)


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------
def num_snippets(duration: float, fps: float, frames_per_snippet: int) -> int:
    """T = round(duration * fps / frames_per_snippet), at least 1."""
    return max(int(round(duration * fps / frames_per_snippet)), 1)


def _soft_boxes(t: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                width: float) -> np.ndarray:
    """(T, N) soft indicator of [start, end] with sigmoid edges."""
    w = max(width / 4.0, 1e-3)  # 10%-90% rise over ~width
    rise = (t[:, None] - starts[None, :]) / w
    fall = (ends[None, :] - t[:, None]) / w
    return 1.0 / ((1.0 + np.exp(-np.clip(rise, -50, 50))) *
                  (1.0 + np.exp(-np.clip(fall, -50, 50))))


def _coverage(t: np.ndarray, snippet_seconds: float, starts: np.ndarray,
              ends: np.ndarray) -> np.ndarray:
    """(T, N) fraction of each snippet ``[t - s/2, t + s/2]`` inside each
    ``[start, end]``."""
    h = snippet_seconds / 2
    inter = np.minimum(t[:, None] + h, ends[None, :]) - np.maximum(
        t[:, None] - h, starts[None, :])
    return np.clip(inter / snippet_seconds, 0.0, 1.0)


def _gaussian_kernel(sigma: float) -> np.ndarray:
    sigma = max(float(sigma), 1e-3)
    radius = max(int(math.ceil(3 * sigma)), 1)
    return np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma)**2)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur along axis 0 of (T, N), sum-normalised (a constant
    stays constant), zero outside the video."""
    kernel = _gaussian_kernel(sigma)
    kernel /= kernel.sum()
    radius = len(kernel) // 2
    padded = np.pad(x, ((radius, radius), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, len(kernel), axis=0)  # (T, N, K)
    return windows @ kernel


def _smooth_noise(rng, length: int, dims: int, sigma: float) -> np.ndarray:
    """(length, dims) unit-variance Gaussian-smoothed white noise; its
    autocorrelation at lag L is ``exp(-L^2 / (4 sigma^2))``."""
    kernel = _gaussian_kernel(sigma)
    kernel /= np.sqrt((kernel**2).sum())  # keeps unit variance
    radius = len(kernel) // 2
    white = rng.standard_normal((length + 2 * radius, dims))
    windows = np.lib.stride_tricks.sliding_window_view(
        white, len(kernel), axis=0)  # (length, dims, K)
    return windows @ kernel


def _distance(t: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """(T, N) distance (s) of each time to each segment (0 inside)."""
    return np.maximum(
        np.maximum(segs[None, :, 0] - t[:, None], t[:, None] - segs[None, :,
                                                                      1]),
        0.0)


def synthesize_video_features(rng: np.random.Generator,
                              duration: float,
                              segments,
                              label_indices,
                              prototypes: Dict[str, np.ndarray],
                              num: int,
                              cfg=None) -> np.ndarray:
    """Features of one video (see the module docstring for the model).

    Args:
        rng (np.random.Generator): The video's random generator.
        duration (float): Seconds.
        segments (array-like): (N, 2) GT instances in seconds.
        label_indices (array-like): (N,) class index of each instance.
        prototypes (dict): From :func:`make_prototypes`.
        num (int): T, number of snippets.
        cfg (SyntheticConfig | dict, optional): Knobs.

    Returns:
        np.ndarray: (T, D) float32, non-negative.
    """
    cfg = _config(cfg)
    segs = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(label_indices, dtype=np.int64).reshape(-1)
    feat_dim = prototypes['background'].shape[0]
    t = snippet_times(num, duration)
    snippet_seconds = duration / num

    x = np.broadcast_to(prototypes['background'], (num, feat_dim)).copy()
    x += cfg.scene_scale * rng.gamma(2.0, 0.5, feat_dim)  # scene offset
    drift = _smooth_noise(rng, num, cfg.drift_rank,
                          cfg.drift_seconds / snippet_seconds)
    x += drift @ (
        cfg.drift_scale * rng.standard_normal((cfg.drift_rank, feat_dim)))
    x += cfg.noise_std * _smooth_noise(
        rng, num, feat_dim, cfg.noise_corr_seconds / snippet_seconds)
    # The receptive field as a Gaussian: +-2 sigma spans it.
    rf_sigma = cfg.receptive_field_seconds / 4 / snippet_seconds

    if len(segs):
        # Action instances: snippet coverage plus the boundary-resembling
        # approach / follow-through, seen through the receptive field.
        amp = rng.uniform(*cfg.instance_amplitude, len(segs))
        inst = prototypes['action'][labels] * (
            1.0 + cfg.instance_variation * rng.standard_normal(
                (len(segs), feat_dim)))
        inst = amp[:, None] * np.maximum(inst, 0.0)
        dist = _distance(t, segs)  # (T, N)
        cover = _coverage(t, snippet_seconds, segs[:, 0], segs[:, 1])
        approach = cfg.approach_strength * np.exp(
            -dist / max(cfg.approach_seconds, 1e-3)) * (1.0 - cover)
        x += _blur(cover + approach, rf_sigma) @ inst
        # Venue of each class group present, strongest next to its
        # instances.
        group = prototypes['group'][labels]
        groups, grp_of_inst = np.unique(group, return_inverse=True)
        member = grp_of_inst[None, :] == np.arange(len(groups))[:, None]
        dist_grp = np.where(member[None], dist[:, None, :],
                            np.inf).min(-1)  # (T, G_v)
        strength = cfg.context_floor + cfg.context_peak * np.exp(
            -dist_grp / cfg.context_decay_seconds)
        strength *= rng.uniform(*cfg.context_amplitude, len(groups))
        venue_of_group = np.stack([
            prototypes['context'][labels[grp_of_inst == g][0]]
            for g in range(len(groups))
        ])
        x += strength @ venue_of_group

    num_bursts = rng.poisson(cfg.distractor_per_minute * duration / 60.0) \
        if len(prototypes['distractor']) else 0
    if num_bursts:
        centre = rng.uniform(0.0, duration, num_bursts)
        half_len = rng.uniform(*cfg.distractor_seconds, num_bursts) / 2
        kinds = rng.integers(len(prototypes['distractor']), size=num_bursts)
        weight = _soft_boxes(t, centre - half_len, centre + half_len,
                             cfg.receptive_field_seconds / 2)
        weight *= rng.uniform(0.6, 1.0, num_bursts)
        x += weight @ prototypes['distractor'][kinds]
    return np.maximum(x, 0.0).astype(np.float32)


# ---------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------
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
    (see the module docstring, properties 4 and 5)."""
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


def _annotations(segments: np.ndarray, labels: Sequence[str]) -> List[dict]:
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
    cfg = _config(cfg)
    num_classes = len(class_names)
    groups = class_groups(num_classes, cfg.class_group_size)
    group_of = _group_of(num_classes, cfg.class_group_size)
    medians = class_median_seconds(num_classes, cfg)
    database = {}
    for subset, count in num_videos.items():
        rng = _rng(seed, 3, f'gt-{subset}')
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
                annotations=_annotations(segs,
                                         [class_names[c] for c in labels]))
    return database


def _load_real_gt(gt_file, subsets_from_gt, max_videos_per_subset,
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
            annotations=_annotations(
                info['segments'], [class_names[i] for i in info['labels']]))
    return database, class_names, database_in


# ---------------------------------------------------------------------------
# Clicks
# ---------------------------------------------------------------------------
def _human_like_clicks(database: dict, class_names, subsets, seed: int,
                       background: bool, action: bool, inside_noise: float,
                       extra_background: float, min_gap: float,
                       action_outside_noise: float,
                       outside_seconds: float) -> Clicks:
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
                                 outside_seconds, _rng(seed, 5, v))
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


def _read_clicks(click_file, class_names) -> Clicks:
    path = Path(click_file)
    if path.suffix.lower() == '.json':
        return load_click_file(path)
    return convert_thumos_csv(path, annotator='A1', class_names=class_names)


def _resolve_train_subset(train_subset, subsets: Sequence[str]) -> str:
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


# ---------------------------------------------------------------------------
# Writer
# ---------------------------------------------------------------------------
def _official_arrays(video: str, entry: dict, feats: np.ndarray,
                     labels: np.ndarray, num_classes: int,
                     bg_times: Sequence[float],
                     is_train: bool) -> Dict[str, np.ndarray]:
    """Arrays of one ``.npz`` file read by the official BackTAL code.

    Args:
        video (str): Video name.
        entry (dict): Its GT entry (``duration``, ``fps``).
        feats (np.ndarray): (T, D) features, ``[RGB | flow]``.
        labels (np.ndarray): (N,) class indices of its instances.
        num_classes (int): C, also the background index of ``point_label``.
        bg_times (Sequence[float]): Background click times (s).
        is_train (bool): Train files carry ``point_label``; the others
            ``frame_num``, ``fps`` and ``duration``.

    Returns:
        dict: ``feat_spa`` / ``feat_tem`` (D / 2, T) float32, ``cls_label``
        (C,) float32 multi-hot, ``vid_name`` and the split-specific keys.
    """
    num, half = feats.shape[0], feats.shape[1] // 2
    duration, fps = float(entry['duration']), float(entry['fps'])
    cls_label = np.zeros(num_classes, dtype=np.float32)
    cls_label[labels] = 1.0
    arrays = dict(
        feat_spa=np.ascontiguousarray(feats[:, :half].T),
        feat_tem=np.ascontiguousarray(feats[:, half:].T),
        cls_label=cls_label,
        vid_name=np.array(video))
    if is_train:
        point_label = np.full(num, IGNORE_INDEX, dtype=np.int64)
        idx = np.floor(
            np.asarray(bg_times, dtype=np.float64) / duration *
            num).astype(np.int64)
        point_label[np.clip(idx, 0, num - 1)] = num_classes
        arrays['point_label'] = point_label
    else:
        arrays.update(
            frame_num=np.array(int(round(duration * fps))),
            fps=np.array(fps),
            duration=np.array(duration))
    return arrays


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f'{out_dir} exists and is not a directory')
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty; refusing to write into it (pass '
            'overwrite=True / --overwrite to replace the files this '
            'generator writes; other files are left alone)')


def _write_json(path: Path, data: dict) -> None:
    atomic_write(path, json.dumps(data, ensure_ascii=False) + '\n')


def generate_synthetic_benchmark(out_dir,
                                 num_classes: int = 20,
                                 num_videos: Optional[Dict[str, int]] = None,
                                 feat_dim: int = 128,
                                 duration_range: Tuple[float,
                                                       float] = (30.0, 120.0),
                                 fps: float = 30,
                                 alt_fps: float = 25,
                                 alt_fps_ratio: float = 0.1,
                                 frames_per_snippet: int = 16,
                                 num_segments: Optional[int] = None,
                                 seed: int = 0,
                                 layout: str = 'npy',
                                 gt_file=None,
                                 click_file=None,
                                 subsets_from_gt: Union[None, str,
                                                        Sequence[str],
                                                        Dict[str, str]] = None,
                                 max_videos_per_subset: Optional[int] = None,
                                 train_subset: Optional[str] = None,
                                 click_subsets: Optional[Sequence[str]] = None,
                                 two_class_ratio: float = 0.15,
                                 inside_noise: float = 0.077,
                                 extra_background: float = 0.2,
                                 min_gap: float = 1.0,
                                 action_outside_noise: float = 0.03,
                                 cfg=None,
                                 overwrite: bool = False) -> dict:
    """Write a synthetic (or real-GT-shaped) click-supervised benchmark.

    Args:
        out_dir: Output folder; must be empty or absent unless ``overwrite``.
        num_classes (int): Classes of a synthetic GT (``class00``...).
            Ignored with ``gt_file``. Defaults to 5.
        num_videos (dict): subset -> number of synthetic videos. Defaults
            to ``dict(train=80, val=20, test=40)``. Ignored with ``gt_file``.
        feat_dim (int): D, even (RGB and flow halves). Defaults to 128.
        duration_range (tuple): Uniform range of synthetic durations (s).
        fps (float): Frame rate of synthetic videos (and of real-GT videos
            without ``fps``). Defaults to 30.
        alt_fps (float) / alt_fps_ratio (float): Fraction of synthetic
            videos at ``alt_fps`` instead. Defaults to 25 / 0.1.
        frames_per_snippet (int): Frames per feature snippet. Defaults to 16.
        num_segments (int, optional): Use this fixed T for every video
            (the official code batches fixed-length features, e.g. 750)
            instead of ``round(duration * fps / frames_per_snippet)``.
        seed (int): Random seed. Defaults to 0.
        layout (str): 'npy' or 'official'. Defaults to 'npy'.
        gt_file (str, optional): Shape the benchmark on this real
            ActivityNet-style GT (videos, durations, fps, segments, classes).
        click_file (str, optional): Real clicks for ``gt_file``: a
            ``.json`` click file or the THUMOS14 CSV. Its background and/or
            action clicks replace the simulated ones of that kind; clicks for
            videos not generated are dropped.
        subsets_from_gt: Real-GT subsets to use: None (all), a name, a list
            of names, or a dict renaming them (``{'val': 'train',
            'test': 'test'}`` for THUMOS14).
        max_videos_per_subset (int, optional): Keep only the first N videos
            (GT order) of each output subset.
        train_subset (str, optional): Subset that gets clicks and, in the
            official layout, ``point_label``. Defaults to 'train' /
            'training', or 'val' for a THUMOS14-style {'val', 'test'} GT.
        click_subsets (list[str], optional): Subsets to simulate clicks for.
            Defaults to ``[train_subset]``.
        two_class_ratio (float): Synthetic videos with two classes
            (THUMOS14: 0.15).
        inside_noise (float): Fraction of simulated A1 clicks inside actions
            (THUMOS14 A1: 0.077).
        extra_background (float): Extra A1 clicks per background gap.
        min_gap (float): Simulated A1 annotators skip gaps up to this long
            (s). Defaults to 1.
        action_outside_noise (float): Fraction of simulated SF clicks moved
            just outside their instance (SF-Net on THUMOS14: 0.022-0.039).
        cfg (SyntheticConfig | dict, optional): Feature/GT knobs.
        overwrite (bool): Write into a non-empty ``out_dir``, replacing
            only the files this function writes. Defaults to False.

    Returns:
        dict: Summary with ``out_dir``, ``gt_file``, ``click_file``,
        ``feature_dir``, ``layout``, ``num_classes``, ``feat_dim``,
        ``num_videos`` (per subset), ``num_snippets`` (total),
        ``num_clicks`` (per annotator) and ``train_subset``.
    """
    cfg = _config(cfg)
    if layout not in ('npy', 'official'):
        raise ValueError(f"layout must be 'npy' or 'official', got {layout!r}")
    if not isinstance(feat_dim, int) or feat_dim < 2 or feat_dim % 2:
        raise ValueError(f'feat_dim must be an even int >= 2 (RGB and flow '
                         f'halves), got {feat_dim!r}')
    if frames_per_snippet <= 0:
        raise ValueError(f'frames_per_snippet must be > 0, got '
                         f'{frames_per_snippet}')
    if num_segments is not None and num_segments < 1:
        raise ValueError(f'num_segments must be >= 1, got {num_segments}')
    if not 0.0 <= float(action_outside_noise) <= 1.0:
        raise ValueError(f'action_outside_noise must be in [0, 1], got '
                         f'{action_outside_noise}')
    if click_file is not None and gt_file is None:
        raise ValueError('click_file needs gt_file (real clicks only make '
                         'sense on the real GT)')
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, overwrite)

    if gt_file is None:
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        num_videos = dict(DEFAULT_NUM_VIDEOS if num_videos is
                          None else num_videos)
        for subset, count in num_videos.items():
            if not is_count(count):
                raise ValueError(f'num_videos[{subset!r}] must be an int >= '
                                 f'0, got {count!r}')
        lo, hi = duration_range
        if not MIN_VIDEO_SECONDS <= lo <= hi:
            raise ValueError(
                f'duration_range must satisfy {MIN_VIDEO_SECONDS:g} <= min '
                f'<= max (seconds; a video needs room for one action with '
                f'background around it), got {tuple(duration_range)}')
        class_names = [f'class{c:02d}' for c in range(num_classes)]
        database = synthesize_gt(num_videos, class_names, duration_range, fps,
                                 alt_fps, alt_fps_ratio, two_class_ratio, seed,
                                 cfg)
        full_database = database
    else:
        database, class_names, full_database = _load_real_gt(
            gt_file, subsets_from_gt, max_videos_per_subset, fps)
        if not database:
            raise ValueError(f'{gt_file}: no video selected')
    subsets = list(dict.fromkeys(e['subset'] for e in database.values()))
    train_subset = _resolve_train_subset(train_subset, subsets)
    click_subsets = [train_subset] if click_subsets is None else \
        list(click_subsets)

    # Clicks: real ones where given, simulated for the kinds that are not.
    given: Clicks = {}
    if click_file is not None:
        given = _read_clicks(click_file, class_names)
        validate_clicks(
            given, full_database, class_names, path=str(click_file))
        given = {v: c for v, c in given.items() if v in database}
    types = {c['type'] for vclicks in given.values() for c in vclicks}
    simulated = _human_like_clicks(
        database,
        class_names,
        subsets=[s for s in click_subsets if s in subsets],
        seed=seed,
        background='background' not in types,
        action='action' not in types,
        inside_noise=inside_noise,
        extra_background=extra_background,
        min_gap=min_gap,
        action_outside_noise=action_outside_noise,
        outside_seconds=cfg.approach_seconds)
    clicks = merge_click_files(given, simulated)

    # Features.
    prototypes = make_prototypes(len(class_names), feat_dim, seed, cfg)
    class_index = {name: i for i, name in enumerate(class_names)}
    feature_dir = out_dir / 'features'
    feature_dir.mkdir(parents=True, exist_ok=True)
    total_snippets = 0
    for video, entry in database.items():
        duration, video_fps = float(entry['duration']), float(entry['fps'])
        num = num_segments or num_snippets(duration, video_fps,
                                           frames_per_snippet)
        segs = np.array([a['segment'] for a in entry['annotations']],
                        dtype=np.float64).reshape(-1, 2)
        labels = np.array(
            [class_index[a['label']] for a in entry['annotations']],
            dtype=np.int64)
        feats = synthesize_video_features(
            _rng(seed, 2, video), duration, segs, labels, prototypes, num, cfg)
        total_snippets += num
        if layout == 'npy':
            atomic_replace(
                feature_dir / f'{video}.npy',
                lambda tmp: np.save(tmp, feats),
                suffix='.npy')
        else:
            bg_times = [
                c['time'] for c in clicks.get(video, [])
                if c['type'] == 'background'
            ]
            arrays = _official_arrays(video, entry, feats, labels,
                                      len(class_names), bg_times,
                                      entry['subset'] == train_subset)
            atomic_replace(
                feature_dir / f'{video}.npz',
                lambda tmp: np.savez(tmp, **arrays),
                suffix='.npz')

    gt_path = out_dir / 'gt.json'
    _write_json(
        gt_path,
        dict(
            version=GT_VERSION,
            activity_list=list(class_names),
            database=database))
    click_path = out_dir / 'clicks.json'
    dump_click_file(clicks, click_path, overwrite=True)

    per_annotator = Counter(c['annotator'] for vclicks in clicks.values()
                            for c in vclicks)
    per_subset = Counter(entry['subset'] for entry in database.values())
    return dict(
        out_dir=str(out_dir),
        gt_file=str(gt_path),
        click_file=str(click_path),
        feature_dir=str(feature_dir),
        layout=layout,
        num_classes=len(class_names),
        feat_dim=feat_dim,
        num_videos=dict(per_subset),
        num_snippets=total_snippets,
        num_clicks=dict(sorted(per_annotator.items())),
        train_subset=train_subset)
