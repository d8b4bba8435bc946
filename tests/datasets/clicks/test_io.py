"""Click-file schema: loading, validation, writing, merging."""
import json
import math

import pytest

from backtal_mmaction.datasets.clicks import (CLICK_FILE_VERSION,
                                              dump_click_file, load_click_file,
                                              merge_click_files,
                                              validate_clicks)


def _write(path, data):
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def _doc(clicks_by_video):
    database = {v: dict(clicks=c) for v, c in clicks_by_video.items()}
    return dict(version=CLICK_FILE_VERSION, database=database)


BG = {'time': 1.5, 'type': 'background', 'annotator': 'A1'}
ACT = {'time': 4, 'type': 'action', 'label': 'Jump', 'annotator': 'SF'}


def test_load_normalizes_and_keeps_file_order(tmp_path):
    path = _write(tmp_path / 'c.json', _doc({'v1': [ACT, BG], 'v2': []}))
    clicks = load_click_file(path)
    assert clicks == {
        'v1': [{
            'time': 4.0,
            'type': 'action',
            'label': 'Jump',
            'annotator': 'SF'
        }, {
            'time': 1.5,
            'type': 'background',
            'label': None,
            'annotator': 'A1'
        }],
        'v2': []
    }
    assert isinstance(clicks['v1'][0]['time'], float)


def test_dump_load_round_trip_and_format(tmp_path):
    clicks = {
        'v1': [dict(BG, label=None), dict(ACT, time=4.0)],
        'v2': [],
        'v3': [dict(BG, time=0.0, annotator='A2', label=None)]
    }
    path = tmp_path / 'sub' / 'clicks.json'
    dump_click_file(clicks, path)
    assert load_click_file(path) == clicks
    data = json.loads(path.read_text())
    assert data['version'] == CLICK_FILE_VERSION
    # Background clicks are written without a label key.
    assert 'label' not in data['database']['v1']['clicks'][0]
    assert data['database']['v1']['clicks'][1]['label'] == 'Jump'
    # No temporary files are left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ['clicks.json']


@pytest.mark.parametrize('text, match', [
    ('{"database": {', r"c\.json: malformed JSON .*line 1"),
    ('[]', r'c\.json: top level must be a JSON object'),
    ('{"version": "backtal-clicks/1.0"}',
     r"c\.json: missing top-level key 'database'"),
    ('{"database": []}', r"c\.json: 'database' must be an object"),
    ('{"database": {"v1": [1, 2]}}',
     r"c\.json: video 'v1': expected an object with a 'clicks' list"),
    ('{"version": "backtal-clicks/2.0", "database": {}}',
     r'c\.json: unsupported click-file version'),
])
def test_load_malformed_files(tmp_path, text, match):
    path = _write(tmp_path / 'c.json', text)
    with pytest.raises(ValueError, match=match):
        load_click_file(path)


@pytest.mark.parametrize('bad, match', [
    ({
        'type': 'background',
        'annotator': 'A1'
    }, r"missing required field 'time'"),
    ({
        'time': 1.0,
        'annotator': 'A1'
    }, r"missing required field 'type'"),
    ({
        'time': 1.0,
        'type': 'background'
    }, r"missing required field 'annotator'"),
    (dict(BG, time='3.0'), r"field 'time' must be a number"),
    (dict(BG, time=True), r"field 'time' must be a number"),
    (dict(BG, time=math.nan), r"field 'time' must be finite, got nan"),
    (dict(BG, type='foreground'), r"field 'type' must be one of"),
    (dict(BG, annotator=''), r"field 'annotator' must be a non-empty"),
    ({
        'time': 1.0,
        'type': 'action',
        'annotator': 'SF'
    }, r"action click needs field 'label'"),
    (dict(ACT, label=''), r"action click needs field 'label'"),
    (dict(BG, label='Jump'), r"background click must not carry field "
     r"'label'"),
    ('oops', r'expected a JSON object, got str'),
])
def test_load_bad_click_names_file_video_and_index(tmp_path, bad, match):
    # json.dumps writes NaN as the (non-standard) literal NaN, which Python's
    # json module reads back; the loader must still reject it.
    path = _write(tmp_path / 'clicks.json', _doc({'vid_A': [BG, bad]}))
    with pytest.raises(
            ValueError,
            match=r"clicks\.json: video 'vid_A', click #1: " + match):
        load_click_file(path)


