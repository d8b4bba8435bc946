"""THUMOS14 human click CSV conversion (real A1 file and malformed CSVs)."""
import pytest

from backtal_mmaction.datasets.clicks import (click_statistics,
                                              convert_thumos_csv,
                                              validate_clicks)

HEADER = 'URLID,URL,TagID,Tag,Start,End,Time,State\n'


def _csv(tmp_path, rows, header=HEADER, bom=True, name='clicks.txt'):
    path = tmp_path / name
    text = header + ''.join(r + '\n' for r in rows)
    path.write_bytes((b'\xef\xbb\xbf' if bom else b'') + text.encode())
    return path


def test_real_a1_file(thumos_a1_path, thumos_gt):
    database, classes = thumos_gt
    clicks = convert_thumos_csv(thumos_a1_path)
    assert sum(len(c) for c in clicks.values()) == 2264
    val = {v for v, e in database.items() if e['subset'] == 'val'}
    assert set(clicks) == val and len(val) == 200
    assert all(c['type'] == 'background' and c['annotator'] == 'A1'
               and c['label'] is None for v in clicks.values() for c in v)
    # First data row of the file.
    assert clicks['video_validation_0000051'][0]['time'] == 21.5
    validate_clicks(clicks, database, classes, path=str(thumos_a1_path))
    # Independent count of clicks inside a GT action (closed intervals).
    inside = sum(
        any(a['segment'][0] <= c['time'] <= a['segment'][1]
            for a in database[v]['annotations']) for v, cl in clicks.items()
        for c in cl)
    assert inside == 175  # 7.73 %
    stats = click_statistics(clicks, database)
    assert stats['background_inside_fraction'] == pytest.approx(175 / 2264)
    assert stats['mean_per_video'] == pytest.approx(11.32)
    assert stats['median_per_video'] == 7


def test_small_csv_with_and_without_bom(tmp_path):
    rows = [
        'vidA,vidA.mp4,20,background_background,3.5,3.5,1,1',
        'vidB,vidB.mp4,20,background_background,0,0.5,1,1',
        '',  # blank lines are skipped
        'vidA,vidA.mp4,20,background_background,1,1,1,1'
    ]
    for bom in (True, False):
        clicks = convert_thumos_csv(
            _csv(tmp_path, rows, bom=bom), annotator='A7')
        assert {
            v: [c['time'] for c in cl]
            for v, cl in clicks.items()
        } == {
            'vidA': [3.5, 1.0],
            'vidB': [0.0]  # Start is used, not End
        }
        assert clicks['vidA'][0]['annotator'] == 'A7'


@pytest.mark.parametrize('tag', [
    'HighJump', 'action_HighJump', 'action_highjump', 'click_action_HighJump'
])
def test_action_tags(tmp_path, tag):
    path = _csv(tmp_path, [f'v,v.mp4,3,{tag},2,2,1,1'])
    assert convert_thumos_csv(path)['v'] == [{
        'time': 2.0,
        'type': 'action',
        'label': 'HighJump',
        'annotator': 'A1'
    }]


def test_action_tag_with_custom_classes(tmp_path):
    path = _csv(tmp_path, ['v,v.mp4,3,action_Drinking beer,2,2,1,1'])
    clicks = convert_thumos_csv(path, class_names=['Drinking beer'])
    assert clicks['v'][0]['label'] == 'Drinking beer'


def test_missing_column(tmp_path):
    path = _csv(
        tmp_path, ['v,v.mp4,20,background_background,1,1,1'],
        header='URLID,URL,TagID,Tag,End,Time,State\n')
    with pytest.raises(
            ValueError, match=r"clicks\.txt: missing column 'Start'"):
        convert_thumos_csv(path)


def test_empty_file(tmp_path):
    path = tmp_path / 'empty.txt'
    path.write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty\.txt: empty file'):
        convert_thumos_csv(path)


@pytest.mark.parametrize('start', ['abc', '', 'nan', 'inf'])
def test_non_numeric_start(tmp_path, start):
    rows = [
        'vidA,vidA.mp4,20,background_background,1,1,1,1',
        f'vidB,vidB.mp4,20,background_background,{start},1,1,1'
    ]
    with pytest.raises(
            ValueError,
            match=r"clicks\.txt, line 3, video 'vidB':"
            r' Start .* is not a finite number'):
        convert_thumos_csv(_csv(tmp_path, rows))


def test_unknown_tag(tmp_path):
    rows = ['vidA,vidA.mp4,20,foo_bar,1,1,1,1']
    with pytest.raises(
            ValueError,
            match=r"clicks\.txt, line 2, video 'vidA': "
            r"unknown Tag 'foo_bar'"):
        convert_thumos_csv(_csv(tmp_path, rows))


def test_short_row_and_empty_video(tmp_path):
    with pytest.raises(ValueError, match=r'line 2: expected 8 fields, got 3'):
        convert_thumos_csv(_csv(tmp_path, ['v,v.mp4,20']))
    with pytest.raises(ValueError, match=r'line 2: empty URLID'):
        convert_thumos_csv(
            _csv(tmp_path, [',v.mp4,20,background_background,1,1,1,1']))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='none.txt'):
        convert_thumos_csv(tmp_path / 'none.txt')


def test_rows_with_extra_fields_are_rejected(tmp_path):
    """Issue 10 #6: a row appended to a file without a final newline merges
    into the last row; its click must not vanish silently."""
    good = 'vidA,vidA.mp4,20,background_background,3.5,3.5,1,1'
    path = tmp_path / 'clicks.txt'
    path.write_text(HEADER + good + '\n' + good)  # no final newline
    with open(path, 'a') as f:  # echo ROW >> file
        f.write('vidB,vidB.mp4,20,background_background,-3,-3,1,1\n')
    with pytest.raises(ValueError, match=r'clicks\.txt, line 3: expected 8 '
                       r'fields, got 15'):
        convert_thumos_csv(path)
    with pytest.raises(ValueError, match='line 2: expected 8 fields, got 9'):
        convert_thumos_csv(_csv(tmp_path, [good + ',x'], name='c2.txt'))
