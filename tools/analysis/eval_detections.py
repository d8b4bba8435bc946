"""Evaluate ActivityNet-format detection result files offline.

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
as missed); results spanning several subsets are refused (pass
``--subset``), and so is a result file without any video.

``--ambiguous FILE`` removes predictions overlapping the segments of a
THUMOS14 ``Ambiguous_test.txt``-style file before matching (CO2-Net /
HR-Pro rule, see ``ambiguous_prediction_mask``).

Several result files (``RESULT [RESULT ...] GT``) are evaluated in turn;
``--plot out.png`` draws their mAP vs tIoU on one chart (legend: the file
names or ``--labels``), in the format its extension names (``.png``,
``.pdf``, ``.svg``, ...); an existing file is kept unless ``--overwrite``,
and an input file is never written over.
The logic lives in ``backtal_mmaction.evaluation.offline``.
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence

from backtal_mmaction.cli.errors import flag_message, run_cli
from backtal_mmaction.evaluation.functional import DEFAULT_TIOU_THRESHOLDS
from backtal_mmaction.evaluation.offline import evaluate_result_file
from backtal_mmaction.visualization.map_curves import (check_figure_path,
                                                       plot_map_curves)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Temporal action detection mAP of ActivityNet result '
        'JSON files against ActivityNet-style ground truth')
    parser.add_argument(
        'result',
        nargs='+',
        help='result JSON(s) {"results": {video: '
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
        default=None,
        help='tIoU thresholds (default: 0.1 ... 0.7, the THUMOS14 ones)')
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
    parser.add_argument(
        '--plot',
        metavar='FIGURE',
        default=None,
        help='draw mAP vs tIoU of every result file on one chart (.png, '
        '.pdf, .svg, ...: the format of the extension)')
    parser.add_argument(
        '--labels',
        nargs='+',
        default=None,
        help='legend name of each result file (default: the file stems)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing --plot file')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.labels) != len(args.result):
        parser.error(f'--labels: {len(args.labels)} label(s) for '
                     f'{len(args.result)} result file(s)')
    if args.labels is not None and args.plot is None:
        parser.error('--labels only applies together with --plot')
    return args


def plot_title(gt: str, subsets: Sequence[Optional[str]]) -> str:
    """``mAP vs tIoU: gt_thumos14.json, subset 'test'``."""
    names = sorted({repr(s) for s in subsets if s is not None})
    where = f', subset {", ".join(names)}' if names else ''
    return f'mAP vs tIoU: {osp.basename(gt)}{where}'


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    """Evaluate, print the tables (and plot); returns the result dicts."""
    parser = build_parser()
    args = parse_args(argv, parser)
    def run(_):
        if args.plot is not None:  # before minutes of evaluation
            check_figure_path(args.plot, '--plot', args.overwrite,
                              inputs=[*args.result, args.gt, args.ambiguous])
        results = []
        for path in args.result:
            if len(args.result) > 1:
                print(f'\n== {path}')
            result = evaluate_result_file(
                path,
                args.gt,
                subset=args.subset,
                tiou_thresholds=args.tiou or DEFAULT_TIOU_THRESHOLDS,
                ambiguous_file=args.ambiguous,
                per_class=not args.no_per_class,
                # library keywords in the report (`subset`) as this
                # tool's flags
                log=lambda msg: print(flag_message(msg, parser)))
            results.append(result)
        if args.plot is not None:
            labels = args.labels or [
                osp.splitext(osp.basename(p))[0] for p in args.result
            ]
            plot_map_curves(
                results,
                labels,
                args.plot,
                title=plot_title(args.gt, [r['subset'] for r in results]),
                overwrite=args.overwrite)
            print(f'wrote {args.plot}')
        return results

    return run_cli(run, parser=parser)


if __name__ == '__main__':
    main()
