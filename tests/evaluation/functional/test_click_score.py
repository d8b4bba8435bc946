"""click_score: a label-free check of a localizer on held-out clicks."""
import math
import random

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import heldout_videos
from backtal_mmaction.evaluation.functional import (click_score,
                                                    compare_click_scores)
from backtal_mmaction.evaluation.functional.click_score import \
    click_point_map


def det(segments, scores, labels):
    return dict(
        segments=np.asarray(segments, np.float64).reshape(-1, 2),
        scores=np.asarray(scores, np.float64),
        labels=np.asarray(labels, np.int64))


# The worked example.
# v1: scores 2, 4, 1 / best 4 -> normalised 0.5, 1, 0.25.
#   action 5 (class 0): in [0, 10] class 0 -> 0.5
#   action 22 (class 1): in [20, 30] class 1 -> 1
#   action 27 (class 0): in [20, 30] (class 1: not counted) and
#       [25, 40] class 0 -> 0.25
#   action 50 (class 0): no segment -> 0 (a miss)
#   background 10: on the end of [0, 10] (inclusive) -> 0.5
#   background 15: no segment -> 0
#   background 35: in [25, 40] -> 0.25
# v2: no detection -> every click 0: action 3 -> 0, background 7 -> 0.
# v3: scores -1, 1.5 -> shifted to 0, 2.5 -> normalised 0, 1.
#   action 5 (class 0): in [0, 10] only -> 0 (the lowest counts as none)
#   action 15 (class 0): in [10, 20] -> 1
#   background 10: in both -> max = 1
# Action scores A = 0.5, 1, 0.25, 0, 0, 0, 1 (7); background B = 0.5, 0,
# 0.25, 0, 1 (5), sorted B = 0, 0, 0.25, 0.5, 1. Wins + ties / 2 of each
# action click over B: 0.5 -> 3 + 0.5; 1 -> 4 + 0.5 (twice); 0.25 ->
# 2 + 0.5; 0 -> 0 + 1 (three times). Sum 3.5 + 9 + 2.5 + 3 = 18 -> AUC
# 18 / 35. At r = 0.5: B >= 0.5 -> 2 of 5; A < 0.5 -> 4 of 7.
#
# click_map (raw scores, ranked across videos per class; TP = contains an
# unmatched same-class click and no background click strictly inside):
# class 0, 6 clicks (v1: 5, 27, 50; v2: 3; v3: 5, 15):
#   2.0  v1 [0, 10]   TP (5; background 10 is on the end, not inside)
#   1.5  v3 [10, 20]  TP (15; background 10 on the start)
#   1.0  v1 [25, 40]  FP (holds 27 but spills over background 35)
#   -1   v3 [0, 10]   TP (5)
#   precision 1, 1, 2/3, 3/4; recall 1/6, 2/6, 2/6, 3/6; envelope 1, 1,
#   3/4, 3/4 -> AP = 2/6 * 1 + 1/6 * 3/4 = 11/24.
# class 1, 1 click (v1: 22): 4.0 v1 [20, 30] TP -> AP 1.
# click_map = (11/24 + 1) / 2 = 35/48. (v3's 1.5 rather than 1 avoids a
# score tie with v1 [25, 40]; it normalises to the same 1.)
DETECTIONS = {
    'v1': det([[0, 10], [20, 30], [25, 40]], [2.0, 4.0, 1.0], [0, 1, 0]),
    'v2': det(np.zeros((0, 2)), [], []),
    'v3': det([[0, 10], [10, 20]], [-1.0, 1.5], [0, 0]),
    'unclicked': det([[0, 100]], [9.0], [0]),  # not held out: ignored
}
CLICKS = {
    'v1': dict(background=[10.0, 15.0, 35.0], action_times=[5.0, 22.0, 27.0,
                                                            50.0],
               action_labels=[0, 1, 0, 0]),
    'v2': dict(background=[7.0], action_times=[3.0], action_labels=[0]),
    'v3': dict(background=[10.0], action_times=[5.0, 15.0],
               action_labels=[0, 0]),
}


def test_worked_example():
    out = click_score(DETECTIONS, CLICKS)
    assert out == pytest.approx({
        'click_score': 35 / 48,
        'click_score_kind': 'click_map',
        'click_map': 35 / 48,
        'click_auc': 18 / 35,
        'bg_error_rate@0.5': 2 / 5,
        'action_miss_rate@0.5': 4 / 7,
        'rel_thr': 0.5,
        'num_background': 5,
        'num_action': 7,
        'num_videos': 3,
        'num_detections': 5,
    })


