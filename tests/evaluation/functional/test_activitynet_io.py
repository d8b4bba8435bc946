"""ActivityNet JSON reading/writing, on small files and the real GT files."""
import json
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.evaluation.functional.detection_map import (
    dump_activitynet_results, evaluate_detections, load_activitynet_gt,
    load_activitynet_results)

from tests.helpers import SHARED_DATA as DATA
THUMOS = DATA / 'gt_thumos14.json'
ANET12 = DATA / 'activity_net.v1-2.min.json'


def need(path):
    if not path.is_file():
        pytest.skip(f'real annotation file {path} not found (expected in '
                    'shared/data beside the checkout)')
    return str(path)


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


def gt_as_predictions(gt):
    return {
        v:
        dict(
            segments=d['segments'],
            labels=d['labels'],
            scores=np.ones(len(d['labels'])))
        for v, d in gt.items()
    }


# ---------------------------------------------------------------------------
# Result files
# ---------------------------------------------------------------------------
def test_dump_load_roundtrip(tmp_path):
    names = ['run', 'jump', 'swim']
    pred = {
        'v1':
        dict(
            segments=np.array([[0.1, 2.5], [3.0, 7.25]]),
            labels=np.array([2, 0]),
            scores=np.array([0.9, 1 / 3])),
        'v2':
        dict(
            segments=np.zeros((0, 2)),
            labels=np.zeros(0, int),
            scores=np.zeros(0)),
    }
    path = dump_activitynet_results(pred, names, str(tmp_path / 'a/r.json'))
    raw = json.loads(Path(path).read_text())
    assert raw['version'] == 'VERSION 1.3' and raw['external_data'] == {}
    assert raw['results']['v1'][0] == dict(
        label='swim', segment=[0.1, 2.5], score=0.9)
    assert raw['results']['v2'] == []

    loaded, got_names = load_activitynet_results(path, class_names=names)
    assert got_names == names
    for v in pred:
        for key in ('segments', 'labels', 'scores'):
            np.testing.assert_array_equal(loaded[v][key], pred[v][key])
    # Without a class list, labels index the sorted unique names in the file.
    loaded, got_names = load_activitynet_results(path)
    assert got_names == ['run', 'swim']
    np.testing.assert_array_equal(loaded['v1']['labels'], [1, 0])


def test_dump_overwrite_protection(tmp_path):
    pred = {'v1': dict(segments=[[0, 1]], labels=[0], scores=[0.5])}
    path = str(tmp_path / 'r.json')
    dump_activitynet_results(pred, ['a'], path)
    before = Path(path).read_text()
    pred['v1']['scores'] = [0.25]
    with pytest.raises(FileExistsError, match='`overwrite`'):
        dump_activitynet_results(pred, ['a'], path)
    assert Path(path).read_text() == before  # untouched
    dump_activitynet_results(pred, ['a'], path, overwrite=True)
    assert json.loads(
        Path(path).read_text())['results']['v1'][0]['score'] == 0.25


@pytest.mark.parametrize('results,match', [
    ({
        'v1': [{
            'label': 'a',
            'segment': [0, 1]
        }]
    }, r"results\['v1'\]\[0\] is missing field 'score'"),
    ({
        'v1': [{
            'label': 'a',
            'segment': [0, 1],
            'score': 1
        }, {
            'label': 'a',
            'segment': [0, 1, 2],
            'score': 1
        }]
    }, r"results\['v1'\]\[1\]: field 'segment' must be \[start, end\]"),
    ({
        'v1': [{
            'label': 'a',
            'segment': [3, 1],
            'score': 1
        }]
    }, r"'segment' must be finite with end >= start"),
    ({
        'v1': [{
            'label': 'a',
            'segment': ['0', '1'],
            'score': 1
        }]
    }, r"'segment' must be \[start, end\] numbers"),
    ({
        'v1': [{
            'label': 'a',
            'segment': [0, 1],
            'score': None
        }]
    }, r"'score' must be a finite number"),
    ({
        'v1': [{
            'label': 3,
            'segment': [0, 1],
            'score': 1
        }]
    }, r"'label' must be a class name string"),
    ({
        'v1': [['a', [0, 1], 1]]
    }, r"results\['v1'\]\[0\] must be an object"),
    ({
        'v1': {
            'label': 'a'
        }
    }, r"results\['v1'\] must be a list"),
])
def test_malformed_result_file(tmp_path, results, match):
    path = write_json(tmp_path / 'bad.json', {'results': results})
    with pytest.raises(ValueError, match=match) as err:
        load_activitynet_results(path, class_names=['a'])
    assert 'bad.json' in str(err.value)