def test_background_label_null_is_allowed(tmp_path):
    path = _write(tmp_path / 'c.json', _doc({'v': [dict(BG, label=None)]}))
    assert load_click_file(path)['v'][0]['label'] is None


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        load_click_file(tmp_path / 'nope.json')


def test_dump_refuses_to_overwrite(tmp_path):
    path = tmp_path / 'clicks.json'
    dump_click_file({'v': [dict(BG, label=None)]}, path)
    before = path.read_bytes()
    with pytest.raises(
            FileExistsError,
            match=r'clicks\.json already exists.*'
            r'`overwrite`'):
        dump_click_file({'v': []}, path)
    assert path.read_bytes() == before
    dump_click_file({'v': []}, path, overwrite=True)
    assert load_click_file(path) == {'v': []}


def test_dump_rejects_invalid_clicks_without_writing(tmp_path):
    path = tmp_path / 'clicks.json'
    with pytest.raises(
            ValueError,
            match=r"video 'v', click #0: action click "
            r"needs field 'label'"):
        dump_click_file(
            {'v': [{
                'time': 1.0,
                'type': 'action',
                'annotator': 'x'
            }]}, path)
    assert not path.exists()


def _gt():
    return {
        'v1': {'duration': 10.0, 'annotations': []},
        'v2': {'duration': 5.5, 'annotations': []}
    }


def test_validate_accepts_boundaries():
    clicks = {
        'v1': [dict(BG, time=0.0, label=None),
               dict(ACT, time=10.0)],
        'v2': []
    }
    assert validate_clicks(clicks, _gt(), ['Jump']) is None


@pytest.mark.parametrize('time', [-0.5, 5.51])
def test_validate_time_outside_duration(time):
    clicks = {
        'v2':
        [dict(BG, time=1.0, label=None),
         dict(BG, time=time, label=None)]
    }
    with pytest.raises(
            ValueError,
            match=rf"a\.json: video 'v2', click #1: time {time:g} s is "
            r'outside the video \[0, 5\.5\] s \(duration 5\.5 s'):
        validate_clicks(clicks, _gt(), ['Jump'], path='a.json')


def test_validate_unknown_label():
    clicks = {'v1': [dict(ACT, label='Swim')]}
    with pytest.raises(
            ValueError,
            match=r"a\.json: video 'v1', click #0: "
            r"label 'Swim' is not one of the 1 classes"):
        validate_clicks(clicks, _gt(), ['Jump'], path='a.json')


def test_validate_unknown_videos_lists_five_and_count():
    clicks = {f'x{i}': [] for i in range(7)}
    clicks['v1'] = []
    with pytest.raises(ValueError) as err:
        validate_clicks(clicks, _gt(), ['Jump'], path='a.json')
    msg = str(err.value)
    assert msg.startswith('a.json: 7 video(s) with clicks are not in the '
                          'ground truth')
    assert all(f"'x{i}'" in msg for i in range(5))
    assert "'x5'" not in msg and "'x6'" not in msg


def test_validate_gt_without_duration():
    # The GT entries of clicked videos are read under gt_io's one rule.
    with pytest.raises(
            ValueError, match=r"ground truth of a\.json: video 'v1': field "
            r'"duration" must be a positive number, got None'):
        validate_clicks({'v1': [dict(BG, label=None)]},
                        {'v1': {'annotations': []}}, [], path='a.json')
    with pytest.raises(
            ValueError, match=r"ground truth of a\.json: video 'v1': "
            r"missing field 'annotations'"):
        validate_clicks({'v1': [dict(BG, label=None)]},
                        {'v1': {'duration': 10.0}}, [], path='a.json')


def test_merge_union_keeps_annotators_and_sorts(tmp_path):
    a = {'v1': [dict(BG, time=5.0), dict(BG, time=1.0)], 'v2': []}
    b = {
        'v1': [
            dict(BG, time=5.0),
            dict(BG, time=5.0, annotator='A2'),
            dict(ACT, time=3.0)
        ],
        'v3': [dict(ACT)]
    }
    path = tmp_path / 'b.json'
    dump_click_file(b, path)
    merged = merge_click_files(a, path)
    assert list(merged) == ['v1', 'v2', 'v3']
    assert [(c['time'], c['annotator']) for c in merged['v1']] == [(1.0, 'A1'),
                                                                   (3.0, 'SF'),
                                                                   (5.0, 'A1'),
                                                                   (5.0, 'A2')]
    assert merged['v2'] == [] and len(merged['v3']) == 1
    # Inputs are not modified.
    assert [c['time'] for c in a['v1']] == [5.0, 1.0]
