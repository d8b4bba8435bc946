"""Extract snippet features of raw videos with an MMAction2 recognizer.

    python tools/data/extract_features.py CONFIG --checkpoint CKPT \
        VIDEO_OR_FOLDER... --out-dir FEATURES [--layout npy|official] \
        [--snippet-len 16] [--stride 16] [--batch-size 8] [--device cuda:0] \
        [--flow-config FCFG --flow-checkpoint FCKPT --flow-frames-dir DIR] \
        [--list videos.txt] [--overwrite]

Writes ``FEATURES/<video stem>.npy`` ((T, C), RGB then flow channels) or,
with ``--layout official``, the BackTAL release's ``.npz`` (``feat_spa`` /
``feat_tem`` (C, T), ``fps``, ``duration``, ``frame_num``; needs the flow
stream). Videos already extracted are skipped (resumable); ``--overwrite``
redoes them. A video that cannot be read is named and the others go on; the
exit status is then 1. See docs/data_formats.md for the I3D command.
"""
import argparse
import sys

from backtal_mmaction.cli.errors import run_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Snippet features of raw videos from an MMAction2 '
        'recognizer (its test pipeline and backbone; outputs averaged over '
        'time and space per snippet).')
    parser.add_argument('config', help='recognizer config (RGB stream)')
    parser.add_argument('inputs', nargs='*',
                        help='video files and/or folders of videos')
    parser.add_argument('--checkpoint', help='recognizer weights (path or '
                        'URL); without it the weights are random (tests)')
    # dest = the library keyword, so its messages name the flag
    parser.add_argument('--list', dest='list_file', help='text file, one '
                        'video path per line (relative paths: to the list '
                        'file)')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--layout', default='npy', choices=['npy',
                                                            'official'])
    parser.add_argument('--snippet-len', type=int, default=16)
    parser.add_argument('--stride', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=8,
                        help='snippets per forward pass (default 8)')
    parser.add_argument('--device', help='default: cuda:0 if available, '
                        'else cpu')
    parser.add_argument('--fps', type=float, help='frame rate for videos '
                        'whose container reports none (official layout)')
    parser.add_argument('--flow-config', help='flow recognizer config '
                        "(RawFrameDecode, modality='Flow')")
    parser.add_argument('--flow-checkpoint', help='flow recognizer weights')
    parser.add_argument('--flow-frames-dir', help='folder of '
                        '<video stem>/flow_x_00001.jpg, flow_y_00001.jpg...')
    parser.add_argument('--flow-tmpl', default='flow_{}_{:05d}.jpg',
                        help='flow file names ({} = x / y)')
    parser.add_argument('--flow-start-index', type=int, default=1)
    parser.add_argument('--overwrite', action='store_true',
                        help='re-extract videos whose output exists')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    # Intermixed: videos may follow options (CONFIG --checkpoint X VIDEOS).
    args = parser.parse_intermixed_args(argv)
    if (args.flow_config is None) != (args.flow_frames_dir is None):
        parser.error('the flow stream needs both --flow-config and '
                     '--flow-frames-dir')
    if args.layout == 'official' and args.flow_config is None:
        parser.error('--layout official stores RGB and flow (feat_spa / '
                     'feat_tem): give --flow-config and --flow-frames-dir, '
                     'or use --layout npy')
    if not args.inputs and not args.list_file:
        parser.error('give video files / folders or --list')
    return args


def main(argv=None):
    """Extract; exit status 1 if a video failed or on bad input (one
    ``error: ...`` line)."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.apis.feature_extraction import \
        extract_features_with_recognizers

    def run(_):
        if args.checkpoint is None:
            print('warning: no --checkpoint: random weights, the features '
                  'are meaningless (for tests only)', file=sys.stderr)
        summary = extract_features_with_recognizers(
            args.inputs, args.out_dir, args.config,
            checkpoint=args.checkpoint, flow_config=args.flow_config,
            flow_checkpoint=args.flow_checkpoint, device=args.device,
            list_file=args.list_file, layout=args.layout,
            flow_frames_dir=args.flow_frames_dir, flow_tmpl=args.flow_tmpl,
            flow_start_index=args.flow_start_index, fps=args.fps,
            overwrite=args.overwrite, snippet_len=args.snippet_len,
            stride=args.stride, batch_size=args.batch_size)
        print(f"{args.out_dir}: {len(summary['written'])} written, "
              f"{len(summary['skipped'])} skipped, "
              f"{len(summary['failed'])} failed (skipped = already "
              'extracted; --overwrite redoes them)')
        for _video, message in summary['failed']:
            print(f'error: {message}', file=sys.stderr)
        return 1 if summary['failed'] else 0

    # OSError too (an unreadable --list, --out-dir a file), as before
    # run_cli.
    sys.exit(run_cli(run, errors=(ValueError, OSError), parser=parser))


if __name__ == '__main__':
    main()
