"""Options of the point-supervised literature (LACP, HR-Pro, CO2-Net) and
input checks of the offline tool: mAP over tIoU ranges, ambiguous-segment
removal, subset inference, GT outside the video."""
import json
import os.path as osp
import warnings

import numpy as np
import pytest

from backtal_mmaction.datasets import gt_io
from backtal_mmaction.evaluation.functional.detection_map import (
    ambiguous_prediction_mask, dump_activitynet_results, evaluate_detections,
    format_detection_table, load_activitynet_gt, load_ambiguous_segments,
    load_activitynet_results, tiou_ranges)
from backtal_mmaction.evaluation.offline import evaluate_result_file
from tests.helpers.detections import det

DATA = '../shared/data'
THUMOS_GT = f'{DATA}/gt_thumos14.json'
AMBIGUOUS = f'{DATA}/THUMOS14_Ambiguous_test.txt'


def need(path):
    if not osp.isfile(path):
        pytest.skip(f'{path} not available')


# ---------------------------------------------------------------------------
# mAP averaged over 0.1:0.5 and 0.3:0.7
# ---------------------------------------------------------------------------
def test_tiou_ranges_need_all_their_thresholds():
    thr = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    r = tiou_ranges(thr)
    assert list(r) == ['0.1:0.5', '0.3:0.7']
    np.testing.assert_array_equal(r['0.1:0.5'], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(r['0.3:0.7'], [2, 3, 4, 5, 6])
    # linspace's 0.30000000000000004 still counts as 0.3
    assert list(tiou_ranges(np.linspace(0.1, 0.7, 7))) == list(r)
    assert list(tiou_ranges((0.3, 0.4, 0.5, 0.6, 0.7))) == ['0.3:0.7']
    assert tiou_ranges((0.1, 0.3, 0.5, 0.7)) == {}
    assert tiou_ranges(np.arange(0.5, 1.0, 0.05)) == {}  # ActivityNet


def test_range_map_hand_case():
    # GT [0,10]; prediction [0,6]: tIoU .6 -> AP 1 at 0.1 ... 0.6, 0 at 0.7
    # mAP = [1,1,1,1,1,1,0]: avg 6/7, 0.1:0.5 -> 1, 0.3:0.7 -> 4/5
    res = evaluate_detections({'v': det([[0, 10]], [0])},
                              {'v': det([[0, 6]], [0], [1.0])}, 1)
    np.testing.assert_array_equal(res['mAP'], [1, 1, 1, 1, 1, 1, 0])
    assert res['average_mAP'] == pytest.approx(6 / 7, abs=1e-15)
    assert res['range_mAP'] == {'0.1:0.5': 1.0, '0.3:0.7': 0.8}
    text = format_detection_table(res, ['jump'])
    header = text.splitlines()[1]
    assert 'avg 0.1:0.5' in header and 'avg 0.3:0.7' in header
    assert '85.71' in text and '80.00' in text
    # thresholds without a full range: no range columns
    res = evaluate_detections({'v': det([[0, 10]], [0])},
                              {'v': det([[0, 6]], [0], [1.0])}, 1, (0.5, ))
    assert res['range_mAP'] == {}
    assert 'avg 0.1' not in format_detection_table(res)


def test_metric_reports_range_keys():
    import torch
    from backtal_mmaction.evaluation.metrics import TALMetric
    metric = TALMetric()
    metric.dataset_meta = dict(classes=('jump', ))
    metric.process({}, [
        dict(
            video_name='v',
            pred_instances=dict(
                segments=torch.tensor([[0., 6.]]),
                scores=torch.tensor([1.]),
                labels=torch.tensor([0])),
            gt_instances=dict(
                segments=torch.tensor([[0., 10.]]),
                labels=torch.tensor([0])))
    ])
    out = metric.compute_metrics(metric.results)
    assert out['mAP_avg'] == pytest.approx(600 / 7)
    assert out['mAP_avg_0.1:0.5'] == 100.0
    assert out['mAP_avg_0.3:0.7'] == 80.0
    metric = TALMetric(tiou_thresholds=(0.5, 0.7))
    assert not any('0.1:0.5' in k for k in metric.compute_metrics(
        [dict(video_name='v', pred=det([[0, 6]], [0], [1.0]),
              gt=det([[0, 10]], [0]))]))


# ---------------------------------------------------------------------------
# Ambiguous segments
# ---------------------------------------------------------------------------
def test_load_real_thumos14_ambiguous_file():
    need(AMBIGUOUS)
    amb = load_ambiguous_segments(AMBIGUOUS)
    assert len(amb) == 37
    assert sum(len(s) for s in amb.values()) == 99
    assert all(v.startswith('video_test_') for v in amb)
    # first lines: "video_test_0000278  0.0 1.4" / "...  95.7 97.2"
    np.testing.assert_array_equal(amb['video_test_0000278'],
                                  [[0.0, 1.4], [95.7, 97.2]])
    need(THUMOS_GT)
    gt, _ = load_activitynet_gt(THUMOS_GT, subset='test')
    # 2 of the 37 are test videos the THUMOS14 GT of the weak-supervision
    # papers leaves out (wrong annotations); their segments are ignored.
    assert set(amb) - set(gt) == {'video_test_0001292', 'video_test_0001496'}


@pytest.mark.parametrize('text,match', [
    ('v1 0 1\nv1 2\n', r'line 2: expected 3 fields'),
    ('v1 0 1\n\nv2 a 3\n', r'line 3: start/end must be numbers'),
    ('v1 5 3\n', r"line 1: end 3.0 < start 5.0 for video 'v1'"),
    ('v1 0 inf\n', r'line 1: start/end must be finite'),
])
def test_bad_ambiguous_file_names_file_and_line(tmp_path, text, match):
    path = tmp_path / 'amb.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        load_ambiguous_segments(str(path))
    assert str(path) in str(err.value)
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        load_ambiguous_segments(str(tmp_path / 'nope.txt'))


def test_ambiguous_rule_hand_cases():
    # Ambiguous [2.5, 5.5] -> range(round(2.5), round(5.5)) = range(2, 6)
    # (round half to even); [3.5, 4.5] -> range(4, 4), empty.
    # Predictions -> range(int(start), int(end)):
    #   [5.9, 7.0] -> {5, 6}: shares 5 -> removed
    #   [6.0, 9.0] -> {6, 7, 8}: nothing shared -> kept
    #   [0.0, 2.9] -> {0, 1}: kept, although [0, 2.9] overlaps [2.5, 5.5]
    #   [1.2, 1.8] -> {} : kept
    #   [3.0, 4.0] -> {3}: removed (by [2.5, 5.5]; [3.5, 4.5] is empty)
    #   [3.0, 4.0] in video 'w' (no ambiguous segment) -> kept
    amb = {'v': np.array([[2.5, 5.5], [3.5, 4.5]])}
    seg = np.array([[5.9, 7.0], [6.0, 9.0], [0.0, 2.9], [1.2, 1.8],
                    [3.0, 4.0], [3.0, 4.0]])
    vid = np.array([0, 0, 0, 0, 0, 1])
    drop = ambiguous_prediction_mask(['v', 'w'], vid, seg, amb)
    np.testing.assert_array_equal(drop, [1, 0, 0, 0, 1, 0])
    # CO2-Net's snippet bins (25/16 per second): [0, 2.9] -> range(0, 4),
    # [2.5, 5.5] -> range(4, 9): still disjoint; [0, 3.3] -> range(0, 5):
    # shares 4 -> removed
    drop = ambiguous_prediction_mask(['v'], np.zeros(2, int),
                                     np.array([[0.0, 2.9], [0.0, 3.3]]),
                                     {'v': np.array([[2.5, 5.5]])},
                                     bins_per_second=25 / 16)
    np.testing.assert_array_equal(drop, [0, 1])


def reference_filter(preds, videos, ambilist):
    """HR-Pro's ``filter_segments`` in plain Python (seconds): Python round
    and int, set intersection of ranges; the reference's 0/0 case (both
    ranges empty) counts as no overlap."""
    keep = []
    for (s, e), vn in zip(preds, videos):
        hit = False
        for a in ambilist:
            if a[0] != vn:
                continue
            gt = set(range(int(round(float(a[1]))), int(round(float(a[2])))))
            pd = set(range(int(s), int(e)))
            if len(gt & pd) > 0:
                hit = True
        keep.append(not hit)
    return np.array(keep)


def test_ambiguous_rule_matches_reference_on_real_file():
    need(AMBIGUOUS)
    amb = load_ambiguous_segments(AMBIGUOUS)
    ambilist = [line.split() for line in open(AMBIGUOUS) if line.strip()]
    names = sorted(amb) + ['video_test_9999999']
    rng = np.random.default_rng(0)
    n = 3000
    vid = rng.integers(0, len(names), n)
    start = rng.uniform(0, 420, n)
    # half of them on a 0.5 s grid: many exact .5 ends (half-even rounding)
    start = np.where(rng.random(n) < 0.5, np.round(start * 2) / 2, start)
    seg = np.stack([start, start + rng.uniform(0, 8, n)], 1)
    drop = ambiguous_prediction_mask(names, vid, seg, amb)
    keep = reference_filter(seg, [names[v] for v in vid], ambilist)
    np.testing.assert_array_equal(drop, ~keep)
    assert 100 < drop.sum() < n - 100


def test_evaluation_with_ambiguous_segments():
    # GT [10,20]. FP [3,5] (.95) overlaps ambiguous [2.5,5.5]; TP [10,20].
    # without removal: tp [0,1] -> P [0,.5], R [0,1] -> AP .5
    # with removal: tp [1] -> AP 1; 1 prediction removed.
    gt = {'v': det([[10, 20]], [0])}
    pred = {'v': det([[3, 5], [10, 20]], [0, 0], [0.95, 0.9])}
    amb = {'v': np.array([[2.5, 5.5]])}
    plain = evaluate_detections(gt, pred, 1, (0.5, ))
    assert plain['mAP'][0] == 0.5 and plain['num_ambiguous_removed'] is None
    res = evaluate_detections(gt, pred, 1, (0.5, ), ambiguous=amb)
    assert res['mAP'][0] == 1.0 and res['num_ambiguous_removed'] == 1
    title = format_detection_table(res, ambiguous_file='amb.txt').split(
        '\n')[0]
    assert 'ambiguous segments of amb.txt on' in title
    assert '1 overlapping prediction(s) removed' in title
    assert 'ambiguous' not in format_detection_table(plain)


def test_real_thumos14_with_ambiguous_file():
    """GT as predictions plus one high-scored FP on every ambiguous
    segment: without the file the FPs rank first; with it, they and every
    prediction sharing a 1 s bin with an ambiguous segment are removed, and
    the result equals evaluating the reference-filtered predictions."""
    need(THUMOS_GT)
    need(AMBIGUOUS)
    gt, names = load_activitynet_gt(THUMOS_GT, subset='test')
    amb = load_ambiguous_segments(AMBIGUOUS)
    pred = {}
    for v, d in gt.items():
        seg, lab = d['segments'], d['labels']
        extra = amb.get(v, np.zeros((0, 2)))
        pred[v] = det(
            np.concatenate([seg, extra]),
            np.concatenate([lab, np.zeros(len(extra), int)]),
            np.concatenate([np.full(len(seg), 0.5), np.ones(len(extra))]))
    res = evaluate_detections(gt, pred, len(names), ambiguous=amb)
    ambilist = [line.split() for line in open(AMBIGUOUS) if line.strip()]
    filtered, removed = {}, 0
    for v, d in pred.items():
        keep = reference_filter(d['segments'], [v] * len(d['segments']),
                                ambilist)
        removed += int((~keep).sum())
        filtered[v] = {k: x[keep] for k, x in d.items()}
    assert res['num_ambiguous_removed'] == removed
    # Not all 99 FPs go: a short ambiguous segment can round to no bin
    # at all (e.g. [50.6, 51.2] -> range(51, 51)), exactly as in HR-Pro.
    assert 50 < removed
    np.testing.assert_array_equal(
        res['ap'],
        evaluate_detections(gt, filtered, len(names))['ap'])
    plain = evaluate_detections(gt, pred, len(names))
    assert plain['mAP'][0] < res['mAP'][0]


def test_metric_and_cli_ambiguous_option(tmp_path, capsys):
    import torch
    from backtal_mmaction.evaluation.metrics import TALMetric
    amb_path = tmp_path / 'amb.txt'
    amb_path.write_text('v  2.5 5.5\n')
    bad = tmp_path / 'bad.txt'
    bad.write_text('v 1\n')
    with pytest.raises(ValueError, match=r'bad.txt, line 1'):
        TALMetric(ambiguous_file=str(bad))
    metric = TALMetric(tiou_thresholds=(0.5, ), ambiguous_file=str(amb_path))
    metric.dataset_meta = dict(classes=('jump', ))
    metric.process({}, [
        dict(
            video_name='v',
            pred_instances=dict(
                segments=torch.tensor([[3., 5.], [10., 20.]]),
                scores=torch.tensor([0.95, 0.9]),
                labels=torch.tensor([0, 0])),
            gt_instances=dict(
                segments=torch.tensor([[10., 20.]]),
                labels=torch.tensor([0])))
    ])
    assert metric.compute_metrics(metric.results) == {
        'mAP@0.50': 100.0,
        'mAP_avg': 100.0
    }

    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(
        json.dumps({
            'database': {
                'v': {
                    'subset': 'test', 'duration': 30.0,
                    'annotations': [{'segment': [10, 20], 'label': 'jump'}]
                }
            }
        }))
    result = tmp_path / 'res.json'
    dump_activitynet_results(
        {'v': det([[3, 5], [10, 20]], [0, 0], [0.95, 0.9])}, ['jump'],
        str(result))
    res = evaluate_result_file(str(result), str(gt_path), tiou_thresholds=[
        0.5], ambiguous_file=str(amb_path))
    assert res['mAP'][0] == 1.0
    out = capsys.readouterr().out
    assert f'ambiguous segments of {amb_path} on' in out
    res = evaluate_result_file(str(result), str(gt_path), tiou_thresholds=[
        0.5])
    assert res['mAP'][0] == 0.5
    assert 'ambiguous' not in capsys.readouterr().out


# ---------------------------------------------------------------------------
# offline evaluation (eval_detections.py): subset inference
# ---------------------------------------------------------------------------
def test_cli_infers_the_subset_of_the_results(tmp_path, capsys):
    # GT: v1 (test) jump [0,10]; v2 (val) jump [0,10].
    # Results on v1 only, perfect. Scored against both subsets, v2's GT
    # would be missed: tp [1] of 2 -> AP .5. Inferred 'test': AP 1.
    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(
        json.dumps({
            'database': {
                'v1': {'subset': 'test', 'duration': 20.0, 'annotations': [
                    {'segment': [0, 10], 'label': 'jump'}]},
                'v2': {'subset': 'val', 'duration': 20.0, 'annotations': [
                    {'segment': [0, 10], 'label': 'jump'}]},
            }
        }))
    result = tmp_path / 'res.json'
    dump_activitynet_results({'v1': det([[0, 10]], [0], [1.0])}, ['jump'],
                             str(result))
    res = evaluate_result_file(str(result), str(gt_path), tiou_thresholds=[
        0.5])
    assert res['mAP'][0] == 1.0
    out = capsys.readouterr().out
    assert "Subset inferred from the results: 'test'" in out
    # an explicit --subset wins and is not "inferred"
    res = evaluate_result_file(str(result), str(gt_path), subset='test',
                               tiou_thresholds=[0.5])
    assert res['mAP'][0] == 1.0
    assert 'inferred' not in capsys.readouterr().out

    both = tmp_path / 'both.json'
    dump_activitynet_results(
        {
            'v1': det([[0, 10]], [0], [1.0]),
            'v2': det([[0, 10]], [0], [1.0])
        }, ['jump'], str(both))
    with pytest.raises(ValueError) as err:
        evaluate_result_file(str(both), str(gt_path))
    msg = str(err.value)
    assert "1 in 'test' (e.g. 'v1')" in msg and "1 in 'val'" in msg
    assert '`subset`' in msg and str(gt_path) in msg


def test_cli_on_real_thumos14_test_results(tmp_path, capsys):
    """Results on 3 test videos only (their GT, perfect): against all 410
    GT videos the mAP would be tiny; inferred 'test' equals --subset test."""
    need(THUMOS_GT)
    gt, names = load_activitynet_gt(THUMOS_GT, subset='test')
    videos = ['video_test_0000004', 'video_test_0000006',
              'video_test_0000007']
    result = tmp_path / 'res.json'
    dump_activitynet_results(
        {v: dict(gt[v], scores=np.ones(len(gt[v]['labels'])))
         for v in videos}, names, str(result))
    inferred = evaluate_result_file(str(result), THUMOS_GT, per_class=False)
    assert "inferred from the results: 'test'" in capsys.readouterr().out
    explicit = evaluate_result_file(str(result), THUMOS_GT, subset='test',
                                    per_class=False)
    np.testing.assert_array_equal(inferred['ap'], explicit['ap'])
    everything, _ = load_activitynet_gt(THUMOS_GT)
    all_subsets = evaluate_detections(
        everything, load_activitynet_results(str(result), names)[0],
        len(names))
    assert all_subsets['average_mAP'] < explicit['average_mAP']


# ---------------------------------------------------------------------------
# GT segments outside [0, duration]
# ---------------------------------------------------------------------------
def test_real_thumos14_gt_outside_video_warns_once(monkeypatch):
    need(THUMOS_GT)
    monkeypatch.setattr(gt_io, '_WARNED', set())
    with pytest.warns(UserWarning) as rec:
        gt, _ = load_activitynet_gt(THUMOS_GT, subset='test')
        gt_io.load_gt_database(THUMOS_GT)  # the dataset's reader: no repeat
    msgs = [str(r.message) for r in rec if 'duration' in str(r.message)]
    assert len(msgs) == 1
    assert '4 GT segment(s) in 2 video(s)' in msgs[0]
    assert 'video_test_0001081' in msgs[0] and THUMOS_GT in msgs[0]
    # ... and they are kept as they are
    np.testing.assert_array_equal(gt['video_test_0001081']['segments'][3],
                                  [127.5, 130.1])


def test_gt_outside_video_hand_case(tmp_path, monkeypatch):
    monkeypatch.setattr(gt_io, '_WARNED', set())
    path = tmp_path / 'gt.json'
    path.write_text(
        json.dumps({
            'database': {
                'a': {'subset': 'test', 'duration': 10.0, 'annotations': [
                    {'segment': [-0.5, 2], 'label': 'x'},
                    {'segment': [2, 10], 'label': 'x'},  # end == duration
                    {'segment': [8, 10.5], 'label': 'x'}]},
                'b': {'subset': 'test', 'duration': 5, 'annotations': [
                    {'segment': [1, 2], 'label': 'x'}]},
            }
        }))
    with pytest.warns(UserWarning, match=r"2 GT segment\(s\) in 1 video"):
        load_activitynet_gt(str(path))
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # once per file: no second warning
        load_activitynet_gt(str(path))
        gt_io.load_gt_database(str(path))
    assert gt_io.segments_outside_video(json.loads(
        path.read_text())['database']) == [('a', 0, [-0.5, 2], 10.0),
                                           ('a', 2, [8, 10.5], 10.0)]


def test_rounding_overshoot_is_not_reported(tmp_path):
    """ActivityNet rounds durations and segments to 0.01 s: a segment
    past the end by less is rounding, not an annotation error."""
    database = {
        'a': {'subset': 'test', 'duration': 47.02, 'annotations': [
            {'segment': [0.0, 47.02041], 'label': 'x'},   # 0.0004 s
            {'segment': [-0.004, 3.0], 'label': 'x'},     # 0.004 s
            {'segment': [40.0, 47.05], 'label': 'x'}]}}   # 0.03 s
    assert gt_io.segments_outside_video(database) == [
        ('a', 0, [0.0, 47.02041], 47.02), ('a', 1, [-0.004, 3.0], 47.02),
        ('a', 2, [40.0, 47.05], 47.02)]
    assert gt_io.segments_outside_video(
        database, gt_io.OUTSIDE_TOLERANCE) == [('a', 2, [40.0, 47.05],
                                                47.02)]
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps({'database': database}))
    with pytest.warns(UserWarning) as record:
        load_activitynet_gt(str(path))
    msgs = [str(w.message) for w in record
            if 'GT segment(s)' in str(w.message)]
    assert len(msgs) == 1
    assert msgs[0].startswith(f'{path}: 1 GT segment(s) in 1 video(s)')
    assert 'by more than 0.01 s' in msgs[0]
    assert "'a' annotations[2] [40.0, 47.05]" in msgs[0]
