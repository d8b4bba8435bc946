"""Testing: a checkpoint on the test split with MMEngine's Runner
(:func:`test_localizer`, behind ``tools/test.py``), and the test again from
saved raw outputs, without the network (:func:`postprocess_raw_outputs`,
behind ``tools/analysis/postprocess_raw.py``).

:func:`test_localizer`:

- ``out_json``: detections as ActivityNet result JSON, written by the test
  evaluator that
  :func:`~backtal_mmaction.cli.runner.find_test_evaluator` picks;
- ``save_raw``: every video's raw outputs as ``DIR/<video>.npz``
  (``SaveRawOutputsHook``), for
  :func:`~backtal_mmaction.apis.postprocess_raw_outputs`;
- ``vis_cas``: CAS figures of the first N videos (per rank);
- the checkpoint must match the model built from the config (keys and
  shapes) and ``cfg_options`` keys must exist; both fail before testing;
- ``out_json`` / ``dump`` files and ``save_raw`` / ``vis_dir`` directories
  that already hold results are never replaced without ``overwrite``, and
  ``out_json`` / ``dump`` are never one of the run's input files (the
  config, the checkpoint, the files the test dataset and evaluator read:
  :func:`files_read_by_test`), even with ``overwrite``;
- on CUDA the test dataloader pins its batches and the data preprocessor
  copies them to the GPU without blocking (unless the config says
  otherwise).

:func:`postprocess_raw_outputs`: ``test_localizer(..., save_raw=RAW)`` (``tools/test.py --save-raw``) writes
each video's raw outputs once; :func:`postprocess_raw_outputs` then scores
any post-processor setting in seconds. With the config's own settings it
reproduces the mAP of the test run exactly (same post-processor, same
float32 detections, same video order). GT: ``gt`` (+ ``subset``), else the
test evaluator's ``ann_file``
(:func:`~backtal_mmaction.cli.runner.find_test_evaluator`), else
the GT stored with each video (what the metric saw); the report says which
and why. Any detector's raw outputs are decoded by its post-processor's
``from_raw`` (:class:`BasePostProcessor`: BackTAL's ``cas_supp`` ...,
AnchorFreeTAD's ``cls_logits`` ...); raw outputs that lack the arrays the
config's post-processor reads are refused; ``out_json`` is never one of
the files read (raw outputs, config, GT).
"""
import itertools
import os
import os.path as osp
import time
import zipfile
from inspect import signature as _signature
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

from ..cli.config import load_config
from ..cli.runner import (add_custom_hook, build_runner, check_datasets,
                          find_test_evaluator, prepare_launcher,
                          use_pinned_memory)
from ..datasets.config_utils import config_input_files
from ..datasets.gt_io import load_gt_database
from ..engine.hooks.cas_visualization_hook import check_no_figures
from ..engine.hooks.raw_outputs import (RAW_META_FILE, find_raw_files,
                                        load_raw_record, read_raw_meta)
from ..evaluation.functional.detection_map import (
    DEFAULT_TIOU_THRESHOLDS, dump_activitynet_results, evaluate_detections,
    format_detection_table, load_activitynet_gt)
from ..models.postprocessing.base import BasePostProcessor
from ..utils import check_output_path
from .train import default_work_dir

__all__ = ['build_test_cfg', 'test_localizer', 'files_read_by_test',
           'load_raw_dir', 'postprocess_records', 'postprocess_raw_outputs',
           'grid_settings']


def files_read_by_test(cfg: Config,
                       config: Union[str, Config, None] = None,
                       checkpoint: Optional[str] = None) -> List[str]:
    """The files a test run reads, which none of its outputs may be.

    Args:
        cfg (Config): The loaded config.
        config (str | Config, optional): The config as given (a path is
            an input; a loaded config's ``filename`` too).
        checkpoint (str, optional): The checkpoint.

    Returns:
        list[str]: the config file, the checkpoint, and every ``*_file`` of
        the test dataset and the test evaluator(s) (GT, clicks, ambiguous
        segments).
    """
    files = [config if isinstance(config, (str, os.PathLike)) else
             getattr(cfg, 'filename', None), checkpoint]
    files += config_input_files(cfg, ('test_dataloader', 'test_evaluator'))
    return [os.fspath(f) for f in files if f]


