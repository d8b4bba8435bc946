"""Point-label converters (LACP, SF-Net, AAPL, BackTAL CSV) -> click files.

Expected click times are computed by hand from the rows written here; the
real-file numbers are those of ``../shared/data/README.md``.
"""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import (click_statistics,
                                              dump_click_file,
                                              load_click_file)
from backtal_mmaction.datasets.point_label_formats import (
    DEFAULT_ANNOTATORS, POINT_LABEL_FORMATS, convert_aapl_csv,
    convert_lacp_csv, convert_point_label_files, convert_point_labels,
    convert_sfnet_txt)

from tests.helpers import REPO
from tests.helpers import SHARED_DATA as SHARED
from tests.helpers import subprocess_env

TOOL = REPO / 'tools' / 'data' / 'convert_point_labels.py'
LACP_REAL = SHARED / 'LACP_THUMOS14_point_labels.csv'
SFNET_REAL = [SHARED / f'SFNet_THUMOS14_single_frames_{i}.txt' for i in (1, 2)]
CLASSES = ['Jump', 'Run']
# fps 30 / 25 / 24, as THUMOS14 mixes them
GT = {
    'v30': dict(subset='val', duration=10.0, fps=30, annotations=[
        dict(segment=[4.0, 6.0], label='Jump')]),
    'v25': dict(subset='val', duration=8.0, fps=25, annotations=[
        dict(segment=[3.0, 5.0], label='Run')]),
    'v24': dict(subset='val', duration=5.0, fps=24, annotations=[
        dict(segment=[2.0, 3.0], label='Jump')]),
}
LACP_HEADER = 'class,class_index,start_frame,stop_frame,video_id,point\n'
LACP_ROWS = [('Jump', 0, 120, 180, 'v30', 150),  # 150 / 30 = 5.0 s
             ('Jump', 0, 30, 60, 'v30', 45),  # 45 / 30 = 1.5 s
             ('Run', 1, 75, 125, 'v25', 100),  # 100 / 25 = 4.0 s
             ('Jump', 0, 48, 72, 'v24', 60)]  # 60 / 24 = 2.5 s
LACP_EXPECTED = {'v30': [(5.0, 'Jump'), (1.5, 'Jump')], 'v25': [(4.0, 'Run')],
                 'v24': [(2.5, 'Jump')]}


def write(path, text, newline=None):
    with open(path, 'w', encoding='utf-8', newline=newline) as f:
        f.write(text)
    return path


def lacp_text(rows=LACP_ROWS):
    return LACP_HEADER + ''.join(','.join(map(str, r)) + '\n' for r in rows)


def summary(clicks):
    """video -> [(time, label)] or [(time, type, label, annotator)]."""
    return {v: [(c['time'], c['label']) for c in cl]
            for v, cl in clicks.items()}


def full(clicks):
    return {v: [(c['time'], c['type'], c['label'], c['annotator'])
                for c in cl] for v, cl in clicks.items()}


# --------------------------------------------------------------------------
# Hand-written files
# --------------------------------------------------------------------------
def test_lacp_points_are_frames_at_each_videos_fps(tmp_path):
    clicks = convert_lacp_csv(write(tmp_path / 'p.csv', lacp_text()), GT,
                              CLASSES)
    assert summary(clicks) == LACP_EXPECTED
    assert {(c['type'], c['annotator']) for cl in clicks.values()
            for c in cl} == {('action', 'LACP')}
    # fps_overrides (LACP's fps_dict.json) win over the GT: 100 / 20 = 5.0
    clicks = convert_lacp_csv(tmp_path / 'p.csv', GT, CLASSES,
                              fps_overrides={'v25': 20.0})
    assert summary(clicks)['v25'] == [(5.0, 'Run')]


def test_lacp_start_stop_frames_never_reach_the_clicks(tmp_path):
    base = convert_lacp_csv(write(tmp_path / 'a.csv', lacp_text()), GT,
                            CLASSES)
    rng = np.random.default_rng(0)
    shuffled = [(c, i, int(rng.integers(0, 10**6)), int(rng.integers(0,
                                                                   10**6)),
                 v, p) for c, i, _, _, v, p in LACP_ROWS]
    garbage = [(c, i, 'nan', 'x', v, p) for c, i, _, _, v, p in LACP_ROWS]
    for k, rows in enumerate((shuffled, garbage)):
        other = convert_lacp_csv(
            write(tmp_path / f'b{k}.csv', lacp_text(rows)), GT, CLASSES)
        assert full(other) == full(base)
    # and the columns are not even needed
    text = 'video_id,point,class\n' + ''.join(
        f'{v},{p},{c}\n' for c, _, _, _, v, p in LACP_ROWS)
    assert full(convert_lacp_csv(write(tmp_path / 'c.csv', text), GT,
                                 CLASSES)) == full(base)