def test_result_file_level_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_activitynet_results(str(tmp_path / 'nope.json'))
    bad = tmp_path / 'x.json'
    bad.write_text('{"results": ')
    with pytest.raises(ValueError, match='x.json is not valid JSON'):
        load_activitynet_results(str(bad))
    path = write_json(tmp_path / 'y.json', {'database': {}})
    with pytest.raises(ValueError, match="y.json.*'results'"):
        load_activitynet_results(path)
    path = write_json(
        tmp_path / 'z.json',
        {'results': {
            'v9': [{
                'label': 'fly',
                'segment': [0, 1],
                'score': 1
            }]
        }})
    with pytest.raises(ValueError, match=r"z.json.*'v9'.*unknown label 'fly'"):
        load_activitynet_results(path, class_names=['run'])
    # appended instead, after the given list, for a GT without a class list
    dets, names = load_activitynet_results(path, class_names=['run', 'zoo'],
                                           extend_classes=True)
    assert names == ['run', 'zoo', 'fly']
    assert dets['v9']['labels'].tolist() == [2]


# ---------------------------------------------------------------------------
# Ground-truth files
# ---------------------------------------------------------------------------
def small_gt(**top):
    database = {
        'a': {
            'subset':
            'val',
            'duration':
            10.0,
            'annotations': [{
                'segment': [1, 2],
                'label': 'swim'
            }, {
                'segment': [3, 4],
                'label': 'run'
            }]
        },
        'b': {
            'subset': 'test',
            'duration': 5,
            'annotations': [{
                'segment': [0, 5],
                'label': 'run'
            }]
        },
        'c': {
            'subset': 'test',
            'duration': 3,
            'annotations': []
        },
    }
    return dict(database=database, **top)


def test_gt_class_list_sources(tmp_path):
    # sorted unique labels of the whole database (not just the subset)
    path = write_json(tmp_path / 'g1.json', small_gt())
    gt, names = load_activitynet_gt(path, subset='test')
    assert names == ['run', 'swim'] and sorted(gt) == ['b', 'c']
    np.testing.assert_array_equal(gt['b']['labels'], [0])
    np.testing.assert_array_equal(gt['b']['segments'], [[0, 5]])
    assert gt['b']['duration'] == 5.0 and gt['c']['duration'] == 3.0
    assert gt['c']['segments'].shape == (0, 2)

    # activity_list wins
    path = write_json(tmp_path / 'g2.json',
                      small_gt(activity_list=['swim', 'run', 'fly']))
    gt, names = load_activitynet_gt(path)
    assert names == ['swim', 'run', 'fly']
    np.testing.assert_array_equal(gt['a']['labels'], [0, 1])

    # taxonomy leaves: nodes that are nobody's parent, sorted by name
    taxonomy = [
        {
            'nodeId': 0,
            'nodeName': 'Root',
            'parentId': None
        },
        {
            'nodeId': 1,
            'nodeName': 'Sports',
            'parentId': 0
        },
        {
            'nodeId': 2,
            'nodeName': 'swim',
            'parentId': 1
        },
        {
            'nodeId': 3,
            'nodeName': 'run',
            'parentId': 1
        },
        {
            'nodeId': 4,
            'nodeName': 'cook',
            'parentId': 0
        },
    ]
    path = write_json(tmp_path / 'g3.json', small_gt(taxonomy=taxonomy))
    _, names = load_activitynet_gt(path)
    assert names == ['cook', 'run', 'swim']

    # explicit list; a label outside it is an error naming the video
    _, names = load_activitynet_gt(path, class_names=['run', 'swim'])
    assert names == ['run', 'swim']
    with pytest.raises(ValueError, match=r"'a'.*unknown label 'swim'"):
        load_activitynet_gt(path, class_names=['run'])


