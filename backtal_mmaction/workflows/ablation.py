"""Train and test each mix-and-match variant (or two-stage pipeline) with
several seeds and write the ablation tables: the functions behind
``tools/analysis/run_ablation.py``.

The tables themselves (mean +- std over seeds, paired gains, the README
block) are rendered by :mod:`backtal_mmaction.evaluation.ablation_report`;
nothing in them is typed by hand.
"""
import json
import os
import os.path as osp
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from ..cli.runner import build_runner
from ..datasets.config_utils import retarget_synthetic_config
from ..evaluation.ablation_report import (TWO_STAGE, format_pipeline_checks,
                                          format_table,
                                          format_two_stage_gains,
                                          load_results, read_pipeline_checks,
                                          two_stage_rows, write_report)
from ..evaluation.ablation_report import update_readme as update_readme_block
from .two_stage import (load_stage1_config, run_two_stage, test_stage,
                        train_stage)

__all__ = [
    'train_test_variant', 'run_two_stage_variant', 'run_ablation',
    'run_two_stage_ablation', 'rerender_ablation', 'variant_config'
]



def _seeds_text(seeds: Sequence[int]) -> str:
    """``3 seeds (0, 1, 2)``; ``1 seed (0)``."""
    return (f'{len(seeds)} seed{"s" if len(seeds) != 1 else ""} '
            f'({", ".join(map(str, seeds))})')

def _short(metrics: dict) -> Dict[str, float]:
    """``{'tal/mAP@0.50': v}`` -> ``{'mAP@0.50': float(v)}``."""
    return {k.split('/')[-1]: float(v) for k, v in metrics.items()}


def train_test_variant(config: str, seed: int, data_root: str,
                       work_dir: str,
                       epochs: Optional[int] = None) -> Dict[str, float]:
    """Train one variant config on the synthetic benchmark at ``data_root``
    with ``seed`` and test its last epoch (model selection is not part of
    the ablation: no validation, no checkpoints).

    Returns:
        dict: ``{'mAP@0.10': float, ..., 'mAP_avg': float}`` (percent).
    """
    cfg = Config.fromfile(config)
    retarget_synthetic_config(cfg, data_root)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed, deterministic=False)
    # Model selection is not part of the ablation: the last epoch is tested.
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.train_cfg.pop('val_interval', None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1,
                                        save_last=False)
    cfg.log_level = 'WARNING'
    if epochs:
        cfg.train_cfg.max_epochs = epochs
    runner = build_runner(cfg)
    runner.train()
    return _short(runner.test())


def run_two_stage_variant(config: str, seed: int, data_root: str,
                          work_dir: str, rounds: int) -> dict:
    """``{stage: metrics}`` of one ``configs/two_stage`` pipeline config
    (or, for a full-GT config without ``two_stage`` settings,
    ``{'full_gt': metrics}``), metrics keyed ``'mAP@0.50'`` etc. Finished
    steps in ``work_dir`` are reused (``run_two_stage`` skips them), so
    re-rendering re-tests only."""
    cfg = Config.fromfile(config)
    retarget_synthetic_config(cfg, data_root)
    cfg.log_level = 'WARNING'
    if not cfg.get('two_stage'):
        ckpt = train_stage(cfg, work_dir, seed)
        m = test_stage(cfg, ckpt, osp.join(work_dir, 'test'))
        return {'full_gt': {k.split('/')[-1]: v for k, v in m.items()}}
    # the pseudo-GT file replaces the training ann_file; keep the clicks
    # and features of data_root
    stage1 = load_stage1_config(cfg)
    retarget_synthetic_config(stage1, data_root)
    stage1.log_level = 'WARNING'
    res = run_two_stage(cfg, work_dir, seed=seed, rounds=rounds,
                        stage1=stage1, log=lambda msg: None)
    return {stage: {k.split('/')[-1]: v for k, v in m.items()}
            for stage, m in res['metrics'].items()}