def test_sfnet_blank_lines_crlf_and_class_spelling(tmp_path):
    text = 'v30,2.25,Jump\r\n\r\nv25,7.5,run\r\n\r\n\r\nv30,0,JUMP\r\n'
    clicks = convert_sfnet_txt(write(tmp_path / 's.txt', text, newline=''),
                               GT, CLASSES, annotator='X')
    assert full(clicks) == {
        'v30': [(2.25, 'action', 'Jump', 'X'), (0.0, 'action', 'Jump', 'X')],
        'v25': [(7.5, 'action', 'Run', 'X')]
    }


def test_aapl_header_and_background_rows(tmp_path):
    text = ('video_id,timestamp,action_label\n'
            'v24,1.25,Jump\n'
            'v24,4.5,background\n'
            'v30,9.75,Run\n')
    clicks = convert_aapl_csv(write(tmp_path / 'a.csv', text), GT, CLASSES)
    assert full(clicks) == {
        'v24': [(1.25, 'action', 'Jump', 'AAPL'),
                (4.5, 'background', None, 'AAPL')],
        'v30': [(9.75, 'action', 'Run', 'AAPL')]
    }


def test_backtal_csv_is_the_thumos_converter_plus_gt_checks(tmp_path):
    text = ('\ufeffURLID,URL,TagID,Tag,Start,End,Time,State\n'
            'v30,v30.mp4,20,background_background,1.5,1.5,1,1\n'
            'nope,nope.mp4,20,background_background,1.0,1.0,1,1\n')
    path = write(tmp_path / 'b.csv', text)
    with pytest.raises(ValueError, match=r"not in the ground truth.*'nope'"):
        convert_point_labels('backtal', [path], GT, CLASSES)
    with pytest.warns(UserWarning, match=r'skipped 1 row\(s\) of 1 video'):
        clicks = convert_point_labels('backtal', [path], GT, CLASSES,
                                      unknown_videos='skip')
    assert full(clicks) == {'v30': [(1.5, 'background', None, 'A1')]}


def test_several_files_are_several_annotators_sorted_by_time(tmp_path):
    a = write(tmp_path / '1.txt', 'v30,7.0,Jump\nv30,2.0,Jump\n')
    b = write(tmp_path / '2.txt', 'v30,3.0,Jump\nv24,1.0,Jump\n')
    clicks = convert_point_labels('sfnet', [a, b], GT, CLASSES)
    assert [(c['time'], c['annotator']) for c in clicks['v30']] == [
        (2.0, 'SF1'), (3.0, 'SF2'), (7.0, 'SF1')]
    assert [c['annotator'] for c in clicks['v24']] == ['SF2']
    one = convert_point_labels('sfnet', [a], GT, CLASSES)
    assert {c['annotator'] for c in one['v30']} == {DEFAULT_ANNOTATORS[
        'sfnet']} == {'SF'}
    named = convert_point_labels('sfnet', [a, b], GT, CLASSES,
                                 annotators=['ann_a', 'ann_b'])
    assert Counter(c['annotator'] for c in named['v30']) == {'ann_a': 2,
                                                             'ann_b': 1}
    with pytest.raises(ValueError, match='1 annotator id.*2 file'):
        convert_point_labels('sfnet', [a, b], GT, CLASSES, annotators=['x'])
    with pytest.raises(ValueError, match='must differ'):
        convert_point_labels('sfnet', [a, b], GT, CLASSES,
                             annotators=['x', 'x'])
    with pytest.raises(ValueError, match="unknown point-label format 'csv'"):
        convert_point_labels('csv', [a], GT, CLASSES)


