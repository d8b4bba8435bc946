import json

import numpy as np
import pytest

CLASSES = ['Jump', 'Run']


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return str(path)


@pytest.fixture
def tiny_benchmark(tmp_path):
    """Two train videos, one test video, .npy (T, C) features of dim 6."""
    database = {
        'v_a': dict(subset='train', duration=10.0, fps=30,
                    annotations=[dict(segment=[2.0, 4.0], label='Jump')]),
        'v_b': dict(subset='train', duration=20.0, fps=25,
                    annotations=[dict(segment=[5.0, 9.0], label='Run'),
                                 dict(segment=[12.0, 14.0], label='Jump')]),
        'v_c': dict(subset='test', duration=8.0, fps=30, frame_num=241,
                    annotations=[dict(segment=[1.0, 3.0], label='Run')]),
    }
    gt = write_json(tmp_path / 'gt.json',
                    dict(database=database, activity_list=CLASSES))
    clicks = {'version': 'backtal-clicks/1.0', 'database': {
        'v_a': {'clicks': [
            dict(time=0.5, type='background', annotator='A1'),
            dict(time=9.9, type='background', annotator='A1'),
            dict(time=3.0, type='action', label='Jump', annotator='SF'),
            dict(time=6.0, type='background', annotator='A2')]},
        'v_b': {'clicks': []}}}
    click_file = write_json(tmp_path / 'clicks.json', clicks)
    feat_dir = tmp_path / 'features'
    feat_dir.mkdir()
    rng = np.random.default_rng(0)
    lengths = dict(v_a=20, v_b=40, v_c=15)
    for name, length in lengths.items():
        np.save(feat_dir / f'{name}.npy',
                rng.random((length, 6)).astype(np.float32))
    return dict(root=tmp_path, gt=gt, clicks=click_file,
                feat_dir=str(feat_dir), lengths=lengths)
