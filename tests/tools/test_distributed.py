"""DDP through MMEngine's launcher: 2 CPU processes (torchrun, gloo) with
batch 2 each train to the same weights as 1 process with batch 4.

Why the weights can match: DDP averages the ranks' gradients, and every
loss kept here is a mean over the videos of the (half) batch, so the
average of the two half-batch gradients is the full-batch gradient; there
is no BatchNorm. What remains is float32 summation order (~1e-8).
The background-click loss is switched off: it averages over the clicked
snippets of the batch, so with per-rank click counts a rank's mean is not
half of the full-batch mean (about 1e-3 weight drift after 3 epochs).
Dropout is off and snippets are resampled linearly (deterministic), so both
runs see the same inputs; the sampler order is the seeded DefaultSampler's
(rank r takes every 2nd index of the same permutation).
"""
import json
import shutil
import socket
import subprocess

import pytest
import torch

from backtal_mmaction.engine import load_checkpoint_file
from backtal_mmaction.evaluation.functional.detection_map import (
    evaluate_detections, load_activitynet_gt, load_activitynet_results)

from tests.helpers import REPO, build_runner, synthetic_cfg

ATOL = 1e-6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _cfg(data, batch_size, work_dir, dump):
    cfg = synthetic_cfg(data, work_dir=work_dir, epochs=3)
    cfg.train_dataloader.batch_size = batch_size
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'ResampleSnippets':
            t['mode'] = 'linear'
    cfg.model.backbone.dropout = 0.0
    cfg.model.post_processor.class_threshold = 0.0
    cfg.test_evaluator = dict(cfg.test_evaluator, dump_results=str(dump))
    return cfg


@pytest.mark.skipif(shutil.which('bash') is None, reason='needs bash')
def test_ddp_two_cpu_processes_match_single_process(
        tiny_synthetic, tmp_path, sub_env):
    single = _cfg(tiny_synthetic, 4, tmp_path / 'single',
                  tmp_path / 'single.json')
    runner = build_runner(single)
    runner.train()
    single_metrics = runner.test()

    dist_cfg = _cfg(tiny_synthetic, 2, None, tmp_path / 'dist.json')
    cfg_file = tmp_path / 'dist_cfg.py'
    dist_cfg.dump(str(cfg_file))
    env = dict(sub_env, PORT=str(_free_port()))
    res = subprocess.run(
        ['bash', str(REPO / 'tools/dist_train.sh'), str(cfg_file), '2',
         '--work-dir', str(tmp_path / 'dist'), '--test', '--cfg-options',
         'env_cfg.dist_cfg.backend=gloo'],
        cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    log = res.stdout + res.stderr
    assert 'Distributed training: True' in log and 'GPU number: 2' in log

    a = load_checkpoint_file(str(tmp_path / 'single' / 'epoch_3.pth'))
    b = load_checkpoint_file(str(tmp_path / 'dist' / 'epoch_3.pth'))
    worst = max((a['state_dict'][k] - b['state_dict'][k]).abs().max().item()
                for k in a['state_dict'])
    assert worst <= ATOL, worst
    # Training moved the weights by far more than the tolerance.
    first = load_checkpoint_file(str(tmp_path / 'single' / 'epoch_1.pth'))
    moved = max((a['state_dict'][k] - first['state_dict'][k]).abs().max()
                .item() for k in a['state_dict'])
    assert moved > 1000 * ATOL

    # The test split was split across the ranks and gathered: same videos,
    # same mAP as the single process.
    gt, names = load_activitynet_gt(str(tiny_synthetic / 'gt.json'), 'test')
    single_det, _ = load_activitynet_results(str(tmp_path / 'single.json'),
                                             names)
    dist_det, _ = load_activitynet_results(str(tmp_path / 'dist.json'),
                                           names)
    assert single_det.keys() == dist_det.keys() == gt.keys()
    map_single = evaluate_detections(gt, single_det, len(names))['mAP']
    map_dist = evaluate_detections(gt, dist_det, len(names))['mAP']
    assert map_dist == pytest.approx(map_single, abs=1e-9)
    assert 'tal/mAP_avg' in single_metrics
    # Scores to 1e-3 relative: weights equal to ~1e-8 can move a score of a
    # class whose CAS is nearly all negative far more, because BackTAL's
    # min-max normalization divides by max(max(x), 0) - max(min(x), 0),
    # which is tiny there (|s| ~ 200 on such rows, 2e-4 relative seen).
    for video, det in single_det.items():
        assert torch.allclose(torch.as_tensor(det['scores']),
                              torch.as_tensor(dist_det[video]['scores']),
                              rtol=1e-3, atol=1e-5)
    json.loads((tmp_path / 'dist.json').read_text())  # complete file
