"""Detect actions in new videos from their pre-extracted features.

    python tools/infer.py CONFIG CHECKPOINT FEATURES... --out detections.json \
        [--fps 30] [--duration S] [--topk N] [--score-thr X] \
        [--feature-layout auto|official|array] [--axis TC|CT] [--overwrite]

FEATURES are ``.npy`` / ``.npz`` files (or directories of them), one per
video, named after the video. Official BackTAL test ``.npz`` files carry
``frame_num`` / ``fps`` / ``duration``; for other files give ``--fps`` and
``--duration`` (one video), or only ``--fps``: the duration is then
derived as ``T * --snippet-frames / fps`` (with a warning; exact only when
the features cover the whole video in non-overlapping snippets).

Writes an ActivityNet result JSON (``{"results": {video: [{"label",
"segment", "score"}]}}``), never overwriting an existing file unless
``--overwrite``. The class names come from ``--classes`` (a text file, one
name per line), else from the config's test dataset (``classes`` or its GT
file's class list).
"""
import argparse
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

# CPU: back tensors of 2 MiB and more with transparent huge pages; a fresh
# ~100 MB activation is otherwise page-faulted in 4 KiB pages (40-60x more
# minor faults; docs/benchmark.md: a 5-31% faster CPU training step, same
# peak memory). PyTorch reads the variable once, at its first CPU
# allocation, so it is set before any import that could allocate.
# THP_MEM_ALLOC_ENABLE=0 in the environment opts out; CUDA is unaffected.
if 'THP_MEM_ALLOC_ENABLE' not in os.environ:
    os.environ['THP_MEM_ALLOC_ENABLE'] = '1'

import numpy as np
import torch
from mmengine.config import Config

from backtal_mmaction.engine.cli import CfgOptionsAction, run_cli
from backtal_mmaction.engine.config_check import check_cfg_options
from backtal_mmaction.engine.runner_utils import (build_model_from_checkpoint,
                                                  check_output_file)
from backtal_mmaction.evaluation.functional.detection_map import \
    dump_activitynet_results

FEATURE_EXTS = ('.npy', '.npz')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Temporal action detection on new videos')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('features', nargs='+',
                        help='.npy/.npz feature files or directories')
    parser.add_argument('--out', required=True,
                        help='ActivityNet result JSON to write')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace --out if it exists')
    parser.add_argument('--fps', type=float,
                        help='frame rate of the videos (if the files lack it)')
    parser.add_argument('--duration', type=float,
                        help='duration in seconds (a single video only)')
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
    parser.add_argument('--classes', help='text file, one class name per line')
    parser.add_argument('--device', default='cpu',
                        help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override config settings (existing keys)')
    parser.add_argument('--cfg-options-allow-new', action='store_true')
    return parser.parse_args(argv)


def collect_feature_files(paths: Sequence[str]) -> List[str]:
    """Expand directories; check every file exists and has a known suffix."""
    files = []
    for path in paths:
        if osp.isdir(path):
            found = sorted(
                osp.join(path, f) for f in os.listdir(path)
                if f.endswith(FEATURE_EXTS))
            if not found:
                raise FileNotFoundError(f'{path}: no .npy/.npz files in it')
            files += found
        elif not osp.isfile(path):
            raise FileNotFoundError(f'feature file not found: {path}')
        elif not path.endswith(FEATURE_EXTS):
            raise ValueError(f'{path}: expected a .npy or .npz feature file')
        else:
            files.append(path)
    names = [osp.splitext(osp.basename(f))[0] for f in files]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f'several feature files for video(s) {dups[:5]}: '
                         'video names come from file names and must be '
                         'unique')
    return files


def _config_feat_dim(cfg) -> Optional[int]:
    for part in ('backbone', 'embedding', 'fg_filter'):
        dim = (cfg.model.get(part) or {}).get('in_channels')
        if dim is not None:
            return int(dim)
    return None


def resolve_class_names(cfg, classes_file: Optional[str]) -> List[str]:
    """``--classes`` file, else the test dataset's classes / GT classes."""
    if classes_file:
        if not osp.isfile(classes_file):
            raise FileNotFoundError(f'--classes file not found: '
                                    f'{classes_file}')
        with open(classes_file, encoding='utf-8') as f:
            names = [line.strip() for line in f if line.strip()]
        if not names:
            raise ValueError(f'{classes_file}: no class names in it')
        return names
    dataset = cfg.test_dataloader.dataset
    if dataset.get('classes'):
        return [str(c) for c in dataset.classes]
    ann_file = dataset.get('ann_file')
    if not ann_file or not osp.isfile(ann_file):
        raise FileNotFoundError(
            'cannot find the class names: the config\'s test dataset has no '
            f'`classes` and its ann_file {ann_file!r} is missing; pass '
            '--classes FILE (one name per line, in training order)')
    from backtal_mmaction.datasets.gt_io import (class_names_from_gt,
                                                 load_gt_database)
    return [str(c) for c in class_names_from_gt(load_gt_database(ann_file))]


