"""Bad input to the data tools (generate_synthetic, simulate_clicks,
convert_thumos_clicks, convert_point_labels): one ``error: ...`` line
naming the flag / file / video and exit status 1, never a file the run
reads overwritten, never a flag silently ignored, never an empty output."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import (convert_thumos_csv,
                                              load_click_file,
                                              simulate_clicks)
from backtal_mmaction.datasets.point_label_formats import \
    convert_point_label_files
from tests.helpers import SHARED_DATA, run_tool

GENERATE = 'data/generate_synthetic.py'
SIMULATE = 'data/simulate_clicks.py'
THUMOS = 'data/convert_thumos_clicks.py'
POINTS = 'data/convert_point_labels.py'
# A benchmark that takes a fraction of a second.
SMALL = ['--num-videos', 2, 0, 1, '--feat-dim', 8, '--duration-range', 5, 10]
CSV_HEADER = 'URLID,URL,TagID,Tag,Start,End,Time,State\n'
LACP_HEADER = 'class,class_index,start_frame,stop_frame,video_id,point\n'


def _error(run) -> str:
    """The one ``error:`` line of a failed tool run (exit status 1)."""
    assert run.exit_code == 1, (run.exit_code, run.stdout, run.stderr)
    assert run.exception is None, run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith('error: '), run.stderr
    return last


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding='utf-8')
    return path


# ----------------------------------------------------- generate_synthetic
@pytest.mark.parametrize('flags, message', [
    (['--fps', 0], '--fps must be > 0, got 0.0'),
    (['--fps', 'nan'], '--fps must be a finite number, got nan'),
    (['--fps', 'inf'], '--fps must be a finite number, got inf'),
    (['--seed', -1], '--seed must be an integer in [0, 2**32 - 1], got -1'),
    (['--frames-per-snippet', 0], '--frames-per-snippet must be >= 1, got '
     '0'),
    (['--num-segments', 0], '--num-segments must be >= 1'),
    (['--num-classes', 0], '--num-classes must be >= 1, got 0'),
    (['--num-videos', 0, 0, 0], '--num-videos must hold at least one '
     'video'),
    (['--duration-range', 30, 'inf'], '--duration-range must be two '
     'finite numbers MIN MAX'),
    (['--inside-noise', 'nan'], '--inside-noise must be a finite number, '
     'got nan'),
    # real-GT options without a real GT would be ignored
    (['--subsets', 'val'], '--subsets needs --gt-file'),
    (['--max-videos', 3], '--max-videos needs --gt-file'),
])
def test_generator_refuses_bad_numbers_and_ignored_flags(tmp_path, flags,
                                                         message):
    out = tmp_path / 'bench'
    run = run_tool(GENERATE, ['--out', out, *SMALL, *flags])
    assert message in _error(run)
    assert not out.exists()


def test_generator_refuses_synthetic_gt_flags_with_a_real_gt(
        tmp_path, tiny_benchmark):
    run = run_tool(GENERATE, ['--out', tmp_path / 'b', '--gt-file',
                              tiny_benchmark['gt'], '--num-classes', 4,
                              '--feat-dim', 8])
    assert _error(run) == (
        'error: --num-classes shapes a synthetic GT; --gt-file gives the '
        'videos, durations and classes itself (drop the option)')
    run = run_tool(GENERATE, ['--out', tmp_path / 'b', '--gt-file',
                              tiny_benchmark['gt'], '--max-videos', 0])
    assert '--max-videos must be >= 1' in _error(run)
    assert not (tmp_path / 'b').exists()


@pytest.mark.parametrize('num_classes', [1, 3])
def test_generator_odd_class_counts_work(tmp_path, num_classes):
    """Classes come in sibling pairs; an odd count leaves the last class
    without a sibling (and one class gives no two-class video): valid."""
    out = tmp_path / 'bench'
    run = run_tool(GENERATE, ['--out', out, *SMALL, '--num-classes',
                              num_classes])
    assert run.exit_code == 0, run.stderr
    gt = json.loads((out / 'gt.json').read_text())
    assert gt['activity_list'] == [f'class{i:02d}'
                                   for i in range(num_classes)]


def test_generator_layout_switch_leaves_one_file_per_video(tmp_path):
    from backtal_mmaction.apis.inference import collect_feature_files
    out = tmp_path / 'bench'
    assert run_tool(GENERATE, ['--out', out, *SMALL]).exit_code == 0
    mine = _write(out / 'features' / 'notes.txt', 'mine')
    run = run_tool(GENERATE, ['--out', out, *SMALL, '--layout', 'official',
                              '--overwrite'])
    assert run.exit_code == 0, run.stderr
    names = sorted(p.name for p in (out / 'features').iterdir())
    assert names == ['notes.txt', 'video_test_0000000.npz',
                     'video_train_0000000.npz', 'video_train_0000001.npz']
    assert mine.read_text() == 'mine'
    # what infer.py reads: one feature file per video
    assert len(collect_feature_files([str(out / 'features')])) == 3


def test_generator_keeps_other_layout_files_it_did_not_write(tmp_path):
    out = tmp_path / 'bench'
    one_train = ['--num-videos', 1, 0, 1, '--feat-dim', 8,
                 '--duration-range', 5, 10]
    assert run_tool(GENERATE, ['--out', out, *one_train,
                               '--layout', 'official']).exit_code == 0
    # a user's file named after a video the previous run did not generate
    theirs = out / 'features' / 'video_train_0000001.npy'
    np.save(theirs, np.ones((3, 8), np.float32))
    before = theirs.read_bytes()
    gt_before = (out / 'gt.json').read_bytes()
    run = run_tool(GENERATE, ['--out', out, *SMALL, '--layout', 'official',
                              '--overwrite'])
    error = _error(run)
    assert 'video_train_0000001.npy' in error
    assert 'not written by this generator' in error
    assert theirs.read_bytes() == before
    assert (out / 'gt.json').read_bytes() == gt_before


@pytest.mark.parametrize('which', ['gt', 'clicks'])
def test_generator_never_overwrites_its_inputs(tiny_benchmark, which):
    root = Path(tiny_benchmark['root'])
    files = {name: (root / name).read_bytes()
             for name in ('gt.json', 'clicks.json')}
    flags = ['--gt-file', tiny_benchmark['gt']]
    if which == 'clicks':
        # a GT elsewhere, the click file in the output folder
        gt = root / 'real' / 'gt.json'
        gt.parent.mkdir()
        gt.write_bytes(files['gt.json'])
        flags = ['--gt-file', gt, '--click-file', tiny_benchmark['clicks']]
    run = run_tool(GENERATE, ['--out', root, '--feat-dim', 8, '--overwrite',
                              *flags])
    assert f'{which}.json is also an input of this run' in _error(run)
    assert {name: (root / name).read_bytes() for name in files} == files


# -------------------------------------------------------- simulate_clicks
def test_simulate_refuses_its_gt_as_out(tiny_benchmark):
    gt = Path(tiny_benchmark['gt'])
    before = gt.read_bytes()
    run = run_tool(SIMULATE, [gt, '--out', gt, '--overwrite'])
    assert _error(run).startswith(f'error: --out {gt} is also an input')
    assert gt.read_bytes() == before


@pytest.mark.parametrize('flags, message', [
    (['--extra-background', 2, '--num-background', 3],
     "--extra-background applies only with --num-background 'auto'"),
    (['--annotator-prefix', ''], '--annotator-prefix must be a non-empty '
     'string'),
    (['--no-background', '--inside-noise', 0.1], '--inside-noise shapes '
     'background clicks, and there are none: --no-background'),
    (['--extra-background', 'nan'], '--extra-background must be a finite '
     'number, got nan'),
    (['--seed', -1], '--seed must be an integer in [0, 2**32 - 1]'),
])
def test_simulate_refuses_ignored_or_bad_flags(tmp_path, tiny_benchmark,
                                               flags, message):
    out = tmp_path / 'sim.json'
    run = run_tool(SIMULATE, [tiny_benchmark['gt'], '--out', out, *flags])
    assert message in _error(run)
    assert not out.exists()


def test_simulate_api_names_the_auto_only_keyword(tiny_benchmark):
    gt = json.loads(Path(tiny_benchmark['gt']).read_text())
    with pytest.raises(ValueError, match=r"^`min_gap` applies only with "
                       r"`num_background` 'auto'"):
        simulate_clicks(gt['database'], gt['activity_list'],
                        num_background=2, min_gap=1.0)


# -------------------------------------------------- convert_thumos_clicks
def test_thumos_header_only_csv_is_an_error(tmp_path, tiny_benchmark):
    csv = _write(tmp_path / 'h.csv', CSV_HEADER)
    out = tmp_path / 'c.json'
    run = run_tool(THUMOS, [csv, '--gt', tiny_benchmark['gt'], '--out', out])
    assert _error(run) == (f'error: {csv}: no rows after the header (a '
                           'click CSV holds one row per click)')
    assert not out.exists()


def test_thumos_end_far_from_start_is_a_warning(tmp_path, tiny_benchmark):
    csv = _write(tmp_path / 'd.csv', CSV_HEADER +
                 'v_a,v_a.mp4,20,background_background,1.5,5,1,1\n'
                 'v_a,v_a.mp4,20,background_background,7,7.5,1,1\n')
    out = tmp_path / 'c.json'
    run = run_tool(THUMOS, [csv, '--gt', tiny_benchmark['gt'], '--out', out])
    assert run.exit_code == 0, run.stderr
    # the real file's drags (End up to 1 s after Start) are not reported
    assert run.stderr.count('warning: ') == 1, run.stderr
    assert (f"warning: {csv}: 1 row(s) whose fields disagree, kept with "
            "the click at Start of the URLID video: line 2, video 'v_a': "
            'End 5 is 3.5 s after Start 1.5') in run.stderr
    assert [c['time'] for c in load_click_file(out)['v_a']] == [1.5, 7.0]


def test_thumos_other_disagreements_are_warnings(tmp_path):
    csv = _write(tmp_path / 'd.csv', CSV_HEADER +
                 'v_a,v_a.mp4,20,background_background,4,3,1,1\n'
                 'v_a,v_b.mp4,20,background_background,5,5,1,1\n'
                 'v_a,,20,background_background,6,x,1,1\n'
                 'v_a,http://host/v_a.mp4,20,background_background,7,,1,1\n')
    with pytest.warns(UserWarning) as caught:
        clicks = convert_thumos_csv(csv)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "3 row(s) whose fields disagree" in message
    assert "line 2, video 'v_a': End 3 is before Start 4" in message
    assert "line 3, video 'v_a': URL 'v_b.mp4' names another video" in message
    assert "line 4, video 'v_a': End 'x' is not a number" in message
    assert [c['time'] for c in clicks['v_a']] == [4.0, 5.0, 6.0, 7.0]


def test_thumos_real_a1_file_has_no_disagreement():
    path = SHARED_DATA / 'THUMOS14_Background-Click-Annotation_A1.txt'
    if not path.is_file():
        pytest.skip(f'{path} not available')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        clicks = convert_thumos_csv(path)
    assert sum(len(c) for c in clicks.values()) == 2264


@pytest.mark.parametrize('which', ['csv', 'gt'])
def test_thumos_refuses_an_input_as_out(tmp_path, tiny_benchmark, which):
    csv = _write(tmp_path / 'c.csv', CSV_HEADER +
                 'v_a,v_a.mp4,20,background_background,1.5,1.5,1,1\n')
    target = Path(csv if which == 'csv' else tiny_benchmark['gt'])
    before = target.read_bytes()
    run = run_tool(THUMOS, [csv, '--gt', tiny_benchmark['gt'], '--out',
                            target, '--overwrite'])
    assert 'is also an input of this run' in _error(run)
    assert target.read_bytes() == before


# --------------------------------------------------- convert_point_labels
def _lacp(tmp_path, rows=('Jump,0,60,120,v_a,90',), name='p.csv') -> Path:
    return _write(tmp_path / name, LACP_HEADER + ''.join(
        row + '\n' for row in rows))


@pytest.mark.parametrize('fmt, text', [('lacp', LACP_HEADER),
                                       ('aapl', 'video_id,timestamp,'
                                        'action_label\n'),
                                       ('sfnet', '\n\n'),
                                       ('backtal', CSV_HEADER)])
def test_points_file_without_rows_is_an_error(tmp_path, tiny_benchmark, fmt,
                                              text):
    labels = _write(tmp_path / 'labels.csv', text)
    out = tmp_path / 'c.json'
    run = run_tool(POINTS, ['--format', fmt, labels, '--gt',
                            tiny_benchmark['gt'], '--out', out])
    assert _error(run).startswith(f'error: {labels}: no rows')
    assert not out.exists()


@pytest.mark.parametrize('value', [0, '"30"', -25, 'true'])
def test_points_bad_fps_json_value_names_the_file(tmp_path, tiny_benchmark,
                                                  value):
    fps = _write(tmp_path / 'fps.json', f'{{"v_a": {value}}}')
    run = run_tool(POINTS, ['--format', 'lacp', _lacp(tmp_path), '--gt',
                            tiny_benchmark['gt'], '--out', tmp_path / 'c.json',
                            '--fps-json', fps])
    error = _error(run)
    assert error.startswith(f"error: --fps-json {fps}, video 'v_a': fps ")
    assert 'is not a number > 0' in error and 'ground truth' not in error


def test_points_missing_fps_json_names_the_flag(tmp_path, tiny_benchmark):
    run = run_tool(POINTS, ['--format', 'lacp', _lacp(tmp_path), '--gt',
                            tiny_benchmark['gt'], '--out', tmp_path / 'c.json',
                            '--fps-json', tmp_path / 'nope.json'])
    assert _error(run) == (f'error: --fps-json {tmp_path}/nope.json: file '
                           'not found')


def test_points_fps_json_videos_not_in_the_gt_warn(tmp_path, tiny_benchmark):
    fps = _write(tmp_path / 'fps.json', json.dumps(
        dict(v_a=60, x1=30, x2=30, x3=30, x4=25)))
    out = tmp_path / 'c.json'
    result = convert_point_label_files('lacp', [_lacp(tmp_path)],
                                       tiny_benchmark['gt'], out,
                                       fps_json=fps)
    assert result['warnings'] == [
        f"`fps_json` {fps}: 4 of its 5 video(s) are not in the ground "
        "truth, ignored: ['x1', 'x2', 'x3'] and 1 more"]
    assert load_click_file(out)['v_a'][0]['time'] == 1.5  # 90 / 60


def test_points_same_file_twice_is_an_error(tmp_path, tiny_benchmark):
    sf = _write(tmp_path / 'sf.txt', 'v_a,1.0,Jump\n')
    out = tmp_path / 'c.json'
    run = run_tool(POINTS, ['--format', 'sfnet', sf, tmp_path / '.' / 'sf.txt',
                            '--gt', tiny_benchmark['gt'], '--out', out])
    assert 'is given twice' in _error(run) and str(sf) in _error(run)
    assert not out.exists()


def test_points_every_row_skipped_is_an_error(tmp_path, tiny_benchmark):
    labels = _lacp(tmp_path, ['Jump,0,60,120,other_video,90'])
    out = tmp_path / 'c.json'
    run = run_tool(POINTS, ['--format', 'lacp', labels, '--gt',
                            tiny_benchmark['gt'], '--out', out,
                            '--skip-unknown-videos'])
    assert f'no row of {labels} is of a video in the ground truth' in \
        _error(run)
    assert not out.exists()


@pytest.mark.parametrize('which', ['labels', 'gt', 'fps'])
def test_points_refuses_an_input_as_out(tmp_path, tiny_benchmark, which):
    labels = _lacp(tmp_path)
    fps = _write(tmp_path / 'fps.json', '{"v_a": 30}')
    target = Path(dict(labels=labels, gt=tiny_benchmark['gt'],
                       fps=fps)[which])
    before = target.read_bytes()
    run = run_tool(POINTS, ['--format', 'lacp', labels, '--gt',
                            tiny_benchmark['gt'], '--fps-json', fps, '--out',
                            target, '--overwrite'])
    assert _error(run).startswith(f'error: --out {target} is also an input')
    assert target.read_bytes() == before


def test_points_bad_fps_override_is_not_blamed_on_the_gt(tmp_path,
                                                        tiny_benchmark):
    from backtal_mmaction.datasets.point_label_formats import \
        convert_lacp_csv
    gt = json.loads(Path(tiny_benchmark['gt']).read_text())
    with pytest.raises(ValueError, match=r"video 'v_a': frame indices need "
                       r"the video's fps, but fps_overrides gives 'fps' 0 "
                       r'for it$'):
        convert_lacp_csv(_lacp(tmp_path), gt['database'],
                         gt['activity_list'], fps_overrides=dict(v_a=0))
