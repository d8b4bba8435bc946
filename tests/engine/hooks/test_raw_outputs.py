"""--save-raw (the raw-output hook) writes each video's raw outputs, which
never reach the metric; the test-speed hook logs its line. Re-decoding them:
tests/apis/test_postprocess_raw.py."""
import pickle
from pathlib import Path

import numpy as np
import pytest

from backtal_mmaction.apis import test_localizer
from backtal_mmaction.engine.hooks.raw_outputs import (RAW_META_FILE,
                                                       load_raw_record)


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


def test_save_raw_refuses_existing_dir(test_run, tmp_path):
    with pytest.raises(FileExistsError, match='`overwrite`'):
        test_localizer(test_run['cfg_file'], test_run['ckpt'],
                       work_dir=str(tmp_path / 'wd'),
                       save_raw=test_run['raw'])


def test_test_speed_is_logged(test_run):
    logs = list(Path(test_run['work_dir']).glob('*/*.log'))
    assert logs
    text = logs[0].read_text()
    assert 'Tested 4 videos in' in text and 'videos/s' in text
