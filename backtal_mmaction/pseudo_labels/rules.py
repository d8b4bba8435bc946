"""Pseudo-segments from a stage-1 model's detections, checked against the
clicks, written as an ActivityNet-style GT file.

Stage 2 of the two-stage pipeline (:class:`AnchorFreeTAD`) learns
boundaries from segments; in click supervision there are none, so a
stage-1 model (BackTAL or any variant) detects actions on the *training*
videos and these rules turn its detections into training segments. The
clicks are human evidence, so they overrule the model:

1. **Video labels.** Only detections of classes in the video-level label
   are kept (the label is known in every click-supervised setting).
2. **Confidence.** Per (video, class), detections scoring below
   ``rel_score_thr`` times that class's best score in the video are
   dropped, then at most ``topk`` per (video, class) are kept by score.
   Same-class detections overlapping by tIoU > ``nms_thr`` are reduced to
   the best one (stage-1 post-processing keeps overlapping proposals of
   several thresholds; a GT never overlaps itself).
3. **Every labelled class with a detection appears**: the threshold is
   relative to the class's best score, so its best detection always stays.
4. **Action clicks are covered**: an action click of class ``c`` that no
   kept segment of class ``c`` covers gets a segment centred on it, of the
   median length of the class-``c`` pseudo-segments of the whole split
   (``click_segment_length`` seconds when the class has none), clipped to
   the video, with weight ``click_weight``.
5. **Background clicks cut**: a segment containing a background click
   (strictly inside) is cut there into the pieces on either side; pieces
   (and segments) not longer than ``min_length`` seconds are dropped. So
   no pseudo-segment ever contains a background click.
6. **Soft weights**: a segment's ``score`` is its detection score divided
   by the best score of its (video, class), in ``(0, 1]`` (1 for the best
   one; pieces of a cut segment keep the weight of the whole). Where a
   class has negative scores they are first shifted so that its lowest
   score is 0 (only the order within a class carries meaning). The stage-2
   losses weight each positive point by it.
7. **Instance seeds** (``instance_seeds=True``): for a (video, class) with
   action clicks, rules 2-5 are replaced by one segment per click
   (:mod:`backtal_mmaction.pseudo_labels.click_seeded`: background clicks
   and the class's other clicks are walls, boundaries by outer-inner
   contrast of the labelling model's class curve, weight = contrast
   relative to the class's best over the split). A click marks one
   instance, so detections of that class elsewhere in the video are
   dropped. Classes without action clicks keep rules 2-5.

The output uses the schema of the real GT (``database`` -> ``subset``,
``duration``, ``fps``, ``annotations`` [{``segment``, ``label``,
``score``}], plus ``activity_list``), so :class:`ClickTALDataset` reads it
unchanged.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..models.postprocessing.nms import temporal_nms
from ..utils import check_flag, check_range
from .click_seeded import (ClickSeedRules, click_seeded_segments,
                           detection_class_curves, normalise_weights,
                           rules_from_dict)

__all__ = ['PseudoLabelRules', 'select_detections', 'cover_action_clicks',
           'cut_at_background_clicks', 'pseudo_label_video',
           'build_pseudo_gt']


@dataclass
class PseudoLabelRules:
    """Settings of the rules in the module docstring; each is checked at
    construction (a ValueError naming the keyword: thresholds and weights
    in their ranges, ``topk`` an integer >= 1, lengths finite)."""
    rel_score_thr: float = 0.5
    topk: int = 10
    nms_thr: float = 0.3
    min_length: float = 0.0
    click_segment_length: float = 2.0
    click_weight: float = 1.0
    instance_seeds: bool = False
    seed_rules: Optional[dict] = None

    def __post_init__(self):
        owner = 'PseudoLabelRules'
        check_range('rel_score_thr', self.rel_score_thr, 0, 1, owner=owner)
        check_range('topk', self.topk, 1, integer=True, owner=owner)
        # a tIoU: 1 keeps every overlap but exact duplicates, 0 keeps no
        # overlapping pair
        check_range('nms_thr', self.nms_thr, 0, 1, owner=owner)
        check_range('min_length', self.min_length, 0, owner=owner)
        check_range('click_segment_length', self.click_segment_length, 0,
                    low_open=True, owner=owner)
        check_range('click_weight', self.click_weight, 0, 1, low_open=True,
                    owner=owner)
        check_flag('instance_seeds', self.instance_seeds, owner=owner)
        # checked here, not at the first video with action clicks
        self.seed_config

    @classmethod
    def from_dict(cls, settings: Optional[dict],
                  where: str = 'pseudo_labels') -> 'PseudoLabelRules':
        """The rules of a config dict (e.g. a pipeline's
        ``two_stage.pseudo_labels``; None: the defaults), an unknown key
        named with ``where`` as a ValueError."""
        return rules_from_dict(cls, settings, where)

    @property
    def seed_config(self) -> ClickSeedRules:
        """The rules of 7 (:class:`ClickSeedRules`, from ``seed_rules``)."""
        return rules_from_dict(ClickSeedRules, self.seed_rules,
                               '`seed_rules`')


def _empty():
    return (np.zeros((0, 2)), np.zeros(0), np.zeros(0, np.int64))


def select_detections(segments, scores, labels, video_labels: Sequence[int],
                      rules: PseudoLabelRules):
    """Rules 1-3 and the weights of rule 6 for one video.

    Args:
        segments (array): ``(N, 2)`` seconds.
        scores (array): ``(N,)`` (any scale; only ratios within a class
            matter).
        labels (array): ``(N,)`` class indices.
        video_labels (Sequence[int]): Classes of the video-level label.

    Returns:
        tuple: ``segments`` ``(K, 2)``, ``weights`` ``(K,)`` in ``(0, 1]``,
        ``labels`` ``(K,)``.
    """
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    scores = np.asarray(scores, np.float64).reshape(-1)
    labels = np.asarray(labels, np.int64).reshape(-1)
    keep = np.isin(labels, np.asarray(list(video_labels), np.int64))
    segments, scores, labels = segments[keep], scores[keep], labels[keep]
    if not len(scores):
        return _empty()
    # scores relative to the best of the class: min-shift so that negative
    # score scales (some post-processors) still rank, best = 1
    classes, inv = np.unique(labels, return_inverse=True)
    best = np.full(len(classes), -np.inf)
    np.maximum.at(best, inv, scores)
    low = np.full(len(classes), np.inf)
    np.minimum.at(low, inv, scores)
    shift = np.where(low < 0, low, 0.0)
    span = (best - shift)[inv]
    rel = np.where(span > 0, (scores - shift[inv]) / np.where(span > 0, span,
                                                              1.0), 1.0)
    rank = np.empty(len(scores), np.int64)
    order = np.lexsort((-scores, inv))
    # rank of each detection within its class by descending score
    start = np.r_[0, np.flatnonzero(np.diff(inv[order])) + 1]
    counts = np.diff(np.r_[start, len(order)])
    rank[order] = np.arange(len(order)) - np.repeat(start, counts)
    # rank 0 always stays (rule 3), even where a min-shift makes rel = 0
    ok = ((rel >= rules.rel_score_thr - 1e-12) &
          (rank < rules.topk)) | (rank == 0)
    segments, rel, labels, scores = (segments[ok], rel[ok], labels[ok],
                                     scores[ok])
    idx = temporal_nms(segments, scores, labels, rules.nms_thr)
    return segments[idx], rel[idx], labels[idx]


def cover_action_clicks(segments, weights, labels, click_times, click_labels,
                        duration: float, lengths: Dict[int, float],
                        rules: PseudoLabelRules):
    """Rule 4: add a segment around every uncovered action click.

    Args:
        click_times (array): ``(K,)`` seconds of the action clicks.
        click_labels (array): ``(K,)`` their classes.
        lengths (dict): class -> segment length (seconds) to use.
    """
    click_times = np.asarray(click_times, np.float64).reshape(-1)
    click_labels = np.asarray(click_labels, np.int64).reshape(-1)
    if not len(click_times):
        return segments, weights, labels
    covered = ((labels[None, :] == click_labels[:, None])
               & (segments[None, :, 0] <= click_times[:, None])
               & (click_times[:, None] <= segments[None, :, 1])).any(1)
    t, c = click_times[~covered], click_labels[~covered]
    half = np.array([lengths.get(int(k), rules.click_segment_length)
                     for k in c]) / 2
    new = np.clip(np.stack([t - half, t + half], 1), 0.0, duration)
    return (np.concatenate([segments, new.reshape(-1, 2)]),
            np.concatenate([weights, np.full(len(t), rules.click_weight)]),
            np.concatenate([labels, c]))


def cut_at_background_clicks(segments, weights, labels, click_times,
                             min_length: float = 0.0):
    """Rule 5: cut segments at the background clicks strictly inside them.

    Vectorized: segment ``i`` with inside clicks ``c_1 < ... < c_m`` becomes
    the pieces ``[s, c_1], [c_1, c_2], ..., [c_m, e]`` (a click on a
    boundary cuts nothing); every output segment, cut or not, must be
    longer than ``min_length`` seconds.

    Returns:
        tuple: ``segments`` ``(K', 2)``, ``weights``, ``labels``.
    """
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    clicks = np.sort(np.asarray(click_times, np.float64).reshape(-1))
    if not len(segments):
        return segments, np.asarray(weights), np.asarray(labels)
    if not len(clicks):
        clicks = np.zeros(1) + segments[:, 0].min()  # cuts nothing
    lo = np.searchsorted(clicks, segments[:, 0], side='right')
    hi = np.searchsorted(clicks, segments[:, 1], side='left')
    n_in = np.maximum(hi - lo, 0)
    pieces = n_in + 1
    seg_of = np.repeat(np.arange(len(segments)), pieces)
    k = np.arange(len(seg_of)) - np.repeat(np.cumsum(pieces) - pieces,
                                           pieces)  # piece index in segment
    # piece k of segment i: [cut_{k-1}, cut_k] with cut_{-1} = s, cut_m = e
    first = lo[seg_of]
    start = np.where(k == 0, segments[seg_of, 0],
                     clicks[np.clip(first + k - 1, 0, len(clicks) - 1)])
    end = np.where(k == n_in[seg_of], segments[seg_of, 1],
                   clicks[np.clip(first + k, 0, len(clicks) - 1)])
    out = np.stack([start, end], 1)
    ok = (end - start) > min_length
    return (out[ok], np.asarray(weights)[seg_of][ok],
            np.asarray(labels)[seg_of][ok])


def pseudo_label_video(det: dict, video_labels: Sequence[int],
                       duration: float, rules: PseudoLabelRules,
                       background_clicks=(), action_clicks=(),
                       action_click_labels=(),
                       lengths: Optional[Dict[int, float]] = None) -> dict:
    """All rules for one video (see the module docstring).

    Args:
        det (dict): ``segments`` ``(N, 2)`` s, ``scores``, ``labels``.
        lengths (dict, optional): class -> length for rule 4.

    Returns:
        dict: ``segments`` ``(K, 2)`` s, ``weights`` ``(K,)``, ``labels``
        ``(K,)``, sorted by start.
    """
    selected = select_detections(det['segments'], det['scores'],
                                 det['labels'], video_labels, rules)
    return _check_against_clicks(selected, duration, rules,
                                 background_clicks, action_clicks,
                                 action_click_labels, lengths)


def _check_against_clicks(selected: tuple, duration: float,
                          rules: PseudoLabelRules, background_clicks,
                          action_clicks, action_click_labels,
                          lengths: Optional[Dict[int, float]]) -> dict:
    """Rules 4 and 5 on the output of :func:`select_detections`."""
    segs, w, lab = selected
    segs, w, lab = cover_action_clicks(segs, w, lab, action_clicks,
                                       action_click_labels, duration,
                                       lengths or {}, rules)
    segs, w, lab = cut_at_background_clicks(segs, w, lab, background_clicks,
                                            rules.min_length)
    order = np.lexsort((segs[:, 1], segs[:, 0])) if len(segs) else []
    return dict(segments=segs[order], weights=np.asarray(w)[order],
                labels=np.asarray(lab, np.int64)[order])


def _seeded(videos: List[dict], C: int, rules: PseudoLabelRules) -> list:
    """Rule 7 for every video: ``None`` (no action click) or the
    click-seeded ``(segments, weights, labels)`` of the video's clicked
    classes."""
    seed_rules = rules.seed_config
    raw = []
    for v in videos:
        times, clabels = _clicks_of(v)
        act = clabels < C
        if not rules.instance_seeds or not act.any():
            raw.append(None)
            continue
        duration = float(v['duration'])
        curves = v.get('curves')
        if curves is None:
            det = v['detections']
            # a 0.25 s grid: fine enough for any THUMOS14 instance
            curves = detection_class_curves(
                det['segments'], det['scores'], det['labels'], C,
                max(1, int(np.ceil(duration * 4))), duration)
        raw.append(click_seeded_segments(curves, duration, times[act],
                                         clabels[act], times[~act],
                                         seed_rules))
    present = [r for r in raw if r is not None]
    weights = iter(normalise_weights([r['contrast'] for r in present],
                                     [r['labels'] for r in present],
                                     seed_rules.min_weight))
    out = []
    for r in raw:
        if r is None:
            out.append(None)
            continue
        w = next(weights)
        ok = r['segments'][:, 1] > r['segments'][:, 0]
        out.append((r['segments'][ok], w[ok], r['labels'][ok]))
    return out


def _clicks_of(v: dict) -> tuple:
    times = np.asarray(v.get('click_times', ()), np.float64).reshape(-1)
    labels = np.asarray(v.get('click_labels', ()), np.int64).reshape(-1)
    return times, labels


def build_pseudo_gt(videos: List[dict], class_names: Sequence[str],
                    rules: PseudoLabelRules) -> dict:
    """Pseudo-label every video and lay the result out as a GT file.

    Args:
        videos (list[dict]): per video ``name``, ``subset``, ``duration``,
            ``fps`` (or None), ``video_labels`` (class indices),
            ``detections`` (``segments``, ``scores``, ``labels``),
            ``click_times`` / ``click_labels`` (``C`` = background, as
            :class:`ClickTALDataset` gives them) and, for rule 7, optional
            ``curves`` ``(C, T)`` (class score curves in ``[0, 1]``; from
            the detections when absent).
        class_names (Sequence[str]): Index -> name, written as
            ``activity_list``.

    Returns:
        dict: ``{'version', 'activity_list', 'database', 'pseudo_labels'}``;
        the last records the rules and counts for provenance.

    Raises:
        ValueError: ``rules.instance_seeds`` and no video has an action
            click (rule 7 could not run).
    """
    C = len(class_names)
    if rules.instance_seeds and not any(
            (_clicks_of(v)[1] < C).any() for v in videos):
        # rule 7 would never run: the output would equal a run without it
        raise ValueError(
            f'`instance_seeds` needs action clicks, but none of the '
            f'{len(videos)} labelled videos has one (does the labelling '
            "read the 'action' click type?)")
    # rules 1-3 once per video; rule 4 needs all videos' lengths first
    selected = [
        select_detections(v['detections']['segments'],
                          v['detections']['scores'],
                          v['detections']['labels'], v['video_labels'], rules)
        for v in videos
    ]
    seeded = _seeded(videos, C, rules)
    # rule 7: a clicked class of a video is labelled by its seeds alone
    for i, sd in enumerate(seeded):
        if sd is not None:
            segs, w, lab = selected[i]
            keep = ~np.isin(lab, sd[2])
            selected[i] = (segs[keep], w[keep], lab[keep])
    # rule 4's length: the median pseudo-segment length of each class
    lengths = {}
    if selected:
        all_len = np.concatenate([s[:, 1] - s[:, 0] for s, _, _ in selected])
        all_lab = np.concatenate([lab for _, _, lab in selected])
        for c in np.unique(all_lab):
            lengths[int(c)] = float(np.median(all_len[all_lab == c]))
    database, n_seg, n_seeded = {}, 0, 0
    for v, sel, sd in zip(videos, selected, seeded):
        times, clabels = _clicks_of(v)
        bg = times[clabels == C]
        act = clabels < C
        if sd is not None:
            # the seeds already answer every action click
            act = np.zeros_like(act)
        out = _check_against_clicks(sel, float(v['duration']), rules, bg,
                                    times[act], clabels[act], lengths)
        if sd is not None:
            n_seeded += len(sd[2])
            segs = np.concatenate([out['segments'], sd[0]])
            order = np.lexsort((segs[:, 1], segs[:, 0]))
            out = dict(segments=segs[order],
                       weights=np.concatenate([out['weights'],
                                               sd[1]])[order],
                       labels=np.concatenate([out['labels'],
                                              sd[2]])[order])
        n_seg += len(out['labels'])
        entry = dict(subset=v['subset'], duration=float(v['duration']))
        if v.get('fps'):
            entry['fps'] = float(v['fps'])
        entry['annotations'] = [
            dict(segment=[float(s), float(e)], label=class_names[int(c)],
                 score=float(w))
            for (s, e), c, w in zip(out['segments'], out['labels'],
                                    out['weights'])
        ]
        database[v['name']] = entry
    return dict(version='backtal-pseudo-gt/1.0',
                activity_list=list(class_names), database=database,
                pseudo_labels=dict(rules=vars(rules), videos=len(videos),
                                   segments=n_seg,
                                   click_seeded_segments=n_seeded))

