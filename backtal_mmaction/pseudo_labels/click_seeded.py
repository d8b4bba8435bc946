"""Instance-level pseudo-segments seeded by action clicks, walled by
background clicks.

In SF-Net's protocol an annotator clicks once inside every action instance,
so the *number* of instances of a class in a training video is known; in
BackTAL's protocol background clicks mark frames that belong to no
instance. Where a video has both, each action click seeds exactly one
pseudo-segment, and the clicks bound where its boundaries may lie:

1. **Walls.** The segment of a click of class ``c`` at time ``t`` lies
   strictly between the nearest *walls* on either side: background clicks
   and the other action clicks of class ``c`` (a click marks a different
   instance, so no segment spans two of them). The video ends are walls
   too. A search reaches at most ``max_span`` seconds to each side.
2. **Boundaries by outer-inner contrast.** On the snippet grid of a score
   curve ``a_c(k)`` in ``[0, 1]`` (stage 1's class activation, see
   :func:`softmax_class_curves`, or a detection coverage curve,
   :func:`detection_class_curves`), every snippet range ``[s, e]`` with
   ``s <= p <= e`` (``p`` the click's snippet) inside the walls is scored
   by ``mean(a_c[s..e]) - mean(a_c[outer])``, where ``outer`` is
   ``m = max(1, round(outer_ratio * (e - s + 1)))`` snippets on each side
   (clipped to the video; an empty outer region counts as 0). The best
   range wins (ties: the shorter, then the earlier). It is computed for
   all ranges at once from cumulative sums.
3. **Seconds.** Snippet ``k`` covers ``[k, k + 1) * duration / T``; the
   segment is clipped to its walls, so it never contains a background
   click. Two segments of the same class that still overlap (their clicks
   share a stretch of high activation) are split at the middle of the
   overlap.
4. **Reliability.** A segment's contrast is its confidence: segments whose
   contrast is below ``min_contrast`` keep their click but get a
   ``fallback_length`` segment centred on it (clipped to the walls), as
   the score curve cannot place them; every segment's weight is its
   contrast relative to the best contrast of its class over the whole
   split (the caller normalises, see :func:`normalise_weights`), floored
   at ``min_weight`` so no clicked instance is dropped.
"""
from dataclasses import dataclass, fields
from typing import Dict, Optional, Sequence

import numpy as np

from ..utils import check_range

__all__ = ['ClickSeedRules', 'softmax_class_curves', 'detection_class_curves',
           'best_contrast_range', 'click_seeded_segments',
           'normalise_weights']


def rules_from_dict(cls, settings: Optional[dict], where: str):
    """``cls(**settings)`` for a settings dataclass, every error prefixed
    with ``where`` (e.g. ``two_stage.pseudo_labels``: where the settings
    came from) and an unknown key named (with the known ones) as a
    ValueError instead of Python's TypeError.

    Raises:
        ValueError: ``settings`` is not a dict, has an unknown key, or a
            value out of range (the class's own check).
    """
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise ValueError(f'{where} must be a dict of {cls.__name__} '
                         f'settings, got {type(settings).__name__}')
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f'{where}: unknown {cls.__name__} setting(s) '
                         f'{unknown}; known: {known}')
    try:
        return cls(**settings)
    except ValueError as err:
        raise ValueError(f'{where}: {err}') from None


@dataclass
class ClickSeedRules:
    """Settings of the rules in the module docstring (seconds)."""
    outer_ratio: float = 0.25
    max_span: float = 60.0
    min_contrast: float = 0.0
    fallback_length: float = 2.0
    min_weight: float = 0.1

    def __post_init__(self):
        owner = 'ClickSeedRules'
        check_range('outer_ratio', self.outer_ratio, 0, 1, low_open=True,
                    owner=owner)
        check_range('max_span', self.max_span, 0, low_open=True, owner=owner)
        # a contrast is a difference of two means of [0, 1] curves
        check_range('min_contrast', self.min_contrast, -1, 1, owner=owner)
        check_range('fallback_length', self.fallback_length, 0,
                    low_open=True, owner=owner)
        check_range('min_weight', self.min_weight, 0, 1, low_open=True,
                    owner=owner)