def build_test_cfg(config: Union[str, Config],
                   checkpoint: str,
                   work_dir: Optional[str] = None,
                   dump: Optional[str] = None,
                   out_json: Optional[str] = None,
                   save_raw: Optional[str] = None,
                   vis_cas: int = 0,
                   vis_dir: Optional[str] = None,
                   overwrite: bool = False,
                   cfg_options: Optional[dict] = None,
                   cfg_options_allow_new: bool = False,
                   launcher: str = 'none') -> Config:
    """The config of a test run (what ``tools/test.py`` runs), checked
    before anything is built. Arguments: see :func:`test_localizer`.

    Returns:
        mmengine.Config: the merged config (``load_from = checkpoint``,
        output hooks / evaluators added; on CUDA pinned-memory dataloaders
        and a non-blocking data preprocessor,
        :func:`~backtal_mmaction.cli.runner.use_pinned_memory`).

    Raises:
        FileNotFoundError: the checkpoint (a local path) does not exist.
        FileExistsError / IsADirectoryError: an output exists (without
            ``overwrite``) or is a directory.
        ValueError: ``out_json`` or ``dump`` is one of the run's inputs
            (:func:`files_read_by_test`), ``dump`` without a ``.pkl`` /
            ``.pickle`` suffix,
            ``vis_dir`` without ``vis_cas``, or ``out_json`` and the config
            has no test evaluator.
    """
    if not osp.isfile(checkpoint) and '://' not in checkpoint:
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    cfg.work_dir = work_dir if work_dir is not None else \
        default_work_dir(cfg, config)
    cfg.load_from = checkpoint
    cfg.resume = False
    inputs = files_read_by_test(cfg, config, checkpoint)
    for option, path in (('`out_json`', out_json), ('`dump`', dump)):
        if path:
            check_output_path(path, option, overwrite, inputs)
    if out_json:
        evaluator = find_test_evaluator(cfg)
        if evaluator is None:
            raise ValueError('`out_json`: the config has no test_evaluator '
                             'to write the detections')
        evaluator['dump_results'] = out_json
        if overwrite:
            evaluator['overwrite_dump'] = True
    if dump:
        if not dump.endswith(('.pkl', '.pickle')):
            raise ValueError('`dump` must end with .pkl or .pickle')
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=dump)
        ]
    add_custom_hook(cfg, dict(type='CheckpointCompatibilityHook'))
    add_custom_hook(cfg, dict(type='TestSpeedHook'))
    if save_raw:
        add_custom_hook(
            cfg,
            dict(type='SaveRawOutputsHook', out_dir=save_raw,
                 overwrite=overwrite))
    if vis_cas:
        if vis_dir and not overwrite:
            check_no_figures(vis_dir)
        add_custom_hook(
            cfg,
            dict(type='CASVisualizationHook', num_videos=vis_cas,
                 out_dir=vis_dir, overwrite=overwrite))
    elif vis_dir:
        raise ValueError('`vis_dir` needs `vis_cas` (the number of videos '
                         'to draw)')
    use_pinned_memory(cfg)
    cfg.launcher = launcher
    return cfg


