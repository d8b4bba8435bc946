"""One-command performance benchmark of BackTAL, measured against the
original formulation and against the machine's own limits, in one run.

Example::

    python tools/analysis/benchmark.py            # all parts (2 CPU cores:
                                                  # ~30 min, 20 of them the
                                                  # Runner part)
    python tools/analysis/benchmark.py --quick    # tiny sizes, < 1 min
    python tools/analysis/benchmark.py --parts limit train

It prints markdown tables (copied to ``docs/benchmark.md``), each with the
machine (``lscpu`` model and flags) and the CPU share other processes used
while it was measured.

- **limit**: the best GEMM / convolution rates of this machine in each
  precision (fp32, and bf16 with bf16 hardware; on CUDA also TF32 and
  fp16), at the layer's shapes.
- **conv**: one affinity-conv layer, forward + backward, per kernel library.
- **train**: a training step (forward, 6 losses, backward, Adam): the
  original formulation (``backtal_mmaction/testing/backtal_original.py``:
  unfold conv, per-sample loss loops; checked to give our loss), ours in
  fp32 and in the device's other precisions (CPU: bf16 autocast; CUDA:
  TF32, bf16 autocast, fp16 autocast with loss scaling).
- **testpass**: a THUMOS14-size test pass (inference, post-processing,
  metric) against the original's (one video at a time, the loop
  post-processing, the reference evaluator).
- **data**: loading one training batch.
- **epoch**: training epochs and a test pass through MMEngine's Runner
  (the size's config, as ``tools/train.py --test`` runs it) on
  THUMOS14-sized data on disk: the real THUMOS14 GT and clicks of
  ``--shared-data`` where present (200 training, 210 test videos), with
  the loader in the main process and with the config's workers, fp32 and
  AMP.

FLOPs are counted analytically from the shapes each convolution sees
(``2 * B * T * C_out * C_in * k``; backward = 2x forward). Times are medians
of ``--repeats`` runs after a warm-up.

A thin command line over
:func:`backtal_mmaction.profiling.benchmark.run_benchmark` (the parts live
there); this file holds the sizes it runs at.
"""
import argparse
import os
import os.path as osp

from backtal_mmaction.cli.errors import run_cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# THUMOS14 sizes (the training step at B=4, --batch to change it; the test
# pass over 210 videos of native length; the Runner's epochs at the
# config's batch of 16 over all THUMOS14 videos) and ActivityNet 1.2 sizes;
# configs relative to REPO.
SIZES = {
    'official': dict(config='configs/backtal/backtal_thumos14.py', B=4,
                     T=750, D=2048, H=2048, hidden=512, C=20, videos=210,
                     epoch_batch=16, epoch_videos=None),
    'anet': dict(config='configs/backtal/backtal_activitynet12.py', B=16,
                 T=100, D=2048, H=2048, hidden=512, C=100, videos=0),
}
QUICK = dict(SIZES['official'], B=2, T=64, D=128, H=128, hidden=32,
             videos=21, epoch_batch=4, epoch_videos=12)
SHARED_DATA = osp.join(osp.dirname(REPO), 'shared', 'data')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', nargs='+', default=['official'],
                        choices=sorted(SIZES))
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes: a smoke run in < 1 minute')
    parser.add_argument('--parts', nargs='+', default=None,
                        help='limit conv train testpass data epoch '
                        '(default: all, in that order)')
    parser.add_argument('--no-profile', action='store_true',
                        help='skip the profiler table of our fp32 step')
    parser.add_argument('--thp', action='store_true',
                        help='THP_MEM_ALLOC_ENABLE=1 (huge pages for large '
                        'CPU tensors; the training tools set it too)')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch.set_num_threads (default: torch's)")
    parser.add_argument('--batch', type=int, default=None,
                        help='B of the limit, conv and train parts '
                        '(default: the size\'s, 4 at official)')
    parser.add_argument('--epochs', type=int, default=2,
                        help='training epochs of the epoch part (the first '
                        'one warms up)')
    parser.add_argument('--epoch-data', default=None, metavar='DIR',
                        help='keep the epoch part\'s generated data here '
                        'and reuse them in later runs (default: a '
                        'temporary folder)')
    parser.add_argument('--shared-data', default=SHARED_DATA, metavar='DIR',
                        help='folder with the real THUMOS14 annotation '
                        'files the epoch part\'s data are shaped on '
                        '(default: ../shared/data; without them the '
                        'videos are synthetic)')
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    args = parser.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        parser.error(f'--batch must be >= 1, got {args.batch}')
    # torch.set_num_threads rejects < 1 deep in the run (and 0 would
    # silently mean the default)
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    return args



def main(argv=None) -> None:
    parser = build_parser()
    args = parse_args(argv, parser)
    if args.thp:
        # read by PyTorch once, at its first allocation: before torch loads
        os.environ['THP_MEM_ALLOC_ENABLE'] = '1'
    sizes = {'quick': QUICK} if args.quick else {
        name: SIZES[name] for name in args.sizes}
    sizes = {name: dict(s, config=osp.join(REPO, s['config']),
                        **({'B': args.batch} if args.batch else {}))
             for name, s in sizes.items()}
    # torch after --thp (and after parsing: --help needs none)
    from backtal_mmaction.profiling.benchmark import PARTS, run_benchmark
    run_cli(lambda _: run_benchmark(
        sizes, parts=args.parts or tuple(PARTS), device=args.device,
        repeats=args.repeats, profile=not args.no_profile,
        threads=args.threads, epochs=args.epochs,
        epoch_data=args.epoch_data, shared_data=args.shared_data),
        parser=parser)


if __name__ == '__main__':
    main()