def test_rel_thr():
    # r = 0.25: B >= 0.25 -> 0.5, 0.25, 1 (3 of 5); A < 0.25 -> three 0s
    out = click_score(DETECTIONS, CLICKS, rel_thr=0.25)
    assert out['bg_error_rate@0.25'] == pytest.approx(3 / 5)
    assert out['action_miss_rate@0.25'] == pytest.approx(3 / 7)
    assert out['click_auc'] == pytest.approx(18 / 35)
    for bad in (0, 1.5, -0.1, float('nan'), True, '0.5'):
        with pytest.raises(ValueError, match='rel_thr'):
            click_score(DETECTIONS, CLICKS, rel_thr=bad)


def test_lists_accepted():
    as_lists = {
        k: {f: np.asarray(v).tolist() for f, v in d.items()}
        for k, d in DETECTIONS.items()
    }
    assert click_score(as_lists, CLICKS) == click_score(DETECTIONS, CLICKS)
    # missing click kinds are empty
    clicks = dict(CLICKS, v2=dict(background=[7.0]))
    assert click_score(DETECTIONS, clicks)['num_action'] == 6


def test_scaling_scores_changes_nothing():
    rng = np.random.default_rng(1)
    detections, clicks = random_case(rng, num_videos=10)
    ref = click_score(detections, clicks)
    for factor in (3.7, 1e-3, 250.0):
        scaled = {
            k: dict(d, scores=d['scores'] * factor)
            for k, d in detections.items()
        }
        assert click_score(scaled, clicks) == pytest.approx(ref)
    # with negative scores too (the per-video shift scales along)
    shifted = {k: dict(d, scores=d['scores'] - 0.5)
               for k, d in detections.items()}
    ref = click_score(shifted, clicks)
    scaled = {k: dict(d, scores=d['scores'] * 7.0)
              for k, d in shifted.items()}
    assert click_score(scaled, clicks) == pytest.approx(ref)


def test_perfect_and_reverse_models():
    clicks = {
        'a': dict(background=[1.0, 50.0], action_times=[10.0, 30.0],
                  action_labels=[0, 1]),
        'b': dict(background=[5.0], action_times=[20.0], action_labels=[2]),
    }
    # Covers every action click with its class, no background click.
    perfect = {
        'a': det([[8, 12], [29, 31]], [0.3, 0.9], [0, 1]),
        'b': det([[15, 25]], [0.01], [2]),
    }
    out = click_score(perfect, clicks)
    assert out['click_auc'] == 1.0 == out['click_score']
    assert out['bg_error_rate@0.5'] == 0.0
    assert out['action_miss_rate@0.5'] == pytest.approx(1 / 3)  # 0.3/0.9
    # Covers every background click, no action click (or the wrong class).
    reverse = {
        'a': det([[0, 2], [49, 51], [9, 11]], [0.5, 0.6, 0.9], [0, 1, 1]),
        'b': det([[4, 6]], [1.0], [0]),
    }
    out = click_score(reverse, clicks)
    assert out['click_auc'] == 0.0 == out['click_score']
    assert out['action_miss_rate@0.5'] == 1.0


def test_one_sided_headlines():
    only_bg = {k: dict(background=v['background']) for k, v in CLICKS.items()}
    out = click_score(DETECTIONS, only_bg)
    assert math.isnan(out['click_auc'])
    assert math.isnan(out['action_miss_rate@0.5'])
    assert math.isnan(out['click_map'])
    assert out['click_score_kind'] == '1-bg_error_rate'
    assert out['click_score'] == pytest.approx(1 - 2 / 5)
    # the gaming that the docstring warns about: nothing detected -> 1
    empty = {k: det(np.zeros((0, 2)), [], []) for k in CLICKS}
    assert click_score(empty, only_bg)['click_score'] == 1.0

    only_action = {
        k: dict(action_times=v['action_times'],
                action_labels=v['action_labels'])
        for k, v in CLICKS.items()
    }
    out = click_score(DETECTIONS, only_action)
    assert math.isnan(out['click_auc'])
    assert math.isnan(out['bg_error_rate@0.5'])
    assert out['action_miss_rate@0.5'] == pytest.approx(4 / 7)
    # action clicks alone still give the mAP headline. Without background
    # click 35, v1 [25, 40] is a TP (27): class 0 ranks TP, TP, TP, TP ->
    # AP 4/6; class 1 AP 1 -> (2/3 + 1) / 2 = 5/6.
    assert out['click_score_kind'] == 'click_map'
    assert out['click_score'] == pytest.approx(5 / 6) == out['click_map']


