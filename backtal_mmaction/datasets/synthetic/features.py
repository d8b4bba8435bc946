"""Snippet features of one video from its GT and the prototypes (package
docstring, properties 1 and 2, and the feature formula)."""
import math
from typing import Dict

import numpy as np

from ...utils import snippet_times
from .config import as_config


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
    """Features of one video (see the package docstring for the model).

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
    cfg = as_config(cfg)
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
