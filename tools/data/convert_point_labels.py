"""Convert point / single-frame labels of other methods to a click file
(formats and their conventions: docs/data_formats.md).

Examples::

    # LACP / HR-Pro / TSPNet / POTLoc point labels (frames -> seconds)
    python tools/data/convert_point_labels.py --format lacp \
        ../shared/data/LACP_THUMOS14_point_labels.csv \
        --gt ../shared/data/gt_thumos14.json \
        --out data/thumos14/clicks_LACP.json

    # SF-Net: one file per annotator -> annotators SF1, SF2
    python tools/data/convert_point_labels.py --format sfnet \
        ../shared/data/SFNet_THUMOS14_single_frames_1.txt \
        ../shared/data/SFNet_THUMOS14_single_frames_2.txt \
        --gt ../shared/data/gt_thumos14.json --skip-unknown-videos \
        --out data/thumos14/clicks_SFNet.json
"""
import argparse
import sys

from backtal_mmaction.cli.errors import flag_message, run_cli
from backtal_mmaction.datasets.point_label_formats import (
    POINT_LABEL_FORMATS, convert_point_label_files)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Convert point-label files into one backtal-clicks/1.0 '
        'JSON file, checked row by row against the ground truth (errors '
        'name file, line and video). Formats: lacp = point_gaussian CSV '
        '(class,class_index,start_frame,stop_frame,video_id,point; only '
        'class, video_id and point are read, point / fps = seconds); '
        'sfnet = video,seconds,label rows, one file per annotator; aapl = '
        'CSV video_id,timestamp,action_label (label background = a '
        'background click); backtal = the BackTAL click CSV.')
    parser.add_argument('files', nargs='+', help='label file(s); several '
                        'files of one format become several annotators '
                        '(each file once)')
    parser.add_argument('--format', required=True, choices=POINT_LABEL_FORMATS)
    parser.add_argument('--gt', required=True,
                        help='ActivityNet-style GT JSON (videos, duration, '
                        'fps, classes)')
    # dest = the library's keyword: its messages then name --out
    parser.add_argument('--out', dest='out_file', required=True,
                        help='output click JSON (never one of the inputs)')
    parser.add_argument(
        '--annotator', action='append', default=None,
        help='annotator id, once per file (default: LACP / SF / AAPL / A1 '
        'for one file; SF1, SF2, ... for several)')
    parser.add_argument('--skip-unknown-videos', action='store_true',
                        help='drop rows of videos absent from the GT with a '
                        'warning and a count (default: error)')
    parser.add_argument('--fps-json', help="lacp only: JSON video -> fps "
                        "(numbers > 0) overriding the GT's fps (e.g. LACP's "
                        'fps_dict.json)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace --out if it exists (default: refuse)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.fps_json and args.format != 'lacp':
        parser.error('--fps-json applies to --format lacp only')
    return args


def main(argv=None):
    """Convert; bad input ends with one ``error: ...`` line, exit 1."""
    parser = build_parser()
    args = parse_args(argv, parser)

    def run(_):
        result = convert_point_label_files(
            args.format, args.files, args.gt, args.out_file,
            annotators=args.annotator,
            skip_unknown_videos=args.skip_unknown_videos,
            fps_json=args.fps_json, overwrite=args.overwrite)
        # the package's lines name its keywords: flags here
        for message in result['warnings']:
            print(f'warning: {flag_message(message, parser)}',
                  file=sys.stderr)
        print(flag_message(result['summary'], parser))
        return result

    # OSError too (an unreadable label file), as before run_cli.
    return run_cli(run, errors=(ValueError, OSError), parser=parser)


if __name__ == '__main__':
    main()
