"""How well pseudo-segments (stage-1 output turned into training labels by
:func:`backtal_mmaction.pseudo_labels.build_pseudo_gt`) agree with the
real ground truth of the same videos.

Only possible where the training videos have GT (THUMOS14 'val'); the
numbers explain a stage-2 result (pseudo-segments too long, too few, ...)
rather than replace the detection mAP. Scores of the pseudo file (the
per-annotation ``score`` weights) are ignored: every pseudo-segment counts
once.
"""
import os
from collections.abc import Mapping
from typing import Dict, Sequence, Tuple, Union

import numpy as np

from ...datasets.gt_io import (GroundTruth, class_names_from_gt, load_gt,
                               parse_gt_video)
from .tables import format_tiou
from .tiou import check_tiou_thresholds, pairwise_tiou

__all__ = ['pseudo_label_quality', 'format_pseudo_label_quality']

Annotations = Union[dict, GroundTruth, str, os.PathLike]


def _read_videos(source: Annotations, what: str,
                 only=None) -> Tuple[Dict[str, tuple], str]:
    """Per video ``(segments (N, 2) seconds, class names (N,) object)``.

    Args:
        source: An ActivityNet-style dict, a :class:`GroundTruth` or a path
            (read by :func:`load_gt`, all subsets).
        what (str): ``'pseudo'`` or ``'gt'``, for errors.
        only (set, optional): Parse only these videos (a dict GT holds every
            subset; entries of other videos are neither parsed nor checked).

    Returns:
        tuple: ``({video: (segments, labels)}, origin)``; ``origin`` names
        the source in error messages.
    """
    if isinstance(source, (str, os.PathLike)):
        source = load_gt(os.fspath(source))
    if isinstance(source, GroundTruth):
        origin = source.path
        names = np.asarray(source.class_names, dtype=object)
        parsed = {
            k: v
            for k, v in source.videos.items() if only is None or k in only
        }
    elif isinstance(source, Mapping):
        origin = f'<{what} dict>'
        database = source.get('database')
        if not isinstance(database, Mapping):
            raise ValueError(f'{what}: no "database" object (ActivityNet '
                             'layout {"database": {video: {"annotations": '
                             '[...]}}} expected)')
        class_names = class_names_from_gt(source, origin)
        names = np.asarray(class_names, dtype=object)
        index = {n: i for i, n in enumerate(class_names)}
        # gt_io's validity rule, video by video (errors name the video)
        parsed = {
            k: parse_gt_video(origin, k, info, index)
            for k, info in database.items() if only is None or k in only
        }
    else:
        raise TypeError(f'{what} must be an ActivityNet-style dict, a '
                        f'GroundTruth or a path, got {type(source).__name__}')
    out = {
        k: (v['segments'], names[v['labels']].reshape(-1))
        for k, v in parsed.items()
    }
    return out, origin


def _best_same_class_tiou(seg_a, lab_a, seg_b, lab_b) -> Tuple[np.ndarray,
                                                                np.ndarray]:
    """Best same-class tIoU of each ``a`` over ``b`` and vice versa.

    Returns:
        tuple: ``(N_a,)`` and ``(N_b,)`` float64; 0 where no segment of the
        same class exists.
    """
    if len(seg_a) == 0 or len(seg_b) == 0:
        return np.zeros(len(seg_a)), np.zeros(len(seg_b))
    tiou = pairwise_tiou(seg_a[:, None, :], seg_b[None, :, :])
    tiou = np.where(lab_a[:, None] == lab_b[None, :], tiou, 0.0)
    return tiou.max(axis=1), tiou.max(axis=0)


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if values.size else float('nan')


