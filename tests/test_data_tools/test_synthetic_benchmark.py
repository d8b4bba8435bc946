# Copyright (c) OpenMMLab. All rights reserved.
"""Synthetic benchmark generator: files, shapes, clicks, feature realism."""
import json

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import (load_click_file,
                                              points_in_segments,
                                              validate_clicks)
from backtal_mmaction.datasets.synthetic import (generate_synthetic_benchmark,
                                                 make_prototypes,
                                                 snippet_times)


@pytest.fixture(scope='module')
def default_bench(tmp_path_factory):
    """Default sizes (80/20/40 videos, 5 classes, D=128), npy layout."""
    out = tmp_path_factory.mktemp('bench') / 'synthetic'
    summary = generate_synthetic_benchmark(out, seed=0)
    gt = json.loads((out / 'gt.json').read_text())
    return out, summary, gt, load_click_file(out / 'clicks.json')


def _segments(entry):
    return np.array([a['segment'] for a in entry['annotations']],
                    dtype=float).reshape(-1, 2)


def test_files_gt_and_shapes(default_bench):
    out, summary, gt, _ = default_bench
    db = gt['database']
    assert gt['activity_list'] == [f'class{i:02d}' for i in range(5)]
    assert summary['num_videos'] == {'train': 80, 'val': 20, 'test': 40}
    assert {e['subset'] for e in db.values()} == {'train', 'val', 'test'}
    assert {e['fps'] for e in db.values()} == {25, 30}
    assert sorted(p.name
                  for p in (out / 'features').iterdir()) == sorted(f'{v}.npy'
                                                                   for v in db)
    labels_per_video = []
    for video, entry in db.items():
        assert 30 <= entry['duration'] <= 120
        segs = _segments(entry)
        assert len(segs) >= 1
        assert (segs[:, 0] >= 0).all() and (segs[:, 1]
                                            <= entry['duration']).all()
        assert (segs[:, 1] > segs[:, 0]).all()
        assert (segs[1:, 0] >= segs[:-1, 1]).all()  # sorted, no overlap
        feats = np.load(out / 'features' / f'{video}.npy')
        expected_t = round(entry['duration'] * entry['fps'] / 16)
        assert feats.shape == (expected_t, 128) and feats.dtype == np.float32
        labels_per_video.append(
            len({a['label']
                 for a in entry['annotations']}))
    # Some videos hold two classes, most one; every class is used.
    assert 1 in labels_per_video and 2 in labels_per_video
    assert {a['label']
            for e in db.values()
            for a in e['annotations']} == set(gt['activity_list'])


def test_clicks_protocol(default_bench):
    _, summary, gt, clicks = default_bench
    db = gt['database']
    validate_clicks(clicks, db, gt['activity_list'])  # inside [0, duration]
    train = [v for v, e in db.items() if e['subset'] == 'train']
    assert set(clicks) == set(train)  # only the training split is clicked
    n_a1 = n_a1_inside = 0
    for video in train:
        segs = _segments(db[video])
        sf = [c for c in clicks[video] if c['annotator'] == 'SF']
        a1 = [c for c in clicks[video] if c['annotator'] == 'A1']
        assert len(sf) == len(segs)
        assert all(c['type'] == 'action' for c in sf)
        assert all(c['type'] == 'background' for c in a1)
        assert points_in_segments([c['time'] for c in sf], segs).all()
        n_a1 += len(a1)
        n_a1_inside += int(
            points_in_segments([c['time'] for c in a1], segs).sum())
        # About one click per background gap (1 + extras).
        assert len(a1) >= len(segs)
    assert summary['num_clicks'] == {
        'A1': n_a1,
        'SF': sum(len(_segments(db[v])) for v in train)
    }
    # inside_noise=0.05 on ~500 clicks: binomial std ~0.01.
    assert abs(n_a1_inside / n_a1 - 0.05) < 0.03


