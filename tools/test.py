"""Test a checkpoint with MMEngine's Runner (MMAction2's argument conventions).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] \
        [--dump preds.pkl] [--out-json results.json] [--save-raw RAW_DIR] \
        [--vis-cas N [--vis-dir DIR]] [--overwrite] [--cfg-options ...]

- ``--out-json``: detections as ActivityNet result JSON (input of
  ``tools/analysis/eval_detections.py`` / ``diagnose_errors.py``);
- ``--save-raw``: every video's raw outputs (what its post-processor
  reads: BackTAL's CAS, video scores, magnitude, foreground weights;
  AnchorFreeTAD's point logits, distances and points) as
  ``RAW_DIR/<video>.npz``, to re-tune the post-processing offline with
  ``tools/analysis/postprocess_raw.py``;
- ``--vis-cas N``: CAS figures of the first N videos (per rank);
- the checkpoint must match the model built from the config (keys and
  shapes) and ``--cfg-options`` keys must exist; both fail before testing;
- ``--out-json`` / ``--dump`` files and ``--save-raw`` / ``--vis-dir``
  directories that already hold results are never replaced without
  ``--overwrite``;
- bad input ends with one ``error:`` line (``BACKTAL_DEBUG=1``: traceback).

Distributed: ``tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]``.

A thin command line over :func:`backtal_mmaction.apis.test_localizer`
(keyword arguments = the flags).
"""
import argparse
import os

from backtal_mmaction.cli.errors import (add_cfg_options_arguments,
                                         parse_cfg_options, run_cli)
from backtal_mmaction.utils.setup_env import enable_cpu_huge_pages

# huge pages for large CPU tensors: set before anything imports torch
enable_cpu_huge_pages()

__all__ = ['build_parser', 'parse_args', 'main']


def build_parser() -> argparse.ArgumentParser:
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
        help='save each video\'s raw outputs (what its post-processor reads, '
        "e.g. BackTAL's CAS and video scores, AnchorFreeTAD's point logits "
        'and distances; metainfo) as DIR/<video>.npz for '
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
    add_cfg_options_arguments(parser, 'model.post_processor.nms_mode=official')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    args.cfg_options = parse_cfg_options(parser, args.cfg_options)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(argv=None) -> dict:
    """Parse ``argv`` and test (:func:`backtal_mmaction.apis.test_localizer`)
    under the tools' one-line error style; returns the metrics."""
    parser = build_parser()
    args = parse_args(argv, parser)
    # heavy imports after parsing: --help and usage errors need no torch
    from backtal_mmaction.apis import test_localizer
    return run_cli(lambda _: test_localizer(
        args.config, args.checkpoint, work_dir=args.work_dir,
        dump=args.dump, out_json=args.out_json, save_raw=args.save_raw,
        vis_cas=args.vis_cas, vis_dir=args.vis_dir, overwrite=args.overwrite,
        cfg_options=args.cfg_options,
        cfg_options_allow_new=args.cfg_options_allow_new,
        launcher=args.launcher), parser=parser)


if __name__ == '__main__':
    main()
