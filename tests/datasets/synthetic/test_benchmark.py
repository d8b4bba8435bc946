"""Synthetic benchmark generator: files, shapes, clicks, feature realism."""
import json

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import (load_click_file,
                                              points_in_segments,
                                              validate_clicks)
from backtal_mmaction.datasets.synthetic import (DEFAULT_NUM_VIDEOS,
                                                 SyntheticBenchmarkConfig,
                                                 SyntheticConfig,
                                                 class_groups,
                                                 generate_synthetic_benchmark,
                                                 make_prototypes,
                                                 synthesize_video_features)
from backtal_mmaction.datasets.synthetic.command import (
    STAMP, benchmark_config_of, generate_from_options, parse_subsets,
    stamp_content)
from backtal_mmaction.utils import snippet_times


@pytest.fixture(scope='module')
def default_bench(tmp_path_factory):
    """The default feature and GT model (20 classes, D=128), fewer videos
    than the default 200 / 20 / 200 so that it builds in a few seconds."""
    out = tmp_path_factory.mktemp('bench') / 'synthetic'
    summary = generate_synthetic_benchmark(
        out,
        SyntheticBenchmarkConfig(num_videos=dict(train=60, val=4, test=16),
                                 seed=0))
    gt = json.loads((out / 'gt.json').read_text())
    return out, summary, gt, load_click_file(out / 'clicks.json')


def _segments(entry):
    return np.array([a['segment'] for a in entry['annotations']],
                    dtype=float).reshape(-1, 2)


def test_defaults_are_thumos14_sized():
    # The settings are SyntheticBenchmarkConfig's fields now, not keyword
    # parameters of generate_synthetic_benchmark.
    assert SyntheticBenchmarkConfig().num_classes == 20
    assert SyntheticBenchmarkConfig().num_videos is None
    assert DEFAULT_NUM_VIDEOS == dict(train=200, val=20, test=200)


def test_settings_only_as_config(tmp_path):
    """The settings are a SyntheticBenchmarkConfig (the keyword form is
    gone: a TypeError saying so); a bad setting fails when the config is
    made, and a config changed since is checked again."""
    with pytest.raises(TypeError, match=r'config=SyntheticBenchmarkConfig'
                       r"\(\.\.\.\), not as keywords \(got \['cfg', 'seed'\]; "
                       r"the former keyword 'cfg' is its field 'model'\)"):
        generate_synthetic_benchmark(tmp_path / 'c', seed=1, cfg={})
    with pytest.raises(TypeError, match=r"not as keywords \(got \['seed'\]\)"):
        generate_synthetic_benchmark(tmp_path / 'c',
                                     SyntheticBenchmarkConfig(), seed=1)
    with pytest.raises(TypeError, match=r'config must be a '
                       r'SyntheticBenchmarkConfig, got dict'):
        generate_synthetic_benchmark(tmp_path / 'c', dict(seed=1))
    with pytest.raises(ValueError, match=r'`feat_dim` must be an even int'):
        SyntheticBenchmarkConfig(feat_dim=7)
    config = SyntheticBenchmarkConfig(num_videos=dict(train=1), feat_dim=8)
    config.layout = 'hdf5'
    with pytest.raises(ValueError, match=r"`layout` must be 'npy' or"):
        generate_synthetic_benchmark(tmp_path / 'c', config)
    # A model dict is the SyntheticConfig of its fields: the same files.
    kw = dict(num_classes=3, num_videos=dict(train=2, test=1), feat_dim=8,
              duration_range=(12.0, 24.0), seed=4)
    generate_synthetic_benchmark(
        tmp_path / 'a',
        SyntheticBenchmarkConfig(model=SyntheticConfig(noise_std=0.5), **kw))
    generate_synthetic_benchmark(
        tmp_path / 'b',
        SyntheticBenchmarkConfig(model=dict(noise_std=0.5), **kw))
    files = sorted(p.relative_to(tmp_path / 'a')
                   for p in (tmp_path / 'a').rglob('*') if p.is_file())
    assert len(files) == 2 + 3
    for rel in files:
        assert (tmp_path / 'a' / rel).read_bytes() == \
            (tmp_path / 'b' / rel).read_bytes(), rel
    assert not (tmp_path / 'c').exists()


def test_files_gt_and_shapes(default_bench):
    out, summary, gt, _ = default_bench
    db = gt['database']
    assert gt['version'] == 'backtal-synthetic/2.0'
    assert gt['activity_list'] == [f'class{i:02d}' for i in range(20)]
    assert summary['num_videos'] == {'train': 60, 'val': 4, 'test': 16}
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


