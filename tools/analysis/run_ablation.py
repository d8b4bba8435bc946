"""Train and test each mix-and-match variant with several seeds.

    python tools/analysis/run_ablation.py --data-root data/synthetic \
        --seeds 0 1 2 --out docs/ablation_synthetic.md --update-readme

Writes a markdown table (mAP@tIoU 0.1:0.7 and average, mean +- std over
seeds), a table of paired gains (the same seeds with and without a part:
a module's effect is judged against its own seed-to-seed spread, not against
the spread of the means) and the raw numbers as JSON next to it; with
``--update-readme`` the tables replace the block between
``<!-- ablation:start -->`` and ``<!-- ablation:end -->`` in README.md.
``--from-json`` re-renders them from a saved JSON without training.
``--two-stage`` makes the two-stage block instead (``<!-- two-stage:start
-->``): each ``configs/two_stage`` pipeline per seed (stage 1, stage 2 and
``--rounds`` self-training rounds, paired gains of stage 2 over its own stage
1) and the full-GT upper bound; finished steps in the work dir are reused.
Nothing in the tables is typed by hand.
"""
import argparse
import json
import os
import os.path as osp
import re
import time
from pathlib import Path

import numpy as np
from mmengine.config import Config

from backtal_mmaction.datasets.config_utils import retarget_synthetic_config
from backtal_mmaction.engine.runner_utils import build_runner

REPO = Path(__file__).resolve().parents[2]
THRESHOLDS = ('0.10', '0.20', '0.30', '0.40', '0.50', '0.60', '0.70')
NAMES = {
    '1_weak': 'Weak (video labels)',
    '2_seed2_adversarial': 'Whole-video-as-background (weak)',
    '3_action_click': 'Action clicks (SF-Net protocol)',
    '4_bg_click': 'Background clicks: position loss',
    '5_bg_click_score_sep': '+ score separation',
    '6_backtal': '+ affinity module (BackTAL)',
    '7_backtal_adversarial': 'BackTAL + whole-video background loss',
    '8_seed2_bg_click': 'Adversarial model + bg-click loss + score sep.',
}


def run_one(config: str, seed: int, data_root: str, work_dir: str,
            epochs: int = None) -> dict:
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
    metrics = runner.test()
    return {k.split('/')[-1]: float(v) for k, v in metrics.items()}


# (what is compared, variant with the part, variant without it)
COMPARISONS = (
    ('action clicks vs video labels', '3_action_click', '1_weak'),
    ('background clicks vs action clicks', '4_bg_click', '3_action_click'),
    ('+ score separation', '5_bg_click_score_sep', '4_bg_click'),
    ('+ affinity module', '6_backtal', '5_bg_click_score_sep'),
    ('whole-video-as-background vs weak', '2_seed2_adversarial', '1_weak'),
)


def paired_gains(results: dict, with_part: str, without: str,
                 key: str = 'mAP_avg') -> np.ndarray:
    """Per-seed differences ``with_part - without`` of ``key``; runs are
    paired by position (one invocation trains every variant on the same
    seed list)."""
    a, b = results[with_part], results[without]
    if len(a) != len(b):
        raise ValueError(f'{with_part} has {len(a)} runs, {without} '
                         f'{len(b)}: runs are paired by seed')
    return np.array([x[key] - y[key] for x, y in zip(a, b)], dtype=float)


def format_gains(results: dict) -> str:
    lines = [
        '| comparison (paired by seed) | Δ avg mAP | Δ mAP@0.70 | '
        'seeds with Δ avg > 0 |', '|---|---|---|---|'
    ]
    for label, with_part, without in COMPARISONS:
        if with_part not in results or without not in results:
            continue
        d = paired_gains(results, with_part, without)
        d7 = paired_gains(results, with_part, without, 'mAP@0.70')
        lines.append(f'| {label} | {d.mean():+.1f} ± {d.std():.1f} | '
                     f'{d7.mean():+.1f} ± {d7.std():.1f} | '
                     f'{int((d > 0).sum())}/{d.size} |')
    return '\n'.join(lines)


