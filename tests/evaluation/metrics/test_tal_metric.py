"""TALMetric: process() of MMEngine-style outputs and compute_metrics()."""
import json
import logging

import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement, InstanceData

from backtal_mmaction.evaluation.metrics import tal_metric
from backtal_mmaction.evaluation.metrics.tal_metric import TALMetric

from tests.helpers import SHARED_DATA

THUMOS = SHARED_DATA / 'gt_thumos14.json'


def sample(name, pred, gt=None):
    """A model output as MMEngine hands it to metrics (a plain dict)."""
    seg, lab, sc = pred
    out = dict(
        video_name=name,
        duration=100.0,
        pred_instances=dict(
            segments=torch.tensor(seg, dtype=torch.float32).reshape(-1, 2),
            scores=torch.tensor(sc, dtype=torch.float32),
            labels=torch.tensor(lab, dtype=torch.long)))
    if gt is not None:
        out['gt_instances'] = dict(
            segments=torch.tensor(gt[0], dtype=torch.float32).reshape(-1, 2),
            labels=torch.tensor(gt[1], dtype=torch.long))
    return out


# Hand case (segments are float32-exact):
#   class 0 'jump': GT v1 [0,10], v2 [5,15]; predictions by score:
#       v1 [0,10] .9 (tIoU 1), v2 [5,10] .85 (tIoU .5), v1 [0,10] .8 (dup)
#       thr .5: tp [1,1,0] -> AP 1;  thr .9: tp [1,0,0] -> P [1,.5,1/3],
#       R [.5,.5,.5] -> AP .5
#   class 1 'run': GT v1 [20,30], prediction [22,30] (tIoU .8) -> AP [1, 0]
#   class 2 'swim': prediction only, no GT -> excluded
#   mAP@0.50 = 100, mAP@0.90 = (50 + 0) / 2 = 25, mAP_avg = 62.5
HAND_SAMPLES = [
    sample('v1', ([[0, 10], [0, 10], [22, 30], [40, 50]
                   ], [0, 0, 1, 2], [0.9, 0.8, 0.7, 0.6]),
           ([[0, 10], [20, 30]], [0, 1])),
    sample('v2', ([[5, 10]], [0], [0.85]), ([[5, 15]], [0])),
]
HAND_EXPECTED = {'mAP@0.50': 100.0, 'mAP@0.90': 25.0, 'mAP_avg': 62.5}


def make_metric(**kwargs):
    metric = TALMetric(tiou_thresholds=(0.5, 0.9), **kwargs)
    metric.dataset_meta = dict(classes=('jump', 'run', 'swim'))
    return metric


@pytest.fixture
def logs(monkeypatch):
    """Capture print_log calls of the metric module."""
    records = []
    monkeypatch.setattr(tal_metric, 'print_log',
                        lambda msg, **kw: records.append((msg, kw)))
    return records


def test_registered():
    from mmaction.registry import METRICS
    metric = METRICS.build(dict(type='TALMetric'))
    assert isinstance(metric, TALMetric) and metric.prefix == 'tal'
    np.testing.assert_array_equal(metric.tiou_thresholds,
                                  [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])


def test_hand_case_dict_samples(logs):
    metric = make_metric()
    metric.process({}, HAND_SAMPLES[:1])
    metric.process({}, HAND_SAMPLES[1:])
    assert isinstance(metric.results[0]['pred']['segments'], np.ndarray)
    out = metric.compute_metrics(metric.results)
    assert out.keys() == HAND_EXPECTED.keys()
    for k, v in HAND_EXPECTED.items():
        assert out[k] == pytest.approx(v, abs=1e-9)

    text = '\n'.join(str(m) for m, _ in logs)
    assert 'swim' in text and 'no ground truth' in text  # the warning
    assert '62.50' in text and 'jump' in text  # the tables


