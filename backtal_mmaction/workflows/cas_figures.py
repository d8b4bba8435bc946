"""CAS figures of a split's videos with a trained checkpoint: the function
behind ``tools/visualize_cas.py``.

One PNG per video (``OUT_DIR/<video>.png``): the suppressed CAS of the GT
and predicted classes, the foreground-filter weights (and feature
magnitude), the GT segments, the clicks by annotator (when the split's
dataset has a ``click_file``) and the final detections; x axis in seconds.
Existing PNGs are never replaced without ``overwrite`` (checked before the
model runs).
"""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine.config import Config
from mmengine.dataset import BaseDataset, pseudo_collate

from ..apis.inference import build_dataset, split_as_test_dataset_cfg
from ..cli.config import load_config
from ..cli.runner import build_model_from_checkpoint
from ..engine.hooks.cas_visualization_hook import safe_file_stem
from ..visualization import cas_plot_inputs, render_cas_figure, save_rgb_png
from ..utils import check_count

__all__ = ['build_split_dataset', 'select_indices', 'draw_cas_figures']


def build_split_dataset(cfg: Config, split: str):
    """The dataset of ``split`` (``'test'`` / ``'val'`` / ``'train'``) with
    the *test* pipeline (no resampling) in test mode.

    Raises:
        ValueError: the config has no ``<split>_dataloader``.
    """
    return build_dataset(split_as_test_dataset_cfg(cfg, split))


def select_indices(names: List[str], videos: Optional[Sequence[str]],
                   num: int) -> List[int]:
    """Dataset indices of ``videos`` (in that order), else of the first
    ``num`` videos.

    Raises:
        ValueError: a name is not in ``names``, or ``num < 1``.
    """
    if videos:
        index = {n: i for i, n in enumerate(names)}
        unknown = [v for v in videos if v not in index]
        if unknown:
            raise ValueError(f'video(s) {unknown[:5]} are not in the split '
                             f'({len(names)} videos, e.g. {names[:3]})')
        return [index[v] for v in videos]
    if num < 1:
        raise ValueError(f'`num` must be >= 1, got {num}')
    return list(range(min(num, len(names))))


def draw_cas_figures(config: Union[str, Config],
                  checkpoint: str,
                  out_dir: str,
                  videos: Optional[Sequence[str]] = None,
                  num: int = 8,
                  split: str = 'test',
                  max_classes: int = 5,
                  max_detections: int = 30,
                  device: str = 'cpu',
                  overwrite: bool = False,
                  cfg_options: Optional[dict] = None,
                  cfg_options_allow_new: bool = False,
                  log=print) -> List[str]:
    """Draw the CAS figure of each selected video: ``tools/visualize_cas.py``.

    Args:
        config (str | Config): Config file (or loaded config, copied).
        checkpoint (str): Its checkpoint (must match the model).
        out_dir (str): ``--out-dir``: write ``<video>.png`` here.
        videos (sequence of str, optional): ``--videos`` to draw.
        num (int): ``--num``: without ``videos``, the first N videos.
        split (str): ``--split``: test / val / train dataset of the config.
        max_classes (int): ``--max-classes`` drawn per figure.
        max_detections (int): ``--max-detections`` drawn per figure.
        device (str): ``--device``.
        overwrite (bool): ``--overwrite``: replace existing PNGs.
        cfg_options (dict, optional): parsed ``--cfg-options``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        log (callable): receives each written path (default: ``print``).

    Returns:
        list[str]: the PNG paths written, in drawing order.
    """
    # before the dataset and model are built (each figure checks them too)
    check_count('max_classes', max_classes)
    check_count('max_detections', max_detections, minimum=0)
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    dataset = build_split_dataset(cfg, split)
    names = [
        str(BaseDataset.get_data_info(dataset, i)['video_name'])
        for i in range(len(dataset))
    ]
    classes = list(dataset.metainfo['classes'])
    indices = select_indices(names, videos, num)
    paths = {
        idx: osp.join(out_dir, f'{safe_file_stem(names[idx])}.png')
        for idx in indices
    }
    if osp.exists(out_dir) and not osp.isdir(out_dir):
        raise NotADirectoryError(f'`out_dir` {out_dir} is a file')
    existing = [p for p in paths.values() if osp.exists(p)]
    if existing and not overwrite:
        raise FileExistsError(
            f'{len(existing)} figure(s) already exist, e.g. {existing[:3]}; '
            'pass `overwrite` to replace them or choose another `out_dir`')
    model = build_model_from_checkpoint(cfg, checkpoint, device)
    model.keep_raw_outputs = True
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for idx in indices:
        sample = model.test_step(pseudo_collate([dataset[idx]]))[0]
        image = render_cas_figure(
            class_names=classes, max_classes=max_classes,
            max_detections=max_detections, **cas_plot_inputs(sample))
        path = paths[idx]
        written.append(save_rgb_png(image, path))
        log(path)
    return written
