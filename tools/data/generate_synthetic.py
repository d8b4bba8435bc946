# Copyright (c) OpenMMLab. All rights reserved.
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
"""
import argparse
import dataclasses
import inspect
import json
import os
import sys

from backtal_mmaction.datasets.synthetic import (GT_VERSION,
                                                 MIN_VIDEO_SECONDS,
                                                 SyntheticConfig,
                                                 generate_synthetic_benchmark)


def _subsets(items):
    if not items:
        return None
    if any(':' in item for item in items):
        mapping = {}
        for item in items:
            src, _, dst = item.partition(':')
            mapping[src] = dst or src
        return mapping
    return list(items)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write gt.json, clicks.json (A1 background clicks, SF '
        'action clicks) and synthetic two-stream features into --out. See '
        'backtal_mmaction/datasets/synthetic/ for the feature model.')
    parser.add_argument('--out', required=True, help='output folder')
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
        help='synthetic classes, in sibling pairs sharing a venue '
        '(default 20, as THUMOS14)')
    parser.add_argument(
        '--num-videos',
        type=int,
        nargs=3,
        metavar=('TRAIN', 'VAL', 'TEST'),
        default=[200, 20, 200],
        help='synthetic videos per subset (default: 200 20 200, the '
        'THUMOS14 split sizes)')
    parser.add_argument(
        '--feat-dim', type=int, default=128, help='D, even (default 128)')
    parser.add_argument(
        '--duration-range',
        type=float,
        nargs=2,
        default=[30.0, 120.0],
        metavar=('MIN', 'MAX'),
        help='synthetic video durations in s, '
        f'{MIN_VIDEO_SECONDS:g} <= MIN <= MAX (default: 30 120)')
    parser.add_argument('--fps', type=float, default=30)
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
        help='real clicks for --gt-file (.json click file or THUMOS14 CSV)')
    parser.add_argument(
        '--subsets',
        nargs='+',
        help='real-GT subsets to use, optionally renamed SRC:DST '
        '(e.g. val:train test:test)')
    parser.add_argument(
        '--max-videos',
        type=int,
        default=None,
        help='real GT: first N videos of each subset')
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
        help='write into a non-empty --out (only its own files are replaced)')
    parser.add_argument(
        '--exist-ok',
        action='store_true',
        help='if --out already holds a benchmark generated with exactly '
        'these arguments, reuse it (re-runnable quick start); a benchmark '
        'made with other arguments is an error unless --overwrite')
    return parser.parse_args(argv)


STAMP = '.generate_synthetic_args.json'
# Arguments that do not change the generated files.
_NOT_CONTENT = ('out', 'overwrite', 'exist_ok')


def _content_args(args) -> dict:
    content = {k: v for k, v in sorted(vars(args).items())
               if k not in _NOT_CONTENT}
    # The generator version, the feature model and the defaults this tool
    # does not expose are part of what was generated: a folder made by an
    # older generator is refused, not silently reused.
    content['generator'] = GT_VERSION
    content['feature_model'] = dataclasses.asdict(SyntheticConfig())
    exposed = {'num_classes', 'num_videos', 'feat_dim', 'duration_range',
               'fps', 'frames_per_snippet', 'num_segments', 'seed', 'layout',
               'gt_file', 'click_file', 'subsets_from_gt',
               'max_videos_per_subset', 'train_subset', 'inside_noise',
               'action_outside_noise', 'overwrite', 'out_dir', 'cfg'}
    content['generator_defaults'] = {
        name: p.default
        for name, p in inspect.signature(
            generate_synthetic_benchmark).parameters.items()
        if name not in exposed and p.default is not inspect.Parameter.empty
    }
    return content


def check_args(args) -> None:
    """Raise ValueError naming the argument and its rule."""
    lo, hi = args.duration_range
    if args.gt_file is None and not MIN_VIDEO_SECONDS <= lo <= hi:
        raise ValueError(
            f'--duration-range MIN MAX must satisfy {MIN_VIDEO_SECONDS:g} '
            f'<= MIN <= MAX (seconds), got {lo:g} {hi:g}')
    for name in ('inside_noise', 'action_outside_noise'):
        value = getattr(args, name)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"--{name.replace('_', '-')} must be in [0, 1], "
                             f'got {value:g}')


def already_generated(args) -> bool:
    """True if --out holds a complete benchmark made with these args."""
    stamp = os.path.join(args.out, STAMP)
    if not os.path.isfile(stamp):
        return False
    with open(stamp) as f:
        previous = json.load(f)
    # Through JSON, as the stamp was written (tuples become lists).
    current = json.loads(json.dumps(_content_args(args)))
    if previous != current:
        if args.overwrite:
            return False
        changed = sorted(k for k in set(previous) | set(current)
                         if previous.get(k) != current.get(k))
        raise ValueError(f'{args.out} holds a benchmark generated with other '
                         f'arguments ({", ".join(changed)}); pass --overwrite '
                         'to regenerate it or choose another --out')
    return all(os.path.isfile(os.path.join(args.out, f))
               for f in ('gt.json', 'clicks.json'))


def run(args):
    check_args(args)
    if args.exist_ok and already_generated(args):
        print(f'{args.out} already holds this benchmark; reusing it '
              '(--exist-ok)')
        return
    summary = generate_synthetic_benchmark(
        args.out,
        num_classes=args.num_classes,
        num_videos=dict(zip(('train', 'val', 'test'), args.num_videos)),
        feat_dim=args.feat_dim,
        duration_range=tuple(args.duration_range),
        fps=args.fps,
        frames_per_snippet=args.frames_per_snippet,
        num_segments=args.num_segments,
        seed=args.seed,
        layout=args.layout,
        gt_file=args.gt_file,
        click_file=args.click_file,
        subsets_from_gt=_subsets(args.subsets),
        max_videos_per_subset=args.max_videos,
        train_subset=args.train_subset,
        inside_noise=args.inside_noise,
        action_outside_noise=args.action_outside_noise,
        overwrite=args.overwrite)
    videos = ', '.join(f'{k}: {v}' for k, v in summary['num_videos'].items())
    clicks = ', '.join(f'{k}: {v}' for k, v in summary['num_clicks'].items())
    ext = 'npy' if summary['layout'] == 'npy' else 'npz'
    print(f"wrote {summary['gt_file']} ({summary['num_classes']} classes; "
          f'videos {videos})')
    print(f"wrote {summary['click_file']} (clicks per annotator: "
          f"{clicks or 'none'}; train subset '{summary['train_subset']}')")
    with open(os.path.join(args.out, STAMP), 'w') as f:
        json.dump(_content_args(args), f, indent=1)
    print(f"wrote {sum(summary['num_videos'].values())} feature files "
          f"{summary['feature_dir']}/<video>.{ext} (D={summary['feat_dim']}, "
          f"{summary['num_snippets']} snippets in total)")


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except (ValueError, OSError) as e:
        # Bad input is reported in one line naming the file/video/field.
        sys.exit(f'error: {e}')


if __name__ == '__main__':
    main()