def test_localizer(config: Union[str, Config], checkpoint: str,
                   **options) -> Dict[str, float]:
    """Test a checkpoint on the config's test split: ``tools/test.py``.

    The keywords are :func:`build_test_cfg`'s (one signature for both;
    ``inspect.signature(test_localizer)`` shows them), each a flag of the
    tool.

    Args:
        config (str | Config): Config file, or a loaded config (copied).
        checkpoint (str): Checkpoint file (or URL); it must match the model
            built from the config (keys and shapes).
        work_dir (str, optional): ``--work-dir`` (logs); default: the
            config's, else ``./work_dirs/<config name>``.
        dump (str, optional): ``--dump``: pickle of the raw predictions
            (``.pkl`` / ``.pickle``).
        out_json (str, optional): ``--out-json``: detections as ActivityNet
            result JSON.
        save_raw (str, optional): ``--save-raw``: folder for each video's
            raw outputs (``<video>.npz``: the model's ``raw_outputs``, e.g.
            BackTAL's CAS ``(C+1, T)``, video scores ``(C+1,)``, magnitude
            / foreground weights ``(T,)``; AnchorFreeTAD's ``cls_logits``
            ``(C, P)``, ``distances`` ``(2, P)``, ``points`` ``(P, 3)``).
        vis_cas (int): ``--vis-cas N``: CAS figures of the first N videos
            into the visualizer backends.
        vis_dir (str, optional): ``--vis-dir``: with ``vis_cas``, also
            ``DIR/<video>.png``.
        overwrite (bool): ``--overwrite``: replace existing outputs.
        cfg_options (dict, optional): parsed ``--cfg-options``; every key
            must exist unless ``cfg_options_allow_new``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        launcher (str): ``--launcher``: none / pytorch / slurm / mpi.

    Returns:
        dict: the test metrics, e.g. ``{'tal/mAP@0.50': float, ...,
        'tal/mAP_avg': float}`` (percent).
    """
    cfg = build_test_cfg(config, checkpoint, **options)
    # Data errors (GT, features, missing fps) before the Runner logs the
    # environment and the config.
    check_datasets(cfg, ['test'])
    prepare_launcher(cfg, cfg.launcher)
    runner = build_runner(cfg)
    return runner.test()


test_localizer.__signature__ = _signature(build_test_cfg).replace(
    return_annotation=Dict[str, float])
# Not a pytest test, though a test module may import it by name.
test_localizer.__test__ = False


def load_raw_dir(raw_dir: str) -> List[dict]:
    """Raw records of a directory, in the test dataset's order when known
    (the metric's tie-breaking between equal scores depends on it).

    Returns:
        list[dict]: one record per ``<video>.npz`` (``load_raw_record``).

    Raises:
        ValueError: a video is saved more than once.
    """
    records = [load_raw_record(f) for f in find_raw_files(raw_dir)]
    names = [r['video_name'] for r in records]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f'{raw_dir}: videos saved more than once: {dup[:5]}')
    order = (read_raw_meta(raw_dir) or {}).get('video_order') or []
    rank = {name: i for i, name in enumerate(order)}
    return sorted(records, key=lambda r: (rank.get(r['video_name'],
                                                   len(rank)),
                                          r['video_name']))


def postprocess_records(post_processor, records: Sequence[dict],
                        num_classes: int,
                        pred_dtype=np.float32) -> Dict[str, dict]:
    """Detections of every raw record (``post_processor.from_raw``), stored
    as the detector's ``predict`` stores them (segments ``(N, 2)`` and
    scores ``(N,)`` as its ``pred_dtype``, int64 labels ``(N,)``), so the
    mAP matches the test run.

    Args:
        post_processor: A :class:`BasePostProcessor`.
        records (Sequence[dict]): ``load_raw_record`` dicts.
        num_classes (int): The class count the raw arrays must have.
        pred_dtype: NumPy dtype of the stored segments and scores (the
            detector class's ``pred_dtype``; BackTAL: float32,
            AnchorFreeTAD: float64).

    Raises:
        ValueError: naming the video: a raw array the post-processor reads
            is missing or of the wrong shape (another class count), or the
            record lacks the metadata it needs.
    """
    predictions = {}
    for rec in records:
        det = post_processor.from_raw(rec, num_classes)
        predictions[rec['video_name']] = dict(
            segments=np.asarray(det['segments'], pred_dtype).reshape(-1, 2),
            scores=np.asarray(det['scores'], pred_dtype),
            labels=np.asarray(det['labels'], np.int64))
    return predictions


def _stored_gt(records: Sequence[dict]) -> Dict[str, dict]:
    missing = [r['video_name'] for r in records if 'gt_segments' not in r]
    if missing:
        raise ValueError(
            f'{len(missing)} raw file(s) carry no GT (e.g. {missing[:3]}); '
            'pass `gt` ANN_FILE [`subset` S]')
    return {
        r['video_name']: dict(segments=r['gt_segments'],
                              labels=r['gt_labels'])
        for r in records
    }


