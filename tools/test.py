"""Test a checkpoint with MMEngine's Runner (MMAction2's argument conventions).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] \
        [--dump preds.pkl] [--out-json results.json] [--cfg-options ...]
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description='Test a TAL localizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the logs')
    parser.add_argument('--dump', type=str,
                        help='dump the raw predictions to a pickle file')
    parser.add_argument('--out-json', type=str,
                        help='write detections as ActivityNet result JSON')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. '
        'model.post_processor.nms_mode=official')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.launcher = args.launcher
    if args.out_json:
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            evaluator = evaluator[0]
        evaluator['dump_results'] = args.out_json
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump must end with .pkl or .pickle')
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
