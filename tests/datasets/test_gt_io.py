"""The one GT reader (``datasets.gt_io``) and its validity rule."""
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.datasets import gt_io
from backtal_mmaction.datasets.gt_io import (GroundTruth, load_gt,
                                             parse_gt_video, select_subset)

from tests.helpers import SHARED_DATA


def _write(tmp_path, database, name='gt.json', **top):
    path = tmp_path / name
    path.write_text(json.dumps(dict(database=database, **top)))
    return str(path)


def _video(**fields):
    entry = dict(
        subset='test',
        duration=10.0,
        annotations=[dict(segment=[1.0, 2.5], label='Jump')])
    entry.update(fields)
    return entry


def test_load_gt_parses_selected_videos_in_file_order(tmp_path):
    database = {
        'b': _video(fps=25, annotations=[
            dict(segment=[1, 2], label='Run'),
            dict(segment=[0.5, 0.5], label='Jump')]),
        'a': _video(subset='train'),
        'c': _video(duration=7, frame_num=210, annotations=[]),
    }
    path = _write(tmp_path, database)
    gt = load_gt(path, subset='test')
    assert isinstance(gt, GroundTruth)
    assert gt.path == path and gt.database == database
    assert gt.data == dict(database=database)
    # inferred from the labels of the whole database, sorted
    assert gt.class_names == ['Jump', 'Run']
    assert gt.class_index == {'Jump': 0, 'Run': 1}
    assert list(gt.videos) == ['b', 'c']
    b, c = gt.videos['b'], gt.videos['c']
    assert b['duration'] == 10.0 and b['fps'] == 25.0
    assert b['frame_num'] is None and b['scores'] is None
    assert b['segments'].dtype == np.float64
    assert b['segments'].tolist() == [[1.0, 2.0], [0.5, 0.5]]
    assert b['labels'].dtype == np.int64 and b['labels'].tolist() == [1, 0]
    # an empty annotation list is valid (ActivityNet 'testing' entries)
    assert c['segments'].shape == (0, 2) and c['labels'].shape == (0, )
    assert c['duration'] == 7.0 and c['frame_num'] == 210 and c['fps'] is None
    assert list(load_gt(path).videos) == ['b', 'a', 'c']
    assert list(load_gt(path, ['train', 'test']).videos) == ['b', 'a', 'c']


def test_class_list_sources(tmp_path):
    database = {'v': _video(annotations=[dict(segment=[1, 2], label='B')]),
                'w': _video(subset='train',
                            annotations=[dict(segment=[1, 2], label='A')])}
    # sorted labels of the whole database: 'A' only occurs in 'train', yet
    # the test subset's indices account for it
    assert load_gt(_write(tmp_path, database), 'test').class_names == [
        'A', 'B']
    listed = _write(tmp_path, database, 'l.json', activity_list=['B', 'A'])
    gt = load_gt(listed, 'test')
    assert gt.class_names == ['B', 'A']
    assert gt.videos['v']['labels'].tolist() == [0]
    taxonomy = [
        dict(nodeId=0, nodeName='Root', parentId=None),
        dict(nodeId=1, nodeName='Sports', parentId=0),
        dict(nodeId=2, nodeName='B', parentId=1),
        dict(nodeId=3, nodeName='A', parentId=1),
    ]
    tax = _write(tmp_path, database, 't.json', taxonomy=taxonomy)
    assert load_gt(tax).class_names == ['A', 'B']
    gt = load_gt(listed, class_names=['X', 'A', 'B'])
    assert gt.class_names == ['X', 'A', 'B']
    assert gt.videos['v']['labels'].tolist() == [2]


def test_scores_all_or_none(tmp_path):
    anns = [dict(segment=[1, 2], label='Jump', score=0.5),
            dict(segment=[3, 4], label='Jump', score=1)]
    gt = load_gt(_write(tmp_path, {'v': _video(annotations=anns)}))
    assert gt.videos['v']['scores'].tolist() == [0.5, 1.0]


