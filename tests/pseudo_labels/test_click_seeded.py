"""Instance-level pseudo-segments seeded by action clicks: the contrast
search against a brute-force loop, hand-made curves with walls, the
split's weights, and rule 7 of the pseudo-label rules."""
import numpy as np
import pytest

from backtal_mmaction.pseudo_labels import PseudoLabelRules, build_pseudo_gt
from backtal_mmaction.pseudo_labels import (ClickSeedRules,
                                            best_contrast_range,
                                            click_seeded_segments,
                                            detection_class_curves,
                                            normalise_weights,
                                            softmax_class_curves)


def _brute(curve, p, lo, hi, ratio):
    """The contrast of every range by its definition, shortest-then-
    earliest on ties."""
    T, best = len(curve), None
    for n in range(1, hi - lo + 2):
        for s in range(lo, p + 1):
            e = s + n - 1
            if e < p or e > hi:
                continue
            m = max(1, int(np.round(ratio * n)))
            outer = list(curve[max(0, s - m):s]) + list(curve[e + 1:
                                                              min(T, e + 1 +
                                                                  m)])
            c = curve[s:e + 1].mean() - (np.mean(outer) if outer else 0.0)
            if best is None or c > best[2] + 1e-12:
                best = (s, e, c)
    return best


@pytest.mark.parametrize('seed', range(5))
def test_contrast_search_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    curve = rng.random(40)
    p = int(rng.integers(5, 35))
    lo, hi = int(rng.integers(0, p + 1)), int(rng.integers(p, 40))
    s, e, c = best_contrast_range(curve, p, lo, hi, 0.25)
    bs, be, bc = _brute(curve, p, lo, hi, 0.25)
    assert (s, e) == (bs, be)
    assert c == pytest.approx(bc)


def test_plateau_found_exactly():
    # a plateau of 1 on snippets 10..19 of a 0 curve: inner 1, outer 0 at
    # exactly the plateau; any larger range dilutes, any smaller one has
    # plateau in its outer margin
    curve = np.zeros(40)
    curve[10:20] = 1.0
    s, e, c = best_contrast_range(curve, 14, 0, 39, 0.25)
    assert (s, e, c) == (10, 19, 1.0)


def test_walls_bound_the_segment_and_same_class_clicks_split():
    # T = 40 snippets over 40 s: snippet k is [k, k+1) s; one plateau
    # 10..29 holding two same-class clicks (at 12.5 and 25.5 s) and a
    # background click at 15.2 s between... no: background at 27.7 s
    curve = np.zeros((2, 40))
    curve[1, 10:30] = 1.0
    out = click_seeded_segments(curve, 40.0, [12.5, 25.5], [1, 1],
                                background_times=[27.7])
    segs = out['segments']
    assert out['labels'].tolist() == [1, 1]
    # first click: the plateau start, right wall = the next click (25.5);
    # second: left wall 12.5, right wall the background click 27.7
    assert segs[0, 0] == pytest.approx(10.0)
    assert segs[1, 1] == pytest.approx(27.7)
    # no overlap, each contains its click, none contains the bg click
    assert segs[0, 1] <= segs[1, 0]
    assert segs[0, 0] <= 12.5 <= segs[0, 1]
    assert segs[1, 0] <= 25.5 <= segs[1, 1]
    assert not ((segs[:, 0] < 27.7) & (27.7 < segs[:, 1])).any()


def test_flat_curve_falls_back_to_a_centred_segment():
    rules = ClickSeedRules(min_contrast=0.01, fallback_length=4.0)
    out = click_seeded_segments(np.full((1, 20), 0.3), 20.0, [10.0], [0],
                                background_times=[11.0], rules=rules)
    # contrast 0 < 0.01: [8, 12] clipped at the wall 11
    assert out['segments'].tolist() == [[8.0, 11.0]]
    assert np.isnan(out['contrast'][0])


def test_bad_clicks_are_named():
    with pytest.raises(ValueError, match='labels'):
        click_seeded_segments(np.zeros((2, 5)), 5.0, [1.0], [0, 1])
    with pytest.raises(ValueError, match=r'\[0, 2\)'):
        click_seeded_segments(np.zeros((2, 5)), 5.0, [1.0], [2])
    with pytest.raises(ValueError, match='outer_ratio'):
        ClickSeedRules(outer_ratio=0)


def test_softmax_curves_and_detection_curves():
    cas = np.log(np.array([[1.0, 3.0], [1.0, 1.0], [2.0, 0.0 + 1e-300]]))
    curves = softmax_class_curves(cas)
    assert curves.shape == (2, 2)
    assert curves[:, 0] == pytest.approx([0.25, 0.25])
    assert curves[:, 1] == pytest.approx([0.75, 0.25])
    # 4 snippets over 4 s, centres 0.5 .. 3.5; class 1 covers [0.4, 1.6]
    # with score 2 (the best), class 0 covers [2, 4] with score 1
    c = detection_class_curves([[0.4, 1.6], [2, 4]], [2.0, 1.0], [1, 0], 2,
                               4, 4.0)
    assert c.tolist() == [[0, 0, 0.5, 0.5], [1, 1, 0, 0]]


def test_weights_relative_to_the_class_best_over_the_split():
    w = normalise_weights([np.array([0.2, 0.4]), np.array([0.1, np.nan])],
                          [np.array([0, 0]), np.array([1, 0])], 0.1)
    assert w[0].tolist() == pytest.approx([0.5, 1.0])
    assert w[1].tolist() == pytest.approx([1.0, 0.1])


def test_rule7_one_segment_per_click_replaces_the_class_detections():
    C, T = 2, 30
    curves = np.zeros((C, T))
    curves[0, 5:10] = 0.9
    curves[0, 20:25] = 0.8
    video = dict(
        name='v', subset='train', duration=30.0, fps=30,
        video_labels=[0, 1],
        # one long class-0 detection merging both instances, one class-1
        detections=dict(segments=np.array([[4.0, 26.0], [12.0, 16.0]]),
                        scores=np.array([0.9, 0.7]),
                        labels=np.array([0, 1])),
        click_times=np.array([7.5, 22.2, 15.0]),
        click_labels=np.array([0, 0, C]),  # two class-0 clicks, one bg
        curves=curves)
    gt = build_pseudo_gt([video], ['a', 'b'],
                         PseudoLabelRules(instance_seeds=True))
    anns = gt['database']['v']['annotations']
    by_label = {}
    for a in anns:
        by_label.setdefault(a['label'], []).append(a['segment'])
    assert by_label['a'] == [[5.0, 10.0], [20.0, 25.0]]
    # class 1 has no action click: its detection, cut at the bg click 15
    assert by_label['b'] == [[12.0, 15.0], [15.0, 16.0]]
    assert gt['pseudo_labels']['click_seeded_segments'] == 2
    # weights: contrast 0.9 and 0.8 relative to the class best 0.9
    ws = sorted(a['score'] for a in anns if a['label'] == 'a')
    assert ws == pytest.approx([0.8 / 0.9, 1.0])
    # without instance seeds the old rules are unchanged
    old = build_pseudo_gt([video], ['a', 'b'], PseudoLabelRules())
    assert [a['segment'] for a in old['database']['v']['annotations']
            if a['label'] == 'a'] == [[4.0, 15.0], [15.0, 26.0]]
