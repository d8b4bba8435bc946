"""DETAD-style false-positive analysis of an ActivityNet result JSON.

Example::

    python tools/analysis/diagnose_errors.py work_dirs/results.json \\
        data/thumos14/gt.json --subset test --tiou 0.5 \\
        --out-dir work_dirs/diagnosis

Every false positive at ``--tiou`` is typed as a double detection, wrong
label, localization error, wrong label + localization, or background error
(see ``backtal_mmaction/evaluation/analysis/false_positives.py``). Prints a
markdown table of the shares over the top ``--top-k-ratio`` x G false
positives and the mAP gain of removing each type; with ``--out-dir`` also
writes ``fp_analysis.md``, ``fp_analysis.json`` and the bar chart
``fp_analysis.png``. Works on any file ``TALMetric(dump_results=...)`` or
``tools/test.py --out-json`` writes.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Optional, Sequence

import numpy as np

from backtal_mmaction.datasets.gt_io import load_gt_database
from backtal_mmaction.evaluation.analysis import (diagnose_false_positives,
                                                  format_error_table)
from backtal_mmaction.evaluation.functional.detection_map import (
    load_activitynet_gt, load_activitynet_results)
from backtal_mmaction.evaluation.functional.subsets import \
    check_videos_in_subset


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='False-positive error analysis (DETAD) of temporal '
        'action detections')
    parser.add_argument('result', help='ActivityNet result JSON')
    parser.add_argument('gt', help='ground-truth JSON with a "database"')
    parser.add_argument('--subset', default=None,
                        help='GT subset the results belong to (e.g. test)')
    parser.add_argument('--tiou', type=float, default=0.5,
                        help='tIoU threshold of a true positive (0.5)')
    parser.add_argument(
        '--top-k-ratio', type=float, default=1.0,
        help='analyse the top ratio x G false positives (DETAD: 1)')
    parser.add_argument(
        '--rank-by', choices=['class', 'global'], default='class',
        help='take the top false positives per class (ratio x G_c, DETAD) '
        'or over all classes (ratio x G)')
    parser.add_argument('--out-dir',
                        help='write fp_analysis.{md,json,png} here')
    return parser.parse_args(argv)


def plot_breakdown(result: dict, path: str) -> str:
    """Bar charts: shares of the top false positives, and mAP gains."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [n.replace(' + ', ' +\n').replace(' ', '\n', 1)
             for n in result['error_names']]
    colors = ['#8c564b', '#d62728', '#1f77b4', '#9467bd', '#7f7f7f']
    fig = Figure(figsize=(12, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    shares = np.nan_to_num(100 * np.asarray(result['shares_top']))
    ax1.bar(names, shares, color=colors)
    for x, v in enumerate(shares):
        ax1.text(x, v + 0.5, f'{v:.1f}', ha='center', fontsize=8)
    ax1.set_ylabel('share of false positives (%)')
    ax1.set_title(f"Top {result['num_top']} false positives "
                  f"(tIoU {result['tiou_threshold']:g})")
    gains = 100 * np.asarray(result['map_gain'])
    ax2.bar(names, gains, color=colors)
    ax2.set_ylabel(f"mAP@{result['tiou_threshold']:g} gain (points)")
    ax2.set_title('mAP gain when removing each error type')
    for ax in (ax1, ax2):
        ax.tick_params(axis='x', labelsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path)
    return path


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    gt, class_names = load_activitynet_gt(args.gt, subset=args.subset)
    predictions, _ = load_activitynet_results(args.result,
                                              class_names=class_names)
    check_videos_in_subset(load_gt_database(args.gt)['database'],
                           list(predictions), args.subset, args.gt)
    result = diagnose_false_positives(
        gt, predictions, len(class_names), tiou_threshold=args.tiou,
        top_k_ratio=args.top_k_ratio, rank_by=args.rank_by)
    table = format_error_table(result)
    print(table)
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'fp_analysis.md'), 'w',
                  encoding='utf-8') as f:
            f.write(table + '\n')
        summary = {
            k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in result.items()
            if k not in ('detections', 'top_mask')
        }
        summary.update(result=args.result, gt=args.gt, subset=args.subset)
        with open(osp.join(args.out_dir, 'fp_analysis.json'), 'w',
                  encoding='utf-8') as f:
            json.dump(summary, f, indent=2)
        png = plot_breakdown(result,
                             osp.join(args.out_dir, 'fp_analysis.png'))
        print(f'wrote {png} and fp_analysis.{{md,json}} to {args.out_dir}')
    return result


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
