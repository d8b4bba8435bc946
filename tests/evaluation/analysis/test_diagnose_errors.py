"""DETAD-style false-positive analysis: hand-made cases, a naive reference
implementation, and the report files of a dumped result file."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.evaluation.analysis import (ERROR_TYPES,
                                                  classify_detections,
                                                  diagnose_false_positives,
                                                  format_error_table)
from backtal_mmaction.evaluation.functional.detection_map import \
    evaluate_detections

D, W, L, C, B = range(5)  # double, wrong label, localization, confusion, bg


def _case():
    """Two videos, GT classes 0 and 1; class 2 has no GT.

    v1 GT: A=[0,10] class 0, B=[20,30] class 1; v2 GT: [0,10] class 0.
    """
    gt = dict(
        v1=dict(segments=[[0, 10], [20, 30]], labels=[0, 1]),
        v2=dict(segments=[[0, 10]], labels=[0]))
    # name: (video, segment, label, score, expected type; -1 = TP)
    preds = [
        ('p1', 'v1', [0, 10], 0, 0.90, -1),
        ('p2', 'v1', [1, 10], 0, 0.80, D),  # tIoU 0.9 with matched A
        ('p3', 'v1', [20, 30], 0, 0.70, W),  # tIoU 1 with B (class 1)
        ('p4', 'v1', [0, 3], 0, 0.60, L),  # tIoU 0.3 with A
        ('p5', 'v1', [20, 23], 0, 0.50, C),  # tIoU 0.3 with B only
        ('p6', 'v1', [40, 50], 1, 0.40, B),
        ('p7', 'v2', [0, 10], 1, 0.35, W),
        ('p8', 'v2', [0, 10], 0, 0.30, -1),
        ('p9', 'v1', [20, 30], 1, 0.20, -1),
        ('p10', 'v2', [50, 60], 2, 0.95, B),
    ]
    predictions = {}
    for _, vid, seg, lab, score, _ in preds:
        p = predictions.setdefault(vid, dict(segments=[], labels=[],
                                             scores=[]))
        p['segments'].append(seg)
        p['labels'].append(lab)
        p['scores'].append(score)
    return gt, predictions, preds


def test_each_error_type_on_hand_made_case():
    gt, predictions, preds = _case()
    det = classify_detections(gt, predictions, 3, 0.5)
    by_score = sorted(preds, key=lambda p: -p[4])
    assert det['error'].tolist() == [p[5] for p in by_score]
    assert det['scores'].tolist() == [p[4] for p in by_score]
    assert det['num_gt'].tolist() == [2, 1, 0]


def test_top_g_shares_and_map_gains():
    gt, predictions, _ = _case()
    res = diagnose_false_positives(gt, predictions, 3, 0.5)
    assert res['counts_all'].tolist() == [1, 2, 1, 1, 2]
    # Per class, top G_c FPs: class 0 (G=2): p2, p3; class 1 (G=1): p6;
    # class 2 has no GT, so none of its FPs (p10) is ranked in.
    assert res['counts_top'].tolist() == [1, 1, 0, 0, 1]
    assert res['num_top'] == 3 and res['num_fp'] == 7 and res['num_tp'] == 3
    assert np.allclose(res['shares_top'], [1 / 3, 1 / 3, 0, 0, 1 / 3])
    # AP class 0: TP, 4 FP, TP -> 0.5 * 1 + 0.5 * 2/6; class 1: 1/3.
    assert res['map'] == pytest.approx(((0.5 + 1 / 6) + 1 / 3) / 2)
    # Same number as the metric at tIoU 0.5.
    ref = evaluate_detections(gt, predictions, 3, [0.5])['mAP'][0]
    assert res['map'] == pytest.approx(ref, abs=1e-12)
    # Removing a type: class 0 loses FPs before p8 (precision 2/5 -> AP
    # 0.7), class 1 loses FPs before p9.
    expected_gain = {
        D: (0.7 + 1 / 3) / 2 - 0.5,
        W: (0.7 + 0.5) / 2 - 0.5,
        L: (0.7 + 1 / 3) / 2 - 0.5,
        C: (0.7 + 1 / 3) / 2 - 0.5,
        B: (2 / 3 + 0.5) / 2 - 0.5,
    }
    assert np.allclose(res['map_gain'], [expected_gain[t] for t in range(5)])


def test_top_k_ratio_and_global_ranking():
    gt, predictions, _ = _case()
    per_class = diagnose_false_positives(gt, predictions, 3, 0.5,
                                         top_k_ratio=2)
    assert per_class['counts_top'].tolist() == [1, 2, 1, 1, 1]
    overall = diagnose_false_positives(gt, predictions, 3, 0.5,
                                       top_k_ratio=2, rank_by='global')
    # The 6 highest-scoring FPs: p10, p2, p3, p4, p5, p6.
    assert overall['counts_top'].tolist() == [1, 1, 1, 1, 2]
    with pytest.raises(ValueError, match='rank_by'):
        diagnose_false_positives(gt, predictions, 3, rank_by='video')
    with pytest.raises(ValueError, match='top_k_ratio'):
        diagnose_false_positives(gt, predictions, 3, top_k_ratio=0)


def _tiou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union if union > 0 else 0.0


def _naive(gt, predictions, thr, low=0.1):
    """Loop-by-loop reference of the matching and typing."""
    flat = [(v, seg, lab, sc) for v, p in predictions.items()
            for seg, lab, sc in zip(p['segments'], p['labels'], p['scores'])]
    flat.sort(key=lambda x: -x[3])
    used = set()
    out = []
    for vid, seg, lab, _ in flat:
        g = gt[vid]
        best, best_j = -1.0, None
        for j, (gs, gl) in enumerate(zip(g['segments'], g['labels'])):
            iou = _tiou(seg, gs)
            if gl == lab and (vid, j) not in used and iou >= thr \
                    and iou > best:
                best, best_j = iou, j
        if best_j is not None:
            used.add((vid, best_j))
            out.append(-1)
            continue
        same = max([_tiou(seg, gs) for gs, gl in zip(g['segments'],
                                                     g['labels'])
                    if gl == lab] + [0.0])
        other = max([_tiou(seg, gs) for gs, gl in zip(g['segments'],
                                                      g['labels'])
                     if gl != lab] + [0.0])
        if same >= thr:
            out.append(D)
        elif other >= thr:
            out.append(W)
        elif same >= low:
            out.append(L)
        elif other >= low:
            out.append(C)
        else:
            out.append(B)
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_matches_naive_reference_on_random_data(seed):
    rng = np.random.default_rng(seed)
    gt, predictions = {}, {}
    for v in range(6):
        starts = rng.uniform(0, 80, size=rng.integers(0, 6))
        gt[f'v{v}'] = dict(
            segments=np.stack([starts, starts + rng.uniform(2, 15,
                                                            len(starts))],
                              1).tolist() if len(starts) else [],
            labels=rng.integers(0, 3, len(starts)).tolist())
        n = int(rng.integers(0, 25))
        ps = rng.uniform(0, 85, n)
        predictions[f'v{v}'] = dict(
            segments=np.stack([ps, ps + rng.uniform(1, 15, n)], 1).tolist()
            if n else [],
            labels=rng.integers(0, 3, n).tolist(),
            scores=rng.uniform(size=n).tolist())
    for thr in (0.3, 0.5, 0.7):
        det = classify_detections(gt, predictions, 3, thr)
        assert det['error'].tolist() == _naive(gt, predictions, thr)


def test_table_format():
    gt, predictions, _ = _case()
    table = format_error_table(diagnose_false_positives(gt, predictions, 3))
    lines = table.splitlines()
    assert lines[2].startswith('| Error type |')
    assert len([ln for ln in lines if ln.startswith('| ')]) == 1 + len(
        ERROR_TYPES)
    assert '| Background | 1 | 33.3 | 2 | +8.33 |' in table


def test_report_of_dumped_results(test_run, tmp_path):
    """What ``tools/analysis/diagnose_errors.py RESULT GT --subset test
    --tiou 0.5 --out-dir DIR`` runs, on the test run's result JSON."""
    from backtal_mmaction.evaluation.analysis.error_report import (
        diagnose_result_file, save_error_analysis)
    out = tmp_path / 'diag'
    gt = str(Path(test_run['data']) / 'gt.json')
    res = diagnose_result_file(test_run['json'], gt, subset='test',
                               tiou_threshold=0.5)
    save_error_analysis(res, str(out), result=test_run['json'], gt=gt,
                        subset='test')
    assert {p.name for p in out.iterdir()} == {
        'fp_analysis.md', 'fp_analysis.json', 'fp_analysis.png'
    }
    summary = json.loads((out / 'fp_analysis.json').read_text())
    assert summary['num_fp'] == res['num_fp'] > 0
    assert sum(summary['counts_all']) == summary['num_fp']
    # The mAP@0.5 of the analysis is the test run's.
    assert 100 * res['map'] == pytest.approx(
        test_run['metrics']['tal/mAP@0.50'], abs=1e-9)


