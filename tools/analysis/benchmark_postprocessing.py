"""Benchmark the vectorized BackTAL post-processing against a loop version.

The loop version (``naive_proposals`` / ``naive_postprocess`` in
``backtal_mmaction/testing/postprocessing.py``) follows the formulation of the
official BackTAL code: per class and per threshold, ``np.where`` +
``np.split`` to group frames into runs, and per run a Python list of
outer-region frame indices; then per-class greedy NMS. It is also the
reference the unit tests compare against.

Example::

    python tools/analysis/benchmark_postprocessing.py --repeats 7
"""
import argparse
import time
from typing import Dict

import numpy as np

from backtal_mmaction.cli.errors import run_cli


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000.0 * float(np.median(times))


def run_benchmark(repeats: int = 5,
                  num_snippets: int = 400,
                  num_frames: int = 6400,
                  duration: float = 213.3,
                  seed: int = 0) -> Dict[str, float]:
    """Time both formulations on one THUMOS14-sized video.

    Returns:
        dict: median milliseconds of proposal generation and of the full
        post-processing for both, plus proposal / detection counts.
    """
    # heavy imports when run: --help and usage errors need no torch
    from backtal_mmaction.models.postprocessing.backtal_postprocessor import \
        BackTALPostProcessor
    from backtal_mmaction.testing.postprocessing import (assert_same_detections,
                                                assert_same_proposals,
                                                make_video, naive_postprocess,
                                                naive_proposals,
                                                vectorized_proposal_list)
    cas, video_scores, mag = make_video(seed, num_snippets)
    proc = BackTALPostProcessor()

    fast_props = vectorized_proposal_list(proc, cas, video_scores, mag,
                                          num_frames)
    slow_props = naive_proposals(cas, video_scores, mag, num_frames)
    assert_same_proposals(fast_props, slow_props)
    fast_dets = proc(cas, video_scores, mag, num_frames, duration)
    slow_dets = naive_postprocess(cas, video_scores, mag, num_frames, duration)
    assert_same_detections(fast_dets, slow_dets)

    return dict(
        num_proposals=len(fast_props),
        num_detections=len(fast_dets['scores']),
        proposals_vectorized_ms=_median_ms(
            lambda: proc.generate_proposals(cas, video_scores, mag, num_frames
                                            ), repeats),
        proposals_naive_ms=_median_ms(
            lambda: naive_proposals(cas, video_scores, mag, num_frames),
            repeats),
        full_vectorized_ms=_median_ms(
            lambda: proc(cas, video_scores, mag, num_frames, duration),
            repeats),
        full_naive_ms=_median_ms(
            lambda: naive_postprocess(cas, video_scores, mag, num_frames,
                                      duration), repeats),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Benchmark BackTAL post-processing (vectorized vs loops)')
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--num-snippets', type=int, default=400)
    parser.add_argument('--num-frames', type=int, default=6400)
    parser.add_argument('--duration', type=float, default=213.3)
    parser.add_argument('--seed', type=int, default=0)
    return parser


def parse_args(argv=None, parser=None):
    """``argv`` parsed by ``parser`` (default: :func:`build_parser`)."""
    return (parser or build_parser()).parse_args(argv)


def main(argv=None):
    """Parse ``argv``, time both and print the comparison under the tools'
    one-line error style."""
    parser = build_parser()
    args = parse_args(argv, parser)
    run_cli(lambda _: _run(args), parser=parser)


def _run(args: argparse.Namespace) -> None:
    if args.repeats < 1:
        raise ValueError(f'--repeats must be >= 1, got {args.repeats}')
    res = run_benchmark(args.repeats, args.num_snippets, args.num_frames,
                        args.duration, args.seed)
    print(f'T={args.num_snippets} F={args.num_frames}: '
          f'{res["num_proposals"]} proposals, '
          f'{res["num_detections"]} detections (identical in both)')
    for stage in ('proposals', 'full'):
        fast = res[f'{stage}_vectorized_ms']
        slow = res[f'{stage}_naive_ms']
        print(f'{stage:>9}: vectorized {fast:8.2f} ms/video | loops '
              f'{slow:8.2f} ms/video | speed-up {slow / fast:6.1f}x')


if __name__ == '__main__':
    main()