def random_case(rng, num_videos, tie_levels=None):
    """Random detections and clicks; ``tie_levels`` quantises the scores
    so that many clicks tie."""
    detections, clicks = {}, {}
    for i in range(num_videos):
        k = int(rng.integers(0, 6))
        start = rng.uniform(0, 80, k)
        seg = np.stack([start, start + rng.uniform(0, 30, k)], axis=1)
        scores = (rng.integers(1, tie_levels + 1, k).astype(float)
                  if tie_levels else rng.uniform(0.01, 1, k))
        detections[f'v{i}'] = det(seg, scores, rng.integers(0, 3, k))
        na, nb = int(rng.integers(0, 6)), int(rng.integers(0, 6))
        clicks[f'v{i}'] = dict(
            background=rng.uniform(0, 100, nb),
            action_times=rng.uniform(0, 100, na),
            action_labels=rng.integers(0, 3, na))
    return detections, clicks


def brute_force(detections, clicks, r):
    """The docstring's definition, one click at a time, O(N^2) AUC."""
    act, bg = [], []
    for video, c in clicks.items():
        d = detections[video]
        scores = list(d['scores'])
        if scores:
            low = min(min(scores), 0.0)
            scores = [s - low for s in scores]
            best = max(scores)
            scores = [s / best if best > 0 else 0.0 for s in scores]
        for t in c['background']:
            bg.append(max([s for (a, b), s in zip(d['segments'], scores)
                           if a <= t <= b], default=0.0))
        for t, lab in zip(c['action_times'], c['action_labels']):
            act.append(max([s for (a, b), s, l in zip(
                d['segments'], scores, d['labels']) if a <= t <= b
                and l == lab], default=0.0))
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0
               for a in act for b in bg)
    return dict(auc=wins / (len(act) * len(bg)),
                bg_error=np.mean([b >= r for b in bg]),
                miss=np.mean([a < r for a in act]),
                num_action=len(act), num_background=len(bg))


@pytest.mark.parametrize('tie_levels', [None, 3])
def test_matches_brute_force_on_random_data(tie_levels):
    rng = np.random.default_rng(0 if tie_levels is None else 1)
    for _ in range(20):
        detections, clicks = random_case(rng, 8, tie_levels)
        ref = brute_force(detections, clicks, 0.4)
        if ref['num_action'] == 0 or ref['num_background'] == 0:
            continue
        out = click_score(detections, clicks, rel_thr=0.4)
        assert out['click_auc'] == pytest.approx(ref['auc'], abs=1e-12)
        assert out['bg_error_rate@0.4'] == pytest.approx(ref['bg_error'])
        assert out['action_miss_rate@0.4'] == pytest.approx(ref['miss'])
        assert out['num_action'] == ref['num_action']
        assert out['num_background'] == ref['num_background']


def test_bad_inputs():
    clicks = dict(CLICKS, v2=dict(action_times=[1.0, 2.0],
                                  action_labels=[0]))
    with pytest.raises(ValueError, match=r"'v2'.*action_labels.*action_t"):
        click_score(DETECTIONS, clicks)
    with pytest.raises(ValueError, match="'v2'.*no entry in detections"):
        click_score({'v1': DETECTIONS['v1']}, CLICKS)
    with pytest.raises(ValueError, match=r"'v1'.*background.*NaN"):
        click_score(DETECTIONS, dict(CLICKS, v1=dict(background=[np.nan])))
    bad = dict(DETECTIONS, v3=det([[0, 10], [10, 20]], [1.0], [0, 0]))
    with pytest.raises(ValueError, match=r"'v3'.*scores"):
        click_score(bad, CLICKS)
    bad = dict(DETECTIONS, v3=dict(segments=[[0, 1]], scores=[1.0]))
    with pytest.raises(ValueError, match=r"'v3'.*'labels'"):
        click_score(bad, CLICKS)
    with pytest.raises(ValueError, match='no held-out click'):
        click_score(DETECTIONS, {'v2': dict(background=[])})
    with pytest.raises(ValueError, match=r"'v1'.*action_labels.*integer"):
        click_score(DETECTIONS, dict(CLICKS, v1=dict(
            action_times=[1.0], action_labels=[0.5])))