@pytest.mark.parametrize('fmt', ['lacp', 'sfnet', 'aapl'])
def test_round_trip_through_the_click_file(tmp_path, fmt):
    text = dict(lacp=lacp_text(),
                sfnet='v30,2.25,Jump\n\nv25,7.5,Run\nv24,0.125,Jump\n',
                aapl='video_id,timestamp,action_label\nv24,4.5,background\n'
                'v30,1.0,Jump\n')[fmt]
    clicks = convert_point_labels(fmt, [write(tmp_path / 'in', text)], GT,
                                  CLASSES)
    dump_click_file(clicks, tmp_path / 'clicks.json')
    assert load_click_file(tmp_path / 'clicks.json') == clicks


# --------------------------------------------------------------------------
# Errors: file, line and video named
# --------------------------------------------------------------------------
ERROR_CASES = [
    # (format, text, message regex); line numbers count the header
    ('lacp', LACP_HEADER + 'Jump,0,1,2,v30,15\nJump,0,1,2,v99,15\n',
     r"l\.csv, line 3, video 'v99': video not in the ground truth"),
    ('lacp', LACP_HEADER + 'Swim,0,1,2,v30,15\n',
     r"l\.csv, line 2, video 'v30': label 'Swim' is not one of the 2 "
     'classes'),
    ('lacp', LACP_HEADER + 'Jump,0,1,2,v30,301\n',
     r"line 2, video 'v30': time 10.0333 s is outside the video \[0, 10\]"),
    ('lacp', LACP_HEADER + 'Jump,0,1,2,v30,abc\n',
     r"line 2, video 'v30': point 'abc' is not a finite number of frames"),
    ('lacp', LACP_HEADER + 'Jump,0,1,2,v30\n',
     r'l\.csv, line 2: expected 6 fields, got 5'),
    ('lacp', 'class,video_id,frame\nJump,v30,15\n',
     r"l\.csv: missing column 'point'"),
    ('lacp', '', r'l\.csv: empty file'),
    ('sfnet', 'v30,1.0,Jump\n\n\nv30,-0.5,Jump\n',
     r"s\.txt, line 4, video 'v30': time -0.5 s is outside"),
    ('sfnet', 'v30,1.0,Jump\nideo_v30,2.0,Jump\n',
     r"s\.txt, line 2, video 'ideo_v30': video not in the ground truth"),
    ('sfnet', 'v30,1.0\n', r's\.txt, line 1: expected 3 fields'),
    ('sfnet', 'v30,inf,Jump\n',
     r"line 1, video 'v30': seconds 'inf' is not a finite number"),
    ('aapl', 'video_id,timestamp,action_label\nv25,8.5,Run\n',
     r"a\.csv, line 2, video 'v25': time 8.5 s is outside the video \[0, 8\]"),
    ('aapl', 'video,timestamp,action_label\nv25,1,Run\n',
     r"a\.csv: missing column 'video_id'"),
    ('aapl', 'video_id,timestamp,action_label\nv25,1,Background\n',
     r"line 2, video 'v25': label 'Background' is not one of"),
]


@pytest.mark.parametrize('fmt,text,message', ERROR_CASES)
def test_errors_name_file_line_and_video(tmp_path, fmt, text, message):
    name = dict(lacp='l.csv', sfnet='s.txt', aapl='a.csv')[fmt]
    path = write(tmp_path / name, text)
    with pytest.raises(ValueError, match=message):
        convert_point_labels(fmt, [path], GT, CLASSES)


