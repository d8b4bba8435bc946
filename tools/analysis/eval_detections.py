"""Evaluate an ActivityNet-format detection result file offline.

Example::

    python tools/analysis/eval_detections.py work_dirs/results.json \\
        ../shared/data/gt_thumos14.json --subset test --tiou 0.3 0.5 0.7

Prints mAP at each tIoU threshold, their average and the per-class AP
(percent), using exactly the code of ``TALMetric``.
"""
import argparse
import sys
from typing import Optional, Sequence

from backtal_mmaction.evaluation.functional.detection_map import (
    DEFAULT_TIOU_THRESHOLDS, evaluate_detections, format_detection_table,
    load_activitynet_gt, load_activitynet_results)


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
        'video in the result file must belong to it')
    parser.add_argument(
        '--tiou',
        type=float,
        nargs='+',
        default=list(DEFAULT_TIOU_THRESHOLDS),
        help='tIoU thresholds (default: 0.1 ... 0.7)')
    parser.add_argument(
        '--no-per-class',
        action='store_true',
        help='print only the mAP summary, not the per-class table')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Run the evaluation and print the tables; returns the result dict."""
    args = parse_args(argv)
    gt, class_names = load_activitynet_gt(args.gt, subset=args.subset)
    predictions, _ = load_activitynet_results(
        args.result, class_names=class_names)
    result = evaluate_detections(gt, predictions, len(class_names), args.tiou)
    if result['classes_without_gt']:
        names = [class_names[c] for c in result['classes_without_gt']]
        print(f'Note: {len(names)} class(es) have no GT and are left out '
              f'of the mAP: {", ".join(names[:10])}'
              f'{" ..." if len(names) > 10 else ""}')
    print(f'{len(predictions)} videos with predictions, {len(gt)} GT videos')
    print(
        format_detection_table(
            result, class_names, per_class=not args.no_per_class))
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as err:
        # Input problems: a one-line message instead of a traceback.
        sys.exit(f'error: {err}')