def test_lengths_and_instances_like_thumos14(default_bench):
    """Property 4 (lengths spread over 2 decades, class-dependent) and 5
    (many instances, short gaps), against the THUMOS14 numbers in the
    module docstring."""
    _, _, gt, _ = default_bench
    names = gt['activity_list']
    lengths, per_class, gaps, counts = [], {}, [], []
    for entry in gt['database'].values():
        segs = _segments(entry)
        counts.append(len(segs))
        gaps += list(segs[1:, 0] - segs[:-1, 1])
        for a, (s, e) in zip(entry['annotations'], segs):
            lengths.append(e - s)
            per_class.setdefault(names.index(a['label']), []).append(e - s)
    lengths = np.array(lengths)
    assert lengths.min() >= 0.2 - 1e-9 and lengths.max() <= 40 + 1e-9
    assert np.percentile(lengths, 5) < 1.0 < 8.0 < np.percentile(
        lengths, 95)
    # Short classes first, long ones last (log-spaced class medians).
    short = np.median(np.concatenate([per_class[c] for c in range(4)]))
    long = np.median(np.concatenate([per_class[c] for c in range(16, 20)]))
    assert long > 4 * short
    # THUMOS14: median gap 2.5 s (zero gaps included), 10% touching.
    gaps = np.array(gaps)
    assert 1.2 < np.median(gaps) < 4.0
    assert 0.05 < np.mean(gaps < 0.35) < 0.35
    # 30-120 s videos: several instances each on average, some with many.
    assert np.mean(counts) > 4 and max(counts) >= 12


def _lag_autocorrelation(x, lag):
    xc = x - x.mean(0)
    num = (xc[lag:] * xc[:-lag]).sum(0)
    den = np.sqrt((xc[lag:]**2).sum(0) * (xc[:-lag]**2).sum(0)) + 1e-12
    return float(np.mean(num / den))


def test_noise_autocorrelation_matches_its_kernel():
    """Property 1: nuisance correlated over several snippets. Gaussian
    smoothing with sigma = noise_corr_seconds / snippet_seconds gives an
    autocorrelation exp(-L^2 / (4 sigma^2)) at lag L."""
    cfg = dict(drift_scale=0.0, num_distractors=0, scene_scale=0.0)
    protos = make_prototypes(2, 64, seed=0, cfg=cfg)
    duration, num = 600.0, 1125  # 0.533 s snippets (16 frames at 30 fps)
    x = synthesize_video_features(
        np.random.default_rng(0), duration, np.zeros((0, 2)), [], protos,
        num, cfg).astype(np.float64)
    sigma = SyntheticConfig().noise_corr_seconds / (duration / num)
    for lag in (1, 2, 4, 6):
        expected = np.exp(-lag**2 / (4 * sigma**2))
        assert abs(_lag_autocorrelation(x, lag) - expected) < 0.05, lag


def test_features_correlate_over_several_snippets(default_bench):
    out, _, gt, _ = default_bench
    lag3 = [
        _lag_autocorrelation(
            np.load(out / 'features' / f'{v}.npy').astype(np.float64), 3)
        for v in list(gt['database'])[:20]
    ]
    assert np.mean(lag3) > 0.5


def test_receptive_field_smears_short_instances():
    """A 0.3 s action seen through a 2.1 s receptive field: far weaker
    than a 6 s one of the same class (Gaussian RF, sigma 0.525 s: peak
    ratio ~0.2)."""
    cfg = dict(noise_std=0.0, drift_scale=0.0, num_distractors=0,
               scene_scale=0.0, instance_variation=0.0,
               instance_amplitude=(1.0, 1.0), context_floor=0.0,
               context_peak=0.0, approach_strength=0.0)
    protos = make_prototypes(2, 64, seed=0, cfg=cfg)
    num = 1125
    segs = np.array([[100.0, 100.3], [300.0, 306.0]])
    x = synthesize_video_features(
        np.random.default_rng(0), 600.0, segs, [0, 0], protos, num,
        cfg).astype(np.float64)
    base = np.linalg.norm(protos['background'])
    t = snippet_times(num, 600.0)
    peak_short = np.linalg.norm(x[np.abs(t - 100.15) < 1], axis=1).max()
    peak_long = np.linalg.norm(x[np.abs(t - 303) < 1], axis=1).max()
    ratio = (peak_short - base) / (peak_long - base)
    assert 0.1 < ratio < 0.4


