"""Train a localizer with MMEngine's Runner (MMAction2's argument conventions).

    python tools/train.py configs/backtal/backtal_synthetic.py \
        --work-dir work_dirs/backtal_synthetic [--test] [--resume [CKPT]] \
        [--amp] [--cfg-options key=value ...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Train a TAL localizer')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or (no value) from the '
        'latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision training')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--test', action='store_true',
                        help='run the test split after training and print '
                        'its mAP table')
    parser.add_argument('--overwrite', action='store_true',
                        help='allow training into a work dir that already '
                        'holds checkpoints of another run')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic CUDNN / algorithms')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. model.backbone.affinity=official')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def holds_a_run(work_dir: str) -> bool:
    return osp.isdir(work_dir) and any(
        f.endswith('.pth') or f == 'last_checkpoint'
        for f in os.listdir(work_dir))


def merge_args(cfg: Config, args) -> Config:
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    elif holds_a_run(cfg.work_dir) and not args.overwrite:
        raise SystemExit(
            f'{cfg.work_dir} already holds checkpoints of a run; pass '
            '--resume to continue it, --overwrite to train over it, or '
            'another --work-dir.')
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.seed is not None or args.deterministic:
        cfg.setdefault('randomness', {})
        if args.seed is not None:
            cfg.randomness.seed = args.seed
        cfg.randomness.deterministic = args.deterministic
    cfg.launcher = args.launcher
    return cfg


def main():
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = Runner.from_cfg(cfg)
    runner.train()
    if args.test:
        runner.test()


if __name__ == '__main__':
    main()