def _raw_keys_of(raw_file: str) -> Optional[List[str]]:
    """The array names of one raw file (None if unreadable: load_raw_dir
    names it)."""
    try:
        with np.load(raw_file, allow_pickle=False) as npz:
            return sorted(npz.files)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def _check_raw_writer(post_processor, cfg: Config, where: str, raw_dir: str,
                      keys: Optional[List[str]], meta: dict) -> None:
    """Refuse raw outputs that the config's post-processor cannot read.

    The post-processor reads its ``raw_keys``; the raw files must hold them
    (checked on the array names ``keys`` of the first file here, None if
    unreadable, and on every file by ``from_raw``). The writer is named
    from ``raw_outputs_meta.json`` (model and post-processor), else from
    those arrays.

    Raises:
        ValueError: naming the writer and the config's post-processor.
    """
    this = (f"{where}'s model {cfg.model.get('type')} post-processes with "
            f'{type(post_processor).__name__}')
    if not isinstance(post_processor, BasePostProcessor):
        raise ValueError(
            f'{this}, which cannot decode saved raw outputs (it is not a '
            'BasePostProcessor with `raw_keys` and `_from_raw`)')
    if keys is None:  # an unreadable file: load_raw_dir names it
        return
    missing = [k for k in post_processor.raw_keys if k not in keys]
    if not missing:
        return
    saved = meta.get('post_processor')
    saved = saved.get('type') if isinstance(saved, dict) else None
    if isinstance(saved, str):
        writer = f'a model post-processed by {saved}'
        details = [str(meta['model'])] if meta.get('model') else []
        if meta.get('load_from'):
            details.append(f"checkpoint {meta['load_from']}")
        if details:
            writer += f" ({', '.join(details)})"
    else:  # an older meta file, or none: the arrays say who wrote them
        writer = f"a model whose raw outputs are {', '.join(keys)}"
    raise ValueError(
        f'{raw_dir} holds raw outputs of {writer}, but {this}, which reads '
        f'{", ".join(post_processor.raw_keys)} (missing: '
        f'{", ".join(missing)}); use the config the raw outputs were saved '
        'with')


def _stored_gt_message(raw_dir: str, cfg: Config, where: str,
                       meta: dict) -> str:
    """Say that the GT saved with the raw outputs is scored, and why (the
    config names no GT file for the metric); the test dataset's GT file,
    which is not read, is named too."""
    msg = (f'GT: the segments saved with each video in {raw_dir} (what the '
           f'test metric saw'
           + (f" with checkpoint {meta['load_from']}"
              if meta.get('load_from') else '')
           + f"), since the test evaluator of {where} names no ann_file")
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    ann_file = dataset.get('ann_file') if isinstance(dataset, dict) else None
    if ann_file:
        state = '' if osp.isfile(ann_file) else ' (absent here)'
        msg += (f"; the config's test dataset file {ann_file}{state} is "
                'not read')
    return msg + '. Pass `gt` FILE to score against a GT file.'


def _not_in_gt_message(videos: List[str], raw_dir: str, gt: Optional[str],
                       subset: Optional[str], evaluator: dict) -> str:
    """Name raw-output videos the GT lacks, and the GT subset they are in
    when the GT file has them in another one."""
    ann_file = gt or evaluator.get('ann_file')
    subset = subset if gt else evaluator.get('subset')
    where = f'{ann_file} (subset {subset!r})' if ann_file else 'the GT'
    msg = (f'{len(videos)} video(s) of {raw_dir} are not in {where}: '
           f'{videos[:5]}{" ..." if len(videos) > 5 else ""}')
    if ann_file:
        database = load_gt_database(ann_file)['database']
        found = sorted({str(database[v].get('subset')) for v in videos
                        if v in database})
        if found:
            msg += (f'; {ann_file} has them in subset(s) {found}: pass '
                    f'`subset` {found[0]}')
    return msg


def _post_processor_of(cfg: Config, where: str):
    """The config's post-processor, built, and the model class (whose
    ``pred_dtype`` the detections are stored in)."""
    model_cls = MODELS.get(cfg.model.get('type'))
    pp_cfg = cfg.model.get('post_processor')
    if pp_cfg is None and hasattr(model_cls, 'post_processor_cfg'):
        # e.g. AnchorFreeTAD's older test_cfg spelling, or its defaults
        pp_cfg = model_cls.post_processor_cfg(None,
                                              cfg.model.get('test_cfg'))
    if pp_cfg is None:
        raise ValueError(f'{where}: model has no post_processor')
    return MODELS.build(pp_cfg), model_cls