def softmax_class_curves(cas: np.ndarray) -> np.ndarray:
    """Per-snippet class probabilities of a CAS with a background row.

    Args:
        cas (np.ndarray): ``(C + 1, T)`` logits (BackTAL's ``cas_supp``).

    Returns:
        np.ndarray: ``(C, T)`` softmax over the ``C + 1`` rows, background
        dropped, in ``[0, 1]``.
    """
    cas = np.asarray(cas, np.float64)
    z = cas - cas.max(0, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(0, keepdims=True))[:-1]


def detection_class_curves(segments, scores, labels, num_classes: int,
                           num_snippets: int, duration: float) -> np.ndarray:
    """A score curve from detections, for models without a CAS: snippet
    ``k`` of class ``c`` gets the best score of the class-``c`` detections
    covering its centre, divided by the video's best score.

    Returns:
        np.ndarray: ``(C, T)`` in ``[0, 1]``.
    """
    segs = np.asarray(segments, np.float64).reshape(-1, 2)
    scores = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(labels, np.int64).reshape(-1)
    curves = np.zeros((num_classes, num_snippets))
    if not len(scores):
        return curves
    scores = scores - min(scores.min(), 0.0)
    top = scores.max()
    if top <= 0:
        return curves
    centres = (np.arange(num_snippets) + 0.5) * duration / num_snippets
    cover = ((segs[:, None, 0] <= centres[None]) &
             (centres[None] <= segs[:, None, 1]))  # (K, T)
    vals = np.where(cover, scores[:, None] / top, 0.0)
    np.maximum.at(curves, labels, vals)
    return curves


def best_contrast_range(curve: np.ndarray, p: int, lo: int, hi: int,
                        outer_ratio: float) -> tuple:
    """The snippet range ``[s, e]``, ``lo <= s <= p <= e <= hi``, of best
    outer-inner contrast on ``curve`` (rule 2 of the module docstring).

    Args:
        curve (np.ndarray): ``(T,)``.
        p (int): Seed snippet.
        lo, hi (int): Inclusive bounds of the range.

    Returns:
        tuple: ``(s, e, contrast)``.
    """
    T = len(curve)
    csum = np.concatenate([[0.0], np.cumsum(curve)])
    s = np.arange(lo, p + 1)[:, None]  # (S, 1)
    e = np.arange(p, hi + 1)[None, :]  # (1, E)
    n = e - s + 1
    inner = (csum[e + 1] - csum[s]) / n
    m = np.maximum(1, np.round(outer_ratio * n)).astype(np.int64)
    ls, le = np.maximum(s - m, 0), s  # [ls, le)
    rs, re = e + 1, np.minimum(e + 1 + m, T)  # [rs, re)
    out_n = (le - ls) + (re - rs)
    out_sum = (csum[le] - csum[ls]) + (csum[re] - csum[rs])
    outer = np.where(out_n > 0, out_sum / np.maximum(out_n, 1), 0.0)
    contrast = inner - outer
    # ties: the shorter range, then the earlier start (argmax keeps the
    # first maximum, so order the candidates by (length, start))
    order = np.lexsort((np.broadcast_to(s, n.shape).ravel(), n.ravel()))
    flat = contrast.ravel()[order]
    best = order[int(np.argmax(flat))]
    i, j = np.unravel_index(best, n.shape)
    return int(s[i, 0]), int(e[0, j]), float(contrast[i, j])


