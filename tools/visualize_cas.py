"""Draw the CAS figure of test videos with a trained checkpoint.

    python tools/visualize_cas.py CONFIG CHECKPOINT --out-dir DIR \
        [--videos v1 v2 | --num N] [--split test|val|train] \
        [--overwrite] [--cfg-options ...]

One PNG per video (``DIR/<video>.png``): the suppressed CAS of the GT and
predicted classes, the foreground-filter weights (and feature magnitude),
the GT segments, the clicks by annotator (when the split's dataset has a
``click_file``; ``--split train`` uses the training videos and clicks with
the test pipeline) and the final detections; x axis in seconds.

Existing PNGs are never replaced without ``--overwrite`` (checked before
the model runs).

The same figures can be drawn during ``tools/test.py`` with ``--vis-cas N``
(``CASVisualizationHook``).

A thin command line over
:func:`backtal_mmaction.workflows.draw_cas_figures` (keyword
arguments = the flags).
"""
import argparse
from typing import List, Optional, Sequence

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Per-video CAS figures')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True,
                        help='write <video>.png here')
    parser.add_argument('--videos', nargs='+', help='video names to draw')
    parser.add_argument('--num', type=int, default=8,
                        help='without --videos: the first N videos (8)')
    parser.add_argument('--split', default='test',
                        choices=['test', 'val', 'train'],
                        help='dataset of the config to take videos from')
    parser.add_argument('--max-classes', type=int, default=5)
    parser.add_argument('--max-detections', type=int, default=30)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing PNGs in --out-dir')
    add_cfg_options_arguments(parser,
                              'model.post_processor.class_threshold=0.2')
    return parser


def parse_args(argv: Optional[Sequence[str]] = None,
               parser: Optional[argparse.ArgumentParser] = None
               ) -> argparse.Namespace:
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    return args


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    """Parse ``argv`` and draw the figures
    (:func:`~backtal_mmaction.workflows.draw_cas_figures`) under the
    tools' one-line error style; returns the PNG paths written."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.workflows import draw_cas_figures
    return run_cli(lambda _: draw_cas_figures(
        args.config, args.checkpoint, args.out_dir, videos=args.videos,
        num=args.num, split=args.split, max_classes=args.max_classes,
        max_detections=args.max_detections, device=args.device,
        overwrite=args.overwrite, cfg_options=args.cfg_options,
        cfg_options_allow_new=args.cfg_options_allow_new), parser=parser)


if __name__ == '__main__':
    main()
