"""Run the whole two-stage pipeline of a ``configs/two_stage/`` config:
stage 1 train -> click-checked pseudo-labels -> stage 2 train (-> self-
training rounds) -> test, printing stage 1 vs stage 2.

    python tools/two_stage.py configs/two_stage/backtal_then_anchor_free_synthetic.py \
        --work-dir work_dirs/two_stage_synthetic [--seed 0] [--rounds 1] \
        [--cfg-options k=v ...] [--stage1-cfg-options k=v ...]

Each step is skipped when its output exists in the work dir and a training
step interrupted midway resumes, so re-running the command (or with a
larger ``--rounds``) continues the pipeline. A work dir holds one run: a
later run with another ``--seed`` or config stops with an error naming
what differs (give it a new ``--work-dir``). See
``backtal_mmaction/workflows/two_stage.py`` for the layout.

A thin command line over :func:`backtal_mmaction.workflows.run_two_stage_config`
(keyword arguments = the flags).
"""
import argparse

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)
from backtal_mmaction.utils.setup_env import enable_cpu_huge_pages

# huge pages for large CPU tensors: set before anything imports torch
enable_cpu_huge_pages()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('config', help='a two-stage pipeline config')
    p.add_argument('--work-dir', help='defaults to work_dirs/<config name>')
    p.add_argument('--seed', type=int, default=None,
                   help='seed of both stages')
    p.add_argument('--rounds', type=int, default=None,
                   help='self-training rounds, >= 0 (default: the '
                   'config\'s)')
    p.add_argument('--no-test', action='store_true')
    add_cfg_options_arguments(
        p, 'train_cfg.max_epochs=2',
        what='the pipeline config (stage 2 and two_stage)', allow_new=False)
    add_cfg_options_arguments(
        p, 'train_cfg.max_epochs=2', what='the stage-1 config',
        flag='--stage1-cfg-options', allow_new=False)
    return p


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    args.stage1_cfg_options = parse_cfg_options(
        parser, args.stage1_cfg_options, '--stage1-cfg-options')
    return args


def main(argv=None) -> dict:
    """Parse ``argv`` and run the pipeline
    (:func:`backtal_mmaction.workflows.run_two_stage_config`) under the tools'
    one-line error style; returns its result."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.workflows import run_two_stage_config
    return run_cli(lambda _: run_two_stage_config(
        args.config, work_dir=args.work_dir, seed=args.seed,
        rounds=args.rounds, no_test=args.no_test,
        cfg_options=args.cfg_options,
        stage1_cfg_options=args.stage1_cfg_options), parser=parser)


if __name__ == '__main__':
    main()
