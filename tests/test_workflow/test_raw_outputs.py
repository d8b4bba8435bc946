"""--save-raw writes each video's raw outputs; postprocess_raw_outputs
(tools/analysis/postprocess_raw.py) re-runs post-processing + mAP from them
alone and reproduces the test run."""
import pickle
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.apis import postprocess_raw_outputs, test_localizer
from backtal_mmaction.engine.hooks.raw_outputs import (RAW_META_FILE,
                                                       load_raw_record)

KEYS = [f'tal/mAP@{t:.2f}' for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)]


def test_raw_files(test_run):
    raw = Path(test_run['raw'])
    files = sorted(raw.glob('*.npz'))
    assert [f.stem for f in files] == [f'video_test_{i:07d}' for i in range(4)]
    assert (raw / RAW_META_FILE).exists()
    rec = load_raw_record(str(files[0]))
    num_classes = 3
    cas = rec['cas_supp']
    assert cas.dtype == np.float32 and cas.shape[0] == num_classes + 1
    num_snippets = cas.shape[1]
    assert rec['magnitude'].shape == rec['fg_weights'].shape == (
        num_snippets, )
    assert rec['video_scores_supp'].shape == (num_classes + 1, )
    assert rec['cas_base'].shape == cas.shape
    assert rec['video_name'] == files[0].stem
    assert rec['duration'] > 0 and rec['num_frames'] > 0 and rec['fps'] > 0
    assert rec['num_snippets'] == num_snippets


def test_metric_never_sees_raw_outputs(test_run):
    with open(test_run['pkl'], 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == 4
    assert all('raw_outputs' not in sample for sample in dumped)
    assert all('pred_instances' in sample for sample in dumped)


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


def test_save_raw_refuses_existing_dir(test_run, tmp_path):
    with pytest.raises(FileExistsError, match='--overwrite'):
        test_localizer(test_run['cfg_file'], test_run['ckpt'],
                       work_dir=str(tmp_path / 'wd'),
                       save_raw=test_run['raw'])


def test_test_speed_is_logged(test_run):
    logs = list(Path(test_run['work_dir']).glob('*/*.log'))
    assert logs
    text = logs[0].read_text()
    assert 'Tested 4 videos in' in text and 'videos/s' in text
