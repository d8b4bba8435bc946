"""Hand-computed checks of every proposal-generation rule."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.postprocessing.proposals import (
    contrast_scores, find_runs, magnitude_proposals, minmax_normalize,
    threshold_proposals, upsample_linear, video_class_probs)


def _as_tuples(props):
    return [(int(r), int(t), int(s), int(e), float(v))
            for r, t, s, e, v in zip(*props)]


def _check(props, expected):
    got = _as_tuples(props)
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    np.testing.assert_allclose([g[4] for g in got], [e[4] for e in expected],
                               rtol=0,
                               atol=1e-12)


# ---------------------------------------------------------------------- #
# video probabilities
# ---------------------------------------------------------------------- #
def test_video_class_probs_drops_background_without_renormalizing():
    # softmax([0, 0, ln 2]) = [1, 1, 2] / 4 -> drop background -> [.25, .25]
    p = video_class_probs(np.array([0.0, 0.0, np.log(2.0)]))
    np.testing.assert_allclose(p, [0.25, 0.25], rtol=0, atol=1e-15)
    # Large logits must not overflow: softmax([1000, 1000]) = [.5, .5].
    np.testing.assert_allclose(
        video_class_probs(np.array([1000.0, 1000.0])), [0.5])


# ---------------------------------------------------------------------- #
# min-max normalization
# ---------------------------------------------------------------------- #
def test_minmax_mixed_signs_min_clipped_at_zero():
    # mx = 3, mn = max(-1, 0) = 0, range 3 -> [-1/3, 1/3, 1] (not clipped).
    np.testing.assert_allclose(
        minmax_normalize(np.array([-1.0, 1.0, 3.0])), [-1 / 3, 1 / 3, 1.0])


def test_minmax_positive_row():
    # mx = 5, mn = 1, range 4 -> [0, .25, 1].
    np.testing.assert_allclose(
        minmax_normalize(np.array([1.0, 2.0, 5.0])), [0.0, 0.25, 1.0])


def test_minmax_negative_max_returns_row_unchanged():
    # mx = max(-1, 0) = 0, mn = max(-3, 0) = 0, range 0 -> 1: (x - 0) / 1.
    row = np.array([-2.0, -1.0, -3.0])
    np.testing.assert_array_equal(minmax_normalize(row), row)


def test_minmax_zero_range_becomes_one():
    # Constant positive row: mx = mn = 2, range 0 -> 1 -> all zeros.
    np.testing.assert_array_equal(
        minmax_normalize(np.array([2.0, 2.0, 2.0])), [0.0, 0.0, 0.0])


def test_minmax_is_row_wise():
    x = np.array([[1.0, 2.0, 5.0], [-2.0, -1.0, -3.0]])
    np.testing.assert_allclose(
        minmax_normalize(x), [[0.0, 0.25, 1.0], [-2.0, -1.0, -3.0]])


# ---------------------------------------------------------------------- #
# upsampling
# ---------------------------------------------------------------------- #
def test_upsample_hand_computed():
    # T=2 -> F=4, scale 0.5: src = .5 (d + .5) - .5 = [-.25 -> 0, .25, .75,
    # 1.25]; i0 = [0, 0, 0, 1], i1 = [1, 1, 1, min(2, 1) = 1],
    # w = [0, .25, .75, .25] -> [0, .25, .75, 1].
    np.testing.assert_allclose(
        upsample_linear(np.array([0.0, 1.0]), 4), [0.0, 0.25, 0.75, 1.0])


@pytest.mark.parametrize('t,f', [(1, 5), (2, 4), (7, 16), (50, 800),
                                 (200, 3200), (13, 13), (40, 17), (3, 1)])
def test_upsample_matches_torch(t, f):
    x = np.random.default_rng(t * 1000 + f).normal(size=(3, t))
    ref = F.interpolate(
        torch.from_numpy(x)[None], size=f, mode='linear',
        align_corners=False)[0].numpy()
    out = upsample_linear(x, f)
    assert out.shape == (3, f) and out.flags['C_CONTIGUOUS']
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-14)


def test_upsample_rejects_empty():
    with pytest.raises(ValueError, match='output size'):
        upsample_linear(np.zeros(3), 0)


# ---------------------------------------------------------------------- #
# runs
# ---------------------------------------------------------------------- #
def test_find_runs_borders_and_empty_rows():
    mask = np.array([
        [1, 1, 0, 1],  # runs touching both borders
        [0, 0, 0, 0],  # no run
        [1, 1, 1, 1],  # one run over the whole row
        [0, 1, 0, 1]
    ]).astype(bool)
    rows, starts, ends = find_runs(mask)
    np.testing.assert_array_equal(rows, [0, 0, 2, 3, 3])
    np.testing.assert_array_equal(starts, [0, 3, 0, 1, 3])
    np.testing.assert_array_equal(ends, [1, 3, 3, 1, 3])
    assert rows.dtype == starts.dtype == ends.dtype == np.int64


def test_find_runs_1d_and_all_false():
    rows, starts, ends = find_runs(np.array([False, True, True, False]))
    assert (rows.tolist(), starts.tolist(), ends.tolist()) == ([0], [1], [2])
    rows, starts, ends = find_runs(np.zeros((2, 5), dtype=bool))
    assert rows.size == starts.size == ends.size == 0


def test_find_runs_matches_loop_on_random_masks():
    rng = np.random.default_rng(0)
    mask = rng.random((6, 300)) < 0.6
    expected = []
    for r, row in enumerate(mask):
        f = 0
        while f < row.size:
            if row[f]:
                s = f
                while f + 1 < row.size and row[f + 1]:
                    f += 1
                expected.append((r, s, f))
            f += 1
    assert list(zip(*(a.tolist() for a in find_runs(mask)))) == expected


# ---------------------------------------------------------------------- #
# outer-inner contrast
# ---------------------------------------------------------------------- #
Q = np.arange(1.0, 11.0)  # q[f] = f + 1, F = 10


@pytest.mark.parametrize(
    'start,end,lam,expected',
    [
        # n=4: left = int(4 - 1) = 3 -> {3}; right = min(10, int(7 + 1)) = 8
        # -> range(8, 8) empty. inner (5+6+7+8)/4 = 6.5, outer q[3] = 4.
        (4, 7, 0.25, 2.5),
        # Exclusive right end: n=4, lam=.5: left = int(4 - 2) = 2 -> {2, 3};
        # right = int(7 + 2) = 9 -> range(8, 9) = {8} (frame 9 NOT included).
        # outer (3 + 4 + 9) / 3 = 16/3; 6.5 - 16/3 = 7/6.
        (4, 7, 0.5, 7 / 6),
        # Truncation at 0 and F: n=8, lam=.5: left = max(0, int(1 - 4)) = 0
        # -> {0}; right = min(10, int(8 + 4) = 12) = 10 -> {9}.
        # inner mean(2..9) = 5.5, outer (1 + 10) / 2 = 5.5 -> 0.
        (1, 8, 0.5, 0.0),
        # int() of a positive fraction truncates: n=3: int(5 - .75) = 4
        # -> {4}; int(7 + .75) = 7 -> range(8, 7) empty. 7 - 5 = 2.
        (5, 7, 0.25, 2.0),
        # int() of a negative value truncates towards zero: int(0 - .5) = 0
        # -> range(0, 0) empty; right int(1.5) = 1 -> empty. Empty outer
        # has mean 0: contrast = inner = (1 + 2) / 2 = 1.5.
        (0, 1, 0.25, 1.5),
        # int(1 - 1.5) = int(-.5) = 0 -> {0}; int(6 + 1.5) = 7 -> range(7, 7)
        # empty. inner mean(2..7) = 4.5, outer 1 -> 3.5.
        (1, 6, 0.25, 3.5),
        # Right truncation at F: n=2, lam=1: left int(8 - 2) = 6 -> {6, 7};
        # right min(10, 11) = 10 -> range(10, 10) empty. 9.5 - 7.5 = 2.
        (8, 9, 1.0, 2.0),
        # Right side non-empty: n=4, lam=1: left int(2 - 4) -> 0 -> {0, 1};
        # right int(5 + 4) = 9 -> {6, 7, 8}. inner (3+4+5+6)/4 = 4.5;
        # outer (1 + 2 + 7 + 8 + 9) / 5 = 5.4 -> -0.9.
        (2, 5, 1.0, -0.9),
    ])
def test_contrast_hand_computed(start, end, lam, expected):
    got = contrast_scores(Q[None], [0], [start], [end], lam)
    np.testing.assert_allclose(got, [expected], rtol=0, atol=1e-12)


def test_contrast_selects_rows():
    seq = np.stack([Q, -Q])
    got = contrast_scores(seq, [1, 0], [4, 4], [7, 7], 0.25)
    np.testing.assert_allclose(got, [-2.5, 2.5], rtol=0, atol=1e-12)


def test_contrast_precise_on_long_offset_sequence():
    # Values ~1000 over 20000 frames: an un-centred prefix sum reaches 2e7
    # (ulp ~4e-9); the centred one must still match a direct mean to 1e-12.
    rng = np.random.default_rng(1)
    q = 1000.0 + rng.random(20000)
    starts = rng.integers(0, 19990, 200)
    ends = starts + rng.integers(0, 9, 200)
    got = contrast_scores(q[None], np.zeros(200, int), starts, ends, 0.25)
    for g, s, e in zip(got, starts, ends):
        n = e - s + 1
        outer = list(range(max(0, int(s - 0.25 * n)), s)) + list(
            range(e + 1, min(q.size, int(e + 0.25 * n))))
        ref = q[s:e + 1].mean() - (q[outer].mean() if outer else 0.0)
        assert abs(g - ref) < 1e-12


# ---------------------------------------------------------------------- #
# threshold proposals
# ---------------------------------------------------------------------- #
CAS_UP = np.array([[0.05, 0.3, 0.6, 0.2, -0.1, 0.5, 0.5, 0.0]])  # F = 8


def test_threshold_proposals_hand_computed():
    # p = .5, gamma = .2 -> + .1; lam = .25.
    # theta=0: seq = [.05,.3,.6,.2,0,.5,.5,0] (-.1 -> 0); runs [0,3], [5,6].
    #   [0,3] n=4: inner 1.15/4 = .2875; left int(-1) -> 0 (empty); right
    #   int(3 + 1) = 4 -> empty. score .2875 + .1 = .3875.
    #   [5,6] n=2: inner .5; left int(4.5) = 4 -> {4}: THRESHOLDED seq[4] = 0
    #   (raw -.1); right int(6.5) = 6 -> empty. score .5 - 0 + .1 = .6.
    # theta=.25: seq = [0,.3,.6,0,0,.5,.5,0]; runs [1,2], [5,6].
    #   [1,2]: inner .45; left int(.5) = 0 -> {0}: seq[0] = 0 (raw .05);
    #   score .55.  [5,6]: as above .6.
    props = threshold_proposals(CAS_UP, [0.5], [0.0, 0.25], 0.25, 0.2)
    _check(props, [(0, 0, 0, 3, 0.3875), (0, 0, 5, 6, 0.6), (0, 1, 1, 2, 0.55),
                   (0, 1, 5, 6, 0.6)])


def test_threshold_proposals_outer_scored_on_thresholded_seq():
    # lam = 1.
    # theta=0, [5,6] n=2: left int(3) -> {3, 4} = [.2, 0 (raw -.1)];
    #   right min(8, int(8)) = 8 -> {7} = [0]. outer .2/3.
    #   .5 - .2/3 + .1 = .5333...
    # theta=0, [0,3] n=4: left empty; right int(7) -> {4,5,6} = [0,.5,.5]
    #   outer 1/3; .2875 - 1/3 + .1 = .0541666...
    # theta=.25, [1,2] n=2: left {0} = [0 (raw .05)], right int(4) -> {3} =
    #   [0 (raw .2)] -> outer 0 -> .45 + .1 = .55 (raw CAS would give .425).
    # theta=.25, [5,6]: left {3,4} = [0,0], right {7} = [0] -> .6.
    props = threshold_proposals(CAS_UP, [0.5], [0.0, 0.25], 1.0, 0.2)
    _check(props, [(0, 0, 0, 3, 0.2875 - 1 / 3 + 0.1),
                   (0, 0, 5, 6, 0.5 - 0.2 / 3 + 0.1), (0, 1, 1, 2, 0.55),
                   (0, 1, 5, 6, 0.6)])


def test_threshold_proposals_value_equal_to_threshold_is_kept():
    # "values < theta set to 0": a value equal to theta survives.
    props = threshold_proposals(
        np.array([[0.0, 0.5, 0.0]]), [0.0], [0.5], 0.25, 0.0)
    _check(props, [(0, 0, 1, 1, 0.5)])


def test_threshold_proposals_class_major_order_and_gamma():
    cas_up = np.stack([CAS_UP[0], CAS_UP[0]])
    props = threshold_proposals(cas_up, [0.5, 0.25], [0.25], 0.25, 0.2)
    # Class 1 has p = .25 -> +.05 instead of +.1.
    _check(props, [(0, 0, 1, 2, 0.55), (0, 0, 5, 6, 0.6), (1, 0, 1, 2, 0.5),
                   (1, 0, 5, 6, 0.55)])


def test_threshold_proposals_empty_inputs():
    assert threshold_proposals(np.zeros((0, 8)), [], [0.0], 0.25,
                               0.2).scores.size == 0
    assert threshold_proposals(CAS_UP, [0.5], [], 0.25, 0.2).scores.size == 0
    # All-negative CAS: nothing survives any threshold >= 0.
    assert threshold_proposals(-np.ones((1, 8)), [0.5], [0.0], 0.25,
                               0.2).scores.size == 0


# ---------------------------------------------------------------------- #
# magnitude proposals
# ---------------------------------------------------------------------- #
MAG_UP = np.array([0.0, 0.4, 0.9, 0.9, 0.2, 0.35, 0.0, 0.5])
CAS2 = np.array([[0.1, -0.2, 0.8, 0.6, 0.4, 0.0, 0.3, 0.2], [0.5] * 8])


def test_magnitude_proposals_hand_computed():
    # theta=.3: mag >= .3 -> [0,1,1,1,0,1,0,1]: runs [1,3], [5,5], [7,7].
    # theta=.8: [0,0,1,1,0,0,0,0]: run [2,3]. lam = .25, gamma = .2.
    # Class 0 (p = .5 -> +.1), scored on the UN-thresholded CAS row:
    #   [1,3] n=3: inner (-.2 + .8 + .6)/3 = .4 (the negative value counts);
    #     left int(.25) = 0 -> {0} = .1; right int(3.75) = 3 -> empty.
    #     .4 - .1 + .1 = .4
    #   [5,5]: inner 0; left int(4.75) = 4 -> {4} = .4 -> 0 - .4 + .1 = -.3
    #   [7,7]: inner .2; left int(6.75) = 6 -> {6} = .3 -> .2 - .3 + .1 = 0
    #   [2,3] n=2: inner .7; left int(1.5) = 1 -> {1} = -.2 -> .7 + .2 + .1
    # Class 1 (constant .5, p = .3 -> +.06): every contrast is 0 -> .06.
    props = magnitude_proposals(MAG_UP, CAS2, [0.5, 0.3], [0.3, 0.8], 0.25,
                                0.2)
    _check(props, [(0, 0, 1, 3, 0.4), (0, 0, 5, 5, -0.3), (0, 0, 7, 7, 0.0),
                   (0, 1, 2, 3, 1.0), (1, 0, 1, 3, 0.06), (1, 0, 5, 5, 0.06),
                   (1, 0, 7, 7, 0.06), (1, 1, 2, 3, 0.06)])


def test_magnitude_proposals_exclude_zero_magnitude():
    # theta = 0: mag >= 0 holds everywhere, but mag > 0 removes frames 0, 6.
    props = magnitude_proposals(MAG_UP, CAS2[1:], [0.0], [0.0], 0.25, 0.0)
    assert [(s, e) for _, _, s, e, _ in _as_tuples(props)] == [(1, 5), (7, 7)]


def test_magnitude_proposals_length_mismatch():
    with pytest.raises(ValueError, match='magnitude has 7 frames'):
        magnitude_proposals(MAG_UP[:7], CAS2, [0.5, 0.3], [0.3], 0.25, 0.2)


def test_video_class_probs_without_background():
    from backtal_mmaction.models.postprocessing.proposals import \
        video_class_probs
    scores = np.array([1.0, 0.0, 5.0])
    # softmax over the two action logits only: e / (e + 1), 1 / (e + 1)
    e = np.e
    np.testing.assert_allclose(video_class_probs(scores, False),
                               [e / (e + 1), 1 / (e + 1)])
    # BackTAL's rule keeps the background in the denominator
    np.testing.assert_allclose(video_class_probs(scores),
                               [e / (e + 1 + e**5), 1 / (e + 1 + e**5)])
