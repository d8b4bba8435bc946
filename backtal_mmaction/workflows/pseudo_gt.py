"""Pseudo-GT files from a trained model: it labels its own training videos
(:func:`predict_training_videos`, one record per video), the rules of
:mod:`backtal_mmaction.pseudo_labels` turn its detections into segments
(:func:`generate_pseudo_gt`) and :func:`write_pseudo_gt` writes them as an
ActivityNet-style GT JSON (behind ``tools/pseudo_labels.py``), which
``ClickTALDataset`` reads unchanged (point a stage-2 config's training
``ann_file`` at it).
"""
import json
import os.path as osp
from typing import Callable, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from ..apis.inference import (build_dataset, init_localizer, predict_dataset,
                              training_videos_dataset_cfg)
from ..cli.config import load_config
from ..datasets.config_utils import config_input_files
from ..datasets.gt_io import load_gt
from ..evaluation.functional.pseudo_label_quality import (
    format_pseudo_label_quality, pseudo_label_quality)
from ..pseudo_labels import (PseudoLabelRules, build_pseudo_gt,
                             softmax_class_curves)
from ..utils import CLICK_TYPES, atomic_write, check_output_path, to_numpy

__all__ = ['sample_record', 'predict_training_videos', 'generate_pseudo_gt',
           'write_pseudo_gt', 'log_pseudo_label_quality',
           'check_label_clicks', 'pseudo_gt_from_records']

def check_label_clicks(rules: PseudoLabelRules, dataset_cfg: dict,
                       hint: str = 'add `label_click_types` background '
                       'action') -> None:
    """Refuse ``instance_seeds`` when the labelling dataset reads no action
    clicks (rule 7 would never run and the output would equal a run without
    it), before any model runs.

    Args:
        rules (PseudoLabelRules): The labelling rules.
        dataset_cfg (dict): The labelling dataset (``click_file``,
            ``click_types``: default both kinds, as ``ClickTALDataset``).
        hint (str): How to make it read action clicks (the caller's
            setting), for the message.

    Raises:
        ValueError: ``rules.instance_seeds`` and no action click is read.
    """
    if not rules.instance_seeds:
        return
    if not dataset_cfg.get('click_file'):
        raise ValueError('`instance_seeds` needs action clicks; the '
                         'labelling dataset reads no click file '
                         '(its `click_file` is not set)')
    types = dataset_cfg.get('click_types', CLICK_TYPES)
    types = [types] if isinstance(types, str) else list(types)
    if 'action' not in types:
        raise ValueError(f'`instance_seeds` needs action clicks; the '
                         f'labelling reads {types} ({hint})')


def pseudo_gt_from_records(records: List[dict], classes: Sequence[str],
                           rules: PseudoLabelRules, model: str) -> dict:
    """:func:`build_pseudo_gt` on a model's records, refusing a pseudo-GT
    without a single segment (stage 2 would train on an empty GT).

    Args:
        records (list[dict]): :func:`sample_record` per video.
        classes (Sequence[str]): The class names.
        rules (PseudoLabelRules): The labelling rules.
        model (str): The labelling model as the message names it, e.g.
            ``'the stage-1 model (work/stage1/epoch_5.pth)'``.

    Raises:
        ValueError: no video to label, or no pseudo-segment at all (the
            message says whether the model detected nothing).
    """
    if not records:
        raise ValueError(f'{model} labelled no video: the training split '
                         'is empty')
    gt = build_pseudo_gt(records, classes, rules)
    if gt['pseudo_labels']['segments']:
        # rule 7 seeds segments from the class curves even where the
        # model's post-processing kept no detection
        return gt
    n_det = sum(len(r['detections']['scores']) for r in records)
    if not n_det:
        raise ValueError(
            f'{model} made no detections on any of the {len(records)} '
            'training videos: nothing to train stage 2 on (trained too '
            'briefly, or a post-processing threshold that keeps nothing?)')
    raise ValueError(
        f'{model} made {n_det} detections on the {len(records)} training '
        'videos but the pseudo-label rules kept none (none of a class of '
        'its video\'s label): nothing to train stage 2 on')