def test_siblings_share_their_venue(default_bench):
    """Property 3: background next to instances of class00 looks like
    background next to class01 (same venue), not like that of other
    groups."""
    out, _, gt, _ = default_bench
    names = gt['activity_list']
    near, everything = {}, []
    for video, entry in gt['database'].items():
        x = np.load(out / 'features' / f'{video}.npy').astype(np.float64)
        everything.append(x)
        labels = {a['label'] for a in entry['annotations']}
        if len(labels) != 1:
            continue
        segs = _segments(entry)
        t = snippet_times(len(x), entry['duration'])
        dist = np.maximum(
            np.maximum(segs[None, :, 0] - t[:, None],
                       t[:, None] - segs[None, :, 1]), 0).min(1)
        keep = (dist > 0.5) & (dist < 4)
        near.setdefault(names.index(labels.pop()), []).append(x[keep])
    mean = np.concatenate(everything).mean(0)
    centre = {c: np.concatenate(v).mean(0) - mean for c, v in near.items()}

    def cos(a, b):
        return a @ b / np.linalg.norm(a) / np.linalg.norm(b)

    groups = class_groups(20, 2)
    assert groups[0] == [0, 1] and len(groups) == 10
    sib = [cos(centre[a], centre[b]) for a, b in groups
           if a in centre and b in centre]
    other = [
        cos(centre[a], centre[b]) for a in centre for b in centre
        if a < b and a // 2 != b // 2
    ]
    assert len(sib) >= 6 and len(other) > 50
    assert np.min(sib) > 0.7 and np.mean(sib) > np.mean(other) + 0.5
    # Two-class videos mostly hold a sibling pair (THUMOS14: 53 of 60).
    pairs = [
        sorted(names.index(label) for label in {
            a['label']
            for a in e['annotations']
        }) for e in gt['database'].values()
        if len({a['label']
                for a in e['annotations']}) == 2
    ]
    assert pairs and np.mean([a // 2 == b // 2 for a, b in pairs]) >= 0.6


def test_clicks_protocol(default_bench):
    _, summary, gt, clicks = default_bench
    db = gt['database']
    validate_clicks(clicks, db, gt['activity_list'])  # inside [0, duration]
    train = [v for v, e in db.items() if e['subset'] == 'train']
    assert set(clicks) == set(train)  # only the training split is clicked
    n_a1 = n_a1_inside = n_sf = n_sf_outside = 0
    for video in train:
        segs = _segments(db[video])
        sf = [c for c in clicks[video] if c['annotator'] == 'SF']
        a1 = [c for c in clicks[video] if c['annotator'] == 'A1']
        assert len(sf) == len(segs)
        assert all(c['type'] == 'action' for c in sf)
        assert all(c['type'] == 'background' for c in a1)
        sf_times = np.array([c['time'] for c in sf])
        outside = ~points_in_segments(sf_times, segs)
        n_sf += len(sf)
        n_sf_outside += int(outside.sum())
        # A misplaced action click lies just outside an instance.
        for t in sf_times[outside]:
            gap = np.maximum(segs[:, 0] - t, t - segs[:, 1]).min()
            assert 0 < gap <= 1.5 + 1e-6
        n_a1 += len(a1)
        n_a1_inside += int(
            points_in_segments([c['time'] for c in a1], segs).sum())
    assert summary['num_clicks'] == {
        'A1': n_a1,
        'SF': sum(len(_segments(db[v])) for v in train)
    }
    # THUMOS14 A1: 0.75 clicks per instance; gaps under 1 s get none here.
    assert 0.5 < n_a1 / n_sf < 1.3
    # Label noise (property 6): binomial std ~0.012 / ~0.008 here.
    assert abs(n_a1_inside / n_a1 - 0.077) < 0.04
    assert abs(n_sf_outside / n_sf - 0.03) < 0.025 and n_sf_outside > 0


def test_feature_realism(default_bench):
    """Norm, value range, smoothness and action-context confusion."""
    out, _, gt, _ = default_bench
    protos = make_prototypes(20, 128, seed=0)
    names = gt['activity_list']
    act_norm, bg_norm, values = [], [], []
    cos_edge, cos_near, cos_far, neighbour, shuffled = [], [], [], [], []
    rng = np.random.default_rng(0)
    for video, entry in gt['database'].items():
        x = np.load(out / 'features' / f'{video}.npy').astype(np.float64)
        t = snippet_times(len(x), entry['duration'])
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
            cos_edge.append(cos[(dist > 0.3) & (dist < 1)])
            cos_near.append(cos[(dist > 2) & (dist < 4)])
            cos_far.append(cos[dist > 12])
        # Temporal smoothness: neighbours are closer than random pairs.
        d = np.linalg.norm(x[1:] - x[:-1], axis=1)
        neighbour.append(d[~(inside[1:] ^ inside[:-1])])
        shuffled.append(np.linalg.norm(x - x[rng.permutation(len(x))], axis=1))
    values = np.concatenate(values)
    assert values.min() >= 0
    assert np.percentile(values, 95) < 3.0 and np.mean(values == 0) < 0.2
    act_norm, bg_norm = np.concatenate(act_norm), np.concatenate(bg_norm)
    assert act_norm.mean() > 1.2 * bg_norm.mean()
    # Property 2: right outside an instance the features still resemble
    # the action, less so a few seconds away, least far away.
    edge, near, far = (np.concatenate(c) for c in (cos_edge, cos_near,
                                                     cos_far))
    assert len(edge) > 100 and len(near) > 100 and len(far) > 100
    assert edge.mean() > near.mean() + 0.03 > far.mean() + 0.06
    neighbour, shuffled = np.concatenate(neighbour), np.concatenate(shuffled)
    assert neighbour.mean() < 0.6 * shuffled.mean()


def test_prototypes():
    # One class per group: the venue has the asked cosine to its action.
    protos = make_prototypes(
        4, 64, seed=1, cfg=dict(context_cosine=0.65, class_group_size=1))
    a, c = protos['action'], protos['context']
    a_norm, c_norm = np.linalg.norm(a, axis=1), np.linalg.norm(c, axis=1)
    cos = (a * c).sum(1) / a_norm / c_norm
    np.testing.assert_allclose(cos, 0.65, atol=1e-3)
    assert all((v >= 0).all() for k, v in protos.items() if k != 'group')
    assert protos['distractor'].shape == (3, 64)
    # Context is appearance-heavy: relatively weaker in the flow half.
    flow_a = np.linalg.norm(a[:, 32:], axis=1) / a_norm
    flow_c = np.linalg.norm(c[:, 32:], axis=1) / c_norm
    assert (flow_c < flow_a).all()


def test_sibling_prototypes():
    protos = make_prototypes(20, 128, seed=0)
    a, c = protos['action'], protos['context']
    np.testing.assert_array_equal(protos['group'], np.arange(20) // 2)
    np.testing.assert_array_equal(c[0::2], c[1::2])  # one venue per pair
    assert not np.allclose(c[0], c[2])
    unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    cos = unit @ unit.T
    sib = cos[np.arange(0, 20, 2), np.arange(1, 20, 2)]
    same_group = (np.arange(20)[:, None] // 2) == (np.arange(20) // 2)
    others = cos[~same_group]
    # Siblings share half their class-specific part, every class a
    # class-agnostic motion part.
    assert sib.min() > others.mean() + 0.15
    assert others.min() > 0.2


def test_deterministic_given_seed(tmp_path):
    kw = dict(num_videos=dict(train=3, test=2), duration_range=(20, 40))
    generate_synthetic_benchmark(tmp_path / 'a',
                                 SyntheticBenchmarkConfig(seed=5, **kw))
    generate_synthetic_benchmark(tmp_path / 'b',
                                 SyntheticBenchmarkConfig(seed=5, **kw))
    generate_synthetic_benchmark(tmp_path / 'c',
                                 SyntheticBenchmarkConfig(seed=6, **kw))
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
        SyntheticBenchmarkConfig(num_classes=3,
                                 num_videos=dict(train=4, test=3),
                                 feat_dim=16,
                                 layout='official',
                                 alt_fps_ratio=0.5,
                                 seed=2))
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
        SyntheticBenchmarkConfig(num_videos=dict(train=2, test=1),
                                 num_segments=50,
                                 feat_dim=8))
    for f in (tmp_path / 'o' / 'features').iterdir():
        assert np.load(f).shape == (50, 8)


def test_overwrite_protection(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'notes.txt').write_text('mine')
    kw = dict(num_videos=dict(train=2, test=1), feat_dim=8)
    with pytest.raises(FileExistsError, match=r'out is not empty; refusing'):
        generate_synthetic_benchmark(out, SyntheticBenchmarkConfig(**kw))
    assert sorted(p.name for p in out.iterdir()) == ['notes.txt']
    generate_synthetic_benchmark(out,
                                 SyntheticBenchmarkConfig(**kw),
                                 overwrite=True)
    assert (out / 'notes.txt').read_text() == 'mine'
    assert (out / 'gt.json').is_file() and (out / 'clicks.json').is_file()


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(layout='hdf5'), ValueError,
     r"`layout` must be 'npy' or 'official'"),
    (dict(feat_dim=7), ValueError, r'`feat_dim` must be an even int'),
    (dict(num_videos=dict(train=-1)), ValueError,
     r"`num_videos`\['train'\] must be an int >= 0"),
    (dict(model=dict(context_strength=2)), ValueError,
     r"unknown synthetic config key\(s\) \['context_strength'\]"),
    (dict(train_subset='dev'), ValueError,
     r"train_subset 'dev' is not one of the generated subsets"),
    (dict(click_file='x.txt'), ValueError, r'`click_file` needs `gt_file`'),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    kw = dict(num_videos=dict(train=1, test=1), feat_dim=8)
    kw.update(kwargs)
    with pytest.raises(error, match=match):
        generate_synthetic_benchmark(tmp_path / 'o',
                                     SyntheticBenchmarkConfig(**kw))


def test_shaped_on_real_thumos(tmp_path, thumos_gt_path, thumos_a1_path,
                               thumos_gt):
    real_db, real_classes = thumos_gt
    out = tmp_path / 'thumos'
    summary = generate_synthetic_benchmark(
        out,
        SyntheticBenchmarkConfig(gt_file=thumos_gt_path,
                                 click_file=thumos_a1_path,
                                 subsets_from_gt={
                                     'val': 'train',
                                     'test': 'test'
                                 },
                                 max_videos_per_subset=3,
                                 feat_dim=16,
                                 layout='official'))
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
        SyntheticBenchmarkConfig(gt_file=thumos_gt_path,
                                 max_videos_per_subset=1,
                                 feat_dim=8))
    # THUMOS14 convention of weakly supervised papers: 'val' trains.
    assert summary['train_subset'] == 'val'
    with pytest.raises(
            ValueError,
            match=r"subset\(s\) \['training'\] not in "
            r"the GT; available: \['test', 'val'\]"):
        generate_synthetic_benchmark(
            tmp_path / 'p',
            SyntheticBenchmarkConfig(gt_file=thumos_gt_path,
                                     subsets_from_gt=['training']))