def pseudo_label_quality(pseudo: Annotations,
                         gt: Annotations,
                         tious: Sequence[float] = (0.3, 0.5, 0.7)) -> dict:
    """Precision / recall and lengths of pseudo-segments against the GT.

    Only the videos of the pseudo file are scored: GT instances of other
    videos (another subset, videos not pseudo-labelled) are ignored. Classes
    match by label *name*, so the two files may order their class lists
    differently; a pseudo label unknown to the GT simply never matches.

    Args:
        pseudo (dict | GroundTruth | str): Pseudo-GT in the ActivityNet
            layout (``{'database': {video: {'duration': .., 'annotations':
            [{'segment': [s, e], 'label': name, 'score': w}]}}}``, as written
            by ``build_pseudo_gt``), a loaded :class:`GroundTruth` or a
            path. Every entry must pass :mod:`~backtal_mmaction.datasets.
            gt_io`'s validity rule.
        gt (dict | GroundTruth | str): The real GT, same forms. A loaded
            :class:`GroundTruth` contributes only its selected videos.
        tious (Sequence[float]): tIoU thresholds in ``(0, 1]``.

    Returns:
        dict: ``num_videos``, ``num_pseudo``, ``num_gt`` (instances in the
        scored videos), per threshold ``t`` (keys formatted by
        :func:`format_tiou`, e.g. ``'precision@0.50'``):

        - ``precision@t``: fraction of pseudo-segments whose best tIoU with
          a GT instance of the same class in the same video is ``>= t``
          (NaN without pseudo-segments);
        - ``recall@t``: fraction of GT instances whose best tIoU with a
          pseudo-segment of the same class in the same video is ``>= t``
          (NaN without GT instances).

        The matching is *not* one-to-one (unlike the detection AP): one
        pseudo-segment may cover several GT instances and several
        pseudo-segments the same instance. Recall thus measures *coverage*
        ("how many GT instances does some pseudo-segment match") and
        precision the share of pseudo-segments that match some instance.

        Plus ``median_length_pseudo`` and ``median_length_gt`` (seconds,
        NaN when empty) and ``length_ratio`` = pseudo / GT median (NaN when
        the GT median is not positive). All values are floats in
        ``[0, 1]`` except counts (int) and lengths.

    Raises:
        ValueError: A pseudo video absent from the GT (named), bad
            thresholds, or an entry breaking the validity rule.
    """
    thr = check_tiou_thresholds(tious)
    pseudo_videos, _ = _read_videos(pseudo, 'pseudo')
    gt_videos, gt_origin = _read_videos(gt, 'gt', only=set(pseudo_videos))
    missing = [v for v in pseudo_videos if v not in gt_videos]
    if missing:
        more = f' (and {len(missing) - 1} more)' if len(missing) > 1 else ''
        raise ValueError(
            f'pseudo-label video {missing[0]!r}{more} is not in the GT '
            f'({gt_origin}, {len(gt_videos)} matching videos); wrong GT file '
            'or subset?')

    # Joint integer ids of the class names of both files, so that the
    # per-video masks compare ints.
    joint = {}
    best_p, best_g, len_p, len_g = [], [], [], []
    for name, (pseg, pnames) in pseudo_videos.items():
        gseg, gnames = gt_videos[name]
        plab = np.array([joint.setdefault(n, len(joint)) for n in pnames],
                        np.int64)
        glab = np.array([joint.setdefault(n, len(joint)) for n in gnames],
                        np.int64)
        bp, bg = _best_same_class_tiou(pseg, plab, gseg, glab)
        best_p.append(bp)
        best_g.append(bg)
        len_p.append(pseg[:, 1] - pseg[:, 0])
        len_g.append(gseg[:, 1] - gseg[:, 0])
    best_p = np.concatenate(best_p) if best_p else np.zeros(0)
    best_g = np.concatenate(best_g) if best_g else np.zeros(0)
    len_p = np.concatenate(len_p) if len_p else np.zeros(0)
    len_g = np.concatenate(len_g) if len_g else np.zeros(0)

    out = dict(
        num_videos=len(pseudo_videos),
        num_pseudo=int(best_p.size),
        num_gt=int(best_g.size))
    nan = float('nan')
    for t in thr:
        key = format_tiou(float(t))
        out[f'precision@{key}'] = (float((best_p >= t).mean())
                                   if best_p.size else nan)
        out[f'recall@{key}'] = (float((best_g >= t).mean())
                                if best_g.size else nan)
    med_p, med_g = _median(len_p), _median(len_g)
    out['median_length_pseudo'] = med_p
    out['median_length_gt'] = med_g
    out['length_ratio'] = med_p / med_g if med_g > 0 else nan
    return out


def format_pseudo_label_quality(quality: dict) -> str:
    """One line for the log, e.g. ``pseudo-labels vs GT: 1916 segments /
    3003 instances; precision 0.3/0.5/0.7: 45.1/30.1/12.9 %, recall
    0.3/0.5/0.7: 60.2/41.0/15.3 %, median length 10.0 s vs 2.9 s (3.4x)``.

    Args:
        quality (dict): A :func:`pseudo_label_quality` result.
    """
    thr = [k.split('@', 1)[1] for k in quality if k.startswith('precision@')]
    names = '/'.join(f'{float(t):g}' for t in thr)

    def pct(kind):
        return '/'.join(f'{100 * quality[f"{kind}@{t}"]:.1f}' for t in thr)

    return (f"pseudo-labels vs GT: {quality['num_pseudo']} segments / "
            f"{quality['num_gt']} instances; precision {names}: "
            f"{pct('precision')} %, recall {names}: {pct('recall')} %, "
            f"median length {quality['median_length_pseudo']:.1f} s vs "
            f"{quality['median_length_gt']:.1f} s "
            f"({quality['length_ratio']:.1f}x)")
