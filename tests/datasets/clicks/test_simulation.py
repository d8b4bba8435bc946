"""Segment helpers and the click simulator."""
import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import (background_gaps, merge_segments,
                                              points_in_segments,
                                              simulate_clicks)


def _naive_covered(segments, duration, grid):
    """Reference: covered[i] = grid[i] inside some clipped open segment."""
    covered = np.zeros(len(grid), dtype=bool)
    for s, e in segments:
        s, e = max(s, 0.0), min(e, duration)
        covered |= (grid > s) & (grid < e)
    return covered


@pytest.mark.parametrize('seed', range(5))
def test_gaps_and_union_match_naive_reference(seed):
    rng = np.random.default_rng(seed)
    duration = 50.0
    starts = rng.uniform(-5, 52, 8)
    segs = np.stack([starts, starts + rng.uniform(0, 10, 8)], 1)
    # Grid points off the 1/8 s lattice never hit a boundary exactly.
    grid = np.arange(0.0, duration, 1 / 8) + 1 / 16
    covered = _naive_covered(segs, duration, grid)
    gaps = background_gaps(segs, duration)
    union = merge_segments(segs, duration)
    assert np.array_equal(points_in_segments(grid, gaps), ~covered)
    assert np.array_equal(points_in_segments(grid, union), covered)
    # Gaps and union tile [0, duration] exactly.
    lengths = (gaps[:, 1] - gaps[:, 0]).sum() + (union[:, 1] -
                                                 union[:, 0]).sum()
    assert lengths == pytest.approx(duration)
    assert (np.diff(gaps.ravel()) > 0).all()  # sorted, disjoint, non-empty


def test_gaps_hand_computed():
    segs = [[10, 20], [15, 18], [30, 40], [40, 45], [60, 70]]
    assert background_gaps(segs, 50).tolist() == [[0, 10], [20, 30], [45, 50]]
    assert background_gaps([], 7.5).tolist() == [[0, 7.5]]
    assert background_gaps([[0, 7.5]], 7.5).shape == (0, 2)
    assert background_gaps(
        segs, 50, min_length=5).tolist() == [[0, 10], [20, 30]]
    assert merge_segments(segs).tolist() == [[10, 20], [30, 45], [60, 70]]


def _by_type(clicks, ctype):
    return {
        v: [c for c in cl if c['type'] == ctype]
        for v, cl in clicks.items()
    }


