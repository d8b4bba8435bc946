"""Shared fixtures of the data-tool tests."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'
THUMOS_GT = SHARED_DATA / 'gt_thumos14.json'
THUMOS_A1 = SHARED_DATA / 'THUMOS14_Background-Click-Annotation_A1.txt'
ANET_GT = SHARED_DATA / 'activity_net.v1-2.min.json'


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
