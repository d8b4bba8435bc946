"""Offline evaluation of result files (``backtal_mmaction.evaluation.
offline``, the logic of ``tools/analysis/eval_detections.py``), its CLI with
``--plot``, the mAP-vs-tIoU chart, and the metric benchmark (small cases)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from backtal_mmaction.evaluation.functional.detection_map import (
    dump_activitynet_results, evaluate_detections)
from backtal_mmaction.evaluation.offline import evaluate_result_file
from backtal_mmaction.visualization.map_curves import plot_map_curves

from backtal_mmaction.testing.detection_evaluation import (
    build_thumos_like_case, naive_evaluate_detections)

from tests.helpers import REPO, subprocess_env

TOOLS = REPO / 'tools' / 'analysis'


def write_case(tmp_path):
    """GT: v1 (test) jump [0, 10], run [20, 30]; v2 (val) run [0, 10].
    Result ``res.json`` on v1: jump [0, 10] (tIoU 1), run [22, 30] (tIoU
    .8): AP jump 1 at 0.5 and 0.9, run 1 at 0.5 and 0 at 0.9 -> mAP@0.5 =
    100, mAP@0.9 = 50, avg 75. Result ``weak.json``: only the run one ->
    jump AP 0 -> mAP 50 and 0, avg 25."""
    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(
        json.dumps({
            'activity_list': ['jump', 'run'],
            'database': {
                'v1': {
                    'subset': 'test',
                    'duration': 40.0,
                    'annotations': [{
                        'segment': [0, 10],
                        'label': 'jump'
                    }, {
                        'segment': [20, 30],
                        'label': 'run'
                    }]
                },
                'v2': {
                    'subset': 'val',
                    'duration': 40.0,
                    'annotations': [{
                        'segment': [0, 10],
                        'label': 'run'
                    }]
                },
            }
        }))
    result, weak = tmp_path / 'res.json', tmp_path / 'weak.json'
    dump_activitynet_results(
        {
            'v1':
            dict(
                segments=[[0, 10], [22, 30]], labels=[0, 1], scores=[0.9, 0.8])
        }, ['jump', 'run'], str(result))
    dump_activitynet_results(
        {'v1': dict(segments=[[22, 30]], labels=[1], scores=[0.8])},
        ['jump', 'run'], str(weak))
    return gt_path, result, weak


def test_evaluate_result_file(tmp_path, capsys):
    gt_path, result, _ = write_case(tmp_path)
    res = evaluate_result_file(
        str(result), str(gt_path), subset='test', tiou_thresholds=[0.5, 0.9])
    np.testing.assert_allclose(res['mAP'], [1.0, 0.5])
    assert res['subset'] == 'test' and res['num_result_videos'] == 1
    assert res['class_names'] == ['jump', 'run']
    out = capsys.readouterr().out
    assert '100.00' in out and '50.00' in out and '75.00' in out
    assert 'Per-class AP' in out and 'run' in out

    evaluate_result_file(
        str(result), str(gt_path), subset='test', per_class=False)
    assert 'Per-class AP' not in capsys.readouterr().out
    # v1 is not in the 'val' subset
    with pytest.raises(ValueError, match="'v1'"):
        evaluate_result_file(str(result), str(gt_path), subset='val')


def test_plot_map_curves(tmp_path):
    gt_path, result, weak = write_case(tmp_path)
    results = [
        evaluate_result_file(
            str(p), str(gt_path), tiou_thresholds=[0.5, 0.9], log=lambda m:
            None) for p in (result, weak)
    ]
    out = tmp_path / 'curves' / 'map.png'
    fig = plot_map_curves(results, ['BackTAL', 'weak'], str(out))
    lines = fig.axes[0].lines
    # one line per result: x = thresholds, y = mAP in percent
    np.testing.assert_allclose(lines[0].get_xdata(), [0.5, 0.9])
    np.testing.assert_allclose(lines[0].get_ydata(), [100.0, 50.0])
    np.testing.assert_allclose(lines[1].get_ydata(), [50.0, 0.0])
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ['BackTAL (avg 75.00)', 'weak (avg 25.00)']
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    before = out.read_bytes()
    with pytest.raises(FileExistsError, match='map.png'):
        plot_map_curves(results, ['a', 'b'], str(out))
    assert out.read_bytes() == before  # nothing the user had is lost
    plot_map_curves(results[:1], ['a'], str(out), overwrite=True)
    assert out.read_bytes() != before
    with pytest.raises(ValueError, match='2 results but 1 labels'):
        plot_map_curves(results, ['a'])
    with pytest.raises(ValueError, match='no results'):
        plot_map_curves([], [])
    assert sorted(os.listdir(out.parent)) == ['map.png']  # no temporaries


def _cli(*args, **kw):
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO,
                          env=subprocess_env(), capture_output=True, text=True,
                          timeout=300, **kw)


def test_eval_detections_cli_several_results_and_plot(tmp_path):
    """The CLI users run: two result files evaluated in turn, one chart."""
    gt_path, result, weak = write_case(tmp_path)
    png = tmp_path / 'map.png'
    proc = _cli(TOOLS / 'eval_detections.py', result, weak, gt_path,
                '--tiou', '0.5', '0.9', '--no-per-class', '--plot', png,
                '--labels', 'BackTAL', 'weak')
    assert proc.returncode == 0, proc.stderr
    assert f'== {result}' in proc.stdout and f'== {weak}' in proc.stdout
    assert "Subset inferred from the results: 'test'" in proc.stdout
    assert '75.00' in proc.stdout and '25.00' in proc.stdout
    assert f'wrote {png}' in proc.stdout
    assert png.read_bytes()[:4] == b'\x89PNG'
    # an existing chart is kept without --overwrite, before any evaluation
    proc = _cli(TOOLS / 'eval_detections.py', result, gt_path, '--plot', png)
    assert proc.returncode != 0
    assert 'map.png' in proc.stderr and 'Traceback' not in proc.stderr
    proc = _cli(TOOLS / 'eval_detections.py', result, weak, gt_path,
                '--plot', png, '--labels', 'one')
    assert proc.returncode == 2 and '1 label(s) for 2 result' in proc.stderr


def test_benchmark_naive_matches_vectorized_on_small_case():
    case = build_thumos_like_case(
        num_videos=8,
        gt_per_video=6,
        num_classes=5,
        preds_per_video=40,
        seed=3)
    gt, pred, num_classes = case
    assert len(gt) == 8
    assert all(len(d['scores']) == 40 for d in pred.values())
    fast = evaluate_detections(gt, pred, num_classes)
    slow = naive_evaluate_detections(gt, pred, num_classes)
    np.testing.assert_allclose(fast['ap'], slow['ap'], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast['mAP'], slow['mAP'], rtol=0, atol=1e-12)


def test_benchmark_metric_cli_small_case():
    proc = _cli(TOOLS / 'benchmark_metric.py', '--repeats', '1',
                '--num-videos', '8', '--gt-per-video', '6', '--num-classes',
                '5', '--preds-per-video', '40', '--seed', '3')
    assert proc.returncode == 0, proc.stderr
    assert 'case: ' in proc.stdout and '320 predictions' in proc.stdout
    assert 'AP identical to 1e-12' in proc.stdout
    assert 'speed-up: ' in proc.stdout