def test_feature_realism(default_bench):
    """Norm, value range, smoothness and action-context confusion."""
    out, _, gt, _ = default_bench
    protos = make_prototypes(5, 128, seed=0)
    names = gt['activity_list']
    act_norm, bg_norm, values = [], [], []
    cos_near, cos_far, neighbour, shuffled = [], [], [], []
    rng = np.random.default_rng(0)
    for video, entry in gt['database'].items():
        x = np.load(out / 'features' / f'{video}.npy').astype(np.float64)
        t = snippet_times(entry['duration'], len(x))
        segs = _segments(entry)
        inside = points_in_segments(t, segs)
        dist = np.maximum(
            np.maximum(segs[None, :, 0] - t[:, None],
                       t[:, None] - segs[None, :, 1]), 0).min(1)
        norm = np.linalg.norm(x, axis=1)
        act_norm.append(norm[inside])
        bg_norm.append(norm[~inside])
        values.append(x.ravel())
        if len({a['label'] for a in entry['annotations']}) == 1:
            p = protos['action'][names.index(entry['annotations'][0]['label'])]
            cos = x @ p / (norm * np.linalg.norm(p) + 1e-12)
            cos_near.append(cos[(dist > 0.5) & (dist < 3)])
            cos_far.append(cos[dist > 15])
        # Temporal smoothness: neighbours are closer than random pairs.
        d = np.linalg.norm(x[1:] - x[:-1], axis=1)
        neighbour.append(d[~(inside[1:] ^ inside[:-1])])
        shuffled.append(np.linalg.norm(x - x[rng.permutation(len(x))], axis=1))
    values = np.concatenate(values)
    assert values.min() >= 0
    assert np.percentile(values, 95) < 3.0 and np.mean(values == 0) < 0.2
    act_norm, bg_norm = np.concatenate(act_norm), np.concatenate(bg_norm)
    assert act_norm.mean() > 1.3 * bg_norm.mean()
    near, far = np.concatenate(cos_near), np.concatenate(cos_far)
    assert len(near) > 100 and len(far) > 100
    assert near.mean() > far.mean() + 0.08
    neighbour, shuffled = np.concatenate(neighbour), np.concatenate(shuffled)
    assert neighbour.mean() < 0.8 * shuffled.mean()


def test_prototypes():
    protos = make_prototypes(4, 64, seed=1, cfg=dict(context_cosine=0.65))
    a, c = protos['action'], protos['context']
    a_norm, c_norm = np.linalg.norm(a, axis=1), np.linalg.norm(c, axis=1)
    cos = (a * c).sum(1) / a_norm / c_norm
    np.testing.assert_allclose(cos, 0.65, atol=1e-3)
    assert all((v >= 0).all() for v in protos.values())
    assert protos['distractor'].shape == (3, 64)
    # Context is appearance-heavy: relatively weaker in the flow half.
    flow_a = np.linalg.norm(a[:, 32:], axis=1) / a_norm
    flow_c = np.linalg.norm(c[:, 32:], axis=1) / c_norm
    assert (flow_c < flow_a).all()


def test_deterministic_given_seed(tmp_path):
    kw = dict(num_videos=dict(train=3, test=2), duration_range=(20, 40))
    generate_synthetic_benchmark(tmp_path / 'a', seed=5, **kw)
    generate_synthetic_benchmark(tmp_path / 'b', seed=5, **kw)
    generate_synthetic_benchmark(tmp_path / 'c', seed=6, **kw)
    files = sorted(
        p.relative_to(tmp_path / 'a') for p in (tmp_path / 'a').rglob('*')
        if p.is_file())
    assert len(files) == 2 + 5
    for rel in files:
        assert (tmp_path / 'a' / rel).read_bytes() == (tmp_path / 'b' /
                                                       rel).read_bytes()
    assert (tmp_path / 'a' /
            'gt.json').read_bytes() != (tmp_path / 'c' /
                                        'gt.json').read_bytes()


def test_official_layout(tmp_path):
    out = tmp_path / 'official'
    summary = generate_synthetic_benchmark(
        out,
        num_classes=3,
        num_videos=dict(train=4, test=3),
        feat_dim=16,
        layout='official',
        alt_fps_ratio=0.5,
        seed=2)
    gt = json.loads((out / 'gt.json').read_text())
    clicks = load_click_file(out / 'clicks.json')
    assert summary['layout'] == 'official'
    for video, entry in gt['database'].items():
        with np.load(out / 'features' / f'{video}.npz') as data:
            arrays = dict(data)
        t = round(entry['duration'] * entry['fps'] / 16)
        assert arrays['feat_spa'].shape == (8, t)
        assert arrays['feat_tem'].shape == (8, t)
        assert arrays['feat_spa'].dtype == np.float32
        assert str(arrays['vid_name']) == video
        expected_cls = np.zeros(3, np.float32)
        for a in entry['annotations']:
            expected_cls[gt['activity_list'].index(a['label'])] = 1
        np.testing.assert_array_equal(arrays['cls_label'], expected_cls)
        if entry['subset'] == 'train':
            assert set(arrays) == {
                'feat_spa', 'feat_tem', 'cls_label', 'vid_name', 'point_label'
            }
            expected = np.full(t, -100)
            for c in clicks[video]:
                if c['type'] == 'background':
                    expected[min(
                        int(c['time'] / entry['duration'] * t), t - 1)] = 3
            np.testing.assert_array_equal(arrays['point_label'], expected)
            assert (arrays['point_label'] == 3).any()
        else:
            assert set(arrays) == {
                'feat_spa', 'feat_tem', 'cls_label', 'vid_name', 'frame_num',
                'fps', 'duration'
            }
            assert int(arrays['frame_num']) == round(entry['duration'] *
                                                     entry['fps'])
            assert float(arrays['fps']) == entry['fps']
            assert float(arrays['duration']) == entry['duration']


def test_fixed_num_segments(tmp_path):
    generate_synthetic_benchmark(
        tmp_path / 'o',
        num_videos=dict(train=2, test=1),
        num_segments=50,
        feat_dim=8)
    for f in (tmp_path / 'o' / 'features').iterdir():
        assert np.load(f).shape == (50, 8)


