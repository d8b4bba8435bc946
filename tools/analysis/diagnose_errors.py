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
    parser.add_argument('--out-dir',
                        help='write fp_analysis.{md,json,png} here')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Print the breakdown table (and write the report files)."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        inputs = [args.result, args.gt]
        if args.out_dir:  # before the analysis
            report_paths(args.out_dir, inputs)
        result = diagnose_result_file(
            args.result,
            args.gt,
            subset=args.subset,
            tiou_threshold=args.tiou,
            top_k_ratio=args.top_k_ratio,
            rank_by=args.rank_by,
            log=lambda msg: print(flag_message(msg, parser)))
        print(format_error_table(result))
        if args.out_dir:
            paths = save_error_analysis(
                result,
                args.out_dir,
                inputs=inputs,
                result=args.result,
                gt=args.gt,
                subset=result['subset'])
            print(f"wrote {paths['png']} and fp_analysis.{{md,json}} to "
                  f'{args.out_dir}')
        return result

    return run_cli(run, parser=parser)


if __name__ == '__main__':
    main()
