"""Simulate background/action clicks from a temporal ground truth.

Example (ActivityNet 1.2, background clicks only, 5% annotation noise)::

    python tools/data/simulate_clicks.py \
        ../shared/data/activity_net.v1-2.min.json \
        --out data/anet12/clicks_sim.json --subset training --no-action \
        --inside-noise 0.05
"""
import argparse

from backtal_mmaction.cli.errors import run_cli
from backtal_mmaction.utils import check_output_path
from backtal_mmaction.datasets.gt_io import select_subset
from backtal_mmaction.datasets.clicks import (click_statistics,
                                              dump_click_file,
                                              format_click_summary,
                                              load_ground_truth,
                                              simulate_clicks)


def _num_background(value):
    if value == 'auto':
        return value
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected 'auto' or an integer >= 0, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f'expected >= 0, got {n}')
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Simulate clicks from an ActivityNet-style GT. '
        'Background clicks are uniform over the GT background (auto: one '
        'per maximal background gap; N: N per video), optionally a fraction '
        'moved inside actions; action clicks are one per GT instance, '
        'uniform inside it (SF-Net protocol). Deterministic given --seed.')
    parser.add_argument('gt', help='ActivityNet-style GT JSON')
    parser.add_argument('--out', required=True, help='output click JSON')
    parser.add_argument(
        '--subset',
        nargs='+',
        default=None,
        help='only videos of these subsets (default: all)')
    parser.add_argument(
        '--num-background',
        type=_num_background,
        default='auto',
        help="'auto' (one click per background gap, default) or N per video")
    kind = parser.add_mutually_exclusive_group()
    # dest = the library's keyword: its messages then name these flags
    kind.add_argument(
        '--no-action', dest='action', action='store_false',
        help='no action clicks')
    kind.add_argument(
        '--no-background', dest='background', action='store_false',
        help='no background clicks')
    parser.add_argument(
        '--inside-noise',
        type=float,
        default=0.0,
        help='fraction of background clicks placed inside GT actions '
        '(human annotators: ~0.02-0.08; default 0)')
    parser.add_argument(
        '--extra-background',
        type=float,
        default=0.0,
        help='--num-background auto only: expected extra background clicks '
        'per gap (default 0)')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--annotator-prefix',
        default='sim',
        help='annotator ids are PREFIX-bg and PREFIX-action (not empty; '
        'default: sim)')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace --out if it exists '
        '(never the GT it reads)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None):
    """Simulate; bad input ends with one ``error: ...`` line, exit 1."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        # before anything is read: never the GT, nor a file without
        # --overwrite
        check_output_path(args.out, '`out`', args.overwrite, [args.gt])
        database, class_names = load_ground_truth(args.gt)
        select_subset(database, args.subset, args.gt)  # errors name the file
        clicks = simulate_clicks(
            database,
            class_names,
            subset=args.subset,
            num_background=args.num_background,
            background=args.background,
            action=args.action,
            inside_noise=args.inside_noise,
            extra_background=args.extra_background,
            seed=args.seed,
            annotator_prefix=args.annotator_prefix)
        dump_click_file(clicks, args.out, overwrite=args.overwrite,
                        inputs=[args.gt])
        print(format_click_summary(
            args.out, click_statistics(clicks, database)))
        return clicks

    # OSError too (an unreadable GT), as before run_cli.
    return run_cli(run, errors=(ValueError, OSError), parser=parser)


if __name__ == '__main__':
    main()
