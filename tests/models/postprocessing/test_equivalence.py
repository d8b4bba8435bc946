"""Vectorized post-processing == per-class / per-threshold loop reference.

The loop reference lives in ``backtal_mmaction/testing/postprocessing.py``
(``naive_proposals`` / ``naive_postprocess``): it follows the official code's
formulation (np.where + np.split runs, list-built outer regions, torch
upsampling, per-class NMS, one whole-video box PER proposal).
"""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import backtal_mmaction.testing.postprocessing as bench
from backtal_mmaction.models.postprocessing.backtal_postprocessor import \
    BackTALPostProcessor

from tests.helpers import REPO

THUMOS = dict()  # constructor defaults
ANET = dict(
    class_threshold=0.1,
    cas_thresholds=tuple(np.arange(0, 0.15, 0.025)),
    mag_thresholds=(),
    lam=20.0,
    gamma=0.6,
    nms_thr=0.7,
    shrink_ratio=0.02,
    whole_video_score=0.6)
HACS = dict(
    ANET,
    class_threshold=0.075,
    cas_thresholds=tuple(np.arange(0, 0.2, 0.025)),
    lam=200.0,
    nms_thr=0.71)
_PROPOSAL_KEYS = ('class_threshold', 'cas_thresholds', 'mag_thresholds', 'lam',
                  'gamma')


def _random_video(seed, num_snippets, num_classes=5, smooth=1):
    rng = np.random.default_rng(seed)
    cas = rng.normal(size=(num_classes + 1, num_snippets))
    if smooth > 1:
        kernel = np.ones(smooth) / smooth
        cas = np.stack([np.convolve(r, kernel, mode='same') for r in cas])
    # Mixed logits: some classes pass the thresholds, some do not.
    video = rng.normal(size=num_classes + 1) * 1.5
    video[rng.integers(num_classes)] = 3.0
    mag = np.abs(rng.normal(size=num_snippets)) + rng.random()
    return cas, video, mag


@pytest.mark.parametrize('seed,num_snippets', [(0, 50), (1, 77), (2, 128),
                                               (3, 200), (4, 64)])
@pytest.mark.parametrize(
    'cfg', [THUMOS, ANET, HACS], ids=['thumos', 'anet', 'hacs'])
def test_proposals_identical_to_loops(seed, num_snippets, cfg):
    cas, video, mag = _random_video(seed, num_snippets, smooth=seed % 3 + 1)
    num_frames = 16 * num_snippets
    proc = BackTALPostProcessor(**cfg)
    fast = bench.vectorized_proposal_list(proc, cas, video, mag, num_frames)
    slow = bench.naive_proposals(
        cas, video, mag, num_frames,
        **{k: getattr(proc, k)
           for k in _PROPOSAL_KEYS})
    assert len(slow) > 0
    # Same set (class, source, threshold, start, end), scores to 1e-12.
    bench.assert_same_proposals(fast, slow, atol=1e-12)
    if cfg is THUMOS:
        assert any(p[1] == 'mag' for p in slow)


@pytest.mark.parametrize('seed', range(4))
@pytest.mark.parametrize('nms_mode', ['standard', 'official'])
@pytest.mark.parametrize(
    'cfg', [THUMOS, ANET, HACS], ids=['thumos', 'anet', 'hacs'])
def test_detections_identical_to_loops(seed, nms_mode, cfg):
    num_snippets = [50, 90, 150, 200][seed]
    cas, video, mag = _random_video(10 + seed, num_snippets, smooth=3)
    num_frames, duration = 16 * num_snippets, num_snippets * 16 / 30.0
    proc = BackTALPostProcessor(**cfg, nms_mode=nms_mode)
    fast = proc(cas, video, mag, num_frames=num_frames, duration=duration)
    slow = bench.naive_postprocess(
        cas, video, mag, num_frames, duration, nms_mode=nms_mode, **cfg)
    assert len(slow['scores']) > 0
    bench.assert_same_detections(fast, slow, atol=1e-12)


def test_max_detections_identical_to_loops():
    cas, video, mag = _random_video(7, 120, smooth=2)
    proc = BackTALPostProcessor(max_detections=20)
    fast = proc(cas, video, mag, num_frames=1920, duration=64.0)
    slow = bench.naive_postprocess(
        cas, video, mag, 1920, 64.0, max_detections=20)
    assert len(fast['scores']) == 20
    bench.assert_same_detections(fast, slow, atol=1e-12)


def test_benchmark_cli_runs_and_agrees():
    # Small sizes: the CLI checks both formulations agree before timing
    # them (it raises otherwise), then prints one line per stage.
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    out = subprocess.run(
        [sys.executable, 'tools/analysis/benchmark_postprocessing.py',
         '--repeats', '1', '--num-snippets', '40', '--num-frames', '640',
         '--duration', '21.3'], cwd=REPO, env=env, capture_output=True,
        text=True, check=True).stdout
    counts = re.search(r'(\d+) proposals, (\d+) detections '
                       r'\(identical in both\)', out)
    assert counts and int(counts[1]) > 0 and int(counts[2]) > 0
    for stage in ('proposals:', 'full:'):
        line = next(ln for ln in out.splitlines() if stage in ln)
        times = re.findall(r'([\d.]+) ms/video', line)
        assert len(times) == 2 and all(float(t) > 0 for t in times)
