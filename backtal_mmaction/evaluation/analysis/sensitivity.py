"""DETAD sensitivity analysis: the mAP by characteristic of the GT.

Following Alwassel et al., *Diagnosing Error in Temporal Action Detectors*
(ECCV 2018, ``sensitivity_analysis.py`` of their code), every GT instance
is described by

==================  ===================================================
``coverage``        its length relative to its video: ``(end - start) /
                    duration``
``length``          ``end - start``, seconds
``num_instances``   the GT instances of its video, all classes (DETAD's
                    THUMOS14 file gives 12 to each of the 6 CliffDiving
                    and 6 Diving instances of ``video_test_0000173``)
==================  ===================================================

and falls in one bucket per characteristic: with edges ``e_0 < ... <
e_B``, bucket ``b`` holds the values in ``(e_b, e_b+1]``, the first also
``e_0`` (``pandas.cut(..., include_lowest=True)``). DETAD's bins are
:data:`CHARACTERISTIC_BINS` (``'thumos14'``, ``'activitynet'``).

Each bucket is scored by the **normalized** average mAP (``mAP_N``), so
that buckets with few instances are comparable: per class, the precision
after each prediction is ``R * N / (R * N + FP)`` instead of ``TP / (TP +
FP)``, with ``R`` the recall over the class's GT in the bucket, ``FP`` the
false positives so far and ``N`` the average number of GT instances per
class over the whole file (``G / C``, classes with GT), the same ``N`` for
every bucket. A bucket's predictions are those of the class that match
none of the GT, or GT of the bucket, at every tIoU threshold (predictions
matched to GT of other buckets are left out, not counted as false
positives); matching is the mAP's (:func:`~..functional.matching.\
greedy_match`, done once over all GT). The AP is the ActivityNet
interpolated AP, averaged over the tIoU thresholds, then over the classes
with GT in the bucket. The base value is the same over all GT.

Each bucket also gets DETAD's **false-negative rate** (its
``false_negative_analysis.py``): the share of its GT that no prediction
detects, averaged over the thresholds, where a match counts only while the
normalized precision of the class's ranking is still above 0.05 at that
prediction.

As in DETAD, GT instances with ``coverage > 1`` (longer than their video)
or ``end <= start`` are dropped before matching.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from ..functional.detection_map import average_precision_curve
from ..functional.detections import flatten_against_gt
from ..functional.matching import greedy_match, reference_order
from ..functional.tiou import check_tiou_thresholds

__all__ = [
    'CHARACTERISTICS', 'CHARACTERISTIC_BINS', 'gt_characteristics',
    'bucket_of', 'sensitivity_analysis', 'format_sensitivity_table'
]

CHARACTERISTICS = ('coverage', 'length', 'num_instances')
# DETAD's bins: (edges, bucket names) per characteristic, for THUMOS14 and
# for ActivityNet (its ``sensitivity_analysis.py``).
CHARACTERISTIC_BINS = {
    'thumos14': {
        'coverage': ((0, 0.02, 0.04, 0.06, 0.08, 1),
                     ('XS', 'S', 'M', 'L', 'XL')),
        'length': ((0, 3, 6, 12, 18, np.inf), ('XS', 'S', 'M', 'L', 'XL')),
        'num_instances': ((-1, 1, 40, 80, np.inf), ('XS', 'S', 'M', 'L')),
    },
    'activitynet': {
        'coverage': ((0, 0.2, 0.4, 0.6, 0.8, 1),
                     ('XS', 'S', 'M', 'L', 'XL')),
        'length': ((0, 30, 60, 120, 180, np.inf),
                   ('XS', 'S', 'M', 'L', 'XL')),
        'num_instances': ((-1, 1, 4, 8, np.inf), ('XS', 'S', 'M', 'L')),
    },
}


def gt_characteristics(video_idx: np.ndarray, segments: np.ndarray,
                       durations: np.ndarray) -> Dict[str, np.ndarray]:
    """DETAD's characteristics of GT instances.

    Args:
        video_idx (np.ndarray): ``(G,)`` video of each instance.
        segments (np.ndarray): ``(G, 2)`` seconds.
        durations (np.ndarray): ``(V,)`` seconds, per video.

    Returns:
        dict: ``coverage``, ``length`` (float64) and ``num_instances``
        (int64), each ``(G,)``.
    """
    length = segments[:, 1] - segments[:, 0]
    counts = np.bincount(video_idx, minlength=len(durations))
    return dict(coverage=length / durations[video_idx], length=length,
                num_instances=counts[video_idx])


def bucket_of(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    """Bucket index of each value: ``b`` for ``(e_b, e_b+1]``, 0 also for
    ``e_0``, -1 outside ``[e_0, e_B]`` (``pandas.cut(values, edges,
    include_lowest=True)``)."""
    edges = np.asarray(edges, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    bucket = np.searchsorted(edges, values, side='left') - 1
    bucket[values == edges[0]] = 0
    bucket[(values < edges[0]) | (values > edges[-1])] = -1
    return bucket


def _normalized_ap(gt_index: np.ndarray, num_gt: int,
                   normalization: float) -> np.ndarray:
    """AP_N per threshold of score-ordered predictions.

    Args:
        gt_index (np.ndarray): ``(K, P)`` matched GT (-1: false positive).
        num_gt (int): GT instances of the class (in the bucket), > 0.
        normalization (float): ``N``.

    Returns:
        np.ndarray: ``(K,)``.
    """
    if gt_index.shape[1] == 0:
        return np.zeros(gt_index.shape[0])
    tp = np.cumsum(gt_index >= 0, axis=1, dtype=np.float64)
    fp = np.cumsum(gt_index < 0, axis=1, dtype=np.float64)
    recall = tp / num_gt
    precision = recall * normalization / (recall * normalization + fp)
    return np.asarray(average_precision_curve(precision, recall)).reshape(-1)


def sensitivity_analysis(gt: Dict[str, dict],
                         predictions: Dict[str, dict],
                         num_classes: int,
                         tiou_thresholds: Sequence[float] = (0.5, ),
                         bins='thumos14',
                         min_precision: float = 0.05) -> dict:
    """Normalized average mAP per bucket of each GT characteristic (DETAD).

    Args:
        gt (dict): ``{video: dict(segments=(N, 2), labels=(N,),
            duration=float)}`` (``gt_detections``).
        predictions (dict): ``{video: dict(segments, labels, scores)}``;
            every video must be in ``gt``.
        num_classes (int): ``C``.
        tiou_thresholds (sequence of float): Matching thresholds in
            ``(0, 1]``; DETAD uses 0.5 on THUMOS14 and 0.5:0.95 on
            ActivityNet.
        bins (str | dict): A key of :data:`CHARACTERISTIC_BINS`, or a dict
            ``{characteristic: (edges, names)}`` of some of
            :data:`CHARACTERISTICS`.
        min_precision (float): The false-negative rates count a GT as
            detected only by a match made while its class's normalized
            precision is above this (DETAD's false-negative analysis:
            0.05).

    Returns:
        dict: ``base`` (average mAP_N over all GT, in [0, 1]),
        ``false_negative_rate`` (share of all GT undetected, averaged over
        the thresholds), ``characteristics`` ``{name: [dict(bucket, low,
        high, num_gt, average_mAP_N, false_negative_rate), ...]}`` (None
        for a bucket without GT), ``normalization`` (``N``), ``num_gt``,
        ``min_precision``, ``dropped_gt``
        (instances with coverage > 1 or no length), ``tiou_thresholds``
        and ``bins`` (the preset's name, or ``'custom'``).

    Raises:
        ValueError: unknown ``bins`` or characteristic, edges that do not
            increase, a name per bucket missing, a threshold outside
            ``(0, 1]``, a GT video without a positive ``duration``, a
            prediction video outside the GT, or no GT instance.
    """
    bin_spec = _check_bins(bins)
    thresholds = check_tiou_thresholds(tiou_thresholds)
    (names, gt_vid, gt_seg, gt_lab, pred_vid, pred_seg, pred_lab,
     scores) = flatten_against_gt(gt, predictions, num_classes)
    durations = np.array([_duration(gt[n], n) for n in names])

    # DETAD drops these instances when it reads the GT.
    traits = gt_characteristics(gt_vid, gt_seg, durations)
    kept = (traits['coverage'] <= 1) & (gt_seg[:, 0] < gt_seg[:, 1])
    if not kept.any():
        raise ValueError('no GT instance to analyse (every one is longer '
                         'than its video or has no length)')
    dropped = int((~kept).sum())
    gt_vid, gt_seg, gt_lab = gt_vid[kept], gt_seg[kept], gt_lab[kept]
    traits = {k: v[kept] for k, v in traits.items()}

    # Class-major, the mAP's order within each class (ties included).
    order, _ = reference_order(pred_lab, scores, num_classes)
    pred_vid, pred_seg, pred_lab = pred_vid[order], pred_seg[order], \
        pred_lab[order]
    _, matched = greedy_match(gt_vid * num_classes + gt_lab, gt_seg,
                              pred_vid * num_classes + pred_lab, pred_seg,
                              thresholds, return_gt_index=True)
    num_gt = np.bincount(gt_lab, minlength=num_classes)
    classes = np.flatnonzero(num_gt)
    normalization = len(gt_lab) / len(classes)

    def average_map_n(gt_in: np.ndarray) -> Optional[float]:
        """mAP_N over the classes with GT in ``gt_in`` (bool ``(G,)``)."""
        aps = []
        for c in classes:
            n_c = int((gt_in & (gt_lab == c)).sum())
            if not n_c:
                continue
            m = matched[:, pred_lab == c]
            # matched to nothing, or to this bucket, at every threshold
            keep = np.all((m < 0) | gt_in[np.maximum(m, 0)], axis=0)
            aps.append(_normalized_ap(m[:, keep], n_c, normalization).mean())
        return float(np.mean(aps)) if aps else None

    detected = _detected_gt(matched, pred_lab, gt_lab, classes,
                            normalization, min_precision)

    def fn_rate(gt_in: np.ndarray) -> Optional[float]:
        """Share of the GT in ``gt_in`` left undetected, averaged over
        the thresholds."""
        if not gt_in.any():
            return None
        return float(1 - detected[:, gt_in].mean(axis=1).mean())

    characteristics = {}
    for name, (edges, labels) in bin_spec.items():
        bucket = bucket_of(traits[name], edges)
        rows = []
        for b, label in enumerate(labels):
            gt_in = bucket == b
            rows.append(dict(bucket=label, low=float(edges[b]),
                             high=float(edges[b + 1]),
                             num_gt=int(gt_in.sum()),
                             average_mAP_N=average_map_n(gt_in),
                             false_negative_rate=fn_rate(gt_in)))
        characteristics[name] = rows
    everything = np.ones(len(gt_lab), dtype=bool)
    return dict(base=average_map_n(everything),
                false_negative_rate=fn_rate(everything),
                min_precision=float(min_precision),
                characteristics=characteristics,
                normalization=float(normalization), num_gt=int(len(gt_lab)),
                dropped_gt=dropped, tiou_thresholds=thresholds.tolist(),
                bins=bins if isinstance(bins, str) else 'custom')


def _detected_gt(matched: np.ndarray, pred_lab: np.ndarray,
                 gt_lab: np.ndarray, classes: np.ndarray,
                 normalization: float, min_precision: float) -> np.ndarray:
    """Which GT count as detected (DETAD's false-negative analysis): a
    match counts only while the normalized precision of its class's ranking
    is above ``min_precision`` at that prediction (a match far down a long
    ranking of false positives is no detection).

    Args:
        matched (np.ndarray): ``(K, P)`` matched GT (-1: none), predictions
            class-major in ranking order.
        pred_lab (np.ndarray): ``(P,)``.
        gt_lab (np.ndarray): ``(G,)``.
        classes (np.ndarray): The classes with GT.
        normalization (float): ``N``.
        min_precision (float): DETAD's
            ``minimum_normalized_precision_threshold_for_detection``.

    Returns:
        np.ndarray: ``(K, G)`` bool.
    """
    detected = np.zeros((matched.shape[0], len(gt_lab)), dtype=bool)
    for c in classes:
        m = matched[:, pred_lab == c]
        if not m.size:
            continue
        recall = np.cumsum(m >= 0, axis=1) / int((gt_lab == c).sum())
        fp = np.cumsum(m < 0, axis=1)
        precision = recall * normalization / (recall * normalization + fp)
        hit = (m >= 0) & (precision > min_precision)
        k_idx, p_idx = np.nonzero(hit)
        detected[k_idx, m[k_idx, p_idx]] = True
    return detected


def _duration(entry, name: str) -> float:
    duration = entry.get('duration') if hasattr(entry, 'get') else None
    if duration is None or not np.isfinite(duration) or duration <= 0:
        raise ValueError(f'gt[{name!r}] needs a positive `duration` '
                         f'(seconds) for the coverage, got {duration!r}')
    return float(duration)


def _check_bins(bins) -> dict:
    """The ``{characteristic: (edges, names)}`` of ``bins``, checked."""
    if isinstance(bins, str):
        if bins not in CHARACTERISTIC_BINS:
            raise ValueError(f'unknown `bins` {bins!r}; choose from '
                             f'{sorted(CHARACTERISTIC_BINS)}')
        return CHARACTERISTIC_BINS[bins]
    if not isinstance(bins, dict) or not bins:
        raise ValueError('`bins` must be a preset name or a non-empty dict '
                         '{characteristic: (edges, names)}')
    for name, spec in bins.items():
        if name not in CHARACTERISTICS:
            raise ValueError(f'`bins`: unknown characteristic {name!r}; '
                             f'choose from {list(CHARACTERISTICS)}')
        edges, labels = spec
        edges = np.asarray(edges, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f'`bins`[{name!r}]: edges must increase, got '
                             f'{list(edges)}')
        if len(labels) != edges.size - 1:
            raise ValueError(f'`bins`[{name!r}]: {edges.size - 1} bucket(s) '
                             f'need as many names, got {list(labels)}')
    return bins


def _range_text(low: float, high: float, first: bool) -> str:
    def num(x):
        return 'inf' if np.isinf(x) else f'{x:g}'
    return f'{"[" if first else "("}{num(low)}, {num(high)}]'


def format_sensitivity_table(result: dict) -> str:
    """Markdown table of a :func:`sensitivity_analysis` result: one row per
    bucket (its range, GT instances, average mAP_N in % and relative to the
    base value, false-negative rate in %)."""
    base = result['base']
    tious = ', '.join(f'{t:g}' for t in result['tiou_thresholds'])
    dropped = (f", {result['dropped_gt']} GT longer than their video or "
               'without length left out' if result['dropped_gt'] else '')
    lines = [
        f"Sensitivity analysis (DETAD, {result['bins']} bins, tIoU {tious}): "
        f"average mAP_N over all {result['num_gt']} GT = "
        f'{100 * base:.2f}%, false negatives '
        f"{100 * result['false_negative_rate']:.1f}% (N = "
        f'{result["normalization"]:.2f} GT per class; a match detects while '
        "the class's normalized precision is above "
        f"{result['min_precision']:g}{dropped}).", '',
        '| Characteristic | Bucket | Range | GT | avg mAP_N (%) | x base | '
        'false negatives (%) |',
        '|---|---|---|---:|---:|---:|---:|'
    ]
    for name, rows in result['characteristics'].items():
        for i, row in enumerate(rows):
            value = row['average_mAP_N']
            shown = '–' if value is None else f'{100 * value:.2f}'
            ratio = ('–' if value is None or not base else
                     f'{value / base:.2f}')
            fn = row['false_negative_rate']
            fn = '–' if fn is None else f'{100 * fn:.1f}'
            lines.append(
                f"| {name} | {row['bucket']} | "
                f"{_range_text(row['low'], row['high'], i == 0)} | "
                f"{row['num_gt']} | {shown} | {ratio} | {fn} |")
    return '\n'.join(lines)