def test_shaped_on_activitynet(tmp_path, anet_gt_path):
    summary = generate_synthetic_benchmark(
        tmp_path / 'anet',
        SyntheticBenchmarkConfig(gt_file=anet_gt_path,
                                 subsets_from_gt=['training', 'validation'],
                                 max_videos_per_subset=2,
                                 feat_dim=8))
    assert summary['train_subset'] == 'training'
    assert summary['num_classes'] == 100
    assert summary['num_videos'] == {'training': 2, 'validation': 2}
    gt = json.loads((tmp_path / 'anet' / 'gt.json').read_text())
    clicks = load_click_file(tmp_path / 'anet' / 'clicks.json')
    validate_clicks(clicks, gt['database'], gt['activity_list'])
    assert {gt['database'][v]['subset'] for v in clicks} == {'training'}


def _options(out, **changes):
    """Parsed options of tools/data/generate_synthetic.py: its defaults
    (written out here), then ``changes``."""
    options = dict(
        out=str(out), layout='npy', num_classes=20, num_videos=[200, 20, 200],
        feat_dim=128, duration_range=[30.0, 120.0], fps=30,
        frames_per_snippet=16, num_segments=None, seed=0, gt_file=None,
        click_file=None, subsets=None, max_videos=None, train_subset=None,
        inside_noise=0.077, action_outside_noise=0.03, overwrite=False,
        exist_ok=False)
    assert set(changes) <= set(options), changes
    options.update(changes)
    return options


