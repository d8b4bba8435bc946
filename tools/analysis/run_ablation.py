"""Train and test each mix-and-match variant with several seeds.

    python tools/analysis/run_ablation.py --data-root data/synthetic \
        --seeds 0 1 2 --out docs/ablation_synthetic.md --update-readme

Writes a markdown table (mAP@tIoU 0.1:0.7 and average, mean +- std over
seeds) and the raw numbers as JSON next to it; with ``--update-readme`` the
table replaces the block between ``<!-- ablation:start -->`` and
``<!-- ablation:end -->`` in README.md. Nothing in the table is typed by
hand.
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
from mmengine.runner import Runner

from backtal_mmaction.datasets.config_utils import retarget_synthetic_config

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
    cfg.experiment_name = f'{osp.basename(work_dir)}_{time.time_ns()}'
    # Model selection is not part of the ablation: the last epoch is tested.
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.train_cfg.pop('val_interval', None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1,
                                        save_last=False)
    cfg.log_level = 'WARNING'
    if epochs:
        cfg.train_cfg.max_epochs = epochs
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    return {k.split('/')[-1]: float(v) for k, v in metrics.items()}


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


def update_readme(table: str, note: str) -> None:
    path = REPO / 'README.md'
    text = path.read_text()
    block = f'<!-- ablation:start -->\n{note}\n\n{table}\n<!-- ablation:end -->'
    new, n = re.subn(r'<!-- ablation:start -->.*?<!-- ablation:end -->',
                     lambda _: block, text, flags=re.S)
    if n != 1:
        raise SystemExit('README.md has no <!-- ablation:start/end --> '
                         'block to update')
    path.write_text(new)


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
    args = parser.parse_args()
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
    table = format_table(results)
    note = (f'Synthetic benchmark (`{args.data_root}`), {len(args.seeds)} '
            f'seeds ({", ".join(map(str, args.seeds))}), last epoch, '
            'mean ± std; generated by `tools/analysis/run_ablation.py`.')
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    Path(args.out).write_text(f'{note}\n\n{table}\n')
    Path(osp.splitext(args.out)[0] + '.json').write_text(
        json.dumps(results, indent=1))
    print(table)
    if args.update_readme:
        update_readme(table, note)


if __name__ == '__main__':
    main()
