"""Train a localizer with MMEngine's Runner (MMAction2's argument conventions).

    python tools/train.py configs/backtal/backtal_synthetic.py \
        --work-dir work_dirs/backtal_synthetic [--test] [--resume [CKPT]] \
        [--amp [DTYPE]] [--compile [MODE]] [--tensorboard] \
        [--cfg-options key=value ...] [--cfg-options-allow-new]

Distributed: ``tools/dist_train.sh CONFIG GPUS [args]`` (torchrun) or
``tools/slurm_train.sh``; see docs/workflow.md.

Safety nets on top of MMEngine's runner:

- every ``--cfg-options`` key must exist in the config (or be an argument of
  the class it configures); typos fail before anything runs;
- a work dir that already holds a run is never trained over unless
  ``--resume`` or ``--overwrite`` is given; ``--overwrite`` moves the old
  run's checkpoints and ``last_checkpoint`` into
  ``WORK_DIR/overwritten_<time>/`` (nothing is deleted), so the directory
  holds only the new run's checkpoints;
- ``--resume`` (no value) resumes the checkpoint ``WORK_DIR/last_checkpoint``
  names, relative to the work dir (copied or moved work dirs resume their
  own checkpoints), and says which file it resumed;
- the datasets are built (and their data checked) before the Runner logs
  the environment and config; bad input ends with one ``error:`` line
  (``BACKTAL_DEBUG=1``: the traceback);
- the checkpoint of ``load_from`` / ``--resume`` must match the model
  (keys and shapes), instead of MMEngine's non-strict loading;
- checkpoints are written atomically (``AtomicCheckpointHook``) and carry
  the random generator states (``RNGStateHook``), so ``--resume`` after a
  kill continues exactly where the run stopped.

Speed options:

- ``--amp``: mixed precision for the device the Runner trains on: bf16
  autocast on CPU, MMEngine's AMP with fp16 (dynamic loss scale) on CUDA;
  ``--amp bf16`` / ``--amp fp16`` (also ``bfloat16`` / ``float16``) chooses
  the dtype (fp16 needs CUDA);
- ``--compile [MODE]``: ``torch.compile`` the training step (MMEngine's
  ``cfg.compile``); MODE is one of torch.compile's modes (``default``,
  ``reduce-overhead``, ``max-autotune``, ``max-autotune-no-cudagraphs``);
- on CUDA, dataloaders pin their batches (``pin_memory=True``) and the data
  preprocessor copies them with ``non_blocking=True``, unless the config
  sets these itself.

A thin command line over :func:`backtal_mmaction.apis.train_localizer`
(keyword arguments = the flags).
"""
import argparse
import os

from backtal_mmaction.cli.argv import parse_with_bare_flags
from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)
from backtal_mmaction.utils.setup_env import enable_cpu_huge_pages

# huge pages for large CPU tensors: set before anything imports torch
enable_cpu_huge_pages()

__all__ = ['AMP_DTYPES', 'COMPILE_MODES', 'build_parser', 'parse_args',
           'main']

# --amp DTYPE (backtal_mmaction.engine.amp.DTYPE_NAMES) and --compile MODE
# (backtal_mmaction.apis.train.COMPILE_MODES), spelled out here so that
# --help imports no torch
AMP_DTYPES = ('bf16', 'bfloat16', 'fp16', 'float16')
COMPILE_MODES = ('default', 'reduce-overhead', 'max-autotune',
                 'max-autotune-no-cudagraphs')
# what a config file's name ends with (MMEngine's Config.fromfile)
CONFIG_SUFFIXES = ('.py', '.json', '.yaml', '.yml')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Train a TAL localizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or (no value) from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', nargs='?', const=True, default=False, choices=AMP_DTYPES,
        metavar='DTYPE',
        help='mixed precision; without DTYPE the device\'s default: bf16 '
        'autocast on CPU (fast with avx512_bf16/amx_bf16, warns otherwise), '
        'MMEngine AMP fp16 (dynamic loss scale) on CUDA; DTYPE chooses '
        '(bf16 never scales the loss): '
        f'{", ".join(AMP_DTYPES)} (fp16 needs CUDA)')
    parser.add_argument(
        '--compile', nargs='?', const=True, default=False,
        choices=COMPILE_MODES, metavar='MODE',
        help='torch.compile the training step (MMEngine cfg.compile; the '
        'first iterations compile, hence slow); MODE: '
        f'{", ".join(COMPILE_MODES)} (default: torch.compile\'s default)')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also write TensorBoard event files (needs '
                        'the tensorboard package) next to vis_data/'
                        'scalars.json')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--test', action='store_true',
                        help='run the test split after training and print '
                        'its mAP table')
    parser.add_argument('--overwrite', action='store_true',
                        help='train into a work dir that already holds '
                        'checkpoints of another run: its *.pth files and '
                        'last_checkpoint are first moved into WORK_DIR/'
                        'overwritten_<time>/ (nothing is deleted)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the total batch '
                        '(processes x batch size) over the config\'s '
                        'auto_scale_lr.base_batch_size, the batch its rate '
                        'is set for (MMEngine\'s auto_scale_lr)')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic CUDNN / algorithms')
    add_cfg_options_arguments(parser, 'model.backbone.affinity=official')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def _is_config(token: str) -> bool:
    """Whether ``token`` names a config file, which no value of
    ``--amp``, ``--compile`` or ``--resume`` (a checkpoint) is."""
    return token.endswith(CONFIG_SUFFIXES)


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`).

    ``--amp``, ``--compile`` and ``--resume`` may stand right before the
    config without a value: a config file name is never their value
    (:func:`~backtal_mmaction.cli.argv.parse_with_bare_flags`)."""
    parser = parser or build_parser()
    args = parse_with_bare_flags(parser, argv, _is_config)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None):
    """Parse ``argv`` and train (:func:`backtal_mmaction.apis.train_localizer`)
    under the tools' one-line error style; returns the test metrics with
    ``--test``, else None."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.apis import train_localizer
    return run_cli(lambda _: train_localizer(
        args.config, work_dir=args.work_dir, resume=args.resume,
        amp=args.amp, compile=args.compile, tensorboard=args.tensorboard,
        no_validate=args.no_validate, test=args.test,
        overwrite=args.overwrite, auto_scale_lr=args.auto_scale_lr,
        seed=args.seed,
        deterministic=args.deterministic, cfg_options=args.cfg_options,
        cfg_options_allow_new=args.cfg_options_allow_new,
        launcher=args.launcher), parser=parser)


if __name__ == '__main__':
    main()
