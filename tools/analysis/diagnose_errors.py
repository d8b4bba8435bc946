"""DETAD-style false-positive (and sensitivity) analysis of an ActivityNet
result JSON.

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
``fp_analysis.png``. With ``--sensitivity`` it also prints (and writes
as ``sensitivity.{md,json,png}``) DETAD's sensitivity and false-negative
analyses: the normalized average mAP and the false-negative rate per
bucket of GT coverage, length and instances per video (``backtal_mmaction/evaluation/analysis/sensitivity.py``). Works on
any file ``TALMetric(dump_results=...)`` or
``tools/test.py --out-json`` writes.

The results are scored against the GT as ``eval_detections.py`` scores
them: without ``--subset``, against the one subset all result videos
belong to (results spanning several subsets, or none, are refused), so
mAP and the gains match that tool's at ``--tiou``. The logic lives in
``backtal_mmaction.evaluation.analysis.error_report``.
"""
import argparse
from typing import Optional, Sequence

from backtal_mmaction.cli.errors import flag_message, run_cli
from backtal_mmaction.evaluation.analysis.error_report import (
    diagnose_result_file, report_paths, save_error_analysis)
from backtal_mmaction.evaluation.analysis.false_positives import \
    format_error_table
from backtal_mmaction.evaluation.analysis.sensitivity import \
    format_sensitivity_table


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='False-positive error analysis (DETAD) of temporal '
        'action detections')
    parser.add_argument('result', help='ActivityNet result JSON')
    parser.add_argument('gt', help='ground-truth JSON with a "database"')
    parser.add_argument('--subset', default=None,
                        help='GT subset the results belong to (e.g. test); '
                        'default: the one subset the result videos belong '
                        'to, as eval_detections.py infers it')
    parser.add_argument('--tiou', type=float, default=0.5,
                        help='tIoU threshold of a true positive (0.5)')
    parser.add_argument(
        '--top-k-ratio', type=float, default=1.0,
        help='analyse the top ratio x G false positives (DETAD: 1)')
    parser.add_argument(
        '--rank-by', choices=['class', 'global'], default='class',
        help='take the top false positives per class (ratio x G_c, DETAD) '
        'or over all classes (ratio x G)')
    parser.add_argument(
        '--sensitivity', action='store_true',
        help="also DETAD's sensitivity and false-negative analyses: the "
        'normalized average mAP (mAP_N) and the share of undetected GT per '
        'bucket of GT coverage, length and instances per video')
    parser.add_argument(
        '--bins', choices=['thumos14', 'activitynet'], default='thumos14',
        help="with --sensitivity: DETAD's buckets for THUMOS14 (lengths "
        '3/6/12/18 s, ...) or ActivityNet (30/60/120/180 s, ...)')
    parser.add_argument(
        '--sensitivity-tiou', type=float, nargs='+', metavar='T',
        help='with --sensitivity: its tIoU thresholds, averaged (default: '
        "--tiou; DETAD's ActivityNet setting is 0.5:0.95)")
    parser.add_argument('--out-dir',
                        help='write fp_analysis.{md,json,png} here (and '
                        'sensitivity.{md,json,png} with --sensitivity)')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if not args.sensitivity:
        # flags that would be ignored
        given = [f for f, v in (('--sensitivity-tiou', args.sensitivity_tiou),
                                ('--bins', args.bins != 'thumos14'))
                 if v]
        if given:
            parser.error(f'{" and ".join(given)} go with --sensitivity')
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Print the breakdown table (and write the report files)."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        inputs = [args.result, args.gt]
        if args.out_dir:  # before the analysis
            report_paths(args.out_dir, inputs, args.sensitivity)
        result = diagnose_result_file(
            args.result,
            args.gt,
            subset=args.subset,
            tiou_threshold=args.tiou,
            top_k_ratio=args.top_k_ratio,
            rank_by=args.rank_by,
            sensitivity=args.sensitivity,
            sensitivity_tiou=args.sensitivity_tiou,
            bins=args.bins,
            log=lambda msg: print(flag_message(msg, parser)))
        print(format_error_table(result))
        if args.sensitivity:
            print()
            print(format_sensitivity_table(result['sensitivity']))
        if args.out_dir:
            paths = save_error_analysis(
                result,
                args.out_dir,
                inputs=inputs,
                result=args.result,
                gt=args.gt,
                subset=result['subset'])
            print(f"wrote {paths['png']} and fp_analysis.{{md,json}}"
                  + (' and sensitivity.{md,json,png}' if args.sensitivity
                     else '') + f' to {args.out_dir}')
        return result

    return run_cli(run, parser=parser)


if __name__ == '__main__':
    main()