BAD_ENTRIES = [
    ([1, 2], r'the entry must be a JSON object, got list'),
    (dict(subset='test', duration=10.0), r"missing field 'annotations'"),
    (_video(annotations={'segment': [1, 2]}),
     r"field 'annotations' must be a list, got dict"),
    (_video(annotations=['oops']), r'annotations\[0\] must be an object'),
    (_video(duration=None), r'field "duration" must be a positive number, '
     r'got None'),
    (dict(subset='test', annotations=[]), r'field "duration" .* got None'),
    (_video(duration=0), r'field "duration" .* got 0'),
    (_video(duration=-3.0), r'field "duration" .* got -3\.0'),
    (_video(duration=math.inf), r'field "duration" .* got inf'),
    (_video(duration='10'), r'field "duration" .* got \'10\''),
    (_video(duration=True), r'field "duration" .* got True'),
    (_video(annotations=[dict(segment=[3.0, 2.0], label='Jump')]),
     r'annotations\[0\]\.segment must be \[start, end\] seconds with '
     r'start <= end, got \[3\.0, 2\.0\]'),
    (_video(annotations=[dict(segment=[1.0], label='Jump')]),
     r'annotations\[0\]\.segment .* got \[1\.0\]'),
    (_video(annotations=[dict(label='Jump')]),
     r'annotations\[0\]\.segment .* got None'),
    (_video(annotations=[dict(segment=['1', 2], label='Jump')]),
     r'annotations\[0\]\.segment .* got \[\'1\', 2\]'),
    (_video(annotations=[dict(segment=[1, math.nan], label='Jump')]),
     r'annotations\[0\]\.segment .* got \[1, nan\]'),
    (_video(annotations=[dict(segment=[1, 2], label='Jump'),
                         dict(segment=[1, 2], label='Swim')]),
     r"annotations\[1\]\.label: unknown label 'Swim', not in the class "
     r'list \(1 classes\)'),
    (_video(annotations=[dict(segment=[1, 2])]),
     r'annotations\[0\]\.label: unknown label None'),
    (_video(annotations=[dict(segment=[1, 2], label='Jump', score=0)]),
     r'annotations\[0\]\.score must be a number in \(0, 1\], got 0'),
    (_video(annotations=[dict(segment=[1, 2], label='Jump', score=1.5)]),
     r'annotations\[0\]\.score .* got 1\.5'),
    (_video(annotations=[dict(segment=[1, 2], label='Jump', score=True)]),
     r'annotations\[0\]\.score .* got True'),
    (_video(annotations=[dict(segment=[1, 2], label='Jump', score=0.5),
                         dict(segment=[3, 4], label='Jump')]),
     r'either every annotation has a "score" or none has'),
]


@pytest.mark.parametrize('entry, message', BAD_ENTRIES)
def test_each_violation_names_file_video_and_field(tmp_path, entry,
                                                   message):
    good = _video(subset='train')
    path = _write(tmp_path, {'good': good, 'bad_vid': entry},
                  'rule.json', activity_list=['Jump'])
    pattern = r"rule\.json: video 'bad_vid': " + message
    with pytest.raises(ValueError, match=pattern):
        load_gt(path)
    # the same rule for an in-memory entry
    if isinstance(entry, dict):
        with pytest.raises(ValueError, match=r"src: video 'bad_vid': "):
            parse_gt_video('src', 'bad_vid', entry, {'Jump': 0})


def test_unselected_entries_are_not_read(tmp_path):
    database = {'ok': _video(), 'broken': dict(subset='train', duration=-1)}
    path = _write(tmp_path, database, activity_list=['Jump'])
    assert list(load_gt(path, 'test').videos) == ['ok']
    with pytest.raises(ValueError, match="video 'broken': missing field"):
        load_gt(path)
    # without a class list, the labels of every entry are read
    inferred = _write(tmp_path, database, 'inferred.json')
    with pytest.raises(ValueError,
                       match=r"inferred\.json: video 'broken': missing "
                       r"field 'annotations'"):
        load_gt(inferred, 'test')