def test_missing_file_and_missing_fps(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothere.csv'):
        convert_point_labels('lacp', [tmp_path / 'nothere.csv'], GT, CLASSES)
    gt = {'v': dict(duration=3.0, annotations=[])}
    path = write(tmp_path / 'p.csv', LACP_HEADER + 'Jump,0,1,2,v,15\n')
    with pytest.raises(ValueError, match=r"line 2, video 'v': .*'fps' None"):
        convert_lacp_csv(path, gt, CLASSES)
    assert summary(convert_lacp_csv(path, gt, CLASSES,
                                    fps_overrides={'v': 10})) == {
                                        'v': [(1.5, 'Jump')]}


def test_skip_unknown_videos_warns_with_count_file_and_lines(tmp_path):
    text = 'v30,1,Jump\nx1,1,Jump\n\nx2,1,Jump\nx1,2,Jump\nv24,1,Jump\n'
    path = write(tmp_path / 's.txt', text)
    with pytest.warns(UserWarning) as record:
        clicks = convert_sfnet_txt(path, GT, CLASSES, unknown_videos='skip')
    message = str(record[0].message)
    assert str(path) in message
    assert "skipped 3 row(s) of 2 video(s)" in message
    assert "line 2 'x1', line 4 'x2', line 5 'x1'" in message
    assert sorted(clicks) == ['v24', 'v30']
    with pytest.raises(ValueError, match='unknown_videos must be one of'):
        convert_sfnet_txt(path, GT, CLASSES, unknown_videos='ignore')


def test_files_to_click_file_with_warnings_and_summary(tmp_path):
    """What tools/data/convert_point_labels.py runs: GT file in, click file
    out, the skip warnings returned (not shown), a one-line summary."""
    gt = write(tmp_path / 'gt.json', json.dumps(
        dict(database=GT, activity_list=CLASSES)))
    a = write(tmp_path / '1.txt', 'v30,1.0,Jump\n')
    b = write(tmp_path / '2.txt', 'v30,4.5,Jump\nv_x,1,Jump\n')
    out = tmp_path / 'clicks.json'
    with pytest.raises(ValueError, match=r"2\.txt, line 2, video 'v_x': "
                       'video not in the ground truth'):
        convert_point_label_files('sfnet', [a, b], gt, out)
    assert not out.exists()
    result = convert_point_label_files('sfnet', [a, b], gt, out,
                                       skip_unknown_videos=True)
    assert len(result['warnings']) == 1
    assert 'skipped 1 row(s) of 1 video(s)' in result['warnings'][0]
    # 4.5 s lies in v30's Jump instance [4, 6], 1.0 s does not: 1 of 2.
    assert result['summary'] == (
        f"wrote {out}: 2 clicks (2 action, 0 background) on 1 videos; per "
        "annotator {'SF1': 1, 'SF2': 1}; action clicks inside a GT instance "
        'of their class: 50.0%')
    assert full(load_click_file(out)) == full(result['clicks']) == {
        'v30': [(1.0, 'action', 'Jump', 'SF1'),
                (4.5, 'action', 'Jump', 'SF2')]}
    before = out.read_bytes()
    with pytest.raises(FileExistsError, match=r'^`out_file` .*clicks\.json '
                       r'already exists; pass `overwrite` to replace it$'):
        convert_point_label_files('sfnet', [a], gt, out)
    assert out.read_bytes() == before


def test_files_to_click_file_fps_json(tmp_path):
    gt = write(tmp_path / 'gt.json', json.dumps(
        dict(database=GT, activity_list=CLASSES)))
    lacp = write(tmp_path / 'p.csv', lacp_text(LACP_ROWS[:1]))  # frame 150
    fps = write(tmp_path / 'fps.json', json.dumps({'v30': 60}))
    out = tmp_path / 'c.json'
    result = convert_point_label_files('lacp', [lacp], gt, out, fps_json=fps)
    assert summary(result['clicks']) == {'v30': [(2.5, 'Jump')]}  # 150 / 60
    assert result['warnings'] == []
    bad = write(tmp_path / 'bad.json', '[30]')
    with pytest.raises(ValueError, match=r'bad\.json: expected a JSON '
                       'object video -> fps'):
        convert_point_label_files('lacp', [lacp], gt, out, fps_json=bad,
                                  overwrite=True)
    with pytest.raises(ValueError, match=r"`fps_json` applies to the lacp "
                       r"format only, not 'sfnet'"):
        convert_point_label_files('sfnet', [lacp], gt, out, fps_json=fps,
                                  overwrite=True)


# --------------------------------------------------------------------------
# Real files (skipped without ../shared/data)
# --------------------------------------------------------------------------
def _real(*paths):
    for path in paths:
        if not Path(path).is_file():
            pytest.skip(f'real annotation file {path} not available')


REAL_SAMPLES = {
    # THUMOS14 names; video_validation_0000413 is one of the 25 fps videos
    'lacp': (LACP_HEADER + 'Billiards,2,2025,2277,video_validation_0000051,'
             '2151\nJavelinThrow,12,1278,1425,video_validation_0000413,1350\n',
             {'video_validation_0000051': [(2151 / 30, 'Billiards')],
              'video_validation_0000413': [(54.0, 'JavelinThrow')]}),
    'sfnet': ('video_validation_0000051,68.900356,Billiards\r\n\r\n'
              'video_validation_0000413,52.5,JavelinThrow\r\n',
              {'video_validation_0000051': [(68.900356, 'Billiards')],
               'video_validation_0000413': [(52.5, 'JavelinThrow')]}),
    'aapl': ('video_id,timestamp,action_label\n'
             'video_validation_0000051,21.5,background\n'
             'video_validation_0000051,70.0,Billiards\n',
             {'video_validation_0000051': [(21.5, None),
                                           (70.0, 'Billiards')]}),
    'backtal': ('\ufeffURLID,URL,TagID,Tag,Start,End,Time,State\n'
                'video_validation_0000051,x.mp4,20,background_background,'
                '21.5,21.5,1,1\n',
                {'video_validation_0000051': [(21.5, None)]}),
}


@pytest.mark.parametrize('fmt', POINT_LABEL_FORMATS)
def test_hand_written_samples_with_real_thumos14_names(tmp_path, thumos_gt,
                                                       fmt):
    database, classes = thumos_gt
    text, expected = REAL_SAMPLES[fmt]
    path = write(tmp_path / 'sample', text, newline='')
    clicks = convert_point_labels(fmt, [path], database, classes)
    got = summary(clicks)
    assert got.keys() == expected.keys()
    for video in expected:
        assert [lab for _, lab in got[video]] == \
            [lab for _, lab in expected[video]]
        np.testing.assert_allclose([t for t, _ in got[video]],
                                   [t for t, _ in expected[video]],
                                   rtol=0, atol=1e-12)
    dump_click_file(clicks, tmp_path / 'c.json')
    assert load_click_file(tmp_path / 'c.json') == clicks


def _relative_positions(clicks, database):
    """(t - start) / (end - start) in the shortest own-class GT instance
    holding each click (clicks outside every instance are left out)."""
    out = []
    for video, vclicks in clicks.items():
        for c in vclicks:
            segs = [a['segment'] for a in database[video]['annotations']
                    if a['label'] == c['label']
                    and a['segment'][0] <= c['time'] <= a['segment'][1]]
            if segs:
                start, end = min(segs, key=lambda s: s[1] - s[0])
                out.append((c['time'] - start) / max(end - start, 1e-9))
    return np.array(out)


def test_real_lacp_file(thumos_gt):
    _real(LACP_REAL)
    database, classes = thumos_gt
    clicks = convert_point_labels('lacp', [LACP_REAL], database, classes)
    stats = click_statistics(clicks, database)
    assert (stats['num_videos'], stats['num_action']) == (200, 3003)
    assert {database[v]['subset'] for v in clicks} == {'val'}
    # 2986 / 3003 inside a GT instance of their class with the GT's fps:
    # the 16 points of video_validation_0000411 sit at 24 fps in the file
    # (LACP's fps_dict says 24.0, the GT 30), and one point is 0.03 s before
    # a GT start rounded to 0.1 s (video_validation_0000902).
    assert round(stats['action_inside_fraction'] * 3003) == 2986
    fixed = convert_point_labels(
        'lacp', [LACP_REAL], database, classes,
        fps_overrides={'video_validation_0000411': 24.0})
    assert round(click_statistics(fixed, database)['action_inside_fraction']
                 * 3003) == 3002
    # Instance centres (docs/data_formats.md): 91% within 10% of the centre
    rel = _relative_positions(fixed, database)
    assert 0.45 < np.median(rel) <= 0.5
    assert 0.9 < np.mean(np.abs(rel - 0.5) < 0.1) < 0.92


def test_real_sfnet_files_and_the_truncated_video_name(thumos_gt):
    _real(*SFNET_REAL)
    database, classes = thumos_gt
    with pytest.raises(ValueError) as err:
        convert_point_labels('sfnet', SFNET_REAL, database, classes)
    assert (f"{SFNET_REAL[1]}, line 5485, video 'ideo_validation_0000945': "
            'video not in the ground truth') in str(err.value)
    with pytest.warns(UserWarning, match=r'skipped 1 row\(s\) of 1 video'):
        clicks = convert_point_labels('sfnet', SFNET_REAL, database, classes,
                                      unknown_videos='skip')
    counts = Counter(c['annotator'] for cl in clicks.values() for c in cl)
    assert counts == {'SF1': 2980, 'SF2': 2919}  # 2920 rows, one skipped
    for who, inside in (('SF1', 0.959), ('SF2', 0.976)):
        mine = {v: [c for c in cl if c['annotator'] == who]
                for v, cl in clicks.items()}
        fraction = click_statistics(mine, database)['action_inside_fraction']
        assert abs(fraction - inside) < 0.0005, (who, fraction)
        # human clicks are spread over the instance, unlike LACP's points
        rel = _relative_positions(mine, database)
        assert np.mean(np.abs(rel - 0.5) < 0.1) < 0.31


def test_two_sfnet_files_feed_the_random_annotator_mode(tmp_path):
    from mmengine.registry import init_default_scope

    import backtal_mmaction.registration  # noqa: F401
    from backtal_mmaction.datasets import ClickTALDataset
    a = write(tmp_path / '1.txt', 'v30,1.0,Jump\nv30,5.0,Jump\n')
    b = write(tmp_path / '2.txt', 'v30,4.5,Jump\n')
    dump_click_file(convert_point_labels('sfnet', [a, b], GT, CLASSES),
                    tmp_path / 'clicks.json')
    gt = tmp_path / 'gt.json'
    write(gt, json.dumps(dict(database=GT,
                                            activity_list=CLASSES)))
    init_default_scope('mmaction')
    ds = ClickTALDataset(ann_file=str(gt), pipeline=[], subset='val',
                         click_file=str(tmp_path / 'clicks.json'),
                         annotator_mode='random', check_files=False)
    index = [ds.get_data_info(i)['video_name']
             for i in range(len(ds))].index('v30')
    expected = {'SF1': [1.0, 5.0], 'SF2': [4.5]}
    np.random.seed(0)
    seen = Counter()
    for _ in range(40):
        info = ds.get_data_info(index)
        who = set(info['click_annotators'])
        assert len(who) == 1  # one annotator per load
        who = who.pop()
        assert info['click_times'].tolist() == expected[who]
        assert info['click_labels'].tolist() == [0] * len(expected[who])
        seen[who] += 1
    assert set(seen) == {'SF1', 'SF2'}


# --------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          capture_output=True, text=True, env=subprocess_env(),
                          cwd=REPO, timeout=300)


