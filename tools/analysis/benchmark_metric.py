"""Benchmark the vectorized detection mAP against a naive per-prediction loop.

Builds a seeded case the size of THUMOS14 test (210 videos, ~15 GT each,
20 classes, 200 predictions per video), checks that both implementations give
the same AP (to 1e-12) and prints their run times::

    python tools/analysis/benchmark_metric.py [--repeats 5] [--seed 0]

The loop and the case builder are
``backtal_mmaction/testing/detection_evaluation.py``
(the reference the unit tests compare against).
"""
import argparse
import time
from typing import Optional, Sequence, Tuple

import numpy as np

from backtal_mmaction.cli.errors import run_cli
from backtal_mmaction.evaluation.functional import (DEFAULT_TIOU_THRESHOLDS,
                                                    evaluate_detections)
from backtal_mmaction.testing.detection_evaluation import (
    build_thumos_like_case, naive_evaluate_detections)


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        tic = time.perf_counter()
        fn()
        times.append(time.perf_counter() - tic)
    return float(np.median(times))


def run_benchmark(case: Tuple[dict, dict, int],
                  repeats: int = 5,
                  naive_repeats: int = 1,
                  tiou_thresholds=None) -> dict:
    """Time both implementations and check they agree.

    Args:
        case (tuple): ``(gt, predictions, num_classes)`` detection dicts.
        repeats, naive_repeats (int): Timed runs of each (median).
        tiou_thresholds (Sequence[float], optional): Default: THUMOS14's.

    Returns:
        dict: ``vectorized_s`` and ``naive_s`` (median seconds),
        ``speedup``, ``num_predictions``, ``num_gt``, ``average_mAP``.
    """
    thr = DEFAULT_TIOU_THRESHOLDS if tiou_thresholds is None else \
        tiou_thresholds
    gt, predictions, num_classes = case
    fast = evaluate_detections(gt, predictions, num_classes, thr)
    slow = naive_evaluate_detections(gt, predictions, num_classes, thr)
    if not np.allclose(
            fast['ap'], slow['ap'], rtol=0, atol=1e-12, equal_nan=True):
        diff = np.nanmax(np.abs(fast['ap'] - slow['ap']))
        raise AssertionError(
            f'vectorized and naive AP differ (max abs diff {diff:.3g})')
    t_fast = _median_time(
        lambda: evaluate_detections(gt, predictions, num_classes, thr),
        repeats)
    t_slow = _median_time(
        lambda: naive_evaluate_detections(gt, predictions, num_classes, thr),
        naive_repeats)
    return dict(
        vectorized_s=t_fast,
        naive_s=t_slow,
        speedup=t_slow / t_fast,
        num_predictions=sum(len(d['scores']) for d in predictions.values()),
        num_gt=sum(len(d['labels']) for d in gt.values()),
        average_mAP=fast['average_mAP'])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--repeats',
        type=int,
        default=5,
        help='timed runs of the vectorized version (median)')
    parser.add_argument(
        '--naive-repeats',
        type=int,
        default=1,
        help='timed runs of the naive loop (median)')
    parser.add_argument('--seed', type=int, default=0)
    case = parser.add_argument_group('case size (default: THUMOS14 test)')
    case.add_argument('--num-videos', type=int, default=210)
    case.add_argument('--gt-per-video', type=float, default=15.0)
    case.add_argument('--num-classes', type=int, default=20)
    case.add_argument('--preds-per-video', type=int, default=200)
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.naive_repeats < 1:
        parser.error('--repeats and --naive-repeats must be >= 1')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Parse ``argv``, time both and print the comparison under the tools'
    one-line error style (numpy only: no torch); returns the timings."""
    parser = build_parser()
    args = parse_args(argv, parser)
    return run_cli(lambda _: _run(args), errors=(ValueError, OSError),
                   parser=parser)


def _run(args: argparse.Namespace) -> dict:
    case = build_thumos_like_case(
        num_videos=args.num_videos,
        gt_per_video=args.gt_per_video,
        num_classes=args.num_classes,
        preds_per_video=args.preds_per_video,
        seed=args.seed)
    res = run_benchmark(case, args.repeats, args.naive_repeats)
    print(f"case: {res['num_gt']} GT, {res['num_predictions']} predictions, "
          f"average mAP {100 * res['average_mAP']:.2f}% (AP identical to "
          '1e-12)')
    print(f"vectorized evaluate_detections: {res['vectorized_s'] * 1e3:.1f} "
          f'ms (median of {args.repeats})')
    print(f"naive per-prediction loop:      {res['naive_s'] * 1e3:.1f} ms "
          f'(median of {args.naive_repeats})')
    print(f"speed-up: {res['speedup']:.1f}x")
    return res


if __name__ == '__main__':
    main()