def sample_record(sample, subset: str) -> dict:
    """One predicted ``ActionDataSample`` as a video record of
    :func:`build_pseudo_gt`."""
    meta = sample.metainfo
    pred = sample.pred_instances
    record = dict(
        name=meta['video_name'], subset=subset,
        duration=float(meta['duration']), fps=meta.get('fps'),
        video_labels=np.flatnonzero(to_numpy(sample.gt_video_labels) > 0),
        detections=dict(segments=to_numpy(pred.segments),
                        scores=to_numpy(pred.scores),
                        labels=to_numpy(pred.labels)),
        click_times=np.asarray(meta.get('click_times', ()), np.float64),
        click_labels=np.asarray(meta.get('click_labels', ()), np.int64))
    raw = sample.get('raw_outputs')
    if raw is not None and 'cas_supp' in raw:
        # rule 7's class curves: the CAS the detections were made from
        record['curves'] = softmax_class_curves(raw['cas_supp'])
    return record


def predict_training_videos(config, checkpoint: str, device: str = 'cpu',
                            dataset_cfg: Optional[dict] = None,
                            curves: bool = False) -> tuple:
    """Run a trained model on its own training videos (or ``dataset_cfg``'s)
    and return ``(records, class_names)``, one :func:`sample_record` per
    video; ``curves`` asks the model for its raw outputs too (a model with
    ``keep_raw_outputs``, e.g. BackTAL, then gives class curves)."""
    model = init_localizer(config, checkpoint, device)
    if curves and hasattr(model, 'keep_raw_outputs'):
        model.keep_raw_outputs = True
    ds_cfg = dataset_cfg or training_videos_dataset_cfg(model.cfg)
    subset = ds_cfg.get('subset')
    if not isinstance(subset, str):
        # the pseudo-GT names the subset its videos came from; a one-split
        # file (MMAction2's layout) has none
        raise ValueError('predict_training_videos: the dataset must '
                         f'name one subset, got {subset!r} (pseudo-labels '
                         'are written for a subset of a GT file in the '
                         'plugin\'s layout; a one-split file such as '
                         'MMAction2\'s anet_anno_train.json has none)')
    dataset = build_dataset(ds_cfg)
    records = [sample_record(s, subset)
               for s in predict_dataset(model, dataset)]
    return records, list(dataset.metainfo['classes'])


def generate_pseudo_gt(config, checkpoint: str,
                       rules: Optional[PseudoLabelRules] = None,
                       device: str = 'cpu',
                       dataset_cfg: Optional[dict] = None) -> dict:
    """Run a trained model (any localizer config: BackTAL, an ablation
    variant, a stage-2 detector) on its own training videos and turn its
    detections into a pseudo-GT dict (:func:`build_pseudo_gt`).

    The clicks used are those of the config's training dataset (its
    ``click_file``, annotators and ``click_types``), i.e. exactly the
    supervision the model was trained with. ``dataset_cfg`` overrides
    that dataset (self-training: a stage-2 model labels the videos of the
    *real* training GT, whose video labels its pseudo-GT may have lost).

    Raises:
        ValueError: ``rules.instance_seeds`` without action clicks read
            (:func:`check_label_clicks`), or no pseudo-segment at all
            (:func:`pseudo_gt_from_records`).
    """
    rules = rules or PseudoLabelRules()
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    dataset_cfg = dataset_cfg or training_videos_dataset_cfg(cfg)
    # before the model runs: a labelling without action clicks cannot seed
    check_label_clicks(rules, dataset_cfg)
    records, classes = predict_training_videos(
        cfg, checkpoint, device, dataset_cfg, curves=rules.instance_seeds)
    return pseudo_gt_from_records(records, classes, rules,
                                  f'the model ({checkpoint})')


