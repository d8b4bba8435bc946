"""The two-stage pipeline: stage 1 (click-supervised, e.g. BackTAL) ->
click-checked pseudo-segments -> stage 2 (:class:`AnchorFreeTAD`) ->
optional self-training rounds -> test.

A pipeline config is a normal stage-2 config plus a ``two_stage`` dict::

    two_stage = dict(
        stage1='../backtal/backtal_synthetic.py',  # relative to this file
        pseudo_labels=dict(rel_score_thr=0.5, topk=10),  # PseudoLabelRules
        # optional: the clicks the labelling step reads (default: stage 1's
        # training clicks), e.g. both kinds for instance seeds
        label_clicks=dict(click_types=('background', 'action'),
                          click_annotators=None),
        # optional: hold out the clicks of 20 % of the training videos and
        # keep the final model by its score on them (no GT needed)
        click_check=dict(fraction=0.2, seed=0, margin=0.0),
        self_training_rounds=0)

Its training ``ann_file`` is replaced by each round's pseudo-GT file.

**Click check.** With ``click_check``, the clicks of a deterministic share
of the training videos (:func:`~backtal_mmaction.datasets.clicks.
heldout_videos`) are removed from every training and labelling dataset of
the pipeline; every model of the pipeline then labels its training videos
and is scored on those held-out clicks
(:func:`~backtal_mmaction.evaluation.functional.click_score`: action clicks
covered by detections of their class against background clicks covered by
any detection). The pipeline's final model is stage 1 unless a stage-2
round beats its click score by more than ``margin``; ``final`` in
``metrics.json`` / ``selection.json`` says which, and why.

Where the training GT has segments (benchmarks; not real click-supervised
data), each pseudo-GT file is also scored against it
(:func:`~backtal_mmaction.evaluation.functional.pseudo_label_quality`),
logged and written to ``pseudo_label_quality.json``.

Work dir layout (each step is skipped when its output exists, and a
training step interrupted midway resumes from its ``last_checkpoint``)::

    WORK_DIR/stage1/epoch_N.pth             stage-1 model
    WORK_DIR/pseudo_gt_round0.json          from stage 1
    WORK_DIR/stage2_round0/epoch_M.pth      stage 2 on round-0 pseudo-GT
    WORK_DIR/pseudo_gt_round1.json          from stage 2 round 0 (self-
    WORK_DIR/stage2_round1/epoch_M.pth      training), ...
    WORK_DIR/metrics.json                   test metrics of stage 1, of
                                            every stage-2 round and of the
                                            final (selected) model
    WORK_DIR/selection.json                 click scores and the choice
    WORK_DIR/pseudo_label_quality.json      pseudo-GT vs the training GT
"""
import copy
import json
import pickle
import os.path as osp
from typing import Callable, Dict, Optional

import numpy as np
from mmengine.config import Config

from ..apis.inference import build_dataset, training_videos_dataset_cfg
from ..cli.runner import build_runner
from ..evaluation.functional.click_score import (click_score,
                                                 compare_click_scores)
from ..pseudo_labels import PseudoLabelRules, build_pseudo_gt
from ..utils import atomic_replace, atomic_write
from .pseudo_gt import log_pseudo_label_quality, predict_training_videos

__all__ = ['load_stage1_config', 'run_two_stage', 'run_two_stage_config',
           'final_checkpoint', 'stage2_config', 'train_stage', 'test_stage',
           'with_heldout_clicks', 'heldout_click_targets',
           'format_stage_metrics',
           'STAGE_TABLE_KEYS']


def load_stage1_config(cfg: Config) -> Config:
    """The stage-1 config a pipeline config names (``two_stage.stage1``,
    relative to the pipeline config's folder or absolute)."""
    ts = cfg.get('two_stage')
    if not ts or not ts.get('stage1'):
        raise ValueError(f'{cfg.filename}: a two-stage config needs '
                         "two_stage=dict(stage1='<stage-1 config>', ...)")
    path = ts['stage1']
    if not osp.isabs(path):
        path = osp.normpath(osp.join(osp.dirname(cfg.filename), path))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{cfg.filename}: two_stage.stage1 config '
                                f'not found: {path}')
    return Config.fromfile(path)