def test_select_subset(tmp_path):
    database = {'a': dict(subset='val'), 'b': dict(subset='test'),
                'c': dict(subset='val'), 'd': dict()}
    assert select_subset(database, None) == ['a', 'b', 'c', 'd']
    assert select_subset(database, 'val') == ['a', 'c']
    assert select_subset(database, ['test', 'val']) == ['a', 'b', 'c']
    assert select_subset(database, ('test', )) == ['b']
    with pytest.raises(ValueError,
                       match=r"^f\.json: no video in subset 'train'; "
                       r"available subsets: \['None', 'test', 'val'\]$"):
        select_subset(database, 'train', 'f.json')
    with pytest.raises(ValueError,
                       match=r"f\.json: no video in subsets \['x', 'y'\]"):
        select_subset(database, ['y', 'x'], 'f.json')
    with pytest.raises(ValueError, match=r'f\.json: no video in the '
                       r'database'):
        select_subset({}, None, 'f.json')
    with pytest.raises(ValueError, match=r'<gt>: no video in subsets \[\]'):
        select_subset(database, [])
    with pytest.raises(ValueError, match='subset must be None, a name or a '
                       'list of names, got 3'):
        select_subset(database, 3)
    with pytest.raises(ValueError, match=r"f\.json: video 'x': the entry "
                       'must be a JSON object, got str'):
        select_subset({'x': 'val'}, 'val', 'f.json')
    path = _write(tmp_path, {'v': _video()})
    with pytest.raises(ValueError, match=r"gt\.json: no video in subset "
                       r"'val'; available subsets: \['test'\]"):
        load_gt(path, 'val')


def test_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_gt(str(tmp_path / 'nope.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('{"database": ')
    with pytest.raises(ValueError, match=r'bad\.json is not valid JSON'):
        load_gt(str(bad))
    bad.write_text('{"videos": {}}')
    with pytest.raises(ValueError, match=r'bad\.json has no "database"'):
        load_gt(str(bad))


def test_outside_segments_warn_once_per_file(tmp_path, monkeypatch):
    monkeypatch.setattr(gt_io, '_WARNED', set())
    anns = [dict(segment=[8.0, 12.0], label='Jump')]
    path = _write(tmp_path, {'v': _video(annotations=anns)})
    with pytest.warns(UserWarning, match=r"1 GT segment\(s\) in 1 video"):
        gt = load_gt(path)
    # kept as given
    assert gt.videos['v']['segments'].tolist() == [[8.0, 12.0]]
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_gt(path, 'test')


def _real(name):
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f'real annotation file {path} not available')
    return str(path)


@pytest.mark.parametrize('name, subset, videos, instances, classes', [
    ('gt_thumos14.json', 'test', 210, 3311, 20),
    ('gt_thumos14.json', 'val', 200, 3003, 20),
    ('activity_net.v1-2.min.json', 'training', 4819, 7151, 100),
    ('activity_net.v1-2.min.json', 'validation', 2383, 3582, 100),
    # real 'testing' entries carry empty annotation lists
    ('activity_net.v1-2.min.json', 'testing', 2480, 0, 100),
])
def test_real_files_satisfy_the_rule(name, subset, videos, instances,
                                     classes):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', UserWarning)
        gt = load_gt(_real(name), subset)
    assert len(gt.videos) == videos
    assert sum(len(v['labels']) for v in gt.videos.values()) == instances
    assert len(gt.class_names) == classes
    raw = json.loads(Path(_real(name)).read_text())['database']
    first = next(iter(gt.videos))
    assert gt.videos[first]['segments'].tolist() == [
        [float(x) for x in a['segment']] for a in raw[first]['annotations']
    ]