# ---- compare_click_scores --------------------------------------------


def scores(**values):
    return {k: dict(click_score=v, click_score_kind='click_map')
            for k, v in values.items()}


def test_compare_picks_strictly_better():
    best, msg = compare_click_scores(
        scores(stage1=0.70, stage2=0.75, round2=0.74), 'stage1')
    assert best == 'stage2'
    assert "picked 'stage2'" in msg and "'stage1'" in msg
    assert '0.7500' in msg and '0.7000' in msg and '\n' not in msg


def test_compare_keeps_baseline_on_tie_and_within_margin():
    best, msg = compare_click_scores(scores(stage1=0.7, stage2=0.7),
                                     'stage1')
    assert best == 'stage1' and "keeping 'stage1'" in msg
    best, msg = compare_click_scores(scores(stage1=0.70, stage2=0.72),
                                     'stage1', margin=0.05)
    assert best == 'stage1' and "'stage2'" in msg and 'margin 0.05' in msg
    best, _ = compare_click_scores(scores(stage1=0.70, stage2=0.80),
                                   'stage1', margin=0.05)
    assert best == 'stage2'
    # the baseline wins when it is the best
    best, _ = compare_click_scores(scores(stage1=0.9, stage2=0.8),
                                   'stage1')
    assert best == 'stage1'


def test_compare_skips_nan_and_checks_inputs():
    best, msg = compare_click_scores(
        scores(stage1=0.6, broken=float('nan')), 'stage1')
    assert best == 'stage1' and 'no other stage' in msg
    with pytest.raises(ValueError, match="'stage3'"):
        compare_click_scores(scores(stage1=0.6), 'stage3')
    with pytest.raises(ValueError, match="'stage1'.*NaN"):
        compare_click_scores(scores(stage1=float('nan'), s2=0.5), 'stage1')
    with pytest.raises(ValueError, match='margin'):
        compare_click_scores(scores(stage1=0.6), 'stage1', margin=-0.1)
    mixed = scores(stage1=0.6, stage2=0.9)
    mixed['stage2']['click_score_kind'] = '1-bg_error_rate'
    with pytest.raises(ValueError, match='different kinds'):
        compare_click_scores(mixed, 'stage1')


def test_compare_on_click_score_results():
    rng = np.random.default_rng(3)
    _, clicks = random_case(rng, 10)
    # a model detecting nothing: every click 0 -> AUC 0.5, every AP 0
    nothing = click_score(
        {k: det(np.zeros((0, 2)), [], []) for k in clicks}, clicks)
    assert nothing['click_auc'] == 0.5
    assert nothing['click_score_kind'] == 'click_map'
    assert nothing['click_score'] == 0.0
    # one detection of the right class around each action click
    model = click_score(
        {
            k: det(
                np.stack([c['action_times'] - 0.5, c['action_times'] + 0.5],
                         axis=1), np.ones(len(c['action_times'])),
                c['action_labels'])
            for k, c in clicks.items()
        }, clicks)
    assert model['click_auc'] > 0.9
    assert model['click_score'] > 0.9
    results = {'empty': nothing, 'model': model}
    assert compare_click_scores(results, 'empty')[0] == 'model'
    assert compare_click_scores(results, 'model')[0] == 'model'
    assert compare_click_scores(results, 'empty', margin=0.5)[0] == 'model'
    # a gain of at most 1 never beats a margin of 1
    assert compare_click_scores(results, 'empty', margin=1.0)[0] == 'empty'


# ---- click_point_map --------------------------------------------

