"""postprocess_raw_outputs (tools/analysis/postprocess_raw.py) re-runs
post-processing + mAP from the raw outputs ``--save-raw`` wrote, alone, and
reproduces the test run."""
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.apis import postprocess_raw_outputs

KEYS = [f'tal/mAP@{t:.2f}' for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]


def test_postprocess_raw_reproduces_the_test_run(test_run, capsys):
    result = postprocess_raw_outputs(test_run['cfg_file'], test_run['raw'])
    metrics = test_run['metrics']
    # Exactly the numbers of the test run (same float32 detections).
    assert [float(100 * v) for v in result['mAP']] == [metrics[k]
                                                       for k in KEYS]
    assert float(100 * result['average_mAP']) == metrics['tal/mAP_avg']
    assert metrics['tal/mAP_avg'] > 0  # a non-trivial comparison
    assert 'videos post-processed and evaluated' in capsys.readouterr().out

    # The GT file (instead of the GT stored with the raw outputs) agrees.
    data = Path(test_run['data'])
    from_file = postprocess_raw_outputs(
        test_run['cfg_file'], test_run['raw'], gt=str(data / 'gt.json'),
        subset='test')
    assert np.array_equal(from_file['mAP'], result['mAP'])


def test_changing_a_threshold_changes_the_map(test_run):
    base = postprocess_raw_outputs(test_run['cfg_file'], test_run['raw'])
    strict = postprocess_raw_outputs(
        test_run['cfg_file'], test_run['raw'],
        cfg_options={'model.post_processor.class_threshold': 0.6})
    assert strict['average_mAP'] != base['average_mAP']
    soft = postprocess_raw_outputs(
        test_run['cfg_file'], test_run['raw'],
        cfg_options={'model.post_processor.nms_method': 'soft_gaussian'})
    n_hard = sum(len(p['scores']) for p in base['predictions'].values())
    n_soft = sum(len(p['scores']) for p in soft['predictions'].values())
    assert n_soft > n_hard  # soft-NMS decays instead of removing


def test_postprocess_raw_input_errors(test_run, tmp_path):
    with pytest.raises(FileNotFoundError, match='no raw-output'):
        postprocess_raw_outputs(test_run['cfg_file'], str(tmp_path))
    with pytest.raises(Exception, match='nms_thres'):
        postprocess_raw_outputs(
            test_run['cfg_file'], test_run['raw'],
            cfg_options={'model.post_processor.nms_thres': 0.5})
    # GT videos without raw outputs are not silently counted as misses.
    partial = tmp_path / 'partial'
    partial.mkdir()
    src = sorted(Path(test_run['raw']).glob('*.npz'))[0]
    (partial / src.name).write_bytes(src.read_bytes())
    with pytest.raises(ValueError, match='have no raw outputs'):
        postprocess_raw_outputs(test_run['cfg_file'], str(partial),
                                gt=str(Path(test_run['data']) / 'gt.json'),
                                subset='test')


# ------------------------------------------------------------------ grid
def test_grid_rows_equal_separate_runs(test_run):
    """Every grid row is what a separate run with those cfg_options gives;
    the result is the best row's, the last key varies fastest."""
    grid = {'model.post_processor.nms_thr': [0.4, 0.6],
            'model.post_processor.class_threshold': [0.0, 0.5]}
    lines = []
    result = postprocess_raw_outputs(test_run['cfg_file'], test_run['raw'],
                                     grid=grid, log=lines.append)
    expected_settings = [
        {'model.post_processor.nms_thr': a,
         'model.post_processor.class_threshold': b}
        for a in (0.4, 0.6) for b in (0.0, 0.5)]
    assert [row['settings'] for row in result['grid']] == expected_settings
    separate = [postprocess_raw_outputs(test_run['cfg_file'],
                                        test_run['raw'], cfg_options=opts,
                                        log=lambda _: None)
                for opts in expected_settings]
    for row, single in zip(result['grid'], separate):
        assert np.array_equal(row['mAP'], single['mAP'])
        assert row['average_mAP'] == single['average_mAP']
    averages = [s['average_mAP'] for s in separate]
    assert len(set(averages)) > 1  # the grid compares different numbers
    best = int(np.argmax(averages))
    assert result['best'] == best
    assert result['average_mAP'] == averages[best]
    for video, det in separate[best]['predictions'].items():
        assert np.array_equal(result['predictions'][video]['scores'],
                              det['scores'])
    table = [ln for msg in lines for ln in msg.splitlines()
             if ln.startswith('|')]
    assert table[0].startswith('| nms_thr | class_threshold | mAP@0.10')
    assert len(table) == 2 + 4
    assert table[2 + best].endswith('| * |')
    assert sum(ln.endswith('| * |') for ln in table) == 1
    b = expected_settings[best]
    assert lines[-1] == (
        f'best avg mAP {100 * averages[best]:.2f}: `cfg_options` '
        f"model.post_processor.nms_thr={b['model.post_processor.nms_thr']} "
        'model.post_processor.class_threshold='
        f"{b['model.post_processor.class_threshold']}")


def test_grid_settings():
    from backtal_mmaction.apis.test import grid_settings
    assert grid_settings({'a': [1, 2], 'b': 'x'}) == [
        {'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    # a list-valued setting's alternatives are lists
    assert grid_settings({'t': [[0, 0.1], [0, 0.2]]}) == [
        {'t': [0, 0.1]}, {'t': [0, 0.2]}]
    with pytest.raises(ValueError, match='`grid` names no setting'):
        grid_settings({})
    with pytest.raises(ValueError, match='`grid` gives no value for a'):
        grid_settings({'a': []})


def test_grid_input_errors(test_run, tmp_path):
    with pytest.raises(ValueError, match='choose with `grid`, then write'):
        postprocess_raw_outputs(test_run['cfg_file'], test_run['raw'],
                                grid={'model.post_processor.nms_thr': [0.5]},
                                out_json=str(tmp_path / 'det.json'))
    assert not (tmp_path / 'det.json').exists()
    with pytest.raises(ValueError, match='`nms_thr` must be a number, '
                       "got 'abc'"):
        postprocess_raw_outputs(
            test_run['cfg_file'], test_run['raw'],
            grid={'model.post_processor.nms_thr': [0.5, 'abc']})
    from backtal_mmaction.cli.config import UnknownConfigKeyError
    with pytest.raises(UnknownConfigKeyError, match="'nms_thres'"):
        postprocess_raw_outputs(
            test_run['cfg_file'], str(tmp_path / 'never_read'),
            grid={'model.post_processor.nms_thres': [0.5, 0.6]})


def test_a_post_processor_that_cannot_decode_raw_outputs_is_named(test_run):
    """A registered post-processor that is not a BasePostProcessor (a plain
    callable, fine online) cannot re-decode saved raw outputs: refused
    before anything is read, naming it."""
    from mmaction.registry import MODELS

    class PlainCallable:
        def __call__(self, cas, video_scores, magnitude=None,
                     num_frames=None, duration=None):
            raise AssertionError('never called')

    MODELS.register_module('PlainCallableForRawTest', module=PlainCallable,
                           force=True)
    try:
        with pytest.raises(ValueError) as e:
            postprocess_raw_outputs(
                test_run['cfg_file'], test_run['raw'],
                cfg_options={'model.post_processor._delete_': True,
                             'model.post_processor.type':
                             'PlainCallableForRawTest'})
    finally:
        MODELS._module_dict.pop('PlainCallableForRawTest')
    assert 'post-processes with PlainCallable, which cannot decode saved ' \
        'raw outputs' in str(e.value)
    assert 'BasePostProcessor' in str(e.value)
