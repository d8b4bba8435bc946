"""The two-stage pipeline: stage 1 (click-supervised, e.g. BackTAL) ->
click-checked pseudo-segments -> stage 2 (:class:`AnchorFreeTAD`) ->
optional self-training rounds -> test.

A pipeline config is a normal stage-2 config plus a ``two_stage`` dict::

    two_stage = dict(
        stage1='../backtal/backtal_synthetic.py',  # relative to this file
        pseudo_labels=dict(rel_score_thr=0.5, topk=10),  # PseudoLabelRules
        self_training_rounds=0)

Its training ``ann_file`` is replaced by each round's pseudo-GT file. Work
dir layout (each step is skipped when its output exists, and a training
step interrupted midway resumes from its ``last_checkpoint``)::

    WORK_DIR/stage1/epoch_N.pth             stage-1 model
    WORK_DIR/pseudo_gt_round0.json          from stage 1
    WORK_DIR/stage2_round0/epoch_M.pth      stage 2 on round-0 pseudo-GT
    WORK_DIR/pseudo_gt_round1.json          from stage 2 round 0 (self-
    WORK_DIR/stage2_round1/epoch_M.pth      training), ...
    WORK_DIR/metrics.json                   test metrics of stage 1 and of
                                            every stage-2 round
"""
import copy
import json
import os.path as osp
from typing import Callable, Dict, Optional

from mmengine.config import Config

__all__ = ['load_stage1_config', 'run_two_stage', 'final_checkpoint',
           'stage2_config', 'train_stage', 'test_stage']


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
    from ..engine.runner_utils import build_runner
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
    from ..engine.runner_utils import build_runner
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.load_from, cfg.resume = ckpt, False
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    metrics = build_runner(cfg).test()
    return {k: float(v) for k, v in metrics.items()}


def _pseudo_labels(cfg: Config, ckpt: str, out: str, rules,
                   dataset_cfg: dict, log: Callable) -> str:
    from ..engine.atomic_checkpoint import atomic_write
    from .pseudo_labels import generate_pseudo_gt
    if osp.isfile(out):
        log(f'skip: {out} exists')
        return out
    gt = generate_pseudo_gt(cfg, ckpt, rules, dataset_cfg=dataset_cfg)
    atomic_write(out, json.dumps(gt))
    info = gt['pseudo_labels']
    log(f'{info["segments"]} pseudo-segments on {info["videos"]} videos -> '
        f'{out}')
    return out


def stage2_config(cfg: Config, pseudo_gt: str) -> Config:
    """``cfg`` with its training GT replaced by ``pseudo_gt``."""
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset.ann_file = pseudo_gt
    cfg.pop('two_stage', None)
    return cfg


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
        ``pseudo_gt`` (list of files) and, with ``test``, ``metrics``
        (the same keys -> metric dict), also written to
        ``work_dir/metrics.json``.
    """
    from .inference import training_videos_dataset_cfg
    from .pseudo_labels import PseudoLabelRules
    ts = cfg.two_stage
    rules = PseudoLabelRules(**(ts.get('pseudo_labels') or {}))
    rounds = ts.get('self_training_rounds', 0) if rounds is None else rounds
    stage1 = stage1 if stage1 is not None else load_stage1_config(cfg)
    ckpts = dict(stage1=train_stage(stage1, osp.join(work_dir, 'stage1'),
                                    seed, log))
    source_cfg, source_ckpt, pseudo = stage1, ckpts['stage1'], []
    for r in range(rounds + 1):
        # always the stage-1 training videos, GT video labels and clicks,
        # read through the labelling model's own test pipeline
        videos = training_videos_dataset_cfg(stage1)
        videos['pipeline'] = copy.deepcopy(
            source_cfg.test_dataloader.dataset.pipeline)
        pseudo.append(_pseudo_labels(
            source_cfg, source_ckpt,
            osp.join(work_dir, f'pseudo_gt_round{r}.json'), rules, videos,
            log))
        s2 = stage2_config(cfg, pseudo[-1])
        key = f'stage2_round{r}'
        ckpts[key] = train_stage(s2, osp.join(work_dir, key), seed, log)
        source_cfg, source_ckpt = s2, ckpts[key]
    result = dict(checkpoints=ckpts, pseudo_gt=pseudo)
    if test:
        metrics = {'stage1': test_stage(stage1, ckpts['stage1'],
                                        osp.join(work_dir, 'test_stage1'))}
        for r in range(rounds + 1):
            key = f'stage2_round{r}'
            metrics[key] = test_stage(stage2_config(cfg, pseudo[r]),
                                      ckpts[key],
                                      osp.join(work_dir, f'test_{key}'))
        result['metrics'] = metrics
        with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=1)
    return result