def test_duration_range_rule(tmp_path):
    with pytest.raises(ValueError, match=r'^`duration_range` MIN MAX must '
                       r'satisfy 2 <= MIN <= MAX \(seconds\), got 0\.1 '
                       r'0\.2$'):
        generate_synthetic_benchmark(
            tmp_path / 'o',
            SyntheticBenchmarkConfig(num_videos=dict(train=1),
                                     feat_dim=8,
                                     duration_range=(0.1, 0.2)))
    # The command's message names its option (the CLI's 'error: ...' line
    # is checked in test_data_clis).
    with pytest.raises(ValueError) as info:
        generate_from_options(_options(tmp_path / 'p',
                                       duration_range=[0.1, 0.2]))
    assert str(info.value) == (
        '`duration_range` MIN MAX must satisfy 2 <= MIN <= MAX '
        '(seconds), got 0.1 0.2')
    assert not (tmp_path / 'p').exists()
    # The shortest allowed videos still get a valid GT.
    generate_synthetic_benchmark(
        tmp_path / 'q',
        SyntheticBenchmarkConfig(num_videos=dict(train=5),
                                 feat_dim=8,
                                 duration_range=(2.0, 3.0)))
    db = json.loads((tmp_path / 'q' / 'gt.json').read_text())['database']
    for entry in db.values():
        segs = _segments(entry)
        assert len(segs) >= 1 and (segs[:, 0] > 0).all()
        assert (segs[:, 1] < entry['duration']).all()