def test_toy_protocol(toy_gt):
    database, classes = toy_gt
    clicks = simulate_clicks(database, classes, subset='train', seed=3)
    assert list(clicks) == ['v_two', 'v_full', 'v_empty']
    bg, act = _by_type(clicks, 'background'), _by_type(clicks, 'action')
    # auto: one click inside each gap of v_two.
    gap_of = sorted(int(c['time'] // 10) for c in bg['v_two'])
    assert gap_of == [0, 2, 4]
    assert bg['v_full'] == []  # actions cover everything
    assert len(bg['v_empty']) == 1 and 0 <= bg['v_empty'][0]['time'] <= 30
    # One action click per instance, inside it, with its label.
    assert [(c['label'], 10 <= c['time'] <= 20 or 30 <= c['time'] <= 40)
            for c in act['v_two']] == [('Jump', True), ('Run', True)]
    assert len(act['v_full']) == 2 and act['v_empty'] == []
    assert {c['annotator'] for c in bg['v_two']} == {'sim-bg'}
    assert {c['annotator'] for c in act['v_two']} == {'sim-action'}
    # Sorted by time.
    for cl in clicks.values():
        times = [c['time'] for c in cl]
        assert times == sorted(times)


def test_fixed_count_kinds_and_ids(toy_gt):
    database, classes = toy_gt
    clicks = simulate_clicks(
        database,
        classes,
        num_background=4,
        action=False,
        annotator_prefix='p')
    assert {
        v: len(c)
        for v, c in clicks.items()
    } == {
        'v_two': 4,
        'v_full': 0,
        'v_empty': 4,
        'v_test': 4
    }
    assert {c['annotator'] for cl in clicks.values() for c in cl} == {'p-bg'}
    only_act = simulate_clicks(
        database, classes, background=False, action_annotator='SF')
    assert sum(len(c) for c in only_act.values()) == 5
    assert {c['annotator'] for cl in only_act.values() for c in cl} == {'SF'}


def test_deterministic_and_independent_of_other_videos(toy_gt):
    database, classes = toy_gt
    a = simulate_clicks(database, classes, seed=7, inside_noise=0.3)
    b = simulate_clicks(database, classes, seed=7, inside_noise=0.3)
    assert a == b
    c = simulate_clicks(database, classes, seed=8, inside_noise=0.3)
    assert a != c
    only_test = simulate_clicks(
        database, classes, subset=['test'], seed=7, inside_noise=0.3)
    assert only_test == {'v_test': a['v_test']}


def test_real_gt_protocol_and_noise(thumos_gt):
    database, classes = thumos_gt
    clean = simulate_clicks(database, classes, subset='val', seed=0)
    noisy = simulate_clicks(
        database, classes, subset='val', seed=0, inside_noise=0.1)
    n_bg = n_bg_inside = 0
    for video, vclicks in clean.items():
        entry = database[video]
        segs = np.array([a['segment'] for a in entry['annotations']])
        bg = np.array(
            [c['time'] for c in vclicks if c['type'] == 'background'])
        assert not points_in_segments(bg, segs).any(), video
        assert len(bg) == len(background_gaps(segs, entry['duration']))
        act = [c for c in vclicks if c['type'] == 'action']
        assert len(act) == len(segs)  # no val instance lies after the end
        # Each instance owns one click: match clicks to instances greedily.
        for ann in entry['annotations']:
            s, e = ann['segment']
            hit = [
                c for c in act
                if s <= c['time'] <= e and c['label'] == ann['label']
            ]
            assert hit, (video, ann)
        nbg_noisy = np.array(
            [c['time'] for c in noisy[video] if c['type'] == 'background'])
        n_bg += len(nbg_noisy)
        n_bg_inside += int(points_in_segments(nbg_noisy, segs).sum())
        # Action clicks do not depend on the background settings.
        assert [c for c in noisy[video] if c['type'] == 'action'] == act
    assert n_bg > 2000
    # Binomial(n, 0.1): std ~0.006.
    assert abs(n_bg_inside / n_bg - 0.1) < 0.025


def test_instance_after_video_end_gets_no_click(thumos_gt):
    database, classes = thumos_gt
    video = 'video_test_0001081'  # GT instance [127.5, 130.1] > 117.235 s
    clicks = simulate_clicks({video: database[video]},
                             classes,
                             background=False)
    n_inside = sum(a['segment'][0] < database[video]['duration']
                   for a in database[video]['annotations'])
    assert len(clicks[video]) == n_inside
    assert all(c['time'] <= database[video]['duration'] for c in clicks[video])


def test_extra_background_adds_clicks(thumos_gt):
    database, classes = thumos_gt
    base = simulate_clicks(database, classes, subset='val', action=False)
    extra = simulate_clicks(
        database, classes, subset='val', action=False, extra_background=0.5)
    n_base = sum(len(c) for c in base.values())
    n_extra = sum(len(c) for c in extra.values())
    assert 1.35 * n_base < n_extra < 1.65 * n_base


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_background=-1), r"`num_background` must be 'auto' or an int"),
    (dict(num_background='many'), r"`num_background` must be 'auto'"),
    (dict(num_background=True), r"`num_background` must be 'auto'"),
    (dict(inside_noise=1.5), r'`inside_noise` must be in \[0, 1\]'),
    (dict(subset='val'), r"ground truth: no video in subset 'val'; "
     r"available subsets: \['test', 'train'\]"),
])
def test_bad_arguments(toy_gt, kwargs, match):
    database, classes = toy_gt
    with pytest.raises(ValueError, match=match):
        simulate_clicks(database, classes, **kwargs)


def test_bad_gt(toy_gt):
    database, _ = toy_gt
    with pytest.raises(
            ValueError,
            match=r"video 'v_two': annotations\[1\]\.label: unknown label "
            r"'Run', not in the class list"):
        simulate_clicks(database, ['Jump'])
    broken = {
        'v':
        dict(
            duration=10.0,
            annotations=[dict(segment=[5.0, 2.0], label='Jump')])
    }
    with pytest.raises(
            ValueError,
            match=r"video 'v': annotations\[0\]\.segment must be "
            r'\[start, end\] seconds with start <= end, got \[5\.0, 2\.0\]'):
        simulate_clicks(broken, ['Jump'])


def test_activitynet_background_only(anet_gt_path):
    from backtal_mmaction.datasets.clicks import load_ground_truth
    database, classes = load_ground_truth(anet_gt_path)
    clicks = simulate_clicks(
        database, classes, subset='training', action=False, inside_noise=0.05)
    assert len(clicks) == 4819
    n_gaps = sum(
        len(
            background_gaps([a['segment'] for a in database[v]['annotations']],
                            database[v]['duration'])) for v in clicks)
    assert sum(len(c) for c in clicks.values()) == n_gaps
