"""One-command performance benchmark of BackTAL, measured against the
original formulation and against the machine's own limits, in one run.

Example::

    python tools/analysis/benchmark.py            # all parts, ~10 min
    python tools/analysis/benchmark.py --quick    # tiny sizes, < 1 min
    python tools/analysis/benchmark.py --parts limit train

It prints markdown tables (copied to ``docs/benchmark.md``), each with the
machine (``lscpu`` model and flags) and the CPU share other processes used
while it was measured.

- **limit**: the best GEMM / convolution rates of this machine, fp32 and
  (with bf16 hardware or on CUDA) bf16, at the layer's shapes.
- **conv**: one affinity-conv layer, forward + backward, per kernel library.
- **train**: a training step (forward, 6 losses, backward, Adam): the
  original formulation (``backtal_mmaction/testing/backtal_original.py``:
  unfold
  conv, per-sample loss loops; checked to give our loss), ours in fp32
  and under bf16 autocast.
- **testpass**: a THUMOS14-size test pass (inference, post-processing,
  metric) against the original's (one video at a time, the loop
  post-processing, the reference evaluator).
- **data**: loading one training batch.

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
# THUMOS14 sizes (the training step at B=4; the test pass over 210 videos
# of native length) and ActivityNet 1.2 sizes; configs relative to REPO.
SIZES = {
    'official': dict(config='configs/backtal/backtal_thumos14.py', B=4,
                     T=750, D=2048, H=2048, hidden=512, C=20, videos=210),
    'anet': dict(config='configs/backtal/backtal_activitynet12.py', B=16,
                 T=100, D=2048, H=2048, hidden=512, C=100, videos=0),
}
QUICK = dict(SIZES['official'], B=2, T=64, D=128, H=128, hidden=32,
             videos=21)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', nargs='+', default=['official'],
                        choices=sorted(SIZES))
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--quick', action='store_true',
                        help='tiny sizes: a smoke run in < 1 minute')
    parser.add_argument('--parts', nargs='+', default=None,
                        help='limit conv train testpass data (default: '
                        'all, in that order)')
    parser.add_argument('--no-profile', action='store_true',
                        help='skip the profiler table of our fp32 step')
    parser.add_argument('--thp', action='store_true',
                        help='THP_MEM_ALLOC_ENABLE=1 (huge pages for large '
                        'CPU tensors; the training tools set it too)')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch.set_num_threads (default: torch's)")
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    parser = parser or build_parser()
    return parser.parse_args(argv)



def main(argv=None) -> None:
    parser = build_parser()
    args = parse_args(argv, parser)
    if args.thp:
        # read by PyTorch once, at its first allocation: before torch loads
        os.environ['THP_MEM_ALLOC_ENABLE'] = '1'
    sizes = {'quick': QUICK} if args.quick else {
        name: SIZES[name] for name in args.sizes}
    sizes = {name: dict(s, config=osp.join(REPO, s['config']))
             for name, s in sizes.items()}
    # torch after --thp (and after parsing: --help needs none)
    from backtal_mmaction.profiling.benchmark import PARTS, run_benchmark
    run_cli(lambda _: run_benchmark(
        sizes, parts=args.parts or tuple(PARTS), device=args.device,
        repeats=args.repeats, profile=not args.no_profile,
        threads=args.threads), parser=parser)


if __name__ == '__main__':
    main()