def test_warns_once_about_classes_without_gt(logs):
    metric = make_metric()
    for _ in range(2):  # two validation rounds
        metric.process({}, HAND_SAMPLES)
        metric.compute_metrics(metric.results)
        metric.results.clear()
    warnings = [m for m, _ in logs if 'no ground truth' in str(m)]
    assert len(warnings) == 1


def test_warns_when_no_video_has_a_detection(logs):
    """A smoke run of a few epochs detects nothing: every mAP is 0 and the
    metric says why instead of printing an all-zero table alone. One
    detection anywhere, or no evaluated video, is no such case."""
    empty = [sample(n, ([], [], []), ([[0, 10]], [0])) for n in ('v1', 'v2')]
    metric = make_metric()
    for _ in range(2):  # two validation rounds: said once
        metric.process({}, empty)
        out = metric.compute_metrics(metric.results)
        metric.results.clear()
    assert out['mAP_avg'] == 0.0
    warned = [(m, kw) for m, kw in logs if 'no detections' in str(m)]
    assert len(warned) == 1
    assert 'on any of the 2 evaluated videos' in warned[0][0]
    assert warned[0][1]['level'] == logging.WARNING
    logs.clear()
    metric = make_metric()
    metric.process({}, empty[:1] + [HAND_SAMPLES[1]])
    metric.compute_metrics(metric.results)
    metric.results.clear()
    metric.compute_metrics([])
    assert not [m for m, _ in logs if 'no detections' in str(m)]


def test_evaluate_adds_prefix_and_accepts_data_elements(logs):
    """Through BaseMetric.evaluate, with data-element samples."""
    from mmaction.structures import ActionDataSample
    metric = make_metric()
    elements = []
    for i, s in enumerate(HAND_SAMPLES):
        cls = ActionDataSample if i == 0 else BaseDataElement
        el = cls(metainfo=dict(video_name=s['video_name']))
        el.pred_instances = InstanceData(**s['pred_instances'])
        el.gt_instances = InstanceData(**s['gt_instances'])
        elements.append(el)
    metric.process({}, elements)
    out = metric.evaluate(size=2)
    assert out == pytest.approx({
        'tal/' + k: v
        for k, v in HAND_EXPECTED.items()
    })


def test_without_dataset_meta_uses_generic_names(logs):
    metric = TALMetric(tiou_thresholds=(0.5, 0.9))
    metric.process({}, HAND_SAMPLES)
    out = metric.compute_metrics(metric.results)
    assert out == pytest.approx(HAND_EXPECTED)
    assert any('class_2' in str(m) for m, _ in logs)


def test_process_errors():
    metric = make_metric()
    bad = dict(HAND_SAMPLES[0])
    del bad['pred_instances']
    with pytest.raises(ValueError, match="'v1' has no 'pred_instances'"):
        metric.process({}, [bad])
    bad = dict(HAND_SAMPLES[0])
    del bad['gt_instances']
    with pytest.raises(ValueError, match="'v1' has no 'gt_instances'"):
        metric.process({}, [bad])
    bad = dict(HAND_SAMPLES[0], pred_instances=dict(segments=[[0, 1]]))
    with pytest.raises(ValueError, match=r"'v1' is missing field\(s\)"):
        metric.process({}, [bad])
    with pytest.raises(ValueError, match="no string 'video_name'"):
        metric.process({}, [dict(pred_instances={})])


def test_compute_errors(logs):
    metric = make_metric()
    metric.process({}, HAND_SAMPLES + HAND_SAMPLES[:1])
    with pytest.raises(ValueError, match="video 'v1' more than once"):
        metric.compute_metrics(metric.results)
    metric = make_metric()
    metric.process({}, [sample('v3', ([[0, 1]], [7], [1.0]), ([[0, 1]], [0]))])
    with pytest.raises(ValueError, match=r"'v3'.*index 7 outside \[0, 3\)"):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='subset'):
        TALMetric(subset='test')
    with pytest.raises(ValueError, match='tiou_thresholds'):
        TALMetric(tiou_thresholds=(0.5, 1.5))