def _load_gt_for_raw(raw_dir: str, records: Sequence[dict], meta: dict,
                     cfg: Config, where: str, gt: Optional[str],
                     subset: Optional[str], evaluator: dict,
                     allow_missing: bool, log: Callable[[str], None]):
    """The GT the raw outputs are scored against (``gt``, else the test
    evaluator's ``ann_file``, else the GT saved with each video; the
    report says which and why) and its class names, checked against the
    saved videos."""
    class_names = meta.get('classes') or None
    if gt:
        gt_videos, class_names = load_activitynet_gt(
            gt, subset=subset, class_names=class_names)
        log(f'GT: {gt}' + (f' (subset {subset!r})' if subset else '')
            + ', given as `gt`')
    elif evaluator.get('ann_file'):
        gt_videos, class_names = load_activitynet_gt(
            evaluator['ann_file'], subset=evaluator.get('subset'),
            class_names=class_names)
        ev_subset = evaluator.get('subset')
        log(f"GT: {evaluator['ann_file']}"
            + (f' (subset {ev_subset!r})' if ev_subset else '')
            + f", the ann_file of {where}'s test evaluator (pass `gt` for "
            'another file)')
    else:
        if not class_names:
            raise ValueError(
                f'{raw_dir}: no class list ({osp.basename(raw_dir)}'
                '/raw_outputs_meta.json missing); pass `gt`')
        gt_videos = _stored_gt(records)
        log(_stored_gt_message(raw_dir, cfg, where, meta))
    saved = {r['video_name'] for r in records}
    extra = sorted(saved - set(gt_videos))
    if extra:
        raise ValueError(
            _not_in_gt_message(extra, raw_dir, gt, subset, evaluator))
    missing = [v for v in gt_videos if v not in saved]
    if missing and not allow_missing:
        raise ValueError(
            f'{len(missing)} GT video(s) have no raw outputs in '
            f'{raw_dir} (e.g. {missing[:5]}); they would count as '
            'missed. Pass `allow_missing` to evaluate anyway.')
    if missing:
        log(f'{len(missing)} GT video(s) have no raw outputs in {raw_dir} '
            f'(e.g. {missing[:5]}): their GT instances count as missed')
    # The test run's video list: with the GT saved beside the outputs, a
    # deleted .npz would otherwise drop its video from the mAP silently.
    unsaved = [v for v in meta.get('video_order') or [] if v not in saved]
    if unsaved and not allow_missing:
        raise ValueError(
            f'{len(unsaved)} of the {len(meta["video_order"])} videos listed '
            f'in {osp.join(raw_dir, RAW_META_FILE)} have no raw-output '
            f'file in {raw_dir}: {unsaved[:5]}'
            f'{" ..." if len(unsaved) > 5 else ""}. Pass `allow_missing` '
            'to evaluate the others.')
    if unsaved and not (gt or evaluator.get('ann_file')):
        # their GT was saved in the missing files: not missed, unknown
        log(f'{len(unsaved)} of the {len(meta["video_order"])} videos listed '
            f'in {osp.join(raw_dir, RAW_META_FILE)} have no raw-output file '
            f'(e.g. {unsaved[:5]}): their GT was saved in those files, so '
            'they are left out of the mAP, not counted as missed (pass `gt` '
            'to count them as missed)')
    return gt_videos, class_names


def grid_settings(grid: Dict[str, object]) -> List[Dict[str, object]]:
    """Every combination of a ``grid`` ``{key: alternatives}``, the last
    key varying fastest. A list or tuple value lists alternatives (a
    list-valued setting's alternatives are lists: ``[[0, 0.1], [0, 0.2]]``);
    any other value is the one alternative.

    Raises:
        ValueError: an empty ``grid`` or an empty list of alternatives.
    """
    if not grid:
        raise ValueError('`grid` names no setting')
    keys = list(grid)
    alternatives = [list(v) if isinstance(v, (list, tuple)) else [v]
                    for v in grid.values()]
    empty = [k for k, alts in zip(keys, alternatives) if not alts]
    if empty:
        raise ValueError(f'`grid` gives no value for {", ".join(empty)}')
    return [dict(zip(keys, combo))
            for combo in itertools.product(*alternatives)]


