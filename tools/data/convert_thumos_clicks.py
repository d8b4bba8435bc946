"""Convert the THUMOS14 human click CSV of the BackTAL release.

Example::

    python tools/data/convert_thumos_clicks.py \
        ../shared/data/THUMOS14_Background-Click-Annotation_A1.txt \
        --gt ../shared/data/gt_thumos14.json --out data/thumos14/clicks_A1.json
"""
import argparse
import sys
import warnings

from backtal_mmaction.cli.errors import flag_message, run_cli
from backtal_mmaction.datasets.clicks import (click_statistics,
                                              convert_thumos_csv,
                                              dump_click_file,
                                              format_click_summary,
                                              load_ground_truth,
                                              validate_clicks)
from backtal_mmaction.utils import check_output_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Convert a THUMOS14 click CSV (header URLID,URL,TagID,'
        'Tag,Start,End,Time,State; Tag background_background or a tag '
        'naming a class) into a backtal-clicks/1.0 JSON file, validated '
        'against the ground truth.')
    parser.add_argument('csv', help='click CSV file (UTF-8, BOM allowed)')
    parser.add_argument(
        '--gt',
        required=True,
        help='ActivityNet-style GT JSON (database + activity_list); clicks '
        'are checked against its videos, durations and classes')
    parser.add_argument('--out', required=True, help='output click JSON')
    parser.add_argument(
        '--annotator', default='A1', help='annotator id (default: A1)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace --out if it exists (default: refuse; never an input)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None):
    """Convert; bad input ends with one ``error: ...`` line, exit 1."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        inputs = [args.csv, args.gt]
        # before anything is read: never an input, nor a file without
        # --overwrite
        check_output_path(args.out, '`out`', args.overwrite, inputs)
        database, class_names = load_ground_truth(args.gt)
        # rows the converter resolves (an End far from Start, ...): one
        # "warning: ..." line each, as convert_point_labels.py
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            clicks = convert_thumos_csv(
                args.csv, annotator=args.annotator, class_names=class_names)
        for warning in caught:
            print(f'warning: {flag_message(str(warning.message), parser)}',
                  file=sys.stderr)
        validate_clicks(clicks, database, class_names, args.csv)
        dump_click_file(clicks, args.out, overwrite=args.overwrite,
                        inputs=inputs)
        print(format_click_summary(
            args.out, click_statistics(clicks, database)))
        return clicks

    # OSError too (an unreadable CSV), as before run_cli.
    return run_cli(run, errors=(ValueError, OSError), parser=parser)


if __name__ == '__main__':
    main()
