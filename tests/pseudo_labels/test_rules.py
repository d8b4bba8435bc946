"""Pseudo-label rules on hand-made detections and clicks, the GT file they
make, and the tool end to end on a trained tiny model."""
import json

import numpy as np
import pytest

from backtal_mmaction.pseudo_labels import (PseudoLabelRules, build_pseudo_gt,
                                            cover_action_clicks,
                                            cut_at_background_clicks,
                                            pseudo_label_video,
                                            select_detections)


def test_select_keeps_labelled_classes_confident_and_distinct():
    segs = [[0, 10], [20, 30], [40, 50], [1, 10], [60, 70]]
    scores = [10, 6, 4, 9, 20]
    labels = [0, 0, 0, 0, 1]  # class 1 is not in the video label
    out_s, w, lab = select_detections(segs, scores, labels, [0],
                                      PseudoLabelRules(rel_score_thr=0.5,
                                                       nms_thr=0.3))
    # 4 (rel 0.4) is below 0.5; [1, 10] overlaps [0, 10] (tIoU 0.9) and
    # goes to NMS; class 1 is dropped although it scores best
    assert out_s.tolist() == [[0, 10], [20, 30]]
    assert w.tolist() == pytest.approx([1.0, 0.6])
    assert lab.tolist() == [0, 0]
    top1 = select_detections(segs, scores, labels, [0],
                             PseudoLabelRules(rel_score_thr=0.0, topk=1))
    assert top1[0].tolist() == [[0, 10]]


def test_select_keeps_each_class_best_even_with_negative_scores():
    segs = [[0, 1], [2, 3], [5, 6]]
    out_s, w, lab = select_detections(segs, [-5.0, -1.0, -3.0], [1, 1, 1],
                                      [1], PseudoLabelRules(rel_score_thr=1))
    # shifted by the lowest score: (-1 + 5) / (-1 + 5) = 1 for the best
    assert out_s.tolist() == [[2, 3]] and w.tolist() == [1.0]
    single = select_detections([[0, 1]], [-2.0], [0], [0],
                               PseudoLabelRules())
    assert single[1].tolist() == [1.0]
    with pytest.raises(ValueError, match='rel_score_thr'):
        PseudoLabelRules(rel_score_thr=1.5)


def test_action_clicks_are_covered_by_their_class():
    segs = np.array([[4.0, 8.0]])
    w, lab = np.array([0.8]), np.array([0])
    rules = PseudoLabelRules(click_segment_length=3.0, click_weight=1.0)
    out_s, out_w, out_l = cover_action_clicks(
        segs, w, lab, click_times=[5.0, 5.0, 30.0, 0.5],
        click_labels=[0, 1, 0, 2], duration=40.0, lengths={0: 2.0},
        rules=rules)
    # 5.0/class 0 is covered; 5.0/class 1 is not (only a class-0 segment);
    # 30.0/class 0 gets the class median 2 s; 0.5/class 2 the default 3 s,
    # clipped at 0
    assert out_s.tolist() == [[4, 8], [3.5, 6.5], [29, 31], [0, 2.0]]
    assert out_l.tolist() == [0, 1, 0, 2]
    assert out_w.tolist() == [0.8, 1.0, 1.0, 1.0]


def _cut_loop(segments, weights, labels, clicks, min_length):
    """Reference: one segment and one click at a time."""
    out = []
    for (s, e), w, c in zip(segments, weights, labels):
        cuts = [t for t in sorted(clicks) if s < t < e]
        bounds = [s] + cuts + [e]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if b - a > min_length:
                out.append((a, b, w, c))
    return out


