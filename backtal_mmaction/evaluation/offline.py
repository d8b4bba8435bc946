"""Offline evaluation of ActivityNet result files against a GT file.

The logic of ``tools/analysis/eval_detections.py`` and
``tools/analysis/diagnose_errors.py``, with exactly the code of
:class:`~backtal_mmaction.evaluation.metrics.TALMetric`: on the JSON that
``TALMetric(dump_results=...)`` wrote it reproduces the in-memory numbers
bit for bit.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..datasets.gt_io import (MMACTION_LAYOUT, GroundTruth, load_gt,
                              select_subset)
from .functional import (DEFAULT_TIOU_THRESHOLDS, check_videos_in_subset,
                         evaluate_detections, format_detection_table,
                         infer_subset, load_activitynet_results,
                         load_ambiguous_segments)
from .functional.activitynet_io import gt_detections

__all__ = ['results_against_gt', 'evaluate_result_file']


def results_against_gt(
        result_file: str,
        gt: GroundTruth,
        subset: Optional[str] = None,
        infer: bool = False,
        log: Callable[[str], None] = print
) -> Tuple[Dict[str, dict], Dict[str, dict], Optional[str], List[str]]:
    """Read a result file and the GT it is scored against.

    A one-split GT file in MMAction2's layout has no class list of its own:
    its classes are the labels of its instances, so a class of the model
    with no instance in this split would be an "unknown label" of the
    results. Such result labels are appended to the class list, without
    GT: the mAP leaves them out (and says so), as the test run's metric,
    which knows the training class list, does.

    Args:
        result_file (str): ActivityNet result JSON; its labels must be in
            ``gt.class_names`` (but for a GT in MMAction2's layout).
        gt (GroundTruth): The loaded GT file (``gt.videos`` must hold the
            videos of ``subset``).
        subset (str, optional): Score against the GT of this subset; every
            result video must belong to it. Defaults to all GT videos.
        infer (bool): Without ``subset``, use the one subset all result
            videos belong to (:func:`~.functional.infer_subset`); scoring
            the other subsets too would count their GT as missed.
        log (callable): Receives the "subset inferred" message.

    Returns:
        tuple: ``(predictions, gt_detections, subset, class_names)``,
        detection dicts of the results and of the selected GT videos (file
        order), the subset used (None = all videos) and the class list
        their labels index (``gt.class_names``, extended as above).

    Raises:
        ValueError: a result file without any video (scored, it would give
            mAP 0 against every GT video), a result video outside the scored
            GT (the message says which subset it is in), results spanning
            several subsets when inferring, or a malformed result file.
    """
    predictions, class_names = load_activitynet_results(
        result_file, class_names=gt.class_names,
        extend_classes=gt.data.get('layout') == MMACTION_LAYOUT)
    if not predictions:
        raise ValueError(f'{result_file}: no videos in results (its '
                         '"results" object is empty); nothing to evaluate')
    videos = list(predictions)
    if subset is None and infer:
        subset = infer_subset(gt.database, videos, gt.path)
        if subset is not None:
            log(f'Subset inferred from the results: {subset!r} (all '
                f'{len(predictions)} result videos belong to it; pass '
                '`subset` to override)')
    check_videos_in_subset(gt.database, videos, subset, gt.path)
    scored = select_subset(gt.database, subset, gt.path)
    return predictions, gt_detections(gt, scored), subset, class_names


def evaluate_result_file(result_file: str,
                         gt_file: str,
                         subset: Optional[str] = None,
                         tiou_thresholds: Sequence[float] = (
                             DEFAULT_TIOU_THRESHOLDS),
                         ambiguous_file: Optional[str] = None,
                         per_class: bool = True,
                         log: Callable[[str], None] = print) -> dict:
    """Temporal action detection mAP of one result file, with its tables.

    Args:
        result_file (str): ActivityNet result JSON ``{"results": {video:
            [{"label", "segment", "score"}]}}``.
        gt_file (str): ActivityNet-style GT JSON (read with
            :func:`~backtal_mmaction.datasets.gt_io.load_gt`; the class list
            is the whole file's, independent of the subset).
        subset (str, optional): Score against this GT subset; every result
            video must belong to it. Default: the one subset the result
            videos belong to (inferred and logged), all videos for a GT
            with a single subset.
        tiou_thresholds (Sequence[float]): Thresholds in ``(0, 1]``.
        ambiguous_file (str, optional): Ambiguous segments, ``video start
            end`` per line (THUMOS14 ``Ambiguous_test.txt``); overlapping
            predictions are removed before matching.
        per_class (bool): Also log the per-class AP table.
        log (callable): Receives each message and table. Defaults to print.

    Returns:
        dict: The :func:`~.functional.evaluate_detections` result, plus
        ``subset`` (the subset scored, None = all videos), ``class_names``
        and ``num_result_videos``.
    """
    gt = load_gt(gt_file)
    ambiguous = (None if ambiguous_file is None else
                 load_ambiguous_segments(ambiguous_file))
    predictions, gt_dets, subset, class_names = results_against_gt(
        result_file, gt, subset, infer=True, log=log)
    result = evaluate_detections(
        gt_dets,
        predictions,
        len(class_names),
        tiou_thresholds,
        ambiguous=ambiguous)
    if result['classes_without_gt']:
        names = [class_names[c] for c in result['classes_without_gt']]
        log(f'Note: {len(names)} class(es) have no GT and are left out '
            f'of the mAP: {", ".join(names[:10])}'
            f'{" ..." if len(names) > 10 else ""}')
    log(f'{len(predictions)} videos with predictions, {len(gt_dets)} GT '
        'videos' + ('' if subset is None else f' (subset {subset!r})'))
    log(
        format_detection_table(
            result,
            class_names,
            per_class=per_class,
            ambiguous_file=ambiguous_file))
    result.update(
        subset=subset,
        class_names=class_names,
        num_result_videos=len(predictions))
    return result