def test_gt_errors(tmp_path):
    path = write_json(tmp_path / 'g.json', small_gt())
    with pytest.raises(
            ValueError,
            match=r"no video in subset 'train'.*\['test', 'val'\]"):
        load_activitynet_gt(path, subset='train')
    bad = small_gt()
    bad['database']['b']['annotations'][0]['segment'] = [5]
    path = write_json(tmp_path / 'h.json', bad)
    with pytest.raises(
            ValueError, match=r"h.json: video 'b': annotations\[0\].segment"):
        load_activitynet_gt(path)
    bad = small_gt()
    del bad['database']['c']['annotations']
    path = write_json(tmp_path / 'i.json', bad)
    with pytest.raises(ValueError, match=r"'c'.*missing field 'annotations'"):
        load_activitynet_gt(path)
    with pytest.raises(FileNotFoundError):
        load_activitynet_gt(str(tmp_path / 'missing.json'))
    # the dataset's validity rule: every video read has a positive duration
    for duration in (None, 0, -1.0, float('nan'), 'long'):
        bad = small_gt()
        if duration is None:
            del bad['database']['c']['duration']
        else:
            bad['database']['c']['duration'] = duration
        path = write_json(tmp_path / 'j.json', bad)
        with pytest.raises(ValueError, match=r"j.json: video 'c'.*duration"):
            load_activitynet_gt(path, subset='test')
        load_activitynet_gt(path, subset='val')  # 'c' is not read


def test_real_thumos14_gt_as_predictions_gives_100():
    gt, names = load_activitynet_gt(need(THUMOS), subset='test')
    assert len(names) == 20 and names[0] == 'BaseballPitch'
    assert len(gt) == 210
    assert sum(len(d['labels']) for d in gt.values()) == 3311
    res = evaluate_detections(gt, gt_as_predictions(gt), 20)
    np.testing.assert_array_equal(res['mAP'], np.ones(7))
    assert res['classes_without_gt'] == []

    full, _ = load_activitynet_gt(need(THUMOS))
    assert len(full) == 410
    assert sum(len(d['labels']) for d in full.values()) == 3003 + 3311


def test_real_thumos14_roundtrip_through_result_file(tmp_path):
    gt, names = load_activitynet_gt(need(THUMOS), subset='test')
    # Shrink every GT by 30% of its length: tIoU 0.7 exactly on paper, but
    # in floating point it may land just under, so check 0.6 and 0.8 only.
    pred = gt_as_predictions(gt)
    for d in pred.values():
        seg = d['segments'].copy()
        seg[:, 1] -= 0.3 * (seg[:, 1] - seg[:, 0])
        d['segments'] = seg
    path = dump_activitynet_results(pred, names, str(tmp_path / 'r.json'))
    loaded, _ = load_activitynet_results(path, class_names=names)
    res = evaluate_detections(gt, loaded, len(names), (0.6, 0.8))
    # Zero-length GT segments cannot be matched; THUMOS test has none.
    np.testing.assert_array_equal(res['mAP'], [1, 0])


def test_real_activitynet12_gt(tmp_path):
    gt, names = load_activitynet_gt(need(ANET12), subset='validation')
    assert len(names) == 100 and len(gt) == 2383
    raw = json.loads(ANET12.read_text())
    assert names == raw['activity_list']
    # Without activity_list, the taxonomy leaves give the same 100 classes
    # (activity_list happens to be sorted, like our leaf order).
    del raw['activity_list']
    _, leaf_names = load_activitynet_gt(
        write_json(tmp_path / 'anet_no_list.json', raw), subset='validation')
    assert leaf_names == names
    res = evaluate_detections(gt, gt_as_predictions(gt), len(names),
                              (0.5, 0.95))
    # ActivityNet 1.2 has a few zero-length GT segments: tIoU with
    # themselves is 0/0 := 0, so they are missed and mAP is just below 1.
    zero_len = sum(
        int((d['segments'][:, 1] == d['segments'][:, 0]).sum())
        for d in gt.values())
    if zero_len == 0:
        np.testing.assert_array_equal(res['mAP'], [1, 1])
    else:
        assert (res['mAP'] < 1).all() and (res['mAP'] > 0.99).all()
