"""Run the whole two-stage pipeline of a ``configs/two_stage/`` config:
stage 1 train -> click-checked pseudo-labels -> stage 2 train (-> self-
training rounds) -> test, printing stage 1 vs stage 2.

    python tools/two_stage.py configs/two_stage/backtal_then_anchor_free_synthetic.py \
        --work-dir work_dirs/two_stage_synthetic [--seed 0] [--rounds 1]

Each step is skipped when its output exists in the work dir and a training
step interrupted midway resumes, so re-running the command continues the
pipeline. See ``backtal_mmaction/apis/two_stage.py`` for the layout.
"""
import argparse
import os
import os.path as osp
import sys

if 'THP_MEM_ALLOC_ENABLE' not in os.environ:  # as tools/train.py does
    os.environ['THP_MEM_ALLOC_ENABLE'] = '1'

KEYS = ('mAP@0.10', 'mAP@0.30', 'mAP@0.50', 'mAP@0.70', 'mAP_avg')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='a two-stage pipeline config')
    p.add_argument('--work-dir', help='defaults to work_dirs/<config name>')
    p.add_argument('--seed', type=int, default=None,
                   help='seed of both stages')
    p.add_argument('--rounds', type=int, default=None,
                   help='self-training rounds (default: the config\'s)')
    p.add_argument('--no-test', action='store_true')
    return p.parse_args(argv)


def format_metrics(metrics: dict) -> str:
    """A markdown table: one row per stage, mAP at a few tIoUs."""
    rows = ['| model | ' + ' | '.join(KEYS) + ' |',
            '|---' * (len(KEYS) + 1) + '|']
    for name, m in metrics.items():
        vals = [m.get(f'tal/{k}') for k in KEYS]
        rows.append(f'| {name} | ' + ' | '.join(
            '-' if v is None else f'{v:.2f}' for v in vals) + ' |')
    return '\n'.join(rows)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise SystemExit(f'error: config not found: {args.config}')
    from mmengine.config import Config

    from backtal_mmaction.apis import run_two_stage
    cfg = Config.fromfile(args.config)
    if not cfg.get('two_stage'):
        raise SystemExit(f'error: {args.config} has no `two_stage` settings '
                         '(is it a configs/two_stage/ pipeline config?)')
    work_dir = args.work_dir or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    try:
        result = run_two_stage(cfg, work_dir, seed=args.seed,
                               rounds=args.rounds, test=not args.no_test)
    except (ValueError, FileNotFoundError) as e:
        raise SystemExit(f'error: {e}') from None
    if 'metrics' in result:
        print(format_metrics(result['metrics']))
    return result


if __name__ == '__main__':
    sys.exit(main() and 0)
