"""Re-run any detector's post-processing + mAP from saved raw outputs (no
network).

First save the raw outputs once::

    python tools/test.py CONFIG CKPT --save-raw work_dirs/raw

then tune the post-processing in seconds (BackTAL, then AnchorFreeTAD with
its ``nms`` dict replaced whole, then a grid of settings in one table)::

    python tools/analysis/postprocess_raw.py CONFIG work_dirs/raw \\
        --cfg-options model.post_processor.nms_thr=0.6 \\
                      model.post_processor.nms_method=soft_gaussian
    python tools/analysis/postprocess_raw.py AF_CONFIG work_dirs/af_raw \\
        --cfg-options model.post_processor.nms._delete_=True \\
                      model.post_processor.nms.type=hard \\
                      model.post_processor.nms.iou_thr=0.5
    python tools/analysis/postprocess_raw.py CONFIG work_dirs/raw \\
        --grid model.post_processor.nms_thr=0.5,0.6,0.7 \\
               model.post_processor.class_threshold=0.1,0.25

With the config's own settings it reproduces the mAP of the test run
exactly (same post-processor, the detections in the model's own dtype,
same video order). GT: ``--gt FILE [--subset S]``, else the test
evaluator's ``ann_file``, else the GT stored with each video (what the
metric saw); the report's ``GT:`` line says which and why. Raw outputs
that lack what the config's post-processor reads (e.g. BackTAL's with an
AnchorFreeTAD config) are refused, naming both; ``--out-json`` is never
one of the files read (the raw outputs, the config, the GT), even with
``--overwrite``.

A thin command line over
:func:`backtal_mmaction.apis.postprocess_raw_outputs`
(keyword arguments = the flags).
"""
import argparse
from typing import Optional, Sequence

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         flag_message, parse_cfg_options,
                                         parse_grid_options, run_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Post-processing + mAP from tools/test.py --save-raw '
        'outputs')
    parser.add_argument('config', help='config (its model.post_processor)')
    parser.add_argument('raw_dir', help='directory written by --save-raw')
    add_cfg_options_arguments(parser, 'model.post_processor.nms_thr=0.6')
    parser.add_argument(
        '--grid', nargs='+', metavar='KEY=V1,V2,...',
        help='score every combination of these values (each as if added '
        'to --cfg-options) in one table, the best average mAP marked, e.g. '
        'model.post_processor.nms_thr=0.5,0.6,0.7 (a list-valued '
        "setting's alternatives: KEY=[[0,0.1],[0,0.2]]); not with "
        '--out-json')
    parser.add_argument('--gt', help='GT JSON (default: the test '
                        "evaluator's ann_file, else the GT saved with the "
                        'raw outputs)')
    parser.add_argument('--subset', help='GT subset, with --gt')
    parser.add_argument('--tiou', type=float, nargs='+',
                        help="tIoU thresholds (default: the test evaluator's)")
    parser.add_argument(
        '--allow-missing', action='store_true',
        help='evaluate even if videos have no raw outputs: with --gt or the '
        "evaluator's ann_file they count as missed; with the GT saved "
        'beside the raw outputs their GT is unknown and they are left out')
    parser.add_argument('--out-json',
                        help='also write the detections (ActivityNet JSON)')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow replacing --out-json')
    parser.add_argument('--no-per-class', action='store_true',
                        help='print only the mAP summary')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    args.grid = parse_grid_options(parser, args.grid)
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Parse ``argv`` and re-run post-processing + mAP
    (:func:`~backtal_mmaction.apis.postprocess_raw_outputs`)
    under the tools' one-line error style; returns its result."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.apis import postprocess_raw_outputs
    return run_cli(lambda _: postprocess_raw_outputs(
        args.config, args.raw_dir, gt=args.gt, subset=args.subset,
        tiou=args.tiou, allow_missing=args.allow_missing,
        out_json=args.out_json, overwrite=args.overwrite,
        per_class=not args.no_per_class, cfg_options=args.cfg_options,
        cfg_options_allow_new=args.cfg_options_allow_new, grid=args.grid,
        # library keywords in the report (`gt`) as this tool's flags
        log=lambda msg: print(flag_message(msg, parser))), parser=parser)


if __name__ == '__main__':
    main()