def video_timing(results: dict, path: str, args, num_snippets: int) -> tuple:
    """``(num_frames, duration, fps)`` of one video, from the file (official
    layout) or the command line."""
    fps = results.get('fps') or args.fps
    duration = results.get('duration') or args.duration
    num_frames = results.get('num_frames')
    if duration is None:
        if not fps:
            raise ValueError(
                f'{path}: the file carries no fps/duration; pass --fps (and '
                '--duration for a single video)')
        duration = num_snippets * args.snippet_frames / fps
        warnings.warn(
            f'{path}: no duration given, assuming T * {args.snippet_frames} '
            f'/ fps = {duration:.2f} s ({num_snippets} snippets); pass '
            '--duration if the features do not cover the video exactly')
    if num_frames is None:
        if not fps:
            raise ValueError(f'{path}: cannot derive the frame count without '
                             '--fps')
        num_frames = int(round(float(duration) * float(fps)))
    if not (float(duration) > 0 and int(num_frames) >= 1):
        raise ValueError(f'{path}: invalid duration {duration} / frame count '
                         f'{num_frames}')
    return int(num_frames), float(duration), (float(fps) if fps else None)


def filter_detections(det: Dict[str, np.ndarray], topk: Optional[int],
                      score_thr: Optional[float]) -> Dict[str, np.ndarray]:
    """Score threshold, then the ``topk`` best (descending score)."""
    order = np.argsort(-det['scores'], kind='stable')
    if score_thr is not None:
        order = order[det['scores'][order] >= score_thr]
    if topk is not None:
        order = order[:topk]
    return {k: v[order] for k, v in det.items()}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    if args.topk is not None and args.topk < 1:
        raise ValueError(f'--topk must be >= 1, got {args.topk}')
    check_output_file(args.out, '--out', overwrite=args.overwrite)
    files = collect_feature_files(args.features)
    if args.duration is not None and len(files) != 1:
        raise ValueError('--duration applies to a single video; got '
                         f'{len(files)} feature files')

    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options,
                          allow_new=args.cfg_options_allow_new)
        cfg.merge_from_dict(args.cfg_options)
    from mmaction.registry import TRANSFORMS
    from mmaction.structures import ActionDataSample
    class_names = resolve_class_names(cfg, args.classes)
    model = build_model_from_checkpoint(cfg, args.checkpoint, args.device)
    if model.num_classes != len(class_names):
        raise ValueError(f'{len(class_names)} class names but the model has '
                         f'{model.num_classes} classes')

    loader = TRANSFORMS.build(
        dict(type='LoadSnippetFeature', layout=args.feature_layout,
             axis=args.axis, feat_dim=_config_feat_dim(cfg),
             array_key=args.array_key, load_point_label=False))
    predictions = {}
    for path in files:
        name = osp.splitext(osp.basename(path))[0]
        results = loader(dict(feature_path=path, video_name=name))
        num_frames, duration, fps = video_timing(results, path, args,
                                                 results['num_snippets'])
        sample = ActionDataSample()
        sample.set_metainfo(dict(video_name=name, duration=duration,
                                 num_frames=num_frames, fps=fps))
        data = dict(inputs=[torch.from_numpy(results['features'])],
                    data_samples=[sample])
        with torch.no_grad():
            out = model.test_step(data)[0]
        pred = out.pred_instances
        det = dict(segments=pred.segments.cpu().numpy().reshape(-1, 2),
                   scores=pred.scores.cpu().numpy(),
                   labels=pred.labels.cpu().numpy())
        predictions[name] = filter_detections(det, args.topk, args.score_thr)
    dump_activitynet_results(predictions, class_names, args.out,
                             overwrite=args.overwrite)
    total = sum(len(p['scores']) for p in predictions.values())
    print(f'wrote {total} detections of {len(predictions)} video(s) to '
          f'{args.out}')
    return predictions


if __name__ == '__main__':
    run_cli(main)
