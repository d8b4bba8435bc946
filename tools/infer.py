"""Detect actions in new videos from their pre-extracted features.

    python tools/infer.py CONFIG CHECKPOINT FEATURES... --out detections.json \
        [--fps 30] [--duration S] [--topk N] [--score-thr X] \
        [--feature-layout auto|official|array] [--axis TC|CT] [--overwrite]

FEATURES are ``.npy`` / ``.npz`` files (or directories of them), one per
video, named after the video. Official BackTAL test ``.npz`` files carry
``frame_num`` / ``fps`` / ``duration``; for other files give ``--fps`` and
``--duration`` (one video), or only ``--fps``: the duration is then
derived as ``T * --snippet-frames / fps`` (with a warning; exact only when
the features cover the whole video in non-overlapping snippets). A
``--duration`` far from that (more than one snippet plus 10 %) warns.
Numbers and ``--device`` are checked before the model loads.

Writes an ActivityNet result JSON (``{"results": {video: [{"label",
"segment", "score"}]}}``), never overwriting an existing file unless
``--overwrite``, and never one the run reads (config, checkpoint, feature
files, ``--classes``, the config's GT file) even with it. The class names
come from ``--classes`` (a text file, one name per line), else from the
config's test dataset (``classes`` or its GT file's class list).
"""
import argparse
from typing import Optional, Sequence

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)
from backtal_mmaction.utils.setup_env import enable_cpu_huge_pages

# huge pages for large CPU tensors: set before anything imports torch
enable_cpu_huge_pages()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Temporal action detection on new videos')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('features', nargs='+',
                        help='.npy/.npz/.csv feature files or directories')
    parser.add_argument('--out', required=True,
                        help='ActivityNet result JSON to write')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace --out if it exists')
    parser.add_argument('--fps', type=float,
                        help='frame rate of the videos (if the files lack it)')
    parser.add_argument('--duration', type=float,
                        help='duration in seconds (a single video only)')
    parser.add_argument(
        '--video-info', metavar='JSON',
        help="every video's duration and fps from a GT / annotation file "
        "(ActivityNet layout, or MMAction2's anet_anno_*.json, whose "
        'feature_frame gives the span the features cover); for features '
        'resampled to a fixed length, e.g. ActivityNet\'s 100 rows')
    parser.add_argument('--snippet-frames', type=int, default=16,
                        help='frames per feature snippet, to derive the '
                        'duration from --fps (default 16, I3D)')
    parser.add_argument('--topk', type=int,
                        help='keep the N best detections per video')
    parser.add_argument('--score-thr', type=float, default=None,
                        help='drop detections scoring below this')
    parser.add_argument('--feature-layout', default='auto',
                        choices=['auto', 'official', 'array'])
    parser.add_argument('--axis', default='TC', choices=['TC', 'CT'],
                        help='array layout: time first (TC) or channels '
                        'first (CT)')
    parser.add_argument('--array-key',
                        help='array name inside plain .npz files')
    parser.add_argument('--classes',
                        help='class list: a text file, one name per line, '
                        'or a GT JSON (default: the config\'s)')
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda, cuda:1, ...')
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


def main(argv: Optional[Sequence[str]] = None) -> dict:
    """Parse ``argv``, detect and write the result JSON
    (:func:`backtal_mmaction.apis.localize_feature_files`) under the tools'
    one-line error style; returns ``{video: detections}``."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.apis import localize_feature_files
    return run_cli(lambda _: localize_feature_files(
        args.config, args.checkpoint, args.features, args.out,
        overwrite=args.overwrite, fps=args.fps, duration=args.duration,
        snippet_frames=args.snippet_frames, topk=args.topk,
        score_thr=args.score_thr, feature_layout=args.feature_layout,
        axis=args.axis, array_key=args.array_key, classes=args.classes,
        device=args.device, cfg_options=args.cfg_options,
        cfg_options_allow_new=args.cfg_options_allow_new,
        video_info=args.video_info), parser=parser)


if __name__ == '__main__':
    main()
