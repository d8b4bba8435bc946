"""Draw the CAS figure of test videos with a trained checkpoint.

    python tools/visualize_cas.py CONFIG CHECKPOINT --out-dir DIR \
        [--videos v1 v2 | --num N] [--split test|val|train] \
        [--overwrite] [--cfg-options ...]

One PNG per video (``DIR/<video>.png``): the suppressed CAS of the GT and
predicted classes, the foreground-filter weights (and feature magnitude),
the GT segments, the clicks by annotator (when the split's dataset has a
``click_file``; ``--split train`` uses the training videos and clicks with
the test pipeline) and the final detections; x axis in seconds.

Existing PNGs are never replaced without ``--overwrite`` (checked before
the model runs).

The same figures can be drawn during ``tools/test.py`` with ``--vis-cas N``
(``CASVisualizationHook``).
"""
import argparse
import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.config import Config

from backtal_mmaction.engine.cli import CfgOptionsAction, run_cli
from backtal_mmaction.engine.config_check import check_cfg_options
from backtal_mmaction.engine.runner_utils import build_model_from_checkpoint


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Per-video CAS figures')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out-dir', required=True,
                        help='write <video>.png here')
    parser.add_argument('--videos', nargs='+', help='video names to draw')
    parser.add_argument('--num', type=int, default=8,
                        help='without --videos: the first N videos (8)')
    parser.add_argument('--split', default='test',
                        choices=['test', 'val', 'train'],
                        help='dataset of the config to take videos from')
    parser.add_argument('--max-classes', type=int, default=5)
    parser.add_argument('--max-detections', type=int, default=30)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing PNGs in --out-dir')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    parser.add_argument('--cfg-options-allow-new', action='store_true')
    return parser.parse_args(argv)


def build_split_dataset(cfg, split: str):
    """The dataset of ``split`` with the *test* pipeline (no resampling)."""
    from mmaction.registry import DATASETS
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    ds_cfg = loader.dataset.copy()
    ds_cfg.pipeline = cfg.test_dataloader.dataset.pipeline
    ds_cfg.test_mode = True
    return DATASETS.build(ds_cfg)


def select_indices(names: List[str], videos: Optional[Sequence[str]],
                   num: int) -> List[int]:
    if videos:
        index = {n: i for i, n in enumerate(names)}
        unknown = [v for v in videos if v not in index]
        if unknown:
            raise ValueError(f'video(s) {unknown[:5]} are not in the split '
                             f'({len(names)} videos, e.g. {names[:3]})')
        return [index[v] for v in videos]
    if num < 1:
        raise ValueError(f'--num must be >= 1, got {num}')
    return list(range(min(num, len(names))))


def main(argv: Optional[Sequence[str]] = None) -> List[str]:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        check_cfg_options(cfg, args.cfg_options,
                          allow_new=args.cfg_options_allow_new)
        cfg.merge_from_dict(args.cfg_options)
    from mmengine.dataset import BaseDataset, pseudo_collate

    from backtal_mmaction.engine.hooks.cas_visualization_hook import \
        safe_file_stem
    from backtal_mmaction.visualization import (cas_plot_inputs,
                                                render_cas_figure,
                                                save_rgb_png)
    dataset = build_split_dataset(cfg, args.split)
    names = [
        str(BaseDataset.get_data_info(dataset, i)['video_name'])
        for i in range(len(dataset))
    ]
    classes = list(dataset.metainfo['classes'])
    indices = select_indices(names, args.videos, args.num)
    paths = {
        idx: osp.join(args.out_dir, f'{safe_file_stem(names[idx])}.png')
        for idx in indices
    }
    if osp.exists(args.out_dir) and not osp.isdir(args.out_dir):
        raise NotADirectoryError(f'--out-dir {args.out_dir} is a file')
    existing = [p for p in paths.values() if osp.exists(p)]
    if existing and not args.overwrite:
        raise FileExistsError(
            f'{len(existing)} figure(s) already exist, e.g. {existing[:3]}; '
            'pass --overwrite to replace them or choose another --out-dir')
    model = build_model_from_checkpoint(cfg, args.checkpoint, args.device)
    model.keep_raw_outputs = True
    os.makedirs(args.out_dir, exist_ok=True)
    written = []
    for idx in indices:
        sample = model.test_step(pseudo_collate([dataset[idx]]))[0]
        image = render_cas_figure(
            class_names=classes, max_classes=args.max_classes,
            max_detections=args.max_detections, **cas_plot_inputs(sample))
        path = paths[idx]
        written.append(save_rgb_png(image, path))
        print(path)
    return written


if __name__ == '__main__':
    run_cli(main)
