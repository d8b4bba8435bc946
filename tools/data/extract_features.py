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
import os
import os.path as osp
import sys

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Snippet features of raw videos from an MMAction2 '
        'recognizer (its test pipeline and backbone; outputs averaged over '
        'time and space per snippet).')
    parser.add_argument('config', help='recognizer config (RGB stream)')
    parser.add_argument('inputs', nargs='*',
                        help='video files and/or folders of videos')
    parser.add_argument('--checkpoint', help='recognizer weights (path or '
                        'URL); without it the weights are random (tests)')
    parser.add_argument('--list', help='text file, one video path per line '
                        '(relative paths: to the list file)')
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
    # Intermixed: videos may follow options (CONFIG --checkpoint X VIDEOS).
    args = parser.parse_intermixed_args(argv)
    if (args.flow_config is None) != (args.flow_frames_dir is None):
        parser.error('the flow stream needs both --flow-config and '
                     '--flow-frames-dir')
    if args.layout == 'official' and args.flow_config is None:
        parser.error('--layout official stores RGB and flow (feat_spa / '
                     'feat_tem): give --flow-config and --flow-frames-dir, '
                     'or use --layout npy')
    if not args.inputs and not args.list:
        parser.error('give video files / folders or --list')
    return args


def collect_videos(inputs, list_file=None):
    """Video paths from files, folders (sorted, by extension) and a list."""
    videos = []
    for item in inputs:
        if osp.isdir(item):
            videos += sorted(
                osp.join(item, n) for n in os.listdir(item)
                if n.lower().endswith(VIDEO_EXTENSIONS)
                and not n.startswith('.'))
        else:
            videos.append(item)
    if list_file:
        root = osp.dirname(osp.abspath(list_file))
        with open(list_file, encoding='utf-8') as f:
            videos += [osp.join(root, line.strip()) for line in f
                       if line.strip()]
    return videos


def run(args):
    videos = collect_videos(args.inputs, args.list)
    if not videos:
        raise ValueError(f'no video found in {args.inputs} (extensions '
                         f'{VIDEO_EXTENSIONS})')
    import torch
    from mmaction.apis import init_recognizer

    from backtal_mmaction.apis.feature_extraction import \
        extract_features_to_dir
    device = args.device or ('cuda:0' if torch.cuda.is_available() else
                             'cpu')
    if args.checkpoint is None:
        print('warning: no --checkpoint: random weights, the features are '
              'meaningless (for tests only)', file=sys.stderr)
    model = init_recognizer(args.config, args.checkpoint, device=device)
    flow_model = None
    if args.flow_config:
        flow_model = init_recognizer(args.flow_config, args.flow_checkpoint,
                                     device=device)
    summary = extract_features_to_dir(
        videos, args.out_dir, model, layout=args.layout,
        flow_model=flow_model, flow_frames_dir=args.flow_frames_dir,
        flow_tmpl=args.flow_tmpl, flow_start_index=args.flow_start_index,
        fps=args.fps, overwrite=args.overwrite, snippet_len=args.snippet_len,
        stride=args.stride, batch_size=args.batch_size)
    print(f"{args.out_dir}: {len(summary['written'])} written, "
          f"{len(summary['skipped'])} skipped, {len(summary['failed'])} "
          'failed (skipped = already extracted; --overwrite redoes them)')
    for video, message in summary['failed']:
        print(f'error: {message}', file=sys.stderr)
    return 1 if summary['failed'] else 0


def main(argv=None):
    args = parse_args(argv)
    try:
        code = run(args)
    except (ValueError, OSError) as e:
        sys.exit(f'error: {e}')
    sys.exit(code)


if __name__ == '__main__':
    main()
