"""Run the whole two-stage pipeline of a ``configs/two_stage/`` config:
stage 1 train -> click-checked pseudo-labels -> stage 2 train (-> self-
training rounds) -> test, printing stage 1 vs stage 2.

    python tools/two_stage.py configs/two_stage/backtal_then_anchor_free_synthetic.py \
        --work-dir work_dirs/two_stage_synthetic [--seed 0] [--rounds 1]

Each step is skipped when its output exists in the work dir and a training
step interrupted midway resumes, so re-running the command continues the
pipeline. See ``backtal_mmaction/apis/two_stage.py`` for the layout.

A thin command line over :func:`backtal_mmaction.apis.run_two_stage_config`
(keyword arguments = the flags).
"""
import argparse
import os

# Transparent huge pages for CPU tensors of 2 MiB and more (40-60x fewer
# page faults on a fresh ~100 MB activation; docs/benchmark.md: 5-31%
# faster CPU training steps, same peak memory). PyTorch reads the variable
# once, at its first CPU allocation, so each tool sets it first, before any
# import: it cannot move into backtal_mmaction, whose package __init__
# imports torch. A user's own value (THP_MEM_ALLOC_ENABLE=0) wins; CUDA is
# unaffected.
os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')


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


def main(argv=None) -> dict:
    """Parse ``argv`` and run the pipeline
    (:func:`backtal_mmaction.apis.run_two_stage_config`) under the tools'
    one-line error style; returns its result."""
    args = parse_args(argv)
    from backtal_mmaction.apis import run_two_stage_config
    from backtal_mmaction.cli.errors import run_cli
    return run_cli(lambda _: run_two_stage_config(
        args.config, work_dir=args.work_dir, seed=args.seed,
        rounds=args.rounds, no_test=args.no_test))


if __name__ == '__main__':
    main()
