"""Pseudo-segments for stage 2 written to a file: the function behind
``tools/pseudo_labels.py``.

The rules (video labels, relative score threshold, top-k, same-class NMS,
action clicks covered, cut at background clicks, soft weights) are those of
:mod:`backtal_mmaction.apis.pseudo_labels`; the output reads with
``ClickTALDataset`` unchanged (point a stage-2 config's training
``ann_file`` at it).
"""
import json
import os.path as osp
from typing import Callable, Optional, Sequence

__all__ = ['write_pseudo_gt']


def write_pseudo_gt(config: str,
                    checkpoint: str,
                    out: str,
                    rel_score_thr: float = 0.5,
                    topk: int = 10,
                    nms_thr: float = 0.3,
                    min_length: float = 0.0,
                    click_segment_length: float = 2.0,
                    click_weight: float = 1.0,
                    instance_seeds: bool = False,
                    label_click_types: Optional[Sequence[str]] = None,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None,
                    overwrite: bool = False,
                    log: Callable[[str], None] = print) -> dict:
    """Run a trained model on its own training videos and write its
    click-checked detections as an ActivityNet-style GT JSON:
    ``tools/pseudo_labels.py``.

    Args:
        config (str): The trained model's config file.
        checkpoint (str): Its checkpoint.
        out (str): ``--out``: pseudo-GT JSON to write (atomically).
        rel_score_thr, topk, nms_thr, min_length, click_segment_length,
        click_weight, instance_seeds: the
            :class:`~backtal_mmaction.apis.PseudoLabelRules` (seconds for
            the lengths).
        label_click_types (Sequence[str], optional): Click kinds the
            labelling reads (all annotators merged); default: those of the
            config's training dataset.
        device (str): ``--device``.
        cfg_options (dict, optional): parsed ``--cfg-options``, merged into
            the config as given (no key check: a pseudo-labelling run may
            add settings).
        overwrite (bool): ``--overwrite``: replace ``out`` if it exists.
        log (callable): receives the summary line and, where the training
            GT has segments, the pseudo-label quality (default: ``print``).

    Returns:
        dict: the pseudo-GT written (``database``, ``classes``,
        ``pseudo_labels`` summary with ``segments`` / ``videos`` counts).

    Raises:
        FileExistsError: ``out`` exists and not ``overwrite``.
        FileNotFoundError: the config or the checkpoint does not exist.
        ValueError: rules out of range.
    """
    if osp.exists(out) and not overwrite:
        raise FileExistsError(f'{out} exists; pass --overwrite to '
                              'replace it')
    for what, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} not found: {path}')
    from mmengine.config import Config

    from ..utils import atomic_write
    from .inference import training_videos_dataset_cfg
    from .pseudo_labels import PseudoLabelRules, generate_pseudo_gt
    from .two_stage import log_pseudo_label_quality
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    rules = PseudoLabelRules(
        rel_score_thr=rel_score_thr, topk=topk, nms_thr=nms_thr,
        min_length=min_length, click_segment_length=click_segment_length,
        click_weight=click_weight, instance_seeds=instance_seeds)
    videos = training_videos_dataset_cfg(cfg)
    if label_click_types:
        videos.update(click_types=tuple(label_click_types),
                      click_annotators=None, annotator_mode='merge')
    gt = generate_pseudo_gt(cfg, checkpoint, rules, device,
                            dataset_cfg=videos)
    atomic_write(out, json.dumps(gt))
    info = gt['pseudo_labels']
    log(f'{info["segments"]} pseudo-segments on {info["videos"]} videos '
        f'written to {out}')
    log_pseudo_label_quality(gt, videos, log)
    return gt
