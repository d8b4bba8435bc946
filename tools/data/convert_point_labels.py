# Copyright (c) OpenMMLab. All rights reserved.
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
import json
import sys
import warnings
from collections import Counter
from pathlib import Path

FORMATS = ('lacp', 'sfnet', 'aapl', 'backtal')


def parse_args(argv=None):
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
                        'files of one format become several annotators')
    parser.add_argument('--format', required=True, choices=FORMATS)
    parser.add_argument('--gt', required=True,
                        help='ActivityNet-style GT JSON (videos, duration, '
                        'fps, classes)')
    parser.add_argument('--out', required=True, help='output click JSON')
    parser.add_argument(
        '--annotator', action='append', default=None,
        help='annotator id, once per file (default: LACP / SF / AAPL / A1 '
        'for one file; SF1, SF2, ... for several)')
    parser.add_argument('--skip-unknown-videos', action='store_true',
                        help='drop rows of videos absent from the GT with a '
                        'warning and a count (default: error)')
    parser.add_argument('--fps-json', help="lacp only: JSON video -> fps "
                        "overriding the GT's fps (e.g. LACP's "
                        'fps_dict.json)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace --out if it exists (default: refuse)')
    args = parser.parse_args(argv)
    if args.fps_json and args.format != 'lacp':
        parser.error('--fps-json applies to --format lacp only')
    return args


def run(args):
    if Path(args.out).exists() and not args.overwrite:
        raise FileExistsError(f'{args.out} already exists; refusing to '
                              'overwrite it (pass --overwrite)')
    from backtal_mmaction.datasets.clicks import (click_statistics,
                                                  dump_click_file,
                                                  load_ground_truth)
    from backtal_mmaction.datasets.point_label_formats import \
        convert_point_labels
    database, class_names = load_ground_truth(args.gt)
    fps = None
    if args.fps_json:
        with open(args.fps_json, encoding='utf-8') as f:
            fps = json.load(f)
        if not isinstance(fps, dict):
            raise ValueError(f'{args.fps_json}: expected a JSON object '
                             'video -> fps')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        clicks = convert_point_labels(
            args.format, args.files, database, class_names,
            annotators=args.annotator,
            unknown_videos='skip' if args.skip_unknown_videos else 'error',
            fps_overrides=fps)
    for w in caught:
        print(f'warning: {w.message}', file=sys.stderr)
    dump_click_file(clicks, args.out, overwrite=args.overwrite)
    stats = click_statistics(clicks, database)
    who = Counter(c['annotator'] for v in clicks.values() for c in v)
    inside = stats['action_inside_fraction']
    inside = 'n/a' if inside != inside else f'{100 * inside:.1f}%'
    print(f"wrote {args.out}: {stats['num_clicks']} clicks "
          f"({stats['num_action']} action, {stats['num_background']} "
          f"background) on {stats['num_videos']} videos; per annotator "
          f"{dict(sorted(who.items()))}; action clicks inside a GT instance "
          f'of their class: {inside}')


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except (ValueError, OSError) as e:
        # Bad input is reported in one line naming the file/line/video.
        sys.exit(f'error: {e}')


if __name__ == '__main__':
    main()
