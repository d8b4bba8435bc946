# Copyright (c) OpenMMLab. All rights reserved.
"""Synthetic click-supervised localization benchmark (I3D-like features).

Real users bring pre-extracted two-stream I3D features; this module writes
stand-ins with the same layout so the whole pipeline can be trained and
evaluated offline, either on a fully synthetic GT or on a real GT (real
videos, durations, fps, segments, classes and clicks; only the features are
synthetic).

Output of :func:`generate_synthetic_benchmark`::

    out_dir/gt.json        ActivityNet-style GT: {"version", "activity_list",
                           "database": {video: {subset, duration, fps,
                           annotations: [{segment: [s, e], label}]}}}
    out_dir/clicks.json    backtal-clicks/1.0 (see ``clicks.py``): annotator
                           'A1' = human-like background clicks, 'SF' = one
                           action click per GT instance
    out_dir/features/<video>.npy   layout='npy': float32 (T, feat_dim),
                           T = round(duration * fps / frames_per_snippet)
    out_dir/features/<video>.npz   layout='official' (files of the official
                           BackTAL code): feat_spa, feat_tem float32
                           (feat_dim / 2, T), cls_label float32 (C,) multi-hot,
                           vid_name; train-subset files add point_label int64
                           (T,) (= num_classes at snippets holding a
                           background click, -100 elsewhere); other subsets
                           add frame_num, fps, duration.

Feature model and why it makes click supervision matter
-------------------------------------------------------
Snippet ``t`` of a video (features are ``[RGB | flow]``, ``feat_dim / 2``
each, like I3D's two streams) is::

    x(t) = relu(b + s_v + drift_v(t) + noise(t)
                + sum_i a_i(t) * P_i                  (action instances)
                + sum_c k_c(t) * Q_c                  (class contexts)
                + sum_j g_j(t) * D_j)                 (distractors)

- ``b``: shared background level; strong in RGB, weak in flow. ``s_v``:
  per-video scene offset. ``drift_v``: slow low-rank drift (Gaussian-smoothed
  noise, ``drift_seconds``), so neighbouring snippets correlate. ``noise``:
  per-snippet noise (``noise_std`` 0.3), lightly smoothed over 3 snippets.
  It is strong on purpose: one real I3D snippet is an unreliable witness of
  its class, so a localizer gains from pooling evidence over neighbours, and
  what it pools across an action boundary blurs that boundary. That is the
  trade-off BackTAL's affinity module addresses; with weak noise (0.15, the
  first version) every snippet was readable alone and the module had
  nothing to do (README, "Ablation", lists the settings tried). Values are
  non-negative (post-ReLU averages like I3D), mostly in 0..3.
- ``P_i = amp_i * P_c * (1 + instance_variation * N(0, 1))``: class action
  prototype ``P_c`` (sparse, strong in both streams, flow strongest) with a
  per-instance variation; ``a_i(t)`` is a soft box with sigmoid onset/offset
  of width ``onset_seconds``. Action snippets therefore have a clearly larger
  L2 norm than background, so feature-magnitude proposals are meaningful.
- Action-context confusion: every class has a *context* prototype ``Q_c``
  (the venue: the stadium of HighJump) with cosine ``context_cosine`` (0.6)
  to ``P_c``, mostly appearance (weak flow), norm ``context_norm * |P_c|``
  (0.9).
  In every video containing class ``c`` it appears with strength
  ``k_c(t) = context_floor + context_peak * exp(-d_c(t) / context_decay)``,
  ``d_c(t)`` = distance (s) to the nearest instance of ``c``: strongest right
  next to (and inside) the instances, fading over a few seconds
  (``context_decay_seconds`` = 6).
  Context is as class-specific as the action itself, so a model trained
  with video labels only (MIL) uses it and over-extends its detections into
  the surrounding background; action clicks (one snippet per instance)
  anchor the action but say nothing about the context, so the
  over-extension mostly remains; background clicks fall uniformly in the
  (mostly short) gaps between instances, i.e. mostly on context snippets,
  and teach the model exactly that these are background. Hence the
  expected ranking background clicks > action clicks > video labels.
- Distractors ``D_j`` (``num_distractors``, shared across classes, motion
  heavy, like camera pans or crowds) appear in random bursts anywhere, so
  high feature magnitude alone is not proof of an action.
- GT layout: instances of 1-15 s (log-normal, median 4 s) separated mostly
  by short gaps (1.5-10 s) and sometimes long ones (15-40 s), so there is
  both near-action context and far background. ``two_class_ratio`` of the
  videos contain two classes.

Clicks: 'A1' is simulated with :func:`simulate_clicks` ('auto': one click per
background gap, ``extra_background`` extra per gap on average, an
``inside_noise`` fraction landing inside actions) and 'SF' is one uniform
click per instance; by default only the train subset is clicked (like the
real A1 file, which covers the THUMOS14 training split only).

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

from .clicks import (Clicks, _is_count, convert_thumos_csv, dump_click_file,
                     load_click_file, load_ground_truth, merge_click_files,
                     simulate_clicks, validate_clicks, video_gt_segments)

GT_VERSION = 'backtal-synthetic/1.0'
IGNORE_INDEX = -100
DEFAULT_NUM_VIDEOS = dict(train=80, val=20, test=40)

__all__ = [
    'SyntheticConfig', 'make_prototypes', 'synthesize_video_features',
    'synthesize_gt', 'generate_synthetic_benchmark', 'snippet_times',
    'num_snippets'
]


@dataclasses.dataclass
class SyntheticConfig:
    """Knobs of the synthetic GT and features (see the module docstring).

    Magnitudes refer to feature values before the final ReLU; times are in
    seconds.
    """
    # Shared background, per-video scene, drift and noise.
    background_rgb: float = 0.45
    background_flow: float = 0.15
    scene_scale: float = 0.2
    drift_scale: float = 0.12
    drift_rank: int = 4
    drift_seconds: float = 8.0
    noise_std: float = 0.3
    # Action prototypes (sparse, exponential values).
    prototype_density: float = 0.35
    action_rgb: float = 0.7
    action_flow: float = 1.0
    instance_variation: float = 0.25
    instance_amplitude: Tuple[float, float] = (0.6, 1.2)
    onset_seconds: float = 0.5
    # Context prototypes.
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
    # GT layout.
    instance_median_seconds: float = 4.0
    instance_seconds: Tuple[float, float] = (1.0, 15.0)
    short_gap_seconds: Tuple[float, float] = (1.5, 10.0)
    long_gap_seconds: Tuple[float, float] = (15.0, 40.0)
    long_gap_prob: float = 0.25
    lead_seconds: Tuple[float, float] = (1.0, 15.0)


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
# Prototypes
# ---------------------------------------------------------------------------
def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (
        np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


def _sparse_positive(rng, n, feat_dim, density, rgb, flow) -> np.ndarray:
    half = feat_dim // 2
    x = rng.exponential(1.0, (n, feat_dim)) * (
        rng.random((n, feat_dim)) < density)
    x[:, :half] *= rgb
    x[:, half:] *= flow
    return x


def make_prototypes(num_classes: int,
                    feat_dim: int,
                    seed: int = 0,
                    cfg=None) -> Dict[str, np.ndarray]:
    """Class action/context prototypes, distractors and background level.

    Args:
        num_classes (int): C.
        feat_dim (int): D (even: RGB and flow halves).
        seed (int): Random seed.
        cfg (SyntheticConfig | dict, optional): Knobs.

    Returns:
        dict: ``action`` (C, D), ``context`` (C, D) with cosine
        ``context_cosine`` to ``action`` (row-wise), ``distractor`` (K, D),
        ``background`` (D,); all non-negative float64.
    """
    cfg = _config(cfg)
    rng = _rng(seed, 7, f'prototypes-{num_classes}-{feat_dim}')
    half = feat_dim // 2
    action = _sparse_positive(rng, num_classes, feat_dim,
                              cfg.prototype_density, cfg.action_rgb,
                              cfg.action_flow)
    # An all-zero prototype would make a class invisible.
    action[action.sum(1) == 0, 0] = cfg.action_rgb
    # Equal norms (up to +-15%): no class is trivially easy or invisible.
    norm = np.linalg.norm(action, axis=1, keepdims=True)
    action *= norm.mean() * rng.uniform(0.85, 1.15, (num_classes, 1)) / norm
    # Context = alpha * action + independent appearance-heavy part; alpha is
    # found per class by bisection (cosine grows monotonically with alpha).
    indep = _sparse_positive(rng, num_classes, feat_dim, cfg.prototype_density,
                             cfg.action_rgb, 0.2 * cfg.action_flow)
    target = float(np.clip(cfg.context_cosine, 0.0, 0.999))
    lo = np.zeros(num_classes)
    hi = np.full(num_classes, 50.0)
    for _ in range(50):
        mid = (lo + hi) / 2
        too_low = _cosine(mid[:, None] * action + indep, action) < target
        lo = np.where(too_low, mid, lo)
        hi = np.where(too_low, hi, mid)
    context = hi[:, None] * action + indep
    act_norm = np.linalg.norm(action, axis=1, keepdims=True)
    context *= cfg.context_norm * act_norm / np.linalg.norm(
        context, axis=1, keepdims=True)
    distractor = _sparse_positive(rng, cfg.num_distractors, feat_dim,
                                  cfg.prototype_density, 0.8, 1.2)
    if cfg.num_distractors:
        distractor *= cfg.distractor_norm * act_norm.mean() / (
            np.linalg.norm(distractor, axis=1, keepdims=True) + 1e-12)
    background = np.empty(feat_dim)
    background[:half] = rng.gamma(2.0, cfg.background_rgb / 2, half)
    background[half:] = rng.gamma(2.0, cfg.background_flow / 2,
                                  feat_dim - half)
    return dict(
        action=action,
        context=context,
        distractor=distractor,
        background=background)


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------
def num_snippets(duration: float, fps: float, frames_per_snippet: int) -> int:
    """T = round(duration * fps / frames_per_snippet), at least 1."""
    return max(int(round(duration * fps / frames_per_snippet)), 1)


def snippet_times(duration: float, num: int) -> np.ndarray:
    """(T,) centre times (s) of T equal snippets covering [0, duration]."""
    return (np.arange(num) + 0.5) * (duration / num)


def _soft_boxes(t: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                width: float) -> np.ndarray:
    """(T, N) soft indicator of [start, end] with sigmoid edges."""
    w = max(width / 4.0, 1e-3)  # 10%-90% rise over ~width
    rise = (t[:, None] - starts[None, :]) / w
    fall = (ends[None, :] - t[:, None]) / w
    return 1.0 / ((1.0 + np.exp(-np.clip(rise, -50, 50))) *
                  (1.0 + np.exp(-np.clip(fall, -50, 50))))


def _smooth_noise(rng, length: int, dims: int, sigma: float) -> np.ndarray:
    """(length, dims) unit-variance Gaussian-smoothed white noise."""
    sigma = max(float(sigma), 1e-3)
    radius = max(int(math.ceil(3 * sigma)), 1)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma)**2)
    kernel /= np.sqrt((kernel**2).sum())  # keeps unit variance
    white = rng.standard_normal((length + 2 * radius, dims))
    windows = np.lib.stride_tricks.sliding_window_view(
        white, len(kernel), axis=0)  # (length, dims, K)
    return windows @ kernel


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
    t = snippet_times(duration, num)
    snippet_seconds = duration / num

    x = np.broadcast_to(prototypes['background'], (num, feat_dim)).copy()
    x += cfg.scene_scale * rng.gamma(2.0, 0.5, feat_dim)  # scene offset
    drift = _smooth_noise(rng, num, cfg.drift_rank,
                          cfg.drift_seconds / snippet_seconds)
    x += drift @ (
        cfg.drift_scale * rng.standard_normal((cfg.drift_rank, feat_dim)))
    noise = rng.standard_normal((num + 2, feat_dim))
    # [1, 2, 1] / sqrt(6) smoothing: neighbours correlate, variance stays 1.
    x += cfg.noise_std * (noise[:-2] + 2 * noise[1:-1] +
                          noise[2:]) / np.sqrt(6)

    if len(segs):
        # Action instances.
        amp = rng.uniform(*cfg.instance_amplitude, len(segs))
        inst = prototypes['action'][labels] * (
            1.0 + cfg.instance_variation * rng.standard_normal(
                (len(segs), feat_dim)))
        inst = amp[:, None] * np.maximum(inst, 0.0)
        x += _soft_boxes(t, segs[:, 0], segs[:, 1], cfg.onset_seconds) @ inst
        # Context of each class present, strongest next to its instances.
        classes, cls_of_inst = np.unique(labels, return_inverse=True)
        dist = np.maximum(
            np.maximum(segs[None, :, 0] - t[:, None],
                       t[:, None] - segs[None, :, 1]), 0.0)  # (T, N)
        member = cls_of_inst[None, :] == np.arange(len(classes))[:, None]
        dist_cls = np.where(member[None], dist[:, None, :],
                            np.inf).min(-1)  # (T, C_v)
        strength = cfg.context_floor + cfg.context_peak * np.exp(
            -dist_cls / cfg.context_decay_seconds)
        strength *= rng.uniform(*cfg.context_amplitude, len(classes))
        x += strength @ prototypes['context'][classes]

    num_bursts = rng.poisson(cfg.distractor_per_minute * duration / 60.0) \
        if len(prototypes['distractor']) else 0
    if num_bursts:
        centre = rng.uniform(0.0, duration, num_bursts)
        half_len = rng.uniform(*cfg.distractor_seconds, num_bursts) / 2
        kinds = rng.integers(len(prototypes['distractor']), size=num_bursts)
        weight = _soft_boxes(t, centre - half_len, centre + half_len,
                             cfg.onset_seconds)
        weight *= rng.uniform(0.6, 1.0, num_bursts)
        x += weight @ prototypes['distractor'][kinds]
    return np.maximum(x, 0.0).astype(np.float32)


# ---------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------
def _synthesize_instances(rng, duration: float, classes: np.ndarray,
                          cfg: SyntheticConfig
                          ) -> Tuple[np.ndarray, np.ndarray]:
    """(N, 2) segments (0.1 s grid) and (N,) class indices of one video."""
    lo, hi = cfg.instance_seconds
    k = int(duration / (lo + cfg.short_gap_seconds[0])) + 2
    lengths = np.clip(
        rng.lognormal(np.log(cfg.instance_median_seconds), 0.5, k), lo, hi)
    long_gap = rng.random(k) < cfg.long_gap_prob
    gaps = np.where(long_gap, rng.uniform(*cfg.long_gap_seconds, k),
                    rng.uniform(*cfg.short_gap_seconds, k))
    starts = rng.uniform(*cfg.lead_seconds) + np.concatenate(
        [[0.0], np.cumsum(lengths + gaps)[:-1]])
    starts = np.round(starts, 1)
    ends = np.round(starts + lengths, 1)
    keep = ends <= duration - 0.5
    if not keep.any():  # too short for the layout: one centred-ish instance
        length = round(min(lengths[0], 0.5 * duration), 1)
        start = round(rng.uniform(0.0, duration - length - 0.1), 1)
        starts, ends, keep = np.array([start]), np.array([start + length]), \
            np.array([True])
    segs = np.stack([starts[keep], ends[keep]], axis=1)
    labels = classes[rng.integers(len(classes), size=len(segs))]
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
                  two_class_ratio: float = 0.2,
                  seed: int = 0,
                  cfg=None) -> dict:
    """A synthetic ActivityNet-style GT ``database``.

    Every class is the primary class of about the same number of videos of
    each subset (balanced round robin, shuffled).

    Returns:
        dict: video -> ``{'subset', 'duration', 'fps', 'annotations'}``;
        videos are named ``video_<subset>_<i:07d>``.
    """
    cfg = _config(cfg)
    num_classes = len(class_names)
    database = {}
    for subset, count in num_videos.items():
        rng = _rng(seed, 3, f'gt-{subset}')
        primary = rng.permutation(np.arange(count) % num_classes)
        second = (primary + rng.integers(1, max(num_classes, 2), count)) % \
            num_classes
        two = (rng.random(count) < two_class_ratio) & (num_classes > 1)
        durations = np.round(rng.uniform(*duration_range, count), 3)
        fpss = np.where(rng.random(count) < alt_fps_ratio, alt_fps, fps)
        for i in range(count):
            classes = np.array(
                [primary[i], second[i]] if two[i] else [primary[i]])
            segs, labels = _synthesize_instances(rng, float(durations[i]),
                                                 classes, cfg)
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
    """Selected (and renamed) videos of a real GT, the class list, full DB."""
    path = Path(gt_file)
    full, class_names = load_ground_truth(path)
    available = list(
        dict.fromkeys(str(e.get('subset')) for e in full.values()))
    if subsets_from_gt is None:
        mapping = {s: s for s in available}
    elif isinstance(subsets_from_gt, str):
        mapping = {subsets_from_gt: subsets_from_gt}
    elif isinstance(subsets_from_gt, dict):
        mapping = dict(subsets_from_gt)
    else:
        mapping = {s: s for s in subsets_from_gt}
    missing = [s for s in mapping if s not in available]
    if missing:
        raise ValueError(f'{path}: subset(s) {missing} not in the GT; '
                         f'available: {available}')
    class_set = set(class_names)
    counts: Dict[str, int] = {}
    database = {}
    for video, entry in full.items():
        out_subset = mapping.get(entry.get('subset'))
        if out_subset is None:
            continue
        if max_videos_per_subset is not None and counts.get(
                out_subset, 0) >= max_videos_per_subset:
            continue
        duration, segs, labels = video_gt_segments(full, video)
        unknown = sorted(set(labels) - class_set)
        if unknown:
            raise ValueError(f"{path}: video '{video}' has label(s) "
                             f"{unknown} not in 'activity_list'")
        counts[out_subset] = counts.get(out_subset, 0) + 1
        database[video] = dict(
            subset=out_subset,
            duration=duration,
            fps=entry.get('fps', default_fps),
            annotations=_annotations(segs, labels))
    return database, class_names, full


# ---------------------------------------------------------------------------
# Clicks
# ---------------------------------------------------------------------------
def _human_like_clicks(database: dict, class_names, subsets, seed: int,
                       background: bool, action: bool, inside_noise: float,
                       extra_background: float) -> Clicks:
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
                seed=seed,
                background_annotator='A1'))
    if action:
        parts.append(
            simulate_clicks(
                database,
                class_names,
                subset=subsets,
                background=False,
                seed=seed,
                action_annotator='SF'))
    return merge_click_files(*parts)


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
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False)
        f.write('\n')


def generate_synthetic_benchmark(out_dir,
                                 num_classes: int = 5,
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
                                 two_class_ratio: float = 0.2,
                                 inside_noise: float = 0.05,
                                 extra_background: float = 0.2,
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
        two_class_ratio (float): Synthetic videos with two classes.
        inside_noise (float): Fraction of simulated A1 clicks inside actions.
        extra_background (float): Extra A1 clicks per background gap.
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
            if not _is_count(count):
                raise ValueError(f'num_videos[{subset!r}] must be an int >= '
                                 f'0, got {count!r}')
        lo, hi = duration_range
        if not 0 < lo <= hi:
            raise ValueError(f'duration_range must satisfy 0 < min <= max, '
                             f'got {duration_range}')
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
        extra_background=extra_background)
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
            np.save(feature_dir / f'{video}.npy', feats)
        else:
            bg_times = [
                c['time'] for c in clicks.get(video, [])
                if c['type'] == 'background'
            ]
            np.savez(
                feature_dir / f'{video}.npz',
                **_official_arrays(video, entry, feats, labels,
                                   len(class_names), bg_times,
                                   entry['subset'] == train_subset))

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
        num_clicks=dict(per_annotator),
        train_subset=train_subset)
