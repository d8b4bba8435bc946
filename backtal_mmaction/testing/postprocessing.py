"""Loop reference of the BackTAL post-processing (the official formulation).

:func:`naive_proposals` / :func:`naive_postprocess` follow the official
BackTAL code: per class and per threshold, ``np.where`` + ``np.split`` to
group frames into runs, and per run a Python list of outer-region frame
indices; then per-class greedy NMS, with the whole-video box appended once
PER generated proposal. The vectorized ``BackTALPostProcessor`` is tested
against them (``tests/models/postprocessing/test_equivalence.py``) and
``tools/analysis/benchmark_postprocessing.py`` / ``benchmark.py`` time them.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from backtal_mmaction.models.postprocessing.backtal_postprocessor import \
    BackTALPostProcessor

# (class id, source ('cas' | 'mag'), threshold index, start, end, score)
NaiveProposal = Tuple[int, str, int, int, int, float]


# ---------------------------------------------------------------------- #
# loop reference
# ---------------------------------------------------------------------- #
def _naive_minmax(row: np.ndarray) -> np.ndarray:
    mx = max(float(np.max(row)), 0.0)
    mn = max(float(np.min(row)), 0.0)
    rng = mx - mn
    if rng == 0:
        rng = 1.0
    return (row - mn) / rng

# The official test script's threshold lists, written as it computes them.
OFFICIAL_CAS_THRESHOLDS = tuple(np.arange(0, 0.25, 0.025))
OFFICIAL_MAG_THRESHOLDS = tuple(np.arange(0.3, 0.8, 0.075))


def _naive_upsample(row: np.ndarray, size: int) -> np.ndarray:
    # An independent implementation of the half-pixel linear resize.
    x = torch.from_numpy(np.ascontiguousarray(row, dtype=np.float64))
    return F.interpolate(
        x[None, None], size=size, mode='linear',
        align_corners=False)[0, 0].numpy()


def _naive_score(q: np.ndarray, run: np.ndarray, lam: float, gamma: float,
                 prob: float) -> float:
    num_frames = q.shape[0]
    n = len(run)
    inner = np.mean(q[run])
    outer_s = max(0, int(run[0] - lam * n))
    outer_e = min(num_frames, int(run[-1] + lam * n))
    outer_idx = list(range(outer_s, int(run[0]))) + list(
        range(int(run[-1]) + 1, outer_e))
    outer = np.mean(q[outer_idx]) if len(outer_idx) else 0.0
    return float(inner - outer + gamma * prob)


def _naive_runs(mask: np.ndarray) -> List[np.ndarray]:
    idx = np.where(mask)[0]
    if idx.size == 0:
        return []
    return np.split(idx, np.where(np.diff(idx) != 1)[0] + 1)


def naive_proposals(cas: np.ndarray,
                    video_scores: np.ndarray,
                    magnitude: Optional[np.ndarray],
                    num_frames: int,
                    class_threshold: float = 0.25,
                    cas_thresholds: Sequence[float] = OFFICIAL_CAS_THRESHOLDS,
                    mag_thresholds: Sequence[float] = OFFICIAL_MAG_THRESHOLDS,
                    lam: float = 0.25,
                    gamma: float = 0.2) -> List[NaiveProposal]:
    """Loop-based proposal generation (official formulation).

    Returns:
        list[tuple]: ``(class_id, source, thr_idx, start, end, score)``,
        frames inclusive.
    """
    logits = np.asarray(video_scores, dtype=np.float64)
    probs = np.exp(logits - logits.max())
    probs = (probs / probs.sum())[:-1]
    proposals = []
    mag_up = None
    if magnitude is not None and len(mag_thresholds):
        mag_up = _naive_upsample(
            np.clip(_naive_minmax(np.asarray(magnitude, np.float64)), 0, 1),
            num_frames)
    for c in range(probs.shape[0]):
        if probs[c] < class_threshold:
            continue
        cas_up = _naive_upsample(
            _naive_minmax(np.asarray(cas[c], np.float64)), num_frames)
        for t, thr in enumerate(cas_thresholds):
            seq = cas_up.copy()
            seq[seq < thr] = 0
            for run in _naive_runs(seq > 0):
                proposals.append((c, 'cas', t, int(run[0]), int(run[-1]),
                                  _naive_score(seq, run, lam, gamma,
                                               probs[c])))
        if mag_up is None:
            continue
        for t, thr in enumerate(mag_thresholds):
            for run in _naive_runs((mag_up >= thr) & (mag_up > 0)):
                proposals.append((c, 'mag', t, int(run[0]), int(run[-1]),
                                  _naive_score(cas_up, run, lam, gamma,
                                               probs[c])))
    return proposals


def _naive_class_nms(segs: np.ndarray, scores: np.ndarray, thr: float,
                     mode: str) -> List[int]:
    # py-faster-rcnn style greedy NMS, as in the official code.
    offset = 1.0 if mode == 'official' else 0.0
    x1, x2 = segs[:, 0], segs[:, 1]
    areas = x2 - x1 + offset
    order = np.argsort(-scores, kind='stable')
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        xx1 = np.maximum(x1[i], x1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        inter = np.maximum(0.0, xx2 - xx1 + offset)
        iou = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[1:][iou <= thr]
    return keep


def naive_postprocess(
        cas: np.ndarray,
        video_scores: np.ndarray,
        magnitude: Optional[np.ndarray],
        num_frames: int,
        duration: float,
        class_threshold: float = 0.25,
        cas_thresholds: Sequence[float] = OFFICIAL_CAS_THRESHOLDS,
        mag_thresholds: Sequence[float] = OFFICIAL_MAG_THRESHOLDS,
        lam: float = 0.25,
        gamma: float = 0.2,
        nms_thr: float = 0.55,
        nms_mode: str = 'standard',
        shrink_ratio: float = 0.0,
        whole_video_score: Optional[float] = None,
        max_detections: Optional[int] = None) -> Dict[str, np.ndarray]:
    """Loop-based full post-processing with hard NMS.

    Like the official code, the whole-video proposal (if enabled) is added
    once PER generated proposal.
    """
    props = naive_proposals(cas, video_scores, magnitude, num_frames,
                            class_threshold, cas_thresholds, mag_thresholds,
                            lam, gamma)
    per_class: Dict[int, list] = {}
    for c, _, _, s, e, score in props:
        start = s / num_frames * duration
        end = (e + 1) / num_frames * duration
        if shrink_ratio > 0:
            length = end - start
            start = start + shrink_ratio * length
            end = end - shrink_ratio * length
        per_class.setdefault(c, []).append([start, end, score])
        if whole_video_score is not None:
            per_class[c].append([0.0, duration, whole_video_score])
    dets = []
    for c, boxes in per_class.items():
        boxes = np.asarray(boxes, dtype=np.float64)
        for i in _naive_class_nms(boxes[:, :2], boxes[:, 2], nms_thr,
                                  nms_mode):
            dets.append((boxes[i, 2], boxes[i, 0], boxes[i, 1], c))
    dets.sort(key=lambda d: -d[0])
    if max_detections is not None:
        dets = dets[:max_detections]
    if not dets:
        return dict(
            segments=np.zeros((0, 2)),
            scores=np.zeros(0),
            labels=np.zeros(0, dtype=np.int64))
    arr = np.asarray([d[:3] for d in dets], dtype=np.float64)
    return dict(
        segments=arr[:, 1:3],
        scores=arr[:, 0],
        labels=np.asarray([d[3] for d in dets], dtype=np.int64))


# ---------------------------------------------------------------------- #
# comparison helpers
# ---------------------------------------------------------------------- #
def vectorized_proposal_list(processor: BackTALPostProcessor, cas,
                             video_scores, magnitude,
                             num_frames) -> List[NaiveProposal]:
    """Proposals of the vectorized processor in the naive tuple format."""
    parts = processor.generate_proposals(
        np.asarray(cas, np.float64), np.asarray(video_scores, np.float64),
        None if magnitude is None else np.asarray(magnitude, np.float64),
        num_frames)
    out = []
    for source, key in (('cas', 'threshold'), ('mag', 'magnitude')):
        p = parts[key]
        out += [(int(c), source, int(t), int(s), int(e), float(v))
                for c, t, s, e, v in zip(parts['classes'][p.rows], p.thr_idx,
                                         p.starts, p.ends, p.scores)]
    return out


def assert_same_proposals(a: List[NaiveProposal],
                          b: List[NaiveProposal],
                          atol: float = 1e-12) -> None:
    """Same proposal set (keys exact, scores within ``atol``)."""
    a, b = sorted(a), sorted(b)
    if len(a) != len(b):
        raise AssertionError(f'{len(a)} vs {len(b)} proposals')
    for pa, pb in zip(a, b):
        if pa[:5] != pb[:5] or abs(pa[5] - pb[5]) > atol:
            raise AssertionError(f'proposal mismatch: {pa} vs {pb}')


def assert_same_detections(a: Dict[str, np.ndarray],
                           b: Dict[str, np.ndarray],
                           atol: float = 1e-12) -> None:
    """Same detections up to the order of (near-)equal scores."""

    def _sorted(d):
        order = np.lexsort(
            (d['scores'], d['segments'][:, 1], d['segments'][:,
                                                             0], d['labels']))
        return (d['labels'][order], d['segments'][order], d['scores'][order])

    la, sa, ca = _sorted(a)
    lb, sb, cb = _sorted(b)
    if la.shape != lb.shape or not np.array_equal(la, lb):
        raise AssertionError('detection labels differ')
    np.testing.assert_allclose(sa, sb, rtol=0, atol=atol)
    np.testing.assert_allclose(ca, cb, rtol=0, atol=atol)


# ---------------------------------------------------------------------- #
# a THUMOS14-sized synthetic video
# ---------------------------------------------------------------------- #
def make_video(seed: int = 0,
               num_snippets: int = 400,
               num_classes: int = 20,
               num_active: int = 3,
               smooth: int = 5):
    """A THUMOS14-sized synthetic video: smoothed random CAS / magnitude.

    ``num_active`` classes get a video logit of 5 (p ~ 0.32 >= 0.25 with 20
    classes), the others 0.
    """
    rng = np.random.default_rng(seed)
    kernel = np.ones(smooth) / smooth
    noise = rng.normal(size=(num_classes + 1, num_snippets + smooth - 1))
    # Box-filtered noise: a few dozen runs per threshold, like real CAS.
    cas = np.stack([np.convolve(r, kernel, mode='valid') for r in noise])
    video_scores = np.zeros(num_classes + 1)
    video_scores[rng.choice(num_classes, num_active, replace=False)] = 5.0
    mag = np.abs(
        np.convolve(
            rng.normal(size=num_snippets + smooth - 1), kernel,
            mode='valid')) + 1.0
    return cas, video_scores, mag