def run_ablation(config_dir: str,
                 data_root: str,
                 seeds: Sequence[int],
                 work_dir: str,
                 out: str,
                 variants: Optional[Sequence[str]] = None,
                 epochs: Optional[int] = None,
                 update_readme: bool = False,
                 readme: str = 'README.md',
                 log: Callable[[str], None] = print) -> Dict[str, List[dict]]:
    """Train and test every ``config_dir/[0-9]_*.py`` variant (or those
    named in ``variants``) with each seed; write the tables to ``out``, the
    numbers to ``out``'s ``.json`` and, with ``update_readme``, the block
    of ``readme``.

    Returns:
        dict: ``{variant: [metrics of each seed]}``.

    Raises:
        FileNotFoundError: no variant config matches, or ``data_root`` holds
            no benchmark (``gt.json``).
    """
    if len(seeds) < 3:
        log('warning: fewer than 3 seeds; std is not meaningful')
    configs = sorted(Path(config_dir).glob('[0-9]_*.py'))
    if variants:
        configs = [c for c in configs if c.stem in variants]
    if not configs:
        raise FileNotFoundError(f'no variant config found in {config_dir}')
    if not osp.isfile(osp.join(data_root, 'gt.json')):
        raise FileNotFoundError(f'{data_root} holds no benchmark; run '
                                'tools/data/generate_synthetic.py first')
    results = {}
    for cfg_path in configs:
        runs = []
        for seed in seeds:
            t0 = time.time()
            m = train_test_variant(
                str(cfg_path), seed, data_root,
                osp.join(work_dir, cfg_path.stem, f'seed{seed}'), epochs)
            runs.append(m)
            log(f'{cfg_path.stem} seed {seed}: avg mAP {m["mAP_avg"]:.2f} '
                f'({time.time() - t0:.0f} s)')
        results[cfg_path.stem] = runs
    note = (f'Synthetic benchmark (`{data_root}`), {_seeds_text(seeds)}, '
            'last epoch, '
            'mean ± std; generated by `tools/analysis/run_ablation.py`.')
    write_report(results, note, out, update_readme, save_json=True,
                 readme=readme)
    return results


def rerender_ablation(from_json: Sequence[str], out: str,
                      update_readme: bool = False,
                      readme: str = 'README.md') -> Dict[str, List[dict]]:
    """Re-render the ablation tables from saved JSONs without training
    (several files, e.g. variants run in parallel, are merged; the merge
    keeps its numbers next to the table).

    Returns:
        dict: the merged ``{variant: [metrics of each seed]}``.
    """
    results, note = load_results(from_json)
    write_report(results, note, out, update_readme,
                 save_json=len(from_json) > 1, readme=readme)
    return results


def variant_config(two_stage_dir: str, name: str) -> str:
    """The config file of a two-stage table row: a pipeline of
    ``two_stage_dir`` (``configs/two_stage``) or a detector config of its
    sibling ``anchor_free_tad`` folder (the full-GT upper bound).

    Raises:
        FileNotFoundError: in neither folder (naming both).
    """
    candidates = [
        osp.join(two_stage_dir, f'{name}.py'),
        osp.join(osp.dirname(osp.normpath(two_stage_dir)), 'anchor_free_tad',
                 f'{name}.py')
    ]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'two-stage variant {name!r}: no config '
                            f'{candidates[0]} or {candidates[1]}')


def run_two_stage_ablation(two_stage_dir: str,
                           data_root: str,
                           seeds: Sequence[int],
                           work_dir: str,
                           out: str,
                           variants: Optional[Sequence[str]] = None,
                           rounds: int = 0,
                           from_json: Optional[Sequence[str]] = None,
                           update_readme: bool = False,
                           readme: str = 'README.md',
                           log: Callable[[str], None] = print) -> dict:
    """The two-stage block: each ``two_stage_dir/<name>.py`` pipeline per
    seed (stage 1, stage 2 and ``rounds`` self-training rounds for the
    BackTAL pipelines) and the full-GT upper bound, or (``from_json``) the
    numbers of an earlier run; writes ``out`` (and its ``.json`` when it
    trained) and, with ``update_readme``, the two-stage block of
    ``readme``.

    Returns:
        dict: ``{name: [{stage: metrics} of each seed]}``.
    """
    if from_json:
        data = json.loads(Path(from_json[0]).read_text())
        per_seed, note = data['results'], data['note']
        checks = data.get('checks', {})
    else:
        per_seed, checks = {}, {}
        for name in variants or list(TWO_STAGE):
            per_seed[name] = []
            for seed in seeds:
                t0 = time.time()
                per_seed[name].append(run_two_stage_variant(
                    variant_config(two_stage_dir, name), seed, data_root,
                    osp.join(work_dir, name, f'seed{seed}'),
                    rounds if name.startswith('backtal') else 0))
                checks.setdefault(name, []).append(read_pipeline_checks(
                    osp.join(work_dir, name, f'seed{seed}')))
                log(f'{name} seed {seed} ({time.time() - t0:.0f} s)')
        note = (f'Synthetic benchmark (`{data_root}`), '
                f'{_seeds_text(seeds)}, last epoch of each '
                'stage, mean ± std; stage 2 is `AnchorFreeTAD` trained on '
                'the pseudo-labels of stage 1; generated by '
                '`tools/analysis/run_ablation.py --two-stage`.')
    report = (f'{format_table(two_stage_rows(per_seed))}\n\n'
              f'{format_two_stage_gains(per_seed)}')
    extra = format_pipeline_checks(
        {k: v for k, v in checks.items() if k in per_seed}, per_seed)
    if extra:
        report += f'\n\n{extra}'
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    if not from_json:
        Path(osp.splitext(out)[0] + '.json').write_text(
            json.dumps(dict(note=note, results=per_seed, checks=checks),
                       indent=1))
    Path(out).write_text(f'{note}\n\n{report}\n')
    log(report)
    if update_readme:
        update_readme_block(report, note, marker='two-stage',
                            readme=readme)
    return per_seed
