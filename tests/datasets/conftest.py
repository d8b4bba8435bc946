"""Fixtures of the dataset tests: hand-made benchmarks (``tiny_benchmark``,
``toy_gt``) and the real annotation files of ``../shared/data`` (skipped
when absent)."""
import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import SHARED_DATA

CLASSES = ['Jump', 'Run']
THUMOS_GT = SHARED_DATA / 'gt_thumos14.json'
THUMOS_A1 = SHARED_DATA / 'THUMOS14_Background-Click-Annotation_A1.txt'
ANET_GT = SHARED_DATA / 'activity_net.v1-2.min.json'


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


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f'real annotation file {path} not available')
    return path


@pytest.fixture
def thumos_gt_path():
    return _require(THUMOS_GT)


@pytest.fixture
def thumos_a1_path():
    return _require(THUMOS_A1)


@pytest.fixture
def anet_gt_path():
    return _require(ANET_GT)


@pytest.fixture(scope='session')
def thumos_gt():
    """(database, class_names) of the real THUMOS14 GT (skipped if absent)."""
    from backtal_mmaction.datasets.clicks import load_ground_truth
    return load_ground_truth(_require(THUMOS_GT))


@pytest.fixture
def toy_gt():
    """A hand-made GT: (database, class_names)."""
    database = {
        # two instances, gaps [0, 10], [20, 30], [40, 50]
        'v_two':
        dict(
            subset='train',
            duration=50.0,
            fps=30,
            annotations=[
                dict(segment=[10.0, 20.0], label='Jump'),
                dict(segment=[30.0, 40.0], label='Run')
            ]),
        # overlapping instances covering the whole video: no background
        'v_full':
        dict(
            subset='train',
            duration=20.0,
            fps=30,
            annotations=[
                dict(segment=[0.0, 12.0], label='Jump'),
                dict(segment=[8.0, 20.0], label='Jump')
            ]),
        # no action at all: one gap = the whole video
        'v_empty':
        dict(subset='train', duration=30.0, fps=25, annotations=[]),
        'v_test':
        dict(
            subset='test',
            duration=40.0,
            fps=30,
            annotations=[dict(segment=[5.0, 15.0], label='Run')]),
    }
    return database, ['Jump', 'Run']