def test_dump_results(tmp_path, logs):
    path = tmp_path / 'out' / 'results.json'
    metric = make_metric(dump_results=str(path))
    for _ in range(2):  # its own dump is replaced on the next round
        metric.process({}, HAND_SAMPLES)
        metric.compute_metrics(metric.results)
        metric.results.clear()
    raw = json.loads(path.read_text())
    assert sorted(raw['results']) == ['v1', 'v2']
    assert raw['results']['v2'] == [
        dict(label='jump', segment=[5.0, 10.0], score=pytest.approx(0.85))
    ]
    # A pre-existing file is refused up front, unless overwrite_dump=True.
    with pytest.raises(FileExistsError, match='overwrite_dump=True'):
        make_metric(dump_results=str(path))
    make_metric(dump_results=str(path), overwrite_dump=True)


def test_ann_file_thumos14_gt_as_predictions(logs):
    if not THUMOS.is_file():
        pytest.skip(f'{THUMOS} not found (shared/data beside the checkout)')
    raw = json.loads(THUMOS.read_text())
    classes = raw['activity_list']
    metric = TALMetric(ann_file=str(THUMOS), subset='test')
    metric.dataset_meta = dict(classes=classes)
    samples = []
    for name, info in raw['database'].items():
        if info['subset'] != 'test':
            continue
        seg = [a['segment'] for a in info['annotations']]
        lab = [classes.index(a['label']) for a in info['annotations']]
        # float64 tensors: float32 would perturb the tIoU of 1
        samples.append(
            dict(
                video_name=name,
                pred_instances=dict(
                    segments=torch.tensor(seg, dtype=torch.float64),
                    scores=torch.ones(len(seg)),
                    labels=torch.tensor(lab))))
    assert len(samples) == 210
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out == {
        **{
            f'mAP@0.{i}0': 100.0
            for i in range(1, 8)
        }, 'mAP_avg': 100.0,
        # the point-supervised columns, present with all of 0.1 ... 0.7
        'mAP_avg_0.1:0.5': 100.0,
        'mAP_avg_0.3:0.7': 100.0
    }

    # A prediction for a video outside the chosen subset is an error.
    metric.results.clear()
    metric.process(
        {}, [sample('video_validation_0000051', ([[0, 1]], [0], [1.0]))])
    with pytest.raises(ValueError, match='video_validation_0000051'):
        metric.compute_metrics(metric.results)


# Near-ties that only float precision decides (values as the pipeline hands
# them over: float32 tensors for GT and predictions):
#   'jump', v1: GT A [157.4,163.5], B [182.1,188.2] (equal length: the
#       THUMOS14 HighJump pair of video_test_0000887). p1 [152.069,193.136]
#       (.9) has tIoU .1485 with A and B, exactly equal in float64 (the GT
#       file's values); with float32 GT A would win by 4e-7.
#       p2 = copy of A (.8).
#       thr .1: reference tie rule -> p1 takes B (listed later), p2 takes A:
#               tp [1,1] -> AP 1
#       thr .5: p1 FP, p2 TP: P [0,.5], R [0,.5] -> AP .25
#   'run', v1: GT [10.0,12.4], p [10.0,11.2] (.7): tIoU 0.49999992 with the
#       file's float64 GT, exactly 0.5 with float32 GT.
#       thr .1 -> AP 1; thr .5: miss -> AP 0
#   mAP@0.10 = 100, mAP@0.50 = (25 + 0) / 2 = 12.5
NEAR_TIE_GT = {
    'activity_list': ['jump', 'run'],
    'database': {
        'v1': {
            'subset': 'test',
            'duration': 300.0,
            'annotations': [
                {'segment': [157.4, 163.5], 'label': 'jump'},
                {'segment': [182.1, 188.2], 'label': 'jump'},
                {'segment': [10.0, 12.4], 'label': 'run'},
            ]
        },
        'v2': {'subset': 'val', 'duration': 50.0, 'annotations': []},
    }
}
NEAR_TIE_SAMPLE = sample(
    'v1', ([[152.069, 193.136], [157.4, 163.5], [10.0, 11.2]], [0, 0, 1],
           [0.9, 0.8, 0.7]),
    ([[157.4, 163.5], [182.1, 188.2], [10.0, 12.4]], [0, 0, 1]))