def _option_text(value) -> str:
    """A value as typed after ``KEY=`` on the command line (MMEngine's
    ``DictAction`` reads it back: strings bare, lists without spaces)."""
    if isinstance(value, (list, tuple)):
        return repr(value).replace(' ', '')
    return str(value)


def _grid_table(rows: List[dict], keys: List[str], tiou: Sequence[float],
                best: int) -> str:
    """One line per grid setting: the values, mAP (%) per tIoU and the
    average; ``*`` marks the best average."""
    # Column names: the keys without their common dotted prefix.
    parts = [k.split('.') for k in keys]
    common = 0
    while (len(parts) > 1 and all(len(p) > common + 1 for p in parts)
           and len({p[common] for p in parts}) == 1):
        common += 1
    if len(parts) == 1:
        common = len(parts[0]) - 1
    names = ['.'.join(p[common:]) for p in parts]
    header = names + [f'mAP@{t:.2f}' for t in tiou] + ['avg', '']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for i, row in enumerate(rows):
        cells = [_option_text(row['settings'][k]) for k in keys]
        cells += [f'{100 * v:.2f}' for v in row['mAP']]
        cells += [f"{100 * row['average_mAP']:.2f}",
                  '*' if i == best else '']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def postprocess_raw_outputs(config: Union[str, Config],
                            raw_dir: str,
                            gt: Optional[str] = None,
                            subset: Optional[str] = None,
                            tiou: Optional[Sequence[float]] = None,
                            allow_missing: bool = False,
                            out_json: Optional[str] = None,
                            overwrite: bool = False,
                            per_class: bool = True,
                            cfg_options: Optional[dict] = None,
                            cfg_options_allow_new: bool = False,
                            grid: Optional[Dict[str, object]] = None,
                            log: Callable[[str], None] = print) -> dict:
    """Post-process saved raw outputs with the config's
    ``model.post_processor`` and evaluate the mAP:
    ``tools/analysis/postprocess_raw.py``.

    Args:
        config (str | Config): Config (its ``model.post_processor`` and
            test evaluator); a loaded config is copied.
        raw_dir (str): Folder written by ``save_raw`` / ``--save-raw``.
        gt (str, optional): ``--gt``: GT JSON (default: the test
            evaluator's ``ann_file``, else the GT saved with the outputs).
        subset (str, optional): ``--subset``, with ``gt`` only.
        tiou (sequence of float, optional): ``--tiou`` thresholds (default:
            the test evaluator's, else the standard 0.1:0.7).
        allow_missing (bool): ``--allow-missing``: evaluate even if
            videos have no raw outputs. With ``gt`` or the evaluator's
            ``ann_file`` their GT instances count as missed; with the GT
            saved beside the raw outputs their GT is unknown and they are
            left out (the report says which).
        out_json (str, optional): ``--out-json``: also write the detections
            (ActivityNet JSON).
        overwrite (bool): ``--overwrite``: allow replacing ``out_json``.
        per_class (bool): ``not --no-per-class``: per-class AP in the table.
        cfg_options (dict, optional): parsed ``--cfg-options``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        grid (dict, optional): ``--grid``: ``{key: alternatives}``
            (:func:`grid_settings`); every combination is scored as if
            added to ``cfg_options`` (the raw outputs and the GT are read
            once), and one table shows them all, the best average mAP
            marked. Not with ``out_json`` (choose, then write that one).
        log (callable): receives the report lines (default: ``print``),
            the GT used and why among them.

    Returns:
        dict: ``evaluate_detections``' result (``mAP`` per tIoU,
        ``average_mAP``, fractions in [0, 1], ...) plus ``predictions``
        (``{video: dict(segments, scores, labels)}``) and ``class_names``;
        with ``grid``, that of the best setting plus ``grid`` (a list of
        ``dict(settings, mAP, average_mAP)`` in grid order) and ``best``
        (its index; ties: the first).

    Raises:
        FileExistsError / IsADirectoryError / ValueError: ``out_json``
            exists (without ``overwrite``), is a folder, or is one of the
            files read (raw outputs, config, GT), checked first.
        ValueError: raw outputs the config's post-processor cannot read
            (written by another model), videos missing on either side,
            ``grid`` with ``out_json``.
    """
    if subset and not gt:
        raise ValueError(
            '`subset` applies to `gt` only: pass `gt` FILE `subset` S '
            "(without `gt` the GT is the test evaluator's ann_file, else the "
            'GT saved with the raw outputs)')
    if grid is not None and out_json:
        raise ValueError(
            '`grid` scores several settings and `out_json` writes the '
            'detections of one: choose with `grid`, then write with '
            '`cfg_options`')
    start = time.perf_counter()
    settings = grid_settings(grid) if grid is not None else [{}]
    options = dict(cfg_options or {})
    cfg = load_config(config, options, cfg_options_allow_new)
    # Every grid setting's keys are checked before anything is read.
    configs = [cfg] if grid is None else [
        load_config(config, {**options, **extra}, cfg_options_allow_new)
        for extra in settings]
    where = config if isinstance(config, str) else 'the config'
    base_pp, model_cls = _post_processor_of(cfg, where)
    evaluator = dict(find_test_evaluator(cfg) or {})
    raw_files = find_raw_files(raw_dir)
    if out_json:  # before anything is computed; never one of the inputs
        check_output_path(
            out_json, '`out_json`', overwrite,
            [*raw_files, osp.join(raw_dir, RAW_META_FILE), gt,
             *files_read_by_test(cfg, config)])
    meta = read_raw_meta(raw_dir) or {}
    # Every setting's post-processor is built (its arguments checked) and
    # matched to the raw files before the raw outputs are read.
    post_processors = [base_pp] if grid is None else [
        _post_processor_of(cfg_i, where)[0] for cfg_i in configs]
    keys = _raw_keys_of(raw_files[0])  # read once, for every setting
    for pp, cfg_i in zip(post_processors, configs):
        _check_raw_writer(pp, cfg_i, where, raw_dir, keys, meta)

    records = load_raw_dir(raw_dir)
    gt_videos, class_names = _load_gt_for_raw(
        raw_dir, records, meta, cfg, where, gt, subset, evaluator,
        allow_missing, log)
    tiou = tiou or evaluator.get('tiou_thresholds', DEFAULT_TIOU_THRESHOLDS)
    # Stored as the detector's predict stores them, for the same mAP.
    pred_dtype = torch.empty(0, dtype=getattr(
        model_cls, 'pred_dtype', torch.float32)).numpy().dtype

    table, result, best = [], None, 0
    for i, (extra, post_processor) in enumerate(zip(settings,
                                                    post_processors)):
        predictions = postprocess_records(post_processor, records,
                                          len(class_names), pred_dtype)
        scored = evaluate_detections(gt_videos, predictions,
                                     len(class_names), tiou)
        table.append(dict(settings=extra, mAP=scored['mAP'],
                          average_mAP=scored['average_mAP']))
        # Only the best setting's detections are kept (ties: the first).
        if result is None or scored['average_mAP'] > result['average_mAP']:
            result, best = scored, i
            result['predictions'] = predictions
            result['class_names'] = class_names
    seconds = time.perf_counter() - start
    if grid is None:
        log(f'post_processor: {base_pp!r}')
        log(f'{len(result["predictions"])} videos post-processed and '
            f'evaluated in {seconds:.2f} s')
        log(format_detection_table(result, class_names, per_class=per_class))
        if out_json:
            dump_activitynet_results(result['predictions'], class_names,
                                     out_json, overwrite=overwrite)
            log(f'wrote {out_json}')
        return result
    log(f'post_processor: {base_pp!r}, with each grid setting:')
    log(f'{len(table)} settings x {len(result["predictions"])} videos '
        f'post-processed and evaluated in {seconds:.2f} s')
    log(_grid_table(table, list(settings[0]), tiou, best))
    log('best avg mAP {:.2f}: `cfg_options` {}'.format(
        100 * result['average_mAP'], ' '.join(
            f'{k}={_option_text(v)}'
            for k, v in {**options, **settings[best]}.items())))
    result['grid'] = table
    result['best'] = best
    return result