def test_background_clicks_cut_segments_by_hand():
    segs = np.array([[0.0, 10.0], [20.0, 24.0], [30.0, 31.0]])
    out_s, w, lab = cut_at_background_clicks(
        segs, np.array([1.0, 0.5, 0.7]), np.array([0, 1, 2]),
        click_times=[7.0, 3.0, 24.0, 50.0], min_length=0.0)
    # clicks 3 and 7 cut [0, 10] in three; 24 is on a boundary (no cut);
    # 50 is outside every segment
    assert out_s.tolist() == [[0, 3], [3, 7], [7, 10], [20, 24], [30, 31]]
    assert w.tolist() == [1, 1, 1, 0.5, 0.7]
    assert lab.tolist() == [0, 0, 0, 1, 2]
    short = cut_at_background_clicks(segs, np.ones(3), np.zeros(3),
                                     [7.0, 3.0], min_length=3.5)
    assert short[0].tolist() == [[3, 7], [20, 24]]  # 3 s pieces dropped


def test_background_cut_equals_loop_reference():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(0, 8))
        s = rng.uniform(0, 90, n)
        segs = np.stack([s, s + rng.uniform(0.1, 20, n)], 1)
        clicks = np.round(rng.uniform(0, 110, int(rng.integers(0, 10))), 1)
        w, lab = rng.uniform(0.1, 1, n), rng.integers(0, 3, n)
        min_len = float(rng.choice([0.0, 1.0, 3.0]))
        out_s, out_w, out_l = cut_at_background_clicks(segs, w, lab, clicks,
                                                       min_len)
        ref = _cut_loop(segs, w, lab, clicks, min_len)
        got = [(a, b, x, c) for (a, b), x, c in zip(out_s, out_w, out_l)]
        assert got == ref


def test_no_pseudo_segment_contains_a_background_click():
    rules = PseudoLabelRules(rel_score_thr=0.0, nms_thr=0.9)
    det = dict(segments=[[0, 20], [5, 15], [30, 60]], scores=[3, 2, 1],
               labels=[0, 1, 0])
    bg = [4.0, 12.0, 45.0]
    out = pseudo_label_video(det, [0, 1], 60.0, rules, background_clicks=bg)
    for s, e in out['segments']:
        assert not any(s < t < e for t in bg)
    assert out['segments'].tolist() == [[0, 4], [4, 12], [5, 12], [12, 15],
                                        [12, 20], [30, 45], [45, 60]]


def test_pseudo_gt_file_reads_with_click_tal_dataset(tmp_path):
    from backtal_mmaction.datasets import ClickTALDataset
    videos = [dict(name='v1', subset='train', duration=60.0, fps=30.0,
                   video_labels=[1],
                   detections=dict(segments=[[10, 20], [30, 40]],
                                   scores=[2.0, 1.5], labels=[1, 1]),
                   click_times=[15.0, 35.0], click_labels=[2, 1]),
              dict(name='v2', subset='train', duration=30.0, fps=25.0,
                   video_labels=[0],
                   detections=dict(segments=[[1, 5]], scores=[0.3],
                                   labels=[0]),
                   click_times=[], click_labels=[])]
    gt = build_pseudo_gt(videos, ['Jump', 'Dive'],
                         PseudoLabelRules(min_length=1.0))
    # v1: [10, 20] cut at the background click 15; action click 35 (class 1)
    # is covered by [30, 40]
    ann = gt['database']['v1']['annotations']
    assert [a['segment'] for a in ann] == [[10, 15], [15, 20], [30, 40]]
    assert [a['score'] for a in ann] == pytest.approx([1, 1, 0.75])
    assert {a['label'] for a in ann} == {'Dive'}
    path = tmp_path / 'pseudo_gt.json'
    path.write_text(json.dumps(gt))
    ds = ClickTALDataset(str(path), pipeline=[], subset='train',
                         check_files=False)
    assert ds.metainfo['classes'] == ('Jump', 'Dive') or list(
        ds.metainfo['classes']) == ['Jump', 'Dive']
    info = {ds[i]['video_name']: ds[i] for i in range(len(ds))}
    assert np.allclose(info['v1']['gt_segments'],
                       [[10, 15], [15, 20], [30, 40]])
    assert info['v2']['gt_labels'].tolist() == [0]