def test_overwrite_protection(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    kw = dict(num_videos=dict(train=2, test=1), feat_dim=8)
    with pytest.raises(FileExistsError, match=r'out is not empty; refusing'):
        generate_synthetic_benchmark(out, **kw)
    assert sorted(p.name for p in out.iterdir()) == ['notes.txt']
    generate_synthetic_benchmark(out, overwrite=True, **kw)
    assert (out / 'notes.txt').read_text() == 'mine'
    assert (out / 'gt.json').is_file() and (out / 'clicks.json').is_file()


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(layout='hdf5'), ValueError, r"layout must be 'npy' or 'official'"),
    (dict(feat_dim=7), ValueError, r'feat_dim must be an even int'),
    (dict(num_videos=dict(train=-1)), ValueError,
     r"num_videos\['train'\] must be an int >= 0"),
    (dict(cfg=dict(context_strength=2)), ValueError,
     r"unknown synthetic config key\(s\) \['context_strength'\]"),
    (dict(train_subset='dev'), ValueError,
     r"train_subset 'dev' is not one of the generated subsets"),
    (dict(click_file='x.txt'), ValueError, r'click_file needs gt_file'),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    kw = dict(num_videos=dict(train=1, test=1), feat_dim=8)
    kw.update(kwargs)
    with pytest.raises(error, match=match):
        generate_synthetic_benchmark(tmp_path / 'o', **kw)


def test_shaped_on_real_thumos(tmp_path, thumos_gt_path, thumos_a1_path,
                               thumos_gt):
    real_db, real_classes = thumos_gt
    out = tmp_path / 'thumos'
    summary = generate_synthetic_benchmark(
        out,
        gt_file=thumos_gt_path,
        click_file=thumos_a1_path,
        subsets_from_gt={
            'val': 'train',
            'test': 'test'
        },
        max_videos_per_subset=3,
        feat_dim=16,
        layout='official')
    gt = json.loads((out / 'gt.json').read_text())
    assert gt['activity_list'] == real_classes
    assert summary['num_videos'] == {'test': 3, 'train': 3}
    assert summary['train_subset'] == 'train'
    real_val = [v for v, e in real_db.items() if e['subset'] == 'val'][:3]
    clicks = load_click_file(out / 'clicks.json')
    assert set(clicks) == set(real_val)
    real_a1 = {}
    for line in thumos_a1_path.read_text(
            encoding='utf-8-sig').splitlines()[1:]:
        row = line.split(',')
        real_a1.setdefault(row[0], []).append(float(row[4]))
    for video, entry in gt['database'].items():
        real = real_db[video]
        assert entry['duration'] == real['duration']
        assert entry['fps'] == real['fps']
        assert [a['segment'] for a in entry['annotations']
                ] == [a['segment'] for a in real['annotations']]
        assert entry['subset'] == ('train'
                                   if real['subset'] == 'val' else 'test')
        if entry['subset'] == 'train':
            # Real A1 clicks are kept as they are; SF clicks are simulated.
            a1 = sorted(c['time'] for c in clicks[video]
                        if c['annotator'] == 'A1')
            assert a1 == sorted(real_a1[video])
            sf = [c for c in clicks[video] if c['annotator'] == 'SF']
            assert len(sf) == len(real['annotations'])
        with np.load(out / 'features' / f'{video}.npz') as data:
            t = round(real['duration'] * real['fps'] / 16)
            assert data['feat_spa'].shape == (8, t)


def test_real_gt_default_train_subset(tmp_path, thumos_gt_path):
    summary = generate_synthetic_benchmark(
        tmp_path / 'o',
        gt_file=thumos_gt_path,
        max_videos_per_subset=1,
        feat_dim=8)
    # THUMOS14 convention of weakly supervised papers: 'val' trains.
    assert summary['train_subset'] == 'val'
    with pytest.raises(
            ValueError,
            match=r"subset\(s\) \['training'\] not in "
            r"the GT; available: \['test', 'val'\]"):
        generate_synthetic_benchmark(
            tmp_path / 'p',
            gt_file=thumos_gt_path,
            subsets_from_gt=['training'])


def test_shaped_on_activitynet(tmp_path, anet_gt_path):
    summary = generate_synthetic_benchmark(
        tmp_path / 'anet',
        gt_file=anet_gt_path,
        subsets_from_gt=['training', 'validation'],
        max_videos_per_subset=2,
        feat_dim=8)
    assert summary['train_subset'] == 'training'
    assert summary['num_classes'] == 100
    assert summary['num_videos'] == {'training': 2, 'validation': 2}
    gt = json.loads((tmp_path / 'anet' / 'gt.json').read_text())
    clicks = load_click_file(tmp_path / 'anet' / 'clicks.json')
    validate_clicks(clicks, gt['database'], gt['activity_list'])
    assert {gt['database'][v]['subset'] for v in clicks} == {'training'}
