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
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_one(config: str, seed: int, data_root: str, work_dir: str,
            epochs: int = None) -> dict:
    from mmengine.config import Config

    from backtal_mmaction.datasets.config_utils import \
        retarget_synthetic_config
    from backtal_mmaction.engine.runner_utils import build_runner
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


# ---------------------------------------------------------------------------
# Two-stage block: stage 1 -> pseudo-labels -> AnchorFreeTAD, per source
# ---------------------------------------------------------------------------


def run_two_stage_variant(name: str, seed: int, data_root: str,
                          work_dir: str, rounds: int) -> dict:
    """``{stage: metrics}`` of one pipeline config (or, for a full-GT
    config, ``{'full_gt': metrics}``). Finished steps in ``work_dir`` are
    reused (``run_two_stage`` skips them), so re-rendering re-tests only."""
    from mmengine.config import Config

    from backtal_mmaction.apis.two_stage import (load_stage1_config,
                                                 run_two_stage, test_stage,
                                                 train_stage)
    from backtal_mmaction.datasets.config_utils import \
        retarget_synthetic_config
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


def two_stage_main(args) -> None:
    from backtal_mmaction.evaluation.ablation_report import (
        TWO_STAGE, format_table, format_two_stage_gains, two_stage_rows,
        update_readme)
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
        update_readme(report, note, marker='two-stage',
                      readme=str(REPO / 'README.md'))


def main(argv=None):
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
    args = parser.parse_args(argv)
    # Imported after parsing: --help answers without torch.
    from backtal_mmaction.evaluation.ablation_report import (load_results,
                                                             write_report)
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
                     save_json=len(args.from_json) > 1,
                     readme=str(REPO / 'README.md'))
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
    write_report(results, note, args.out, args.update_readme, save_json=True,
                 readme=str(REPO / 'README.md'))


if __name__ == '__main__':
    try:
        main()
    except ValueError as e:  # a README without the block, bad result files
        raise SystemExit(f'error: {e}')