# Worked example: 2 videos, 2 classes, every score distinct.
# a: class 0 clicks at 10, 20, class 1 at 50; background at 30, 70.
# b: class 0 click at 15, class 1 at 40, 60; background at 50.
# So 3 positives per class.
# Class 0, ranked by score across videos:
#   0.90  a [5, 25]   TP  merged segment over both 10 and 20: matches one
#                         of them only, the other stays missed
#   0.75  a [80, 90]  FP  false alarm (no click)
#   0.70  b [12, 18]  TP  15
#   0.50  b [10, 20]  FP  duplicate: 15 is already matched
#   cum TP 1, 1, 2, 2; precision 1, 1/2, 2/3, 1/2; recall 1/3, 1/3, 2/3,
#   2/3. Envelope (max to the right): 1, 2/3, 2/3, 1/2. Interpolated AP
#   = sum over the recall steps of step * envelope = 1/3 * 1 + 1/3 * 2/3
#   = 5/9 (recall never reaches 1, the last 1/3 counts 0).
# Class 1:
#   0.95  b [35, 45]  TP  40
#   0.80  a [45, 75]  FP  holds 50 but spills over background 70
#   0.40  b [50, 65]  TP  60; background 50 is on its start, not inside
#   0.30  a [48, 55]  TP  50, which the spilling 0.80 did not use up
#   cum TP 1, 1, 2, 3; precision 1, 1/2, 2/3, 3/4; recall 1/3, 1/3, 2/3,
#   1. Envelope 1, 3/4, 3/4, 3/4 -> AP = 1/3 * 1 + 1/3 * 3/4 + 1/3 * 3/4
#   = 5/6.
# click_map = (5/9 + 5/6) / 2 = 25/36.
POINT_CLICKS = {
    'a': dict(background=[30.0, 70.0], action_times=[10.0, 20.0, 50.0],
              action_labels=[0, 0, 1]),
    'b': dict(background=[50.0], action_times=[15.0, 40.0, 60.0],
              action_labels=[0, 1, 1]),
}
POINT_DETECTIONS = {
    'a': det([[5, 25], [80, 90], [45, 75], [48, 55]],
             [0.9, 0.75, 0.8, 0.3], [0, 0, 1, 1]),
    'b': det([[12, 18], [10, 20], [35, 45], [50, 65]],
             [0.7, 0.5, 0.95, 0.4], [0, 0, 1, 1]),
}


def test_point_map_worked_example():
    assert click_point_map(POINT_DETECTIONS, POINT_CLICKS) == \
        pytest.approx(25 / 36)
    out = click_score(POINT_DETECTIONS, POINT_CLICKS)
    assert out['click_map'] == pytest.approx(25 / 36)
    assert out['click_score'] == out['click_map']
    assert out['click_score_kind'] == 'click_map'
    # a class without clicks is not averaged, so its detections (even a
    # top-scored one over everything) change nothing
    extra = dict(POINT_DETECTIONS, a=det(
        np.concatenate([POINT_DETECTIONS['a']['segments'], [[0, 100]]]),
        np.append(POINT_DETECTIONS['a']['scores'], 5.0),
        np.append(POINT_DETECTIONS['a']['labels'], 2)))
    assert click_point_map(extra, POINT_CLICKS) == pytest.approx(25 / 36)
    # a class with clicks but no detection has AP 0: class 2 click in b
    clicks = dict(POINT_CLICKS, b=dict(
        background=[50.0], action_times=[15.0, 40.0, 60.0, 90.0],
        action_labels=[0, 1, 1, 2]))
    assert click_point_map(POINT_DETECTIONS, clicks) == \
        pytest.approx((5 / 9 + 5 / 6 + 0) / 3)


def point_case(rng, num_videos):
    """Random detections with globally distinct scores (some negative) and
    clicks; a third of the detections are placed around an action click
    so that TPs, duplicates and spills all occur. Action times are sorted
    per video (see :func:`brute_force_point_map`)."""
    detections, clicks = {}, {}
    ks = rng.integers(0, 7, num_videos)
    all_scores = rng.permutation(int(ks.sum())) * 0.37 - 3.0
    used = 0
    for i, k in enumerate(ks):
        na, nb = int(rng.integers(0, 6)), int(rng.integers(0, 4))
        times = np.sort(rng.uniform(0, 100, na))
        labels = rng.integers(0, 3, na)
        clicks[f'v{i}'] = dict(background=rng.uniform(0, 100, nb),
                               action_times=times, action_labels=labels)
        start = rng.uniform(0, 80, k)
        seg = np.stack([start, start + rng.uniform(0, 30, k)], axis=1)
        det_labels = rng.integers(0, 3, k)
        for j in range(k):
            if na and rng.random() < 0.35:
                c = int(rng.integers(0, na))
                seg[j] = times[c] - rng.uniform(0, 8), times[c] + \
                    rng.uniform(0, 8)
                det_labels[j] = labels[c]
        detections[f'v{i}'] = det(seg, all_scores[used:used + k],
                                  det_labels)
        used += k
    return detections, clicks


