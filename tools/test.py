"""Test a checkpoint with MMEngine's Runner (MMAction2's argument conventions).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] \
        [--dump preds.pkl] [--out-json results.json] [--save-raw RAW_DIR] \
        [--vis-cas N [--vis-dir DIR]] [--overwrite] [--cfg-options ...]

- ``--out-json``: detections as ActivityNet result JSON (input of
  ``tools/analysis/eval_detections.py`` / ``diagnose_errors.py``);
- ``--save-raw``: every video's raw outputs (CAS, video scores, magnitude,
  foreground weights) as ``RAW_DIR/<video>.npz``, to re-tune the
  post-processing offline with ``tools/analysis/postprocess_raw.py``;
- ``--vis-cas N``: CAS figures of the first N videos (per rank);
- the checkpoint must match the model built from the config (keys and
  shapes) and ``--cfg-options`` keys must exist; both fail before testing;
- ``--out-json`` / ``--dump`` files and ``--save-raw`` / ``--vis-dir``
  directories that already hold results are never replaced without
  ``--overwrite``;
- bad input ends with one ``error:`` line (``BACKTAL_DEBUG=1``: traceback).

Distributed: ``tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``.
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

__all__ = ['parse_args', 'build_test_cfg', 'main']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a TAL localizer')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where to save the logs')
    parser.add_argument('--dump', type=str,
                        help='dump the raw predictions to a pickle file')
    parser.add_argument('--out-json', type=str,
                        help='write detections as ActivityNet result JSON')
    parser.add_argument(
        '--save-raw', metavar='DIR',
        help='save each video\'s raw outputs (CAS, video scores, magnitude, '
        'foreground weights, metainfo) as DIR/<video>.npz for '
        'tools/analysis/postprocess_raw.py')
    parser.add_argument(
        '--vis-cas', type=int, metavar='N', default=0,
        help='draw the CAS figure of the first N test videos (per rank) '
        'into the visualizer backends (work_dir/<time>/vis_data/vis_image)')
    parser.add_argument('--vis-dir',
                        help='with --vis-cas: also write DIR/<video>.png')
    parser.add_argument(
        '--overwrite', action='store_true',
        help='allow replacing an existing --out-json / --dump file and '
        'writing into a --save-raw / --vis-dir directory that holds raw '
        'outputs / figures')
    parser.add_argument(
        '--cfg-options', nargs='+', metavar='KEY=VALUE',
        help='override config settings, e.g. '
        'model.post_processor.nms_mode=official; every key must already '
        'exist in the config')
    parser.add_argument(
        '--cfg-options-allow-new', action='store_true',
        help='accept --cfg-options keys that do not exist in the config')
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


def _first_evaluator(cfg):
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)):
        evaluator = evaluator[0]
    return evaluator


def build_test_cfg(args):
    """The config (an MMEngine ``Config``) of a test run, from the command
    line."""
    from mmengine.config import Config

    from backtal_mmaction.engine.config_check import check_cfg_options
    from backtal_mmaction.engine.runner_utils import (add_custom_hook,
                                                      check_output_file)
    if not osp.isfile(args.checkpoint) and '://' not in args.checkpoint:
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options,
                          allow_new=args.cfg_options_allow_new)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    for option, path in (('--out-json', args.out_json),
                         ('--dump', args.dump)):
        if path:
            check_output_file(path, option, overwrite=args.overwrite)
    if args.out_json:
        evaluator = _first_evaluator(cfg)
        evaluator['dump_results'] = args.out_json
        if args.overwrite:
            evaluator['overwrite_dump'] = True
    if args.dump:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('error: --dump must end with .pkl or .pickle')
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    add_custom_hook(cfg, dict(type='CheckpointCompatibilityHook'))
    add_custom_hook(cfg, dict(type='TestSpeedHook'))
    if args.save_raw:
        add_custom_hook(
            cfg,
            dict(type='SaveRawOutputsHook', out_dir=args.save_raw,
                 overwrite=args.overwrite))
    if args.vis_cas:
        if args.vis_dir and not args.overwrite:
            from backtal_mmaction.engine.hooks.cas_visualization_hook import \
                check_no_figures
            check_no_figures(args.vis_dir)
        add_custom_hook(
            cfg,
            dict(type='CASVisualizationHook', num_videos=args.vis_cas,
                 out_dir=args.vis_dir, overwrite=args.overwrite))
    elif args.vis_dir:
        raise SystemExit('error: --vis-dir needs --vis-cas N')
    cfg.launcher = args.launcher
    return cfg


def main(argv=None, args=None) -> dict:
    """Test; returns the metrics. ``args``: already parsed arguments (then
    ``argv`` is ignored)."""
    args = args or parse_args(argv)
    from backtal_mmaction.engine.runner_utils import (build_runner,
                                                      check_datasets,
                                                      prepare_launcher)
    cfg = build_test_cfg(args)
    # Data errors (GT, features, missing fps) before the Runner logs the
    # environment and the config.
    check_datasets(cfg, ['test'])
    prepare_launcher(cfg, args.launcher)
    runner = build_runner(cfg)
    return runner.test()


if __name__ == '__main__':
    # Arguments first (--help and usage errors without importing torch),
    # then the run under the tools' one-line error style.
    cli_args = parse_args()
    from backtal_mmaction.engine.cli import run_cli
    run_cli(lambda _: main(args=cli_args))
