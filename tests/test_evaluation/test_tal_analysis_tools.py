"""tools/analysis/eval_detections.py and benchmark_metric.py (small cases)."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.evaluation.functional.detection_map import (
    dump_activitynet_results, evaluate_detections)

TOOLS = Path(__file__).parents[2] / 'tools' / 'analysis'


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_eval_detections_cli(tmp_path, capsys):
    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(
        json.dumps({
            'activity_list': ['jump', 'run'],
            'database': {
                'v1': {
                    'subset':
                    'test',
                    'duration':
                    40.0,
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
    # jump: tIoU 1 -> AP 1; run: [22,30] vs [20,30] tIoU .8 -> AP [1, 0]
    # mAP@0.5 = 100, mAP@0.9 = 50, avg 75
    result = tmp_path / 'res.json'
    dump_activitynet_results(
        {
            'v1':
            dict(
                segments=[[0, 10], [22, 30]], labels=[0, 1], scores=[0.9, 0.8])
        }, ['jump', 'run'], str(result))
    tool = load_tool('eval_detections')
    res = tool.main([
        str(result),
        str(gt_path), '--subset', 'test', '--tiou', '0.5', '0.9'
    ])
    np.testing.assert_allclose(res['mAP'], [1.0, 0.5])
    out = capsys.readouterr().out
    assert '100.00' in out and '50.00' in out and '75.00' in out
    assert 'Per-class AP' in out and 'run' in out

    tool.main(
        [str(result),
         str(gt_path), '--subset', 'test', '--no-per-class'])
    assert 'Per-class AP' not in capsys.readouterr().out
    # v1 is not in the 'val' subset
    with pytest.raises(ValueError, match="'v1'"):
        tool.main([str(result), str(gt_path), '--subset', 'val'])


def test_benchmark_naive_matches_vectorized_on_small_case():
    bench = load_tool('benchmark_metric')
    case = bench.build_thumos_like_case(
        num_videos=8,
        gt_per_video=6,
        num_classes=5,
        preds_per_video=40,
        seed=3)
    gt, pred, num_classes = case
    assert len(gt) == 8
    assert all(len(d['scores']) == 40 for d in pred.values())
    fast = evaluate_detections(gt, pred, num_classes)
    slow = bench.naive_evaluate_detections(gt, pred, num_classes)
    np.testing.assert_allclose(fast['ap'], slow['ap'], rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast['mAP'], slow['mAP'], rtol=0, atol=1e-12)

    res = bench.run_benchmark(repeats=1, naive_repeats=1, case=case)
    assert res['num_predictions'] == 320 and res['speedup'] > 0
