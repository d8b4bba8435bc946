"""Plot training losses and validation metrics of one or more runs.

    python tools/analysis/plot_curves.py work_dirs/backtal_synthetic \
        [work_dirs/other_run ...] --out curves.png [--labels a b] \
        [--keys loss tal/mAP_avg] [--overwrite]

Reads MMEngine's ``vis_data/scalars.json`` (each RUN may be that file, its
``vis_data`` or ``<time>`` folder, or the work dir: its newest run).
MMAction2's ``analyze_logs.py plot_curve`` reads the pre-MMEngine log
layout and fails on these files.

``--out`` is saved in the format its extension names (``.png``, ``.pdf``,
``.svg``, ...; an extension matplotlib cannot write is refused). It is
never one of the ``scalars.json`` files read, not even with
``--overwrite``.
"""
import argparse

from backtal_mmaction.cli.errors import run_cli
from backtal_mmaction.visualization.training_curves import \
    plot_training_curves


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Plot loss / metric curves from MMEngine scalars.json')
    parser.add_argument('runs', nargs='+', help='scalars.json files or '
                        'work dirs')
    # dest = the library's keyword: its messages then name --out
    parser.add_argument('--out', dest='out_file', required=True,
                        help='output figure (.png, .pdf, .svg, ...)')
    parser.add_argument('--labels', nargs='+', help='legend name per run')
    parser.add_argument('--keys', nargs='+',
                        help='curves to draw (default: losses and mAP_avg)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace an existing --out file')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None):
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        plot_training_curves(args.runs, args.out_file, labels=args.labels,
                             keys=args.keys, overwrite=args.overwrite)
        print(f'wrote {args.out_file}')

    run_cli(run, parser=parser)


if __name__ == '__main__':
    main()