def format_table(results: dict) -> str:
    head = ('| variant | ' + ' | '.join(f'mAP@{t}' for t in THRESHOLDS) +
            ' | avg |')
    lines = [head, '|' + '---|' * (len(THRESHOLDS) + 2)]
    for variant, runs in results.items():
        cells = []
        for key in [f'mAP@{t}' for t in THRESHOLDS] + ['mAP_avg']:
            vals = np.array([r[key] for r in runs])
            cells.append(f'{vals.mean():.1f} ± {vals.std():.1f}')
        name = NAMES.get(variant, variant)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def update_readme(table: str, note: str, marker: str = 'ablation') -> None:
    path = REPO / 'README.md'
    text = path.read_text()
    block = (f'<!-- {marker}:start -->\n{note}\n\n{table}\n'
             f'<!-- {marker}:end -->')
    new, n = re.subn(rf'<!-- {marker}:start -->.*?<!-- {marker}:end -->',
                     lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit(f'README.md has no <!-- {marker}:start/end --> '
                         'block to update')
    path.write_text(new)


# ---------------------------------------------------------------------------
# Two-stage block: stage 1 -> pseudo-labels -> AnchorFreeTAD, per source
# ---------------------------------------------------------------------------
TWO_STAGE = (  # configs/two_stage/<name>.py, in table order
    'backtal_then_anchor_free_synthetic',
    'action_click_then_anchor_free_synthetic',
    'weak_then_anchor_free_synthetic',
    'anchor_free_tad_synthetic_full_gt',
)
TWO_STAGE_NAMES = {
    'backtal_then_anchor_free_synthetic': 'background clicks (BackTAL)',
    'action_click_then_anchor_free_synthetic': 'action clicks',
    'weak_then_anchor_free_synthetic': 'video labels (weak)',
}
STAGE_NAMES = {'stage1': 'stage 1', 'stage2_round0': 'stage 2',
               'stage2_round1': 'stage 2, 1 self-training round'}


def run_two_stage_variant(name: str, seed: int, data_root: str,
                          work_dir: str, rounds: int) -> dict:
    """``{stage: metrics}`` of one pipeline config (or, for a full-GT
    config, ``{'full_gt': metrics}``). Finished steps in ``work_dir`` are
    reused (``run_two_stage`` skips them), so re-rendering re-tests only."""
    from backtal_mmaction.apis.two_stage import (load_stage1_config,
                                                 run_two_stage, test_stage,
                                                 train_stage)
    cfg = Config.fromfile(str(REPO / 'configs/two_stage' / f'{name}.py'))
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


def two_stage_rows(per_seed: dict) -> dict:
    """``{name: [ {stage: metrics} per seed ]}`` -> table rows
    ``{row label: [metrics per seed]}``."""
    rows = {}
    for name, runs in per_seed.items():
        source = TWO_STAGE_NAMES.get(name)
        for stage in runs[0]:
            label = ('fully supervised upper bound (full GT)'
                     if stage == 'full_gt' else
                     f'{source}: {STAGE_NAMES.get(stage, stage)}')
            rows[label] = [r[stage] for r in runs]
    return rows


def format_two_stage_gains(per_seed: dict) -> str:
    lines = ['| comparison (paired by seed) | Δ avg mAP | Δ mAP@0.10 | '
             'Δ mAP@0.50 | Δ mAP@0.70 | seeds with Δ avg > 0 |',
             '|---|---|---|---|---|---|']
    for name, runs in per_seed.items():
        if 'stage1' not in runs[0]:
            continue
        for stage in [s for s in runs[0] if s.startswith('stage2')]:
            d = {k: np.array([r[stage][k] - r['stage1'][k] for r in runs])
                 for k in ('mAP_avg', 'mAP@0.10', 'mAP@0.50', 'mAP@0.70')}
            cells = ' | '.join(f'{d[k].mean():+.1f} ± {d[k].std():.1f}'
                               for k in ('mAP_avg', 'mAP@0.10', 'mAP@0.50',
                                         'mAP@0.70'))
            lines.append(f'| {TWO_STAGE_NAMES[name]}: '
                         f'{STAGE_NAMES.get(stage, stage)} vs stage 1 | '
                         f'{cells} | {int((d["mAP_avg"] > 0).sum())}/'
                         f'{len(runs)} |')
    return '\n'.join(lines)


def two_stage_main(args) -> None:
    if args.from_json:
        data = json.loads(Path(args.from_json[0]).read_text())
        per_seed, note = data['results'], data['note']
    else:
        names = args.variants or list(TWO_STAGE)
        per_seed = {}
        for name in names:
            per_seed[name] = []
            for seed in args.seeds:
                t0 = time.time()
                rounds = args.rounds if name.startswith('backtal') else 0
                per_seed[name].append(run_two_stage_variant(
                    name, seed, args.data_root,
                    osp.join(args.work_dir, name, f'seed{seed}'), rounds))
                print(f'{name} seed {seed} ({time.time() - t0:.0f} s)',
                      flush=True)
        note = (f'Synthetic benchmark (`{args.data_root}`), '
                f'{len(args.seeds)} seeds '
                f'({", ".join(map(str, args.seeds))}), last epoch of each '
                'stage, mean ± std; stage 2 is `AnchorFreeTAD` trained on '
                'the pseudo-labels of stage 1; generated by '
                '`tools/analysis/run_ablation.py --two-stage`.')
    report = (f'{format_table(two_stage_rows(per_seed))}\n\n'
              f'{format_two_stage_gains(per_seed)}')
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    if not args.from_json:
        Path(osp.splitext(args.out)[0] + '.json').write_text(
            json.dumps(dict(note=note, results=per_seed), indent=1))
    Path(args.out).write_text(f'{note}\n\n{report}\n')
    print(report)
    if args.update_readme:
        update_readme(report, note, marker='two-stage')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument('--config-dir', default='configs/ablation/synthetic')
    parser.add_argument('--variants', nargs='*',
                        help='config names without .py (default: all)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--epochs', type=int, help='override max_epochs')
    parser.add_argument('--work-dir', default='work_dirs/ablation')
    parser.add_argument('--out', default='docs/ablation_synthetic.md')
    parser.add_argument('--update-readme', action='store_true')
    parser.add_argument('--from-json', nargs='+',
                        help='re-render the tables from these JSONs (written '
                        'by earlier runs, e.g. variants run in parallel; '
                        'merged) instead of training')
    parser.add_argument('--two-stage', action='store_true',
                        help='the two-stage block instead: configs/two_stage '
                        'pipelines (stage 1 -> pseudo-labels -> stage 2) '
                        'and the full-GT upper bound; --variants names '
                        'configs/two_stage files, --work-dir defaults to '
                        'work_dirs/two_stage_ablation, --out to '
                        'docs/two_stage_synthetic.md')
    parser.add_argument('--rounds', type=int, default=0,
                        help='self-training rounds of the BackTAL pipeline '
                        '(--two-stage)')
    args = parser.parse_args()
    if args.two_stage:
        if args.work_dir == 'work_dirs/ablation':
            args.work_dir = 'work_dirs/two_stage_ablation'
        if args.out == 'docs/ablation_synthetic.md':
            args.out = 'docs/two_stage_synthetic.md'
        two_stage_main(args)
        return
    if args.from_json:
        try:
            results, note = load_results(args.from_json)
        except (OSError, ValueError) as e:
            raise SystemExit(f'error: {e}')
        # A merge keeps its numbers next to the table; one file already is.
        write_report(results, note, args.out, args.update_readme,
                     save_json=len(args.from_json) > 1)
        return
    if len(args.seeds) < 3:
        print('warning: fewer than 3 seeds; std is not meaningful')
    configs = sorted(Path(args.config_dir).glob('[0-9]_*.py'))
    if args.variants:
        configs = [c for c in configs if c.stem in args.variants]
    if not configs:
        raise SystemExit(f'no variant config found in {args.config_dir}')
    if not osp.isfile(osp.join(args.data_root, 'gt.json')):
        raise SystemExit(f'{args.data_root} holds no benchmark; run '
                         'tools/data/generate_synthetic.py first')
    results = {}
    for cfg_path in configs:
        runs = []
        for seed in args.seeds:
            t0 = time.time()
            m = run_one(str(cfg_path), seed, args.data_root,
                        osp.join(args.work_dir, cfg_path.stem, f'seed{seed}'),
                        args.epochs)
            runs.append(m)
            print(f'{cfg_path.stem} seed {seed}: avg mAP {m["mAP_avg"]:.2f} '
                  f'({time.time() - t0:.0f} s)', flush=True)
        results[cfg_path.stem] = runs
    note = (f'Synthetic benchmark (`{args.data_root}`), {len(args.seeds)} '
            f'seeds ({", ".join(map(str, args.seeds))}), last epoch, '
            'mean ± std; generated by `tools/analysis/run_ablation.py`.')
    write_report(results, note, args.out, args.update_readme, save_json=True)


def write_report(results: dict, note: str, out: str, update: bool,
                 save_json: bool) -> None:
    """Write the tables to ``out`` (and the numbers to ``out``'s ``.json``
    with ``save_json``); with ``update`` also into README.md."""
    report = f'{format_table(results)}\n\n{format_gains(results)}'
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    if save_json:
        Path(osp.splitext(out)[0] + '.json').write_text(
            json.dumps(dict(note=note, results=results), indent=1))
    Path(out).write_text(f'{note}\n\n{report}\n')
    print(report)
    if update:
        update_readme(report, note)


def load_results(paths) -> tuple:
    """``(results, note)`` merged from JSONs written by this script (e.g.
    variants run in parallel processes). They must come from the same
    benchmark and seeds (same note) and hold different variants."""
    results, note = {}, None
    for path in paths:
        data = json.loads(Path(path).read_text())
        if 'results' not in data or 'note' not in data:
            raise ValueError(f'{path}: not a results file of this script '
                             "(no 'results' / 'note')")
        if note is not None and data['note'] != note:
            raise ValueError(f'{path}: other benchmark or seeds '
                             f'({data["note"]!r} vs {note!r})')
        note = data['note']
        both = sorted(set(results) & set(data['results']))
        if both:
            raise ValueError(f'{path}: variants {both} are in two files')
        results.update(data['results'])
    # Table rows in variant order whatever the order of the files.
    return dict(sorted(results.items())), note


if __name__ == '__main__':
    main()