def test_near_ties_really_depend_on_float32():
    """The case above is one: float32 GT breaks the tie and the threshold."""
    from backtal_mmaction.evaluation.functional import temporal_iou
    p = NEAR_TIE_SAMPLE['pred_instances']['segments'].double().numpy()
    g64 = np.array([s['segment'] for s in
                    NEAR_TIE_GT['database']['v1']['annotations']])
    g32 = np.float32(g64).astype(np.float64)
    i64, i32 = temporal_iou(p, g64), temporal_iou(p, g32)
    assert i64[0, 0] == i64[0, 1] and i32[0, 0] > i32[0, 1]
    assert i64[2, 2] < 0.5 <= i32[2, 2]


def test_in_memory_equals_offline_evaluation_of_its_dump(tmp_path, logs):
    gt_path = tmp_path / 'gt.json'
    gt_path.write_text(json.dumps(NEAR_TIE_GT))
    dump = tmp_path / 'results.json'
    metric = TALMetric(tiou_thresholds=(0.1, 0.5), dump_results=str(dump))
    metric.dataset_meta = dict(classes=('jump', 'run'))
    metric.process({}, [NEAR_TIE_SAMPLE])
    out = metric.compute_metrics(metric.results)
    assert out == {'mAP@0.10': 100.0, 'mAP@0.50': 12.5, 'mAP_avg': 56.25}

    # The dump round-trips exactly: float32 predictions widen to float64,
    # JSON writes the float64 repr, the reader gets the same numbers back.
    from backtal_mmaction.evaluation.functional import \
        load_activitynet_results
    back, _ = load_activitynet_results(str(dump), ['jump', 'run'])
    pred = NEAR_TIE_SAMPLE['pred_instances']
    np.testing.assert_array_equal(back['v1']['segments'],
                                  pred['segments'].double().numpy())
    np.testing.assert_array_equal(back['v1']['scores'],
                                  pred['scores'].double().numpy())

    # Offline on the dump (subset inferred: v1 is 'test'), bit-identical.
    from backtal_mmaction.evaluation.offline import evaluate_result_file
    offline = evaluate_result_file(
        str(dump), str(gt_path), tiou_thresholds=(0.1, 0.5), per_class=False)
    np.testing.assert_array_equal(offline['ap'], [[1.0, 1.0], [0.25, 0.0]])
    assert [100 * v for v in offline['mAP']] == [out['mAP@0.10'],
                                                out['mAP@0.50']]
    assert 100 * offline['average_mAP'] == out['mAP_avg']

    # GT from the file (ann_file) gives the same numbers too.
    metric = TALMetric(
        tiou_thresholds=(0.1, 0.5), ann_file=str(gt_path), subset='test')
    metric.dataset_meta = dict(classes=('jump', 'run'))
    metric.process({}, [NEAR_TIE_SAMPLE])
    assert metric.compute_metrics(metric.results) == out


def test_float32_gt_with_many_digits_warns_once(logs):
    metric = make_metric()
    s = sample('v1', ([[0, 1]], [0], [1.0]), ([[0.123456789, 1.0]], [0]))
    metric.process({}, [s, dict(s, video_name='v2')])
    warned = [m for m, _ in logs if 'float32' in str(m)]
    assert len(warned) == 1 and "'v1'" in warned[0]
    # 6 significant digits or fewer: recovered exactly, no warning.
    metric = make_metric()
    logs.clear()
    metric.process({}, [sample('v1', ([[0, 1]], [0], [1.0]),
                               ([[157.4, 1661.4]], [0]))])
    assert not logs
    assert metric.results[0]['gt']['segments'].tolist() == [[157.4, 1661.4]]
