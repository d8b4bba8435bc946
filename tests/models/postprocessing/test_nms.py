"""Temporal NMS: hand-made pairs and loop references."""
import math

import numpy as np
import pytest

from backtal_mmaction.models.postprocessing.nms import (overlapping_pairs,
                                                        segment_iou, soft_nms,
                                                        temporal_nms)


def _ref_iou(a, b, mode):
    off = 1.0 if mode == 'official' else 0.0
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]) + off)
    union = (a[1] - a[0] + off) + (b[1] - b[0] + off) - inter
    return inter / union if union > 0 else 0.0


def _ref_nms(segs, scores, labels, thr, mode):
    """Textbook greedy NMS with a double Python loop."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    suppressed, keep = set(), []
    for pos, i in enumerate(order):
        if i in suppressed:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            if labels[j] == labels[i] and _ref_iou(segs[i], segs[j],
                                                   mode) > thr:
                suppressed.add(j)
    return keep


def _ref_soft_nms(segs, scores, labels, method, sigma, iou_thr, min_score,
                  mode):
    cur = list(map(float, scores))
    pool = [i for i in range(len(cur)) if cur[i] >= min_score]
    keep, kept = [], []
    while pool:
        best = max(pool, key=lambda i: (cur[i], -i))
        keep.append(best)
        kept.append(cur[best])
        pool.remove(best)
        for j in pool:
            if labels[j] != labels[best]:
                continue
            iou = _ref_iou(segs[best], segs[j], mode)
            if method == 'gaussian':
                cur[j] *= math.exp(-iou * iou / sigma)
            elif iou > iou_thr:
                cur[j] *= 1.0 - iou
        pool = [j for j in pool if cur[j] >= min_score]
    return keep, kept


def _random_boxes(seed, n, num_labels=3, quantize=False):
    rng = np.random.default_rng(seed)
    start = rng.random(n) * 20
    length = rng.random(n) * 4 + 0.05
    if quantize:
        # Many identical boxes / scores: exercises ties.
        start, length = np.round(start), np.round(length) + 1
    segs = np.stack([start, start + length], 1)
    scores = rng.random(n)
    if quantize:
        scores = np.round(scores, 1)
    labels = rng.integers(0, num_labels, n)
    return segs, scores, labels


# ---------------------------------------------------------------------- #
# IoU
# ---------------------------------------------------------------------- #
def test_segment_iou_standard_vs_official():
    # Two 1 s segments overlapping by 0.4 s.
    # standard: .4 / (1 + 1 - .4) = .25
    # official: inter = .4 + 1 = 1.4, area = 2 each: 1.4 / (4 - 1.4) = .5385
    a, b = np.array([0.0, 1.0]), np.array([[0.6, 1.6]])
    np.testing.assert_allclose(segment_iou(a, b, 'standard'), [0.25])
    np.testing.assert_allclose(segment_iou(a, b, 'official'), [1.4 / 2.6])


def test_segment_iou_disjoint_and_degenerate():
    a = np.array([0.0, 1.0])
    b = np.array([[2.0, 3.0], [1.5, 2.5], [5.0, 5.0]])
    # standard: all disjoint -> 0; official: gap .5 < 1 s still "overlaps":
    # inter = 1 - 1.5 + 1 = .5, union 2 + 2 - .5 = 3.5.
    np.testing.assert_allclose(segment_iou(a, b, 'standard'), [0, 0, 0])
    np.testing.assert_allclose(
        segment_iou(a, b, 'official'), [0.0, 0.5 / 3.5, 0.0])
    # Zero-length vs zero-length: union 0 -> defined as 0, not NaN.
    assert segment_iou(np.array([1.0, 1.0]), np.array([[1.0, 1.0]]))[0] == 0


def test_unknown_mode_lists_valid_modes():
    with pytest.raises(ValueError, match="'standard', 'official'"):
        temporal_nms(np.zeros((1, 2)), [1.0], [0], 0.5, mode='cuda')
    with pytest.raises(ValueError, match='valid modes'):
        segment_iou(np.zeros(2), np.zeros((1, 2)), mode='x')


# ---------------------------------------------------------------------- #
# greedy NMS
# ---------------------------------------------------------------------- #
def test_official_and_standard_nms_differ_on_crafted_pair():
    segs = np.array([[0.0, 1.0], [0.6, 1.6]])
    scores, labels = np.array([0.9, 0.8]), np.array([0, 0])
    # standard iou .25 <= .5 keeps both; official .538 > .5 suppresses B.
    assert temporal_nms(segs, scores, labels, 0.5).tolist() == [0, 1]
    assert temporal_nms(segs, scores, labels, 0.5, 'official').tolist() == [0]
    # Different classes never suppress each other.
    assert temporal_nms(segs, scores, [0, 1], 0.5,
                        'official').tolist() == [0, 1]


def test_official_nms_suppresses_non_overlapping_neighbours():
    # Gap of .5 s: official iou = .5 / 3.5 = .143 > .1; standard iou 0.
    segs = np.array([[1.5, 2.5], [0.0, 1.0]])
    assert temporal_nms(segs, [0.9, 0.8], [3, 3], 0.1,
                        'official').tolist() == [0]
    assert temporal_nms(segs, [0.9, 0.8], [3, 3], 0.1).tolist() == [0, 1]


def test_nms_threshold_is_strict():
    # iou = 1 / 2 exactly: suppressed only for thr < .5.
    segs = np.array([[0.0, 2.0], [0.0, 1.0]])
    assert temporal_nms(segs, [0.9, 0.8], [0, 0], 0.5).tolist() == [0, 1]
    assert temporal_nms(segs, [0.9, 0.8], [0, 0], 0.49).tolist() == [0]


def test_nms_suppressed_box_does_not_suppress():
    # thr .4: A suppresses B (.8 / 1.2 = .667); B would suppress C
    # (.6 / 1.4 = .43) but is gone; A-C = .4 / 1.6 = .25 -> C survives.
    segs = np.array([[0.0, 1.0], [0.2, 1.2], [0.6, 1.6]])
    keep = temporal_nms(segs, [0.9, 0.8, 0.7], [0] * 3, 0.4)
    assert keep.tolist() == [0, 2]


def test_nms_stable_ties_and_output_order():
    # Identical boxes and scores: the first in input order survives.
    segs = np.array([[5.0, 6.0], [0.0, 1.0], [0.0, 1.0]])
    assert temporal_nms(segs, [0.1, 0.5, 0.5], [0] * 3, 0.5).tolist() == [1, 0]


def test_nms_empty():
    keep = temporal_nms(np.zeros((0, 2)), np.zeros(0), np.zeros(0, int), 0.5)
    assert keep.dtype == np.int64 and keep.size == 0


@pytest.mark.parametrize('mode', ['standard', 'official'])
@pytest.mark.parametrize('seed', range(6))
def test_nms_matches_double_loop(seed, mode):
    segs, scores, labels = _random_boxes(seed, 150, quantize=seed % 2 == 1)
    for thr in (0.0, 0.3, 0.55, 0.7):
        keep = temporal_nms(segs, scores, labels, thr, mode)
        assert keep.tolist() == _ref_nms(segs.tolist(), scores.tolist(),
                                         labels.tolist(), thr, mode)


@pytest.mark.parametrize('mode', ['standard', 'official'])
def test_overlapping_pairs_complete(mode):
    segs, _, labels = _random_boxes(3, 80, num_labels=2)
    first, second = overlapping_pairs(segs, labels, mode)
    got = {tuple(sorted(p)) for p in zip(first.tolist(), second.tolist())}
    assert len(got) == first.size  # each pair once
    off = 1.0 if mode == 'official' else 0.0
    expected = {(i, j)
                for i in range(80)
                for j in range(i + 1, 80)
                if labels[i] == labels[j] and min(segs[i, 1], segs[j, 1]) -
                max(segs[i, 0], segs[j, 0]) + off > 0}
    assert got == expected


# ---------------------------------------------------------------------- #
# soft-NMS
# ---------------------------------------------------------------------- #
def test_soft_nms_gaussian_hand_computed():
    # iou([0,1], [.5,1.5]) = .5 / 1.5 = 1/3 -> .8 * exp(-(1/9) / .5)
    segs = np.array([[0.0, 1.0], [0.5, 1.5], [0.5, 1.5]])
    keep, sc = soft_nms(segs, [0.9, 0.8, 0.7], [0, 0, 1], 'gaussian', 0.5)
    # Box 2 has another label: undecayed .7 > decayed .8 * .8007 = .6406.
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(sc, [0.9, 0.7, 0.8 * math.exp(-2 / 9)])


def test_soft_nms_linear_threshold():
    segs = np.array([[0.0, 1.0], [0.5, 1.5]])
    # iou 1/3 > .3 -> .8 * (1 - 1/3) = .5333; iou 1/3 <= .4 -> unchanged.
    _, sc = soft_nms(segs, [0.9, 0.8], [0, 0], 'linear', iou_thr=0.3)
    np.testing.assert_allclose(sc, [0.9, 0.8 * 2 / 3])
    _, sc = soft_nms(segs, [0.9, 0.8], [0, 0], 'linear', iou_thr=0.4)
    np.testing.assert_allclose(sc, [0.9, 0.8])


def test_soft_nms_reorders_and_drops_below_min_score():
    # D overlaps C with iou .9 / 1.1: .85 * exp(-.818^2 / .5) = .2228 falls
    # below E (.5); with min_score .3 it is dropped; negative F never kept.
    segs = np.array([[0.0, 1.0], [0.1, 1.1], [5.0, 6.0], [8.0, 9.0]])
    scores = [0.9, 0.85, 0.5, -0.1]
    keep, sc = soft_nms(segs, scores, [0] * 4, 'gaussian', 0.5, min_score=0)
    assert keep.tolist() == [0, 2, 1]
    np.testing.assert_allclose(sc[2], 0.85 * math.exp(-(0.9 / 1.1)**2 / 0.5))
    keep, _ = soft_nms(segs, scores, [0] * 4, 'gaussian', 0.5, min_score=0.3)
    assert keep.tolist() == [0, 2]


@pytest.mark.parametrize('method', ['gaussian', 'linear'])
@pytest.mark.parametrize('mode', ['standard', 'official'])
def test_soft_nms_matches_loop_reference(method, mode):
    segs, scores, labels = _random_boxes(11, 60)
    keep, sc = soft_nms(segs, scores, labels, method, 0.5, 0.3, 0.05, mode)
    ref_keep, ref_sc = _ref_soft_nms(segs.tolist(), scores.tolist(),
                                     labels.tolist(), method, 0.5, 0.3, 0.05,
                                     mode)
    assert keep.tolist() == ref_keep
    np.testing.assert_allclose(sc, ref_sc, rtol=0, atol=1e-12)


def test_soft_nms_bad_args():
    with pytest.raises(ValueError, match="valid methods are \\('gaussian'"):
        soft_nms(np.zeros((1, 2)), [1.0], [0], method='hard')
    with pytest.raises(ValueError, match='sigma'):
        soft_nms(np.zeros((1, 2)), [1.0], [0], sigma=0)
    with pytest.raises(ValueError, match='same length'):
        soft_nms(np.zeros((2, 2)), [1.0], [0])


def test_matrix_nms_by_hand():
    from backtal_mmaction.models.postprocessing.nms import matrix_nms
    segs = np.array([[0, 10], [0, 5], [20, 30], [0, 10], [0, 4]], float)
    scores = np.array([1.0, 0.9, 0.8, 0.7, 0.85])
    labels = np.array([0, 0, 0, 1, 0])
    keep, dec = matrix_nms(segs, scores, labels, sigma=0.5, min_score=0.3)
    # B [0, 5]: iou 0.5 with A -> exp(-0.25 / 0.5); E [0, 4]: by A (iou
    # 0.4, cmax_A 0) exp(-0.32), by B (iou 0.8, cmax_B 0.5)
    # exp(-(0.64 - 0.25) / 0.5) = exp(-0.78), the smaller one wins
    expected = {0: 1.0, 1: 0.9 * np.exp(-0.5), 2: 0.8, 3: 0.7,
                4: 0.85 * np.exp(-0.78)}
    assert dict(zip(keep.tolist(), dec.tolist())) == pytest.approx(expected)
    assert keep.tolist() == [0, 2, 3, 1, 4]  # by decayed score
    keep, _ = matrix_nms(segs, scores, labels, sigma=0.5, min_score=0.5)
    assert 4 not in keep.tolist()
    # linear: (1 - iou) / (1 - cmax)
    keep, dec = matrix_nms(segs, scores, labels, method='linear')
    lin = dict(zip(keep.tolist(), dec.tolist()))
    assert lin[1] == pytest.approx(0.9 * 0.5)
    assert lin[4] == pytest.approx(0.85 * min(0.6, 0.2 / 0.5))


def test_matrix_nms_equals_soft_nms_without_chains():
    """Two overlapping boxes per label: both rules decay the second by the
    first alone."""
    from backtal_mmaction.models.postprocessing.nms import (matrix_nms,
                                                            soft_nms)
    rng = np.random.default_rng(0)
    s = rng.uniform(0, 100, 6)
    segs = np.stack([s, s + rng.uniform(1, 10, 6)], 1)
    segs[1::2] = segs[0::2] + rng.uniform(-1, 1, (3, 1))  # pairs overlap
    labels = np.repeat(np.arange(3), 2)
    segs[2:] += 1000 * labels[2:, None]  # labels far apart anyway
    scores = rng.uniform(0.1, 1, 6)
    k1, d1 = matrix_nms(segs, scores, labels)
    k2, d2 = soft_nms(segs, scores, labels)
    assert dict(zip(k1.tolist(), d1.tolist())) == pytest.approx(
        dict(zip(k2.tolist(), d2.tolist())))
