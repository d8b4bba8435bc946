"""A short BackTAL train + val + test through MMEngine's Runner."""
import json
import math
import subprocess
import sys

from tests.helpers import REPO, build_runner, synthetic_cfg


def test_runner_trains_and_tests(tiny_synthetic, tmp_path):
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd', epochs=2)
    dump = tmp_path / 'results.json'
    cfg.test_evaluator = dict(cfg.test_evaluator, dump_results=str(dump))
    runner = build_runner(cfg)
    runner.train()
    metrics = runner.test()
    keys = [f'tal/mAP@{t:.2f}' for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]
    assert set(keys + ['tal/mAP_avg']) <= set(metrics)
    assert all(0 <= metrics[k] <= 100 for k in keys)
    assert math.isclose(metrics['tal/mAP_avg'],
                        sum(metrics[k] for k in keys) / 7, rel_tol=1e-6)
    results = json.loads(dump.read_text())['results']
    assert len(results) == 4  # every test video, even without detections
    assert (tmp_path / 'wd' / 'epoch_2.pth').exists()


def test_test_script_loads_checkpoint_with_weights_only(tiny_synthetic,
                                                        tmp_path):
    cfg = synthetic_cfg(tiny_synthetic, work_dir=tmp_path / 'wd', epochs=1)
    runner = build_runner(cfg)
    runner.train()
    ckpt = tmp_path / 'wd' / 'epoch_1.pth'
    # MMEngine checkpoints hold a MessageHub (HistoryBuffer + numpy): they
    # must load under torch's weights_only=True through the allow-list.
    from mmengine.logging import HistoryBuffer

    from backtal_mmaction.engine import load_checkpoint_file
    hub = load_checkpoint_file(str(ckpt))['message_hub']
    assert any(isinstance(v, HistoryBuffer)
               for v in hub['log_scalars'].values())
    cfg_file = tmp_path / 'cfg.py'
    cfg.dump(str(cfg_file))
    res = subprocess.run(
        [sys.executable, str(REPO / 'tools/test.py'), str(cfg_file),
         str(ckpt), '--work-dir', str(tmp_path / 'test_wd')],
        cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'mAP_avg' in res.stdout + res.stderr