def test_cli_help_lists_the_formats():
    # Its speed and imports: tests/tools/test_fast_help.py.
    res = _cli('--help')
    assert res.returncode == 0, res.stderr
    assert '{' + ','.join(POINT_LABEL_FORMATS) + '}' in res.stdout


def test_cli_converts_refuses_to_overwrite_and_reports_errors(tmp_path):
    gt = write(tmp_path / 'gt.json', json.dumps(
        dict(database=GT, activity_list=CLASSES)))
    a = write(tmp_path / '1.txt', 'v30,1.0,Jump\n')
    b = write(tmp_path / '2.txt', 'v30,4.5,Jump\nv_x,1,Jump\n')
    out = tmp_path / 'clicks.json'
    res = _cli('--format', 'sfnet', a, b, '--gt', gt, '--out', out)
    assert res.returncode == 1
    assert f"{b}, line 2, video 'v_x': video not in the ground truth" in \
        res.stderr
    assert not out.exists()
    res = _cli('--format', 'sfnet', a, b, '--gt', gt, '--out', out,
               '--skip-unknown-videos')
    assert res.returncode == 0, res.stderr
    assert 'skipped 1 row(s) of 1 video(s)' in res.stderr
    assert "{'SF1': 1, 'SF2': 1}" in res.stdout
    assert full(load_click_file(out)) == {
        'v30': [(1.0, 'action', 'Jump', 'SF1'),
                (4.5, 'action', 'Jump', 'SF2')]}
    before = out.read_bytes()
    res = _cli('--format', 'sfnet', a, '--gt', gt, '--out', out)
    assert res.returncode == 1 and 'already exists' in res.stderr
    assert out.read_bytes() == before
    res = _cli('--format', 'sfnet', a, '--gt', gt, '--out', out,
               '--overwrite', '--annotator', 'H1')
    assert res.returncode == 0, res.stderr
    assert full(load_click_file(out)) == {
        'v30': [(1.0, 'action', 'Jump', 'H1')]}