def write_pseudo_gt(config: str,
                    checkpoint: str,
                    out: str,
                    rules: Optional[PseudoLabelRules] = None,
                    label_click_types: Optional[Sequence[str]] = None,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None,
                    overwrite: bool = False,
                    log: Callable[[str], None] = print,
                    cfg_options_allow_new: bool = False) -> dict:
    """Run a trained model on its own training videos and write its
    click-checked detections as an ActivityNet-style GT JSON:
    ``tools/pseudo_labels.py``.

    Args:
        config (str): The trained model's config file.
        checkpoint (str): Its checkpoint.
        out (str): Pseudo-GT JSON to write (atomically).
        rules (PseudoLabelRules, optional): The labelling rules (default:
            :class:`~backtal_mmaction.pseudo_labels.PseudoLabelRules`'
            defaults, the one place they are set).
        label_click_types (Sequence[str], optional): Click kinds the
            labelling reads (all annotators merged); default: those of the
            config's training dataset.
        device (str): cpu, cuda, cuda:1, ...
        cfg_options (dict, optional): ``--cfg-options``: every key must
            exist in the config (a mistyped key would be silently ignored),
            unless ``cfg_options_allow_new``.
        overwrite (bool): Replace ``out`` if it exists.
        log (callable): receives the summary line and, where the training
            GT has segments, the pseudo-label quality (default: ``print``).
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.

    Returns:
        dict: the pseudo-GT written (``database``, ``classes``,
        ``pseudo_labels`` summary with ``segments`` / ``videos`` counts).

    Raises:
        FileExistsError: ``out`` exists and not ``overwrite``.
        IsADirectoryError: ``out`` is a folder.
        FileNotFoundError: the config or the checkpoint does not exist.
        ValueError: ``out`` is one of the run's inputs (the config, the
            checkpoint, an annotation or click file of the config's
            datasets); ``rules.instance_seeds`` while the labelling reads
            no action clicks; the model made no pseudo-segment.
    """
    # the inputs named on the command line first: no config needs loading
    # to refuse an existing `out`
    check_output_path(out, '`out`', overwrite, inputs=[config, checkpoint])
    for what, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{what} not found: {path}')
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    # and every GT / click file the config reads (`out` = the training GT
    # would replace the annotations with the model's guesses)
    check_output_path(out, '`out`', overwrite,
                      inputs=config_input_files(cfg))
    rules = rules or PseudoLabelRules()
    videos = training_videos_dataset_cfg(cfg)
    if label_click_types:
        videos.update(click_types=tuple(label_click_types),
                      click_annotators=None, annotator_mode='merge')
    gt = generate_pseudo_gt(cfg, checkpoint, rules, device,
                            dataset_cfg=videos)
    atomic_write(out, json.dumps(gt))
    info = gt['pseudo_labels']
    seeded = (f' ({info["click_seeded_segments"]} seeded by action clicks)'
              if rules.instance_seeds else '')
    log(f'{info["segments"]} pseudo-segments on {info["videos"]} videos'
        f'{seeded} written to {out}')
    log_pseudo_label_quality(gt, videos, log)
    return gt


def log_pseudo_label_quality(pseudo: dict, dataset_cfg: dict,
                             log: Callable) -> Optional[dict]:
    """Log and return the quality of a pseudo-GT dict against the GT of the
    labelled dataset (``dataset_cfg``'s ``ann_file`` and ``subset``);
    None when that GT has no segments (real click-supervised data)."""
    gt = load_gt(dataset_cfg['ann_file'], dataset_cfg.get('subset'))
    if not any(len(v['segments']) for v in gt.videos.values()):
        return None
    q = pseudo_label_quality(pseudo, gt)
    if not q['num_pseudo']:
        # precision and lengths of nothing are NaN: no "nan %" line
        log(f'pseudo-labels vs GT: no segments / {q["num_gt"]} instances')
    else:
        log(format_pseudo_label_quality(q))
    return q
