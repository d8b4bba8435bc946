"""Classes (sibling groups, median lengths) and the feature prototypes:
class actions, group venues, distractors, background (package docstring,
property 3)."""
import math
from typing import Dict, List

import numpy as np

from .config import as_config, stream_rng


def class_groups(num_classes: int, group_size: int = 2) -> List[List[int]]:
    """Sibling groups sharing a venue: consecutive classes, ``group_size``
    each (the last group may be smaller); ``group_size`` 1 = no sharing."""
    size = max(int(group_size), 1)
    return [
        list(range(s, min(s + size, num_classes)))
        for s in range(0, num_classes, size)
    ]


def class_group_index(num_classes: int, group_size: int) -> np.ndarray:
    """(C,) int: the sibling group of each class (see :func:`class_groups`)."""
    return np.array([c // max(int(group_size), 1)
                     for c in range(num_classes)])


def class_median_seconds(num_classes: int, cfg=None) -> np.ndarray:
    """(C,) median instance length of each class: log-spaced over
    ``cfg.class_median_seconds`` in class order (siblings are adjacent, so
    of similar length)."""
    cfg = as_config(cfg)
    lo, hi = cfg.class_median_seconds
    if num_classes == 1:
        return np.array([math.sqrt(lo * hi)])
    return np.exp(np.linspace(math.log(lo), math.log(hi), num_classes))


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
    cfg = as_config(cfg)
    rng = stream_rng(seed, 7, f'prototypes-{num_classes}-{feat_dim}')
    half = feat_dim // 2
    group = class_group_index(num_classes, cfg.class_group_size)
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