def test_pseudo_gt_scores_reach_the_detector_as_weights(tmp_path):
    from mmengine.registry import init_default_scope

    from backtal_mmaction.datasets import ClickTALDataset
    from backtal_mmaction.datasets.transforms import \
        PackClickLocalizationInputs
    gt = dict(activity_list=['A'], database=dict(v=dict(
        subset='train', duration=10.0, fps=30,
        annotations=[dict(segment=[1, 2], label='A', score=0.25),
                     dict(segment=[5, 8], label='A', score=1.0)])))
    path = tmp_path / 'p.json'
    path.write_text(json.dumps(gt))
    ds = ClickTALDataset(str(path), pipeline=[], check_files=False)
    info = ds[0]
    assert info['gt_scores'].tolist() == [0.25, 1.0]
    info['features'] = np.zeros((4, 10), np.float32)
    sample = PackClickLocalizationInputs()(info)['data_samples']
    assert sample.gt_instances.scores.tolist() == [0.25, 1.0]
    init_default_scope('mmaction')
    from tests.helpers.models import build_anchor_free
    segs, labels, weights, valid = build_anchor_free()._segments_in_snippets(
        [sample], 10, 'cpu')
    assert weights.tolist() == [[0.25, 1.0]]
    gt['database']['v']['annotations'][0]['score'] = 1.5
    path.write_text(json.dumps(gt))
    with pytest.raises(ValueError, match=r'annotations\[0\].score'):
        ClickTALDataset(str(path), pipeline=[], check_files=False)
    del gt['database']['v']['annotations'][0]['score']
    path.write_text(json.dumps(gt))
    with pytest.raises(ValueError, match='every annotation'):
        ClickTALDataset(str(path), pipeline=[], check_files=False)


@pytest.mark.parametrize('kwargs,message', [
    (dict(nms_thr=2), r'`nms_thr` must be in \[0, 1\], got 2'),
    (dict(nms_thr=-0.1), r'`nms_thr` must be in \[0, 1\], got -0.1'),
    (dict(topk=2.5), '`topk` must be an integer, got 2.5'),
    (dict(topk=True), '`topk` must be an integer, got True'),
    (dict(topk=0), '`topk` must be >= 1, got 0'),
    (dict(min_length=float('nan')), '`min_length` must be a finite number'),
    (dict(min_length=-1), '`min_length` must be >= 0, got -1'),
    (dict(click_segment_length=float('inf')),
     '`click_segment_length` must be a finite number'),
    (dict(click_weight=0), r'`click_weight` must be in \(0, 1\], got 0'),
    (dict(rel_score_thr='0.5'), "`rel_score_thr` must be a number, got "
     "'0.5'"),
    (dict(instance_seeds='yes'), "`instance_seeds` must be True or False"),
    (dict(seed_rules=dict(max_span=-1)),
     '`seed_rules`: ClickSeedRules: `max_span` must be > 0, got -1'),
    (dict(seed_rules=dict(span=3)),
     r"`seed_rules`: unknown ClickSeedRules setting\(s\) \['span'\]"),
])
def test_rules_out_of_range_name_the_keyword(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PseudoLabelRules(**kwargs)


def test_rules_from_a_config_dict_name_where_they_came_from():
    assert PseudoLabelRules.from_dict(None) == PseudoLabelRules()
    assert PseudoLabelRules.from_dict(dict(topk=3)).topk == 3
    with pytest.raises(ValueError, match=r"^two_stage.pseudo_labels: "
                       r"unknown PseudoLabelRules setting\(s\) \['nms'\]; "
                       r"known: \['rel_score_thr'"):
        PseudoLabelRules.from_dict(dict(nms=0.5), 'two_stage.pseudo_labels')
    with pytest.raises(ValueError, match='^x: PseudoLabelRules: `nms_thr`'):
        PseudoLabelRules.from_dict(dict(nms_thr=1.5), 'x')
    with pytest.raises(ValueError, match='^x must be a dict'):
        PseudoLabelRules.from_dict([1], 'x')
