"""Train a localizer with MMEngine's Runner (MMAction2's argument conventions).

    python tools/train.py configs/backtal/backtal_synthetic.py \
        --work-dir work_dirs/backtal_synthetic [--test] [--resume [CKPT]] \
        [--amp] [--tensorboard] [--cfg-options key=value ...] [--cfg-options-allow-new]

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
"""
import argparse
import os
import os.path as osp

# CPU: back tensors of 2 MiB and more with transparent huge pages; a fresh
# ~100 MB activation is otherwise page-faulted in 4 KiB pages (40-60x more
# minor faults; docs/benchmark.md: a 5-31% faster CPU training step, same
# peak memory). PyTorch reads the variable once, at its first CPU
# allocation, so it is set before any import that could allocate.
# THP_MEM_ALLOC_ENABLE=0 in the environment opts out; CUDA is unaffected.
if 'THP_MEM_ALLOC_ENABLE' not in os.environ:
    os.environ['THP_MEM_ALLOC_ENABLE'] = '1'

__all__ = ['parse_args', 'merge_args', 'main']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a TAL localizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or (no value) from the '
        'latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training (needs a '
                        'CUDA/NPU/MLU device)')
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
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic CUDNN / algorithms')
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE',
        help='override config settings, e.g. model.backbone.affinity=official'
        '; every key must already exist in the config')
    parser.add_argument(
        '--cfg-options-allow-new', action='store_true',
        help='accept --cfg-options keys that do not exist in the config '
        '(adding new settings on purpose)')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    # Imported after parsing, so --help and usage errors need no torch.
    from backtal_mmaction.engine.cli import parse_cfg_options
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Apply the command line to ``cfg`` (an MMEngine ``Config``),
    validating ``--cfg-options``."""
    from backtal_mmaction.engine.atomic_checkpoint import \
        resolve_last_checkpoint
    from backtal_mmaction.engine.config_check import check_cfg_options
    from backtal_mmaction.engine.runner_utils import (add_custom_hook,
                                                      holds_a_run,
                                                      use_atomic_checkpoints)
    from backtal_mmaction.engine.vis_backends import enable_tensorboard
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options,
                          allow_new=args.cfg_options_allow_new)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.resume == 'auto':
        # The pointer, relative to the work dir (a copied or moved work dir
        # resumes its own checkpoint). No checkpoint yet: MMEngine starts
        # from scratch (requeued jobs can always pass --resume).
        cfg.resume = True
        cfg.load_from = (resolve_last_checkpoint(cfg.work_dir)
                         if osp.isdir(cfg.work_dir) else None)
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume: checkpoint not found: '
                                    f'{args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    elif holds_a_run(cfg.work_dir) and not args.overwrite:
        raise SystemExit(
            f'error: {cfg.work_dir} already holds checkpoints of a run; pass '
            '--resume to continue it, --overwrite to train over it, or '
            'another --work-dir.')
    if args.amp:
        _check_amp_device()
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.tensorboard:
        enable_tensorboard(cfg)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.seed is not None or args.deterministic:
        cfg.setdefault('randomness', {})
        if args.seed is not None:
            cfg.randomness.seed = args.seed
        cfg.randomness.deterministic = args.deterministic
    use_atomic_checkpoints(cfg)
    add_custom_hook(cfg, dict(type='RNGStateHook'))
    add_custom_hook(cfg, dict(type='CheckpointCompatibilityHook'))
    if args.test:
        add_custom_hook(cfg, dict(type='TestSpeedHook'))
    cfg.launcher = args.launcher
    return cfg


def _launch_rank() -> int:
    """This process's global rank as the launcher set it (torchrun, Slurm,
    MPI), before ``init_dist``; 0 without a launcher."""
    for var in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        value = os.environ.get(var)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def _check_amp_device() -> None:
    """MMEngine's ``AmpOptimWrapper`` asserts a CUDA/NPU/MLU/MUSA device;
    say so in one line instead."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_musa_available, is_npu_available)
    if not (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available()):
        raise ValueError(
            '--amp needs a CUDA (or NPU/MLU/MUSA) device, and none is '
            'available: MMEngine\'s AmpOptimWrapper does not run on CPU. '
            'Train on CPU without --amp.')


def main(argv=None, args=None):
    """Train; returns the test metrics with ``--test``, else None.

    ``args``: already parsed arguments (then ``argv`` is ignored).
    """
    args = args or parse_args(argv)
    from mmengine.config import Config

    from backtal_mmaction.engine.runner_utils import (build_runner,
                                                      check_datasets,
                                                      move_aside_run,
                                                      prepare_launcher)
    cfg = merge_args(Config.fromfile(args.config), args)
    # Data errors before the Runner logs the environment and the config.
    check_datasets(cfg, ['train']
                   + (['val'] if cfg.get('val_cfg') else [])
                   + (['test'] if args.test else []))
    if args.overwrite and args.resume is None and _launch_rank() == 0:
        # One process moves the old run aside (before any process group
        # exists, so by the launcher's rank variable).
        move_aside_run(cfg.work_dir)
    prepare_launcher(cfg, args.launcher)
    runner = build_runner(cfg)
    if cfg.get('resume'):
        runner.logger.info(
            f'Resuming from {cfg.load_from}' if cfg.load_from else
            f'--resume: no checkpoint in {cfg.work_dir} yet, training from '
            'scratch')
    runner.train()
    return runner.test() if args.test else None


if __name__ == '__main__':
    # Arguments first (--help and usage errors without importing torch),
    # then the run under the tools' one-line error style.
    cli_args = parse_args()
    from backtal_mmaction.engine.cli import run_cli
    run_cli(lambda _: main(args=cli_args))
