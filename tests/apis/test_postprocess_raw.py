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