def click_seeded_segments(curves: np.ndarray, duration: float,
                          action_times, action_labels,
                          background_times=(),
                          rules: Optional[ClickSeedRules] = None) -> dict:
    """One pseudo-segment per action click of one video (rules 1-3, and
    the fallback of rule 4).

    Args:
        curves (np.ndarray): ``(C, T)`` class score curves in ``[0, 1]``.
        duration (float): Seconds.
        action_times (array): ``(K,)`` seconds.
        action_labels (array): ``(K,)`` class indices ``< C``.
        background_times (array): ``(B,)`` seconds.

    Returns:
        dict: ``segments`` ``(K, 2)`` seconds, ``labels`` ``(K,)``,
        ``contrast`` ``(K,)`` (NaN for a fallback segment), in click order
        sorted by (label, time).
    """
    rules = rules or ClickSeedRules()
    curves = np.asarray(curves, np.float64)
    C, T = curves.shape
    times = np.asarray(action_times, np.float64).reshape(-1)
    labels = np.asarray(action_labels, np.int64).reshape(-1)
    if len(times) != len(labels):
        raise ValueError(f'click_seeded_segments: {len(times)} action click '
                         f'times but {len(labels)} labels')
    if len(labels) and (labels.min() < 0 or labels.max() >= C):
        raise ValueError(f'click_seeded_segments: action click labels must '
                         f'be in [0, {C}), got {labels.tolist()}')
    bg = np.sort(np.asarray(background_times, np.float64).reshape(-1))
    order = np.lexsort((times, labels))
    times, labels = times[order], labels[order]
    spt = duration / T
    segs = np.zeros((len(times), 2))
    contrast = np.full(len(times), np.nan)
    for k, (t, c) in enumerate(zip(times, labels)):
        same = times[(labels == c)]
        left = max([0.0, *bg[bg < t], *same[same < t],
                    t - rules.max_span])
        right = min([duration, *bg[bg > t], *same[same > t],
                     t + rules.max_span])
        p = int(np.clip(np.floor(t / spt), 0, T - 1))
        # snippets lying wholly or partly inside (left, right)
        lo = int(np.clip(np.floor(left / spt), 0, p))
        hi = int(np.clip(np.ceil(right / spt) - 1, p, T - 1))
        s, e, score = best_contrast_range(curves[c], p, lo, hi,
                                          rules.outer_ratio)
        if score < rules.min_contrast:
            half = rules.fallback_length / 2
            start, end = t - half, t + half
        else:
            start, end = s * spt, (e + 1) * spt
            contrast[k] = score
        segs[k] = max(start, left), min(end, right)
    # rule 3: split same-class overlaps at the middle of the overlap
    for k in range(1, len(times)):
        if labels[k] == labels[k - 1] and segs[k, 0] < segs[k - 1, 1]:
            mid = (segs[k, 0] + segs[k - 1, 1]) / 2
            segs[k - 1, 1] = max(mid, times[k - 1])
            segs[k, 0] = min(mid, times[k])
    return dict(segments=segs, labels=labels, contrast=contrast)


def normalise_weights(contrasts: Sequence[np.ndarray],
                      labels: Sequence[np.ndarray],
                      min_weight: float) -> list:
    """Rule 4's weights for all videos of a split: contrast divided by the
    best contrast of its class over the split, in ``[min_weight, 1]``
    (fallback segments, NaN contrast, get ``min_weight``).

    Args:
        contrasts (list[np.ndarray]): Per video ``(K_v,)``.
        labels (list[np.ndarray]): Per video ``(K_v,)``.

    Returns:
        list[np.ndarray]: Per video ``(K_v,)`` weights.
    """
    best: Dict[int, float] = {}
    for con, lab in zip(contrasts, labels):
        for c, v in zip(lab, con):
            if np.isfinite(v):
                best[int(c)] = max(best.get(int(c), 0.0), float(v))
    out = []
    for con, lab in zip(contrasts, labels):
        top = np.array([best.get(int(c), 0.0) for c in lab])
        w = np.where(np.isfinite(con) & (top > 0),
                     np.asarray(con) / np.where(top > 0, top, 1.0), 0.0)
        out.append(np.clip(w, min_weight, 1.0))
    return out
