"""Evaluate an ActivityNet-format detection result file offline.

Example::

    python tools/analysis/eval_detections.py work_dirs/results.json \\
        ../shared/data/gt_thumos14.json --subset test --tiou 0.3 0.5 0.7

Prints mAP at each tIoU threshold, their average (plus the averages over
0.1:0.5 and 0.3:0.7 of the point-supervised literature when those
thresholds are evaluated) and the per-class AP (percent), using exactly the
code of ``TALMetric``: on the JSON that ``TALMetric(dump_results=...)``
wrote, it reproduces the in-memory numbers bit for bit.

Without ``--subset`` the subset is inferred from the result file: when all
its videos belong to one subset of the GT (e.g. ``test``), only that
subset's GT is scored (scoring the other subsets too would count their GT
as missed); results spanning several subsets are refused.

``--ambiguous FILE`` removes predictions overlapping the segments of a
THUMOS14 ``Ambiguous_test.txt``-style file before matching (CO2-Net /
HR-Pro rule, see ``ambiguous_prediction_mask``).
"""
import argparse
import sys
from typing import Optional, Sequence

from backtal_mmaction.datasets.gt_io import load_gt_database
from backtal_mmaction.evaluation.functional.detection_map import (
    DEFAULT_TIOU_THRESHOLDS, evaluate_detections, format_detection_table,
    load_activitynet_gt, load_activitynet_results, load_ambiguous_segments)
from backtal_mmaction.evaluation.functional.subsets import (
    check_videos_in_subset, infer_subset)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Temporal action detection mAP of an ActivityNet result '
        'JSON against ActivityNet-style ground truth')
    parser.add_argument(
        'result',
        help='result JSON {"results": {video: '
        '[{"label", "segment", "score"}]}}')
    parser.add_argument('gt', help='ground-truth JSON with a "database"')
    parser.add_argument(
        '--subset',
        default=None,
        help='evaluate only on GT videos of this subset (e.g. test); every '
        'video in the result file must belong to it. Default: the one '
        'subset the result videos belong to')
    parser.add_argument(
        '--tiou',
        type=float,
        nargs='+',
        default=list(DEFAULT_TIOU_THRESHOLDS),
        help='tIoU thresholds (default: 0.1 ... 0.7)')
    parser.add_argument(
        '--ambiguous',
        default=None,
        metavar='FILE',
        help='ambiguous segments, "video start end" per line (THUMOS14 '
        'Ambiguous_test.txt); overlapping predictions are removed')
    parser.add_argument(
        '--no-per-class',
        action='store_true',
        help='print only the mAP summary, not the per-class table')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the evaluation and print the tables; returns the result dict."""
    args = parse_args(argv)
    database = load_gt_database(args.gt)['database']
    subset = args.subset
    ambiguous = (None if args.ambiguous is None else
                 load_ambiguous_segments(args.ambiguous))
    # Class list from the whole file (independent of the subset).
    _, class_names = load_activitynet_gt(args.gt, subset=None)
    predictions, _ = load_activitynet_results(
        args.result, class_names=class_names)
    if subset is None:
        subset = infer_subset(database, list(predictions), args.gt)
        if subset is not None:
            print(f'Subset inferred from the results: {subset!r} (all '
                  f'{len(predictions)} result videos belong to it; pass '
                  '--subset to override)')
    check_videos_in_subset(database, list(predictions), subset, args.gt)
    gt, _ = load_activitynet_gt(
        args.gt, subset=subset, class_names=class_names)
    result = evaluate_detections(
        gt, predictions, len(class_names), args.tiou, ambiguous=ambiguous)
    if result['classes_without_gt']:
        names = [class_names[c] for c in result['classes_without_gt']]
        print(f'Note: {len(names)} class(es) have no GT and are left out '
              f'of the mAP: {", ".join(names[:10])}'
              f'{" ..." if len(names) > 10 else ""}')
    print(f'{len(predictions)} videos with predictions, {len(gt)} GT videos'
          + ('' if subset is None else f' (subset {subset!r})'))
    print(
        format_detection_table(
            result,
            class_names,
            per_class=not args.no_per_class,
            ambiguous_file=args.ambiguous))
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as err:
        # Input problems: a one-line message instead of a traceback.
        sys.exit(f'error: {err}')