def test_command_options_to_config():
    assert parse_subsets(None) is None and parse_subsets([]) is None
    assert parse_subsets(['val', 'test']) == ['val', 'test']
    assert parse_subsets(['val:train', 'test']) == {'val': 'train',
                                                    'test': 'test'}
    config = benchmark_config_of(_options(
        'x', num_videos=[3, 1, 2], duration_range=[10.0, 20.0],
        layout='official'))
    assert config == SyntheticBenchmarkConfig(
        num_videos=dict(train=3, val=1, test=2), duration_range=(10.0, 20.0),
        layout='official')
    config = benchmark_config_of(_options(
        'x', gt_file='gt.json', subsets=['val:train'], max_videos=4))
    assert config == SyntheticBenchmarkConfig(
        gt_file='gt.json', subsets_from_gt={'val': 'train'},
        max_videos_per_subset=4, num_videos=dict(train=200, val=20,
                                                 test=200))
    with pytest.raises(ValueError, match=r"`inside_noise` must be in "
                       r"\[0, 1\], got 1\.5"):
        generate_from_options(_options('x', inside_noise=1.5))
    with pytest.raises(ValueError, match=r"missing \['seed'\], unknown "
                       r"\['seeds'\]"):
        options = _options('x')
        options['seeds'] = options.pop('seed')
        generate_from_options(options)


def test_exist_ok_refuses_older_generator(tmp_path):
    """A folder whose stamp lacks the current feature model (an older
    generator) is refused by --exist-ok, and reused when it matches."""
    out = tmp_path / 'bench'
    options = _options(out, num_videos=[2, 0, 1], feat_dim=8, num_classes=2,
                       duration_range=[10.0, 20.0], exist_ok=True)
    lines = generate_from_options(options)
    assert lines[0] == (f'wrote {out}/gt.json (2 classes; videos train: 2, '
                        'test: 1)')
    assert generate_from_options(options) == [
        f'{out} already holds this benchmark; reusing it (`exist_ok`)']
    stamp_path = out / STAMP
    stamp = json.loads(stamp_path.read_text())
    # The stamp format of the tool before the settings became a config
    # dataclass (folders generated then are reused).
    assert stamp == dict(
        {k: v for k, v in options.items()
         if k not in ('out', 'overwrite', 'exist_ok')},
        generator='backtal-synthetic/2.0',
        feature_model=stamp['feature_model'],
        generator_defaults=dict(alt_fps=25, alt_fps_ratio=0.1,
                                click_subsets=None, two_class_ratio=0.15,
                                extra_background=0.2, min_gap=1.0))
    assert stamp['feature_model']['noise_corr_seconds'] == \
        SyntheticConfig().noise_corr_seconds
    # Through JSON, as written (tuples become lists).
    assert stamp['feature_model'] == json.loads(
        json.dumps(stamp_content(options)['feature_model']))
    # What the first generator's stamp looked like: no version, an older
    # feature model.
    old = {k: v for k, v in stamp.items()
           if k not in ('generator', 'generator_defaults')}
    old['feature_model'] = {
        k: v for k, v in stamp['feature_model'].items()
        if k not in ('noise_corr_seconds', 'receptive_field_seconds')
    }
    stamp_path.write_text(json.dumps(old))
    with pytest.raises(ValueError, match=r'^.*bench holds a benchmark '
                       r'generated with other arguments \(feature_model, '
                       r'generator, generator_defaults\); pass `overwrite`'):
        generate_from_options(options)
    generate_from_options(dict(options, overwrite=True))
    assert json.loads(stamp_path.read_text()) == stamp