def brute_force_point_map(detections, clicks, stats=None):
    """The docstring's definition, written out with plain loops.

    When a detection contains several unmatched clicks it takes the
    earliest (the clicks of :func:`point_case` are time-sorted, so this is
    also the first listed; the docstring does not say which).
    """
    classes = sorted({int(lab) for c in clicks.values()
                      for lab in c.get('action_labels', [])})
    if not classes:
        return float('nan')
    aps = []
    for cls in classes:
        num_pos = sum(int(lab) == cls for c in clicks.values()
                      for lab in c.get('action_labels', []))
        ranked = []  # (score, video, start, end)
        for video in clicks:
            d = detections[video]
            for (s, e), score, lab in zip(d['segments'], d['scores'],
                                          d['labels']):
                if int(lab) == cls:
                    ranked.append((float(score), video, float(s), float(e)))
        ranked.sort(key=lambda x: x[0], reverse=True)
        matched = set()  # (video, click index)
        flags = []
        for _, video, s, e in ranked:
            c = clicks[video]
            spills = any(s < t < e for t in c.get('background', []))
            hit = None
            if not spills:
                options = [(t, j) for j, (t, lab) in enumerate(
                    zip(c['action_times'], c['action_labels']))
                    if int(lab) == cls and s <= t <= e
                    and (video, j) not in matched]
                if options:
                    hit = min(options)[1]
                    matched.add((video, hit))
            flags.append(hit is not None)
            if stats is not None:
                stats['tp' if hit is not None else
                      'spill' if spills else 'fp'] += 1
        # ActivityNet interpolated AP: at each recall step, the step times
        # the best precision at this rank or below
        precision, recall, tp = [], [], 0
        for i, flag in enumerate(flags):
            tp += flag
            precision.append(tp / (i + 1))
            recall.append(tp / num_pos)
        ap, last_recall = 0.0, 0.0
        for i in range(len(flags)):
            if recall[i] > last_recall:
                ap += (recall[i] - last_recall) * max(precision[i:])
                last_recall = recall[i]
        aps.append(ap)
    return sum(aps) / len(aps)


def test_point_map_matches_brute_force():
    stats = dict(tp=0, fp=0, spill=0)
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        detections, clicks = point_case(rng, 12)
        ref = brute_force_point_map(detections, clicks, stats)
        assert click_point_map(detections, clicks) == pytest.approx(
            ref, abs=1e-12), seed
    # the random cases exercise every branch
    assert min(stats.values()) >= 5, stats


def test_point_map_invariants():
    rng = np.random.default_rng(7)
    # action and background clicks 4 s apart at least
    grid = rng.permutation(np.arange(2.0, 400.0, 4.0))
    clicks, used = {}, 0
    for i in range(6):
        na, nb = int(rng.integers(1, 5)), int(rng.integers(0, 4))
        times = grid[used:used + na]
        bg = grid[used + na:used + na + nb]
        used += na + nb
        clicks[f'v{i}'] = dict(background=bg, action_times=times,
                               action_labels=rng.integers(0, 3, na))
    # one segment per action click, holding only it, scored 1..N
    n = sum(len(c['action_times']) for c in clicks.values())
    order = iter(rng.permutation(n) + 1.0)
    perfect = {
        k: det(np.stack([c['action_times'] - 1, c['action_times'] + 1], 1),
               [next(order) for _ in c['action_times']],
               c['action_labels'])
        for k, c in clicks.items()
    }
    assert click_point_map(perfect, clicks) == 1.0
    # a top-scored detection spilling over a background click: an FP
    # ranked first (though it holds an action click of its class)
    video = next(k for k, c in clicks.items() if len(c['background']))
    t, b = clicks[video]['action_times'][0], clicks[video]['background'][0]
    spill = dict(perfect, **{video: det(
        np.concatenate([perfect[video]['segments'],
                        [[min(t, b) - 1, max(t, b) + 1]]]),
        np.append(perfect[video]['scores'], n + 1.0),
        np.append(perfect[video]['labels'],
                  clicks[video]['action_labels'][0]))})
    assert click_point_map(spill, clicks) < 1.0
    # scaling every score by a positive constant keeps the ranking
    detections, clicks = point_case(np.random.default_rng(3), 12)
    ref = click_point_map(detections, clicks)
    assert 0 < ref < 1
    for factor in (3.7, 1e-3, 250.0):
        scaled = {k: dict(d, scores=d['scores'] * factor)
                  for k, d in detections.items()}
        assert click_point_map(scaled, clicks) == pytest.approx(ref)


