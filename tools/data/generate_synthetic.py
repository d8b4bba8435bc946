"""Generate a synthetic click-supervised TAL benchmark (I3D-like features).

Examples::

    # fully synthetic: gt.json, clicks.json, features/<video>.npy
    python tools/data/generate_synthetic.py --out data/synthetic

    # real THUMOS14 GT and A1 clicks, synthetic features only
    DATA=../shared/data
    python tools/data/generate_synthetic.py --out data/thumos14_synth \
        --gt-file $DATA/gt_thumos14.json \
        --click-file $DATA/THUMOS14_Background-Click-Annotation_A1.txt \
        --subsets val:train test:test

    # a named TEST-ONLY preset (real GT, fixed T, official .npz layout)
    python tools/data/generate_synthetic.py --preset thumos14-fixed-t \
        --out data/thumos14_fixed_t
    python tools/data/generate_synthetic.py --preset activitynet12-fixed-t \
        --out data/activitynet12_fixed_t
"""
import argparse

from backtal_mmaction.cli.errors import flag_message, run_cli
from backtal_mmaction.datasets.synthetic.command import generate_from_options
from backtal_mmaction.datasets.synthetic.config import MIN_VIDEO_SECONDS
from backtal_mmaction.datasets.synthetic.presets import (DEFAULT_SHARED_DATA,
                                                         PRESETS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Write gt.json, clicks.json (A1 background clicks, SF '
        'action clicks) and synthetic two-stream features into --out. See '
        'backtal_mmaction/datasets/synthetic/ for the feature model.')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--preset',
        choices=PRESETS,
        default=None,
        help='generate a named TEST-ONLY variant (see backtal_mmaction/'
        'datasets/synthetic/presets.py): a real GT, fixed T, official '
        'layout. Combines with --out, --seed, --feat-dim, --max-videos, '
        '--shared-data, --exist-ok, --overwrite only')
    parser.add_argument(
        '--shared-data',
        default=None,
        metavar='DIR',
        help='folder of the real annotation files a --preset reads '
        f'(default: {DEFAULT_SHARED_DATA})')
    parser.add_argument(
        '--layout',
        choices=['npy', 'official'],
        default='npy',
        help='npy: features/<video>.npy (T, D); official: features/'
        '<video>.npz as read by the official BackTAL code (default: npy)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=20,
        help='synthetic classes (>= 1), in sibling pairs sharing a venue; '
        'an odd count leaves the last class without a sibling (default 20, '
        'as THUMOS14; not with --gt-file)')
    parser.add_argument(
        '--num-videos',
        type=int,
        nargs=3,
        metavar=('TRAIN', 'VAL', 'TEST'),
        default=[200, 20, 200],
        help='synthetic videos per subset (default: 200 20 200, the '
        'THUMOS14 split sizes; not with --gt-file)')
    parser.add_argument(
        '--feat-dim', type=int, default=128, help='D, even (default 128)')
    parser.add_argument(
        '--duration-range',
        type=float,
        nargs=2,
        default=[30.0, 120.0],
        metavar=('MIN', 'MAX'),
        help='synthetic video durations in s, '
        f'{MIN_VIDEO_SECONDS:g} <= MIN <= MAX (default: 30 120; not with '
        '--gt-file)')
    parser.add_argument('--fps', type=float, default=30,
                        help='frame rate (> 0) of the synthetic videos and '
                        'of --gt-file videos without one (default 30)')
    parser.add_argument('--frames-per-snippet', type=int, default=16)
    parser.add_argument(
        '--num-segments',
        type=int,
        default=None,
        help='fixed T for every video (official code: 750) instead of '
        'round(duration * fps / frames_per_snippet)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--gt-file', help='real GT: use its videos, segments and classes')
    parser.add_argument(
        '--click-file',
        nargs='+',
        help='real clicks for --gt-file, one or several files merged: '
        '.json click files, the THUMOS14 background-click CSV (annotator '
        'A1) or SF-Net single-frame .txt files (action clicks, annotator '
        'SF)')
    parser.add_argument(
        '--subsets',
        nargs='+',
        help='--gt-file only: real-GT subsets to use, optionally renamed '
        'SRC:DST (e.g. val:train test:test)')
    parser.add_argument(
        '--max-videos',
        type=int,
        default=None,
        help='--gt-file or --preset only: first N (>= 1) videos of each '
        'subset')
    parser.add_argument(
        '--train-subset',
        default=None,
        help='subset that gets clicks / point_label (default: train, '
        'training, or val for a THUMOS14-style GT)')
    parser.add_argument(
        '--inside-noise',
        type=float,
        default=0.077,
        help='fraction of simulated A1 clicks inside actions (default '
        '0.077, as in the real THUMOS14 A1 clicks)')
    parser.add_argument(
        '--action-outside-noise',
        type=float,
        default=0.03,
        help='fraction of simulated SF action clicks just outside their '
        'instance (default 0.03; SF-Net THUMOS14 clicks: 0.022-0.039)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into a non-empty --out (only its own files are '
        'replaced; its feature files of the other --layout are removed)')
    parser.add_argument(
        '--exist-ok',
        action='store_true',
        help='if --out already holds a benchmark generated with exactly '
        'these arguments, reuse it (re-runnable quick start); a benchmark '
        'made with other arguments is an error unless --overwrite')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None):
    """Generate (or reuse, --exist-ok); bad input ends with one
    ``error: ...`` line, exit 1."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        # the package's lines name its keywords (`exist_ok`): flags here
        for line in generate_from_options(vars(args)):
            print(flag_message(line, parser))

    # OSError too (an unreadable --gt-file), as before run_cli.
    return run_cli(run, errors=(ValueError, OSError), parser=parser)


if __name__ == '__main__':
    main()