def final_checkpoint(cfg: Config, work_dir: str) -> str:
    """``work_dir/epoch_<max_epochs>.pth``: the model a finished run
    leaves (the last epoch; no model selection)."""
    return osp.join(work_dir, f'epoch_{cfg.train_cfg.max_epochs}.pth')


def train_stage(cfg: Config, work_dir: str, seed: Optional[int] = None,
                log: Callable = print) -> str:
    """Train ``cfg`` into ``work_dir`` (last epoch kept, no validation);
    skipped when its final checkpoint exists, resumed when the run was
    interrupted.

    Returns:
        str: the final checkpoint.
    """
    ckpt = final_checkpoint(cfg, work_dir)
    if osp.isfile(ckpt):
        log(f'skip: {ckpt} exists')
        return ckpt
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    if seed is not None:
        cfg.randomness = dict(seed=seed, deterministic=False)
    # model selection is not part of the pipeline: the last epoch is used
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        cfg.resume, cfg.load_from = True, None
        log(f'resume: {work_dir}')
    # the last epoch must be saved for the next step
    cfg.default_hooks.checkpoint.save_last = True
    build_runner(cfg).train()
    if not osp.isfile(ckpt):
        raise RuntimeError(f'training finished without {ckpt}')
    return ckpt


def test_stage(cfg: Config, ckpt: str, work_dir: str) -> Dict[str, float]:
    """Test ``ckpt`` with ``cfg``'s test split; returns its metrics."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from, cfg.resume = ckpt, False
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    metrics = build_runner(cfg).test()
    return {k: float(v) for k, v in metrics.items()}


def with_heldout_clicks(dataset: dict, click_check: Optional[dict],
                        keep: str = 'train') -> dict:
    """``dataset`` (a config dict) with ``heldout_clicks`` set from the
    pipeline's ``click_check`` (``fraction``, ``seed``); unchanged without
    a click check or a click file."""
    dataset = copy.deepcopy(dataset)
    if click_check and dataset.get('click_file'):
        # fraction / seed the check leaves out take ClickTALDataset's
        # defaults (one place for them)
        dataset['heldout_clicks'] = dict(
            {k: click_check[k] for k in ('fraction', 'seed')
             if k in click_check}, keep=keep)
    return dataset


def heldout_click_targets(dataset_cfg: dict) -> Dict[str, dict]:
    """The held-out clicks of a labelling dataset, every kind and
    annotator, as :func:`click_score` reads them: ``{video: {'background',
    'action_times', 'action_labels'}}``."""
    cfg = copy.deepcopy(dataset_cfg)
    cfg.update(click_types=('background', 'action'), click_annotators=None,
               annotator_mode='merge', require_clicks=False)
    cfg['heldout_clicks'] = dict(cfg['heldout_clicks'], keep='heldout')
    dataset = build_dataset(cfg)
    C = len(dataset.metainfo['classes'])
    out = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        t = np.asarray(info['click_times'], np.float64)
        lab = np.asarray(info['click_labels'], np.int64)
        if len(t):
            out[info['video_name']] = dict(
                background=t[lab == C], action_times=t[lab < C],
                action_labels=lab[lab < C])
    return out


def _records_file(work_dir: str, key: str) -> str:
    return osp.join(work_dir, f'detections_{key}.pkl')


def _label_videos(cfg: Config, ckpt: str, key: str, work_dir: str,
                  dataset_cfg: dict, curves: bool) -> tuple:
    """The model's records on its training videos (cached in the work dir:
    labelling and click scoring read the same pass)."""
    path = _records_file(work_dir, key)
    if osp.isfile(path):
        with open(path, 'rb') as f:
            return pickle.load(f)
    result = predict_training_videos(cfg, ckpt, dataset_cfg=dataset_cfg,
                                     curves=curves)

    def dump(tmp):
        with open(tmp, 'wb') as f:
            pickle.dump(result, f)

    atomic_replace(path, dump, suffix='.pkl')
    return result


def _pseudo_labels(records: list, classes: list, out: str, rules,
                   log: Callable) -> str:
    if osp.isfile(out):
        log(f'skip: {out} exists')
        return out
    gt = build_pseudo_gt(records, classes, rules)
    atomic_write(out, json.dumps(gt))
    info = gt['pseudo_labels']
    log(f'{info["segments"]} pseudo-segments on {info["videos"]} videos '
        f'({info.get("click_seeded_segments", 0)} seeded by action clicks) '
        f'-> {out}')
    return out


def stage2_config(cfg: Config, pseudo_gt: str,
                  click_check: Optional[dict] = None) -> Config:
    """``cfg`` with its training GT replaced by ``pseudo_gt`` (and, with a
    click check, the held-out clicks removed from its training clicks)."""
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset = with_heldout_clicks(
        cfg.train_dataloader.dataset, click_check)
    cfg.train_dataloader.dataset.ann_file = pseudo_gt
    cfg.pop('two_stage', None)
    return cfg


def _labelling_dataset(stage1: Config, source_cfg: Config,
                       ts: dict) -> dict:
    """Stage 1's training videos (GT video labels and clicks), read through
    the labelling model's test pipeline, with the pipeline's
    ``label_clicks`` settings and held-out clicks removed."""
    videos = training_videos_dataset_cfg(stage1)
    videos['pipeline'] = copy.deepcopy(
        source_cfg.test_dataloader.dataset.pipeline)
    videos.update(ts.get('label_clicks') or {})
    return with_heldout_clicks(videos, ts.get('click_check'))


def run_two_stage(cfg: Config, work_dir: str, seed: Optional[int] = None,
                  rounds: Optional[int] = None, test: bool = True,
                  log: Callable = print,
                  stage1: Optional[Config] = None) -> dict:
    """Run (or continue) the pipeline of a two-stage config.

    Args:
        cfg (Config): The pipeline config (see the module docstring).
        work_dir (str): Where every step writes.
        seed (int, optional): Seed of both stages' training.
        rounds (int, optional): Self-training rounds; defaults to the
            config's ``two_stage.self_training_rounds`` (0).
        test (bool): Test stage 1 and every stage-2 round at the end.
        stage1 (Config, optional): The stage-1 config, already loaded (e.g.
            pointed at other data); defaults to ``two_stage.stage1``.

    Returns:
        dict: ``checkpoints`` (``stage1``, ``stage2_round<r>``),
        ``pseudo_gt`` (list of files), ``quality`` (per pseudo-GT file, or
        None without GT segments), ``selection`` (with a click check:
        ``click_scores`` per model, ``final``, ``message``) and, with
        ``test``, ``metrics`` (the same keys plus ``final`` -> metric
        dict), also written to ``work_dir/metrics.json``.
    """
    ts = cfg.two_stage
    rules = PseudoLabelRules(**(ts.get('pseudo_labels') or {}))
    check = ts.get('click_check')
    rounds = ts.get('self_training_rounds', 0) if rounds is None else rounds
    stage1 = stage1 if stage1 is not None else load_stage1_config(cfg)
    stage1 = copy.deepcopy(stage1)
    stage1.train_dataloader.dataset = with_heldout_clicks(
        stage1.train_dataloader.dataset, check)
    ckpts = dict(stage1=train_stage(stage1, osp.join(work_dir, 'stage1'),
                                    seed, log))
    source_cfg, source_key, pseudo, quality = stage1, 'stage1', [], []
    records = {}
    for r in range(rounds + 1):
        videos = _labelling_dataset(stage1, source_cfg, ts)
        records[source_key], classes = _label_videos(
            source_cfg, ckpts[source_key], source_key, work_dir, videos,
            rules.instance_seeds)
        pseudo.append(_pseudo_labels(
            records[source_key], classes,
            osp.join(work_dir, f'pseudo_gt_round{r}.json'), rules, log))
        with open(pseudo[-1]) as f:
            quality.append(log_pseudo_label_quality(json.load(f), videos,
                                                    log))
        s2 = stage2_config(cfg, pseudo[-1], check)
        key = f'stage2_round{r}'
        ckpts[key] = train_stage(s2, osp.join(work_dir, key), seed, log)
        source_cfg, source_key = s2, key
    with open(osp.join(work_dir, 'pseudo_label_quality.json'), 'w') as f:
        json.dump(dict(zip(pseudo, quality)), f, indent=1)
    result = dict(checkpoints=ckpts, pseudo_gt=pseudo, quality=quality)
    videos = _labelling_dataset(stage1, source_cfg, ts)
    if check and not videos.get('heldout_clicks'):
        log('click check skipped: the training videos have no click file')
        check = None
    if check:
        records[source_key], _ = _label_videos(
            source_cfg, ckpts[source_key], source_key, work_dir, videos,
            False)
        result['selection'] = _select(records, videos, check, work_dir, log)
    if test:
        metrics = {'stage1': test_stage(stage1, ckpts['stage1'],
                                        osp.join(work_dir, 'test_stage1'))}
        for r in range(rounds + 1):
            key = f'stage2_round{r}'
            metrics[key] = test_stage(stage2_config(cfg, pseudo[r], check),
                                      ckpts[key],
                                      osp.join(work_dir, f'test_{key}'))
        if check:
            metrics['final'] = dict(metrics[result['selection']['final']])
        result['metrics'] = metrics
        with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=1)
    return result


def _select(records: dict, videos: dict, check: dict, work_dir: str,
            log: Callable) -> dict:
    """Score every model on the held-out clicks and keep the best (stage 1
    unless beaten by more than ``margin``)."""
    targets = heldout_click_targets(videos)
    scores = {}
    for key, recs in records.items():
        dets = {r['name']: r['detections'] for r in recs
                if r['name'] in targets}
        scores[key] = click_score(dets, targets)
    final, message = compare_click_scores(scores, 'stage1',
                                          check.get('margin', 0.0))
    log(message)
    selection = dict(final=final, message=message,
                     heldout_videos=sorted(targets),
                     click_scores={k: {m: (None if v != v else v)
                                       for m, v in s.items()}
                                   for k, s in scores.items()})
    with open(osp.join(work_dir, 'selection.json'), 'w') as f:
        json.dump(selection, f, indent=1)
    return selection


STAGE_TABLE_KEYS = ('mAP@0.10', 'mAP@0.30', 'mAP@0.50', 'mAP@0.70',
                    'mAP_avg')


def format_stage_metrics(metrics: Dict[str, Dict[str, float]]) -> str:
    """A markdown table: one row per stage (``{stage: {'tal/mAP@0.50':
    float, ...}}``, in order), mAP at a few tIoUs (2 decimals, ``-`` where
    a metric is missing)."""
    rows = ['| model | ' + ' | '.join(STAGE_TABLE_KEYS) + ' |',
            '|---' * (len(STAGE_TABLE_KEYS) + 1) + '|']
    for name, m in metrics.items():
        vals = [m.get(f'tal/{k}') for k in STAGE_TABLE_KEYS]
        rows.append(f'| {name} | ' + ' | '.join(
            '-' if v is None else f'{v:.2f}' for v in vals) + ' |')
    return '\n'.join(rows)


def run_two_stage_config(config: str,
                         work_dir: Optional[str] = None,
                         seed: Optional[int] = None,
                         rounds: Optional[int] = None,
                         no_test: bool = False,
                         log: Callable[[str], None] = print) -> dict:
    """Run (or continue) the pipeline of a ``configs/two_stage/`` config
    file and log the stage table: ``tools/two_stage.py``.

    Args:
        config (str): A two-stage pipeline config file (with
            ``two_stage`` settings).
        work_dir (str, optional): ``--work-dir``; default
            ``work_dirs/<config name>``.
        seed (int, optional): ``--seed`` of both stages.
        rounds (int, optional): ``--rounds`` of self-training (default: the
            config's).
        no_test (bool): ``--no-test``: train and label only.
        log (callable): receives the table (default: ``print``).

    Returns:
        dict: :func:`~backtal_mmaction.workflows.run_two_stage`'s result.

    Raises:
        FileNotFoundError: the config does not exist.
        ValueError: it has no ``two_stage`` settings.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config not found: {config}')
    cfg = Config.fromfile(config)
    if not cfg.get('two_stage'):
        raise ValueError(f'{config} has no `two_stage` settings '
                         '(is it a configs/two_stage/ pipeline config?)')
    work_dir = work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(config))[0])
    result = run_two_stage(cfg, work_dir, seed=seed, rounds=rounds,
                           test=not no_test)
    if 'metrics' in result:
        log(format_stage_metrics(result['metrics']))
    return result
