"""Inference entry points: build a localizer from a config + checkpoint and
run it over a dataset (MMAction2's ``mmaction.apis`` shape)."""
import copy
from typing import Iterator, Optional, Union

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

__all__ = ['init_localizer', 'split_as_test_dataset_cfg',
           'training_videos_dataset_cfg', 'build_dataset', 'predict_dataset']


def init_localizer(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None):
    """Build the config's model, load ``checkpoint`` (safe loader, strict,
    mismatches named) and put it in eval mode on ``device``.

    Returns:
        nn.Module: the model, with the config as ``model.cfg``.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if checkpoint is None:
        from mmaction.registry import MODELS
        model = MODELS.build(cfg.model).to(device).eval()
    else:
        from ..cli.runner import build_model_from_checkpoint
        model = build_model_from_checkpoint(cfg, checkpoint, device)
    model.cfg = cfg
    return model


def split_as_test_dataset_cfg(cfg: Config, split: str) -> dict:
    """The dataset of ``split`` (``'train'`` / ``'val'`` / ``'test'``) as a
    *test* dataset: its GT, subset and clicks, read through the test
    pipeline (each video whole, at its own length) in test mode.

    Raises:
        ValueError: the config has no ``<split>_dataloader``.
    """
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    dataset = copy.deepcopy(loader.dataset)
    dataset['pipeline'] = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    dataset['test_mode'] = True
    return dataset


def training_videos_dataset_cfg(cfg: Config) -> dict:
    """The training split as a *test* dataset
    (:func:`split_as_test_dataset_cfg`), so a trained model can label its
    own training videos."""
    return split_as_test_dataset_cfg(cfg, 'train')


def build_dataset(dataset_cfg: dict):
    """``DATASETS.build`` in MMAction2's scope."""
    from mmaction.registry import DATASETS
    init_default_scope('mmaction')
    return DATASETS.build(dataset_cfg)


def predict_dataset(model, dataset) -> Iterator:
    """Run ``model`` on every video of a dataset (object or config), one
    video at a time, as the test loop does.

    Yields:
        ActionDataSample: with ``pred_instances`` (``segments`` ``(K, 2)``
        seconds, ``scores``, ``labels``) and the GT / click metainfo.
    """
    if isinstance(dataset, dict):
        dataset = build_dataset(dataset)
    with torch.no_grad():
        for idx in range(len(dataset)):
            yield from model.test_step(pseudo_collate([dataset[idx]]))