def test_point_map_edge_cases():
    # no action click: no class to average over
    only_bg = {k: dict(background=v['background'])
               for k, v in POINT_CLICKS.items()}
    assert math.isnan(click_point_map(POINT_DETECTIONS, only_bg))
    assert math.isnan(click_point_map(
        POINT_DETECTIONS, {'a': dict(background=[], action_times=[],
                                     action_labels=[])}))
    with pytest.raises(ValueError, match="'b'"):
        click_point_map({'a': POINT_DETECTIONS['a']}, POINT_CLICKS)


def test_point_map_does_not_depend_on_click_order():
    # [5, 25] holds both clicks, [18, 22] only 20: the first takes the
    # earliest (10) whatever the listing order, so [18, 22] matches 20 and
    # AP is 1 both ways (taking the first listed gave 0.5 for [20, 10]).
    detections = {'v': det([[5, 25], [18, 22]], [0.9, 0.8], [0, 0])}
    forward = dict(action_times=[10.0, 20.0], action_labels=[0, 0])
    backward = dict(action_times=[20.0, 10.0], action_labels=[0, 0])
    assert click_point_map(detections, {'v': forward}) == 1.0
    assert click_point_map(detections, {'v': backward}) == 1.0


# ---- heldout_videos --------------------------------------------

NAMES = [f'video_validation_{i:07d}' for i in range(1000)]


def test_split_deterministic_and_order_independent():
    split = heldout_videos(NAMES, 0.2, seed=0)
    assert split == heldout_videos(NAMES, 0.2, seed=0)
    shuffled = list(NAMES)
    random.Random(0).shuffle(shuffled)
    assert heldout_videos(shuffled, 0.2, seed=0) == split
    assert heldout_videos(tuple(NAMES) + tuple(NAMES[:10]), 0.2) == \
        split
    # a video's fate does not depend on the other names
    assert heldout_videos(NAMES[:500], 0.2) == {
        n for n in split if n in NAMES[:500]}
    # pinned: stable across processes, PYTHONHASHSEED and versions
    assert sorted(heldout_videos(NAMES[1:21], 0.2, seed=0)) == [
        'video_validation_0000001', 'video_validation_0000003',
        'video_validation_0000004', 'video_validation_0000006',
        'video_validation_0000010', 'video_validation_0000012',
        'video_validation_0000014'
    ]


def test_split_fraction_and_seeds():
    splits = [heldout_videos(NAMES, 0.2, seed=s) for s in range(5)]
    for split in splits:
        assert split <= set(NAMES)
        # binomial(1000, 0.2): std 12.6, allow 4 std
        assert abs(len(split) - 200) <= 50, len(split)
    # another seed, another (about independent) split: overlap ~ 0.2 * 200
    assert splits[0] != splits[1]
    assert len(splits[0] & splits[1]) < 100
    # a larger fraction keeps a superset
    assert heldout_videos(NAMES, 0.1) <= splits[0] <= \
        heldout_videos(NAMES, 0.5)


def test_split_edge_cases():
    assert heldout_videos(NAMES, 0.0) == set()
    assert heldout_videos([], 0.5) == set()
    # at least one video with fraction > 0: the smallest hash, so the one
    # that any larger fraction keeps first
    few = NAMES[:5]
    one = heldout_videos(few, 1e-9)
    assert len(one) == 1
    for f in np.linspace(0.01, 0.99, 50):
        split = heldout_videos(few, float(f))
        assert one <= split
    for bad in (1.0, -0.1, 1.5, float('nan'), None, '0.2', True):
        with pytest.raises(ValueError, match='fraction'):
            heldout_videos(NAMES, bad)
    with pytest.raises(TypeError, match='single string'):
        heldout_videos('video_1', 0.5)
    with pytest.raises(TypeError, match='strings'):
        heldout_videos(['a', 3], 0.5)