def test_sensitivity_through_the_tool(test_run, tmp_path):
    """``diagnose_errors.py RESULT GT --sensitivity --out-dir DIR``: the
    table printed and sensitivity.{md,json} written equal the library's
    result on the same files; the flags that only go with --sensitivity
    are refused without it."""
    from backtal_mmaction.datasets.gt_io import load_gt
    from backtal_mmaction.evaluation.analysis.sensitivity import (
        format_sensitivity_table, sensitivity_analysis)
    from backtal_mmaction.evaluation.offline import results_against_gt
    from tests.helpers.tool_runner import run_tool
    gt = str(Path(test_run['data']) / 'gt.json')
    out = tmp_path / 'diag'
    run = run_tool('analysis/diagnose_errors.py', [
        test_run['json'], gt, '--sensitivity', '--sensitivity-tiou', '0.3',
        '0.5', '--out-dir', out])
    assert run.exit_code == 0, run.stderr
    loaded = load_gt(gt)
    preds, gt_dets, _, _ = results_against_gt(
        test_run['json'], loaded, 'test', log=lambda _: None)
    want = sensitivity_analysis(gt_dets, preds, len(loaded.class_names),
                                [0.3, 0.5])
    assert format_sensitivity_table(want) in run.stdout
    assert (out / 'sensitivity.md').read_text() == \
        format_sensitivity_table(want) + '\n'
    saved = json.loads((out / 'sensitivity.json').read_text())
    assert saved['base'] == want['base'] > 0
    assert saved['tiou_thresholds'] == [0.3, 0.5]
    assert saved['subset'] == 'test'
    assert 'sensitivity.{md,json,png}' in run.stdout
    assert (out / 'sensitivity.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    for bad in ('0', 'nan', '1.5'):
        run = run_tool('analysis/diagnose_errors.py', [
            test_run['json'], gt, '--sensitivity', '--sensitivity-tiou',
            '0.5', bad])
        assert run.exit_code == 1
        assert run.stderr.strip().splitlines()[-1].startswith(
            'error: --sensitivity-tiou must be')
    for flags in (['--bins', 'activitynet'], ['--sensitivity-tiou', '0.5']):
        run = run_tool('analysis/diagnose_errors.py',
                       [test_run['json'], gt, *flags])
        assert run.exit_code == 2
        assert f'{flags[0]} go with --sensitivity' in run.stderr
