"""pseudo_label_quality: pseudo-segments against the real GT."""
import json
import math

import numpy as np
import pytest

from backtal_mmaction.datasets.gt_io import load_gt
from backtal_mmaction.evaluation.functional import (
    format_pseudo_label_quality, pseudo_label_quality)

from tests.helpers import SHARED_DATA

THUMOS = SHARED_DATA / 'gt_thumos14.json'


def gt_dict(videos, classes=('A', 'B'), with_scores=False):
    """``{video: [(start, end, label), ...]}`` -> ActivityNet-style dict."""
    database = {}
    for name, anns in videos.items():
        database[name] = dict(
            subset='val',
            duration=100.0,
            annotations=[
                dict(segment=[float(s), float(e)], label=lab,
                     **(dict(score=0.5) if with_scores else {}))
                for s, e, lab in anns
            ])
    return dict(database=database, activity_list=list(classes))


# The worked example. Best same-class tIoU of each pseudo-segment:
#   v1 A [10, 20] vs GT A [10, 20]: 1
#   v1 A [12, 22] vs GT A [10, 20]: inter 8 / union 12 = 0.667
#   v1 B [30, 40]: the GT at [30, 40] is class A; GT B [50, 60] is
#      disjoint -> 0 (the class matters)
#   v1 A [28, 44] vs GT A [30, 40]: inter 10 / union 16 = 0.625
#   v2 A [0, 8]   vs GT A [0, 4]: inter 4 / union 8 = 0.5 exactly (>= 0.5)
# -> precision@0.3 = 4/5, @0.5 = 4/5 (0.5 counts), @0.7 = 1/5.
# Best tIoU of each GT instance of v1, v2 (v3 has no pseudo entry, its
# instance is ignored):
#   A [10, 20]: 1; A [30, 40]: 0.625; B [50, 60]: 0; A [0, 4]: 0.5
# -> recall@0.3 = 3/4, @0.5 = 3/4, @0.7 = 1/4.
# Lengths: pseudo 10, 10, 10, 16, 8 -> median 10; GT 10, 10, 10, 4 ->
# median 10; ratio 1.
GT = gt_dict({
    'v1': [(10, 20, 'A'), (30, 40, 'A'), (50, 60, 'B')],
    'v2': [(0, 4, 'A')],
    'v3': [(0, 100, 'B')],
})
PSEUDO = gt_dict(
    {
        'v1': [(10, 20, 'A'), (12, 22, 'A'), (30, 40, 'B'), (28, 44, 'A')],
        'v2': [(0, 8, 'A')],
    },
    with_scores=True)
EXPECTED = {
    'num_videos': 2,
    'num_pseudo': 5,
    'num_gt': 4,
    'precision@0.30': 0.8,
    'recall@0.30': 0.75,
    'precision@0.50': 0.8,
    'recall@0.50': 0.75,
    'precision@0.70': 0.2,
    'recall@0.70': 0.25,
    'median_length_pseudo': 10.0,
    'median_length_gt': 10.0,
    'length_ratio': 1.0,
}


def test_worked_example():
    q = pseudo_label_quality(PSEUDO, GT)
    assert list(q) == list(EXPECTED)
    assert q == pytest.approx(EXPECTED)
    assert isinstance(q['num_pseudo'], int) and isinstance(q['num_gt'], int)


def test_format_line():
    q = pseudo_label_quality(PSEUDO, GT)
    assert format_pseudo_label_quality(q) == (
        'pseudo-labels vs GT: 5 segments / 4 instances; precision '
        '0.3/0.5/0.7: 80.0/80.0/20.0 %, recall 0.3/0.5/0.7: '
        '75.0/75.0/25.0 %, median length 10.0 s vs 10.0 s (1.0x)')


def test_custom_thresholds_and_key_format():
    q = pseudo_label_quality(PSEUDO, GT, tious=[0.6, 0.625])
    # 0.667 and 1 reach 0.6; 0.625 itself reaches 0.625 (>=)
    assert q['precision@0.60'] == pytest.approx(3 / 5)
    assert q['precision@0.625'] == pytest.approx(3 / 5)
    assert q['recall@0.625'] == pytest.approx(2 / 4)
    assert 'precision@0.30' not in q
    line = format_pseudo_label_quality(q)
    assert 'precision 0.6/0.625: 60.0/60.0 %' in line


def test_inputs_as_groundtruth_and_path(tmp_path):
    gt_path, pseudo_path = tmp_path / 'gt.json', tmp_path / 'pseudo.json'
    gt_path.write_text(json.dumps(GT))
    pseudo_path.write_text(json.dumps(PSEUDO))
    expected = pseudo_label_quality(PSEUDO, GT)
    assert pseudo_label_quality(load_gt(str(pseudo_path)),
                                load_gt(str(gt_path))) == expected
    assert pseudo_label_quality(str(pseudo_path), gt_path) == expected


def test_class_match_by_name_not_index():
    # the pseudo file lists the classes in the other order: same numbers
    swapped = dict(PSEUDO, activity_list=['B', 'A'])
    assert pseudo_label_quality(swapped, GT) == pseudo_label_quality(
        PSEUDO, GT)
    # a pseudo label the GT does not know never matches
    other = gt_dict({'v2': [(0, 4, 'C')]}, classes=('A', 'C'))
    q = pseudo_label_quality(other, GT)
    assert q['precision@0.30'] == 0 and q['recall@0.30'] == 0


def test_only_pseudo_videos_are_scored():
    # v3 (GT only) is ignored; GT of v1 alone
    q = pseudo_label_quality(gt_dict({'v1': [(50, 60, 'B')]}), GT)
    assert q['num_gt'] == 3 and q['num_videos'] == 1
    assert q['precision@0.50'] == 1.0
    assert q['recall@0.50'] == pytest.approx(1 / 3)


def test_not_one_to_one():
    # Two pseudo copies of one GT instance both count as precise, and one
    # long pseudo-segment may cover two GT instances (tIoU 0.5 each).
    gt = gt_dict({'v': [(0, 10, 'A'), (10, 20, 'A')]})
    q = pseudo_label_quality(
        gt_dict({'v': [(0, 10, 'A'), (0, 10, 'A')]}), gt)
    assert q['precision@0.70'] == 1.0 and q['recall@0.70'] == 0.5
    q = pseudo_label_quality(gt_dict({'v': [(0, 20, 'A')]}), gt)
    assert q['precision@0.50'] == 1.0 and q['recall@0.50'] == 1.0


def test_perfect_pseudo_labels():
    q = pseudo_label_quality(GT, GT)
    for key, value in q.items():
        if key.startswith(('precision@', 'recall@')):
            assert value == 1.0, key
    assert q['length_ratio'] == 1.0
    assert q['num_pseudo'] == q['num_gt'] == 5


def test_shifted_far_away_scores_zero():
    far = gt_dict({
        name: [(a['segment'][0] + 1000, a['segment'][1] + 1000, a['label'])
               for a in info['annotations']]
        for name, info in GT['database'].items()
    })
    q = pseudo_label_quality(far, GT)
    for key, value in q.items():
        if key.startswith(('precision@', 'recall@')):
            assert value == 0.0, key
    assert q['length_ratio'] == 1.0


def test_length_ratio():
    # pseudo-segments twice as long: medians 20 s vs 10 s
    gt = gt_dict({'v': [(0, 10, 'A'), (20, 30, 'A'), (40, 50, 'B')]})
    pseudo = gt_dict({'v': [(0, 20, 'A'), (20, 40, 'A'), (40, 60, 'B')]})
    q = pseudo_label_quality(pseudo, gt)
    assert (q['median_length_pseudo'], q['median_length_gt'],
            q['length_ratio']) == (20.0, 10.0, 2.0)
    assert format_pseudo_label_quality(q).endswith(
        'median length 20.0 s vs 10.0 s (2.0x)')


def test_empty_pseudo_video():
    q = pseudo_label_quality(gt_dict({'v2': []}), GT)
    assert q['num_pseudo'] == 0 and q['num_gt'] == 1
    assert math.isnan(q['precision@0.50']) and q['recall@0.50'] == 0.0
    assert math.isnan(q['median_length_pseudo'])
    assert math.isnan(q['length_ratio'])
    assert 'nan' in format_pseudo_label_quality(q)


def _brute_force(pseudo, gt, tious):
    """The definition with loops: best same-class tIoU, per segment."""
    def tiou(a, b):
        inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
        union = (a[1] - a[0]) + (b[1] - b[0]) - inter
        return inter / union if union > 0 else 0.0

    best_p, best_g = [], []
    for name, info in pseudo['database'].items():
        p_anns = info['annotations']
        g_anns = gt['database'][name]['annotations']
        for p in p_anns:
            best_p.append(max([tiou(p['segment'], g['segment'])
                               for g in g_anns if g['label'] == p['label']],
                              default=0.0))
        for g in g_anns:
            best_g.append(max([tiou(p['segment'], g['segment'])
                               for p in p_anns if g['label'] == p['label']],
                              default=0.0))
    out = {}
    for t in tious:
        out[t] = (np.mean(np.array(best_p) >= t),
                  np.mean(np.array(best_g) >= t))
    return out


def _random_db(rng, names, classes, n_max):
    videos = {}
    for name in names:
        n = rng.integers(0, n_max + 1)
        start = rng.integers(0, 60, n).astype(float)
        length = rng.integers(0, 20, n).astype(float)
        labels = rng.choice(classes, n)
        videos[name] = list(zip(start, start + length, labels))
    return gt_dict(videos, classes=classes)


def test_matches_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    classes = ('A', 'B', 'C')
    names = [f'video_{i}' for i in range(12)]
    tious = (0.1, 0.3, 0.5, 0.7, 0.9)
    for _ in range(5):
        gt = _random_db(rng, names, classes, 8)
        # integer times: many exact ties with the thresholds
        pseudo = _random_db(rng, names[:9], classes, 10)
        q = pseudo_label_quality(pseudo, gt, tious=tious)
        ref = _brute_force(pseudo, gt, tious)
        for t in tious:
            key = f'{t:.2f}'
            assert q[f'precision@{key}'] == pytest.approx(ref[t][0])
            assert q[f'recall@{key}'] == pytest.approx(ref[t][1])
        # more demanding thresholds never score higher
        prec = [q[f'precision@{t:.2f}'] for t in tious]
        assert prec == sorted(prec, reverse=True)


def test_pseudo_video_missing_from_gt():
    pseudo = gt_dict({'v1': [(0, 1, 'A')], 'not_in_gt': [(0, 1, 'A')]})
    with pytest.raises(ValueError, match="'not_in_gt'.*not in the GT"):
        pseudo_label_quality(pseudo, GT)


def test_groundtruth_of_another_subset(tmp_path):
    gt = gt_dict({'t1': [(0, 5, 'A')]})
    gt['database']['t1']['subset'] = 'test'
    gt['database'].update(GT['database'])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    # the loaded 'test' subset holds t1 only: v1 is "missing"
    with pytest.raises(ValueError, match="'v1'"):
        pseudo_label_quality(PSEUDO, load_gt(str(path), subset='test'))
    assert pseudo_label_quality(PSEUDO, load_gt(
        str(path), subset='val')) == pseudo_label_quality(PSEUDO, GT)


def test_bad_inputs():
    with pytest.raises(ValueError, match='tiou_thresholds'):
        pseudo_label_quality(PSEUDO, GT, tious=(0.0, 0.5))
    bad = gt_dict({'v1': [(20, 10, 'A')]})
    with pytest.raises(ValueError, match=r"'v1'.*segment"):
        pseudo_label_quality(bad, GT)
    with pytest.raises(ValueError, match='database'):
        pseudo_label_quality({'videos': {}}, GT)
    with pytest.raises(TypeError, match='pseudo'):
        pseudo_label_quality([1, 2], GT)
    # a malformed GT entry of an unscored video is not read
    gt = json.loads(json.dumps(GT))
    gt['database']['v3']['annotations'][0]['segment'] = [5, 1]
    assert pseudo_label_quality(PSEUDO, gt) == pseudo_label_quality(
        PSEUDO, GT)


@pytest.mark.filterwarnings('ignore::UserWarning')  # test segments past end
def test_thumos14_val_gt_against_itself():
    if not THUMOS.is_file():
        pytest.skip(f'{THUMOS} not found (shared/data beside the checkout)')
    raw = json.loads(THUMOS.read_text())
    val = {k: v for k, v in raw['database'].items() if v['subset'] == 'val'}
    pseudo = dict(raw, database=val)
    for gt in (raw, load_gt(str(THUMOS), subset='val')):
        q = pseudo_label_quality(pseudo, gt)
        assert q['num_videos'] == 200
        assert q['num_pseudo'] == q['num_gt'] == 3003
        for key in ('precision@0.30', 'precision@0.50', 'precision@0.70',
                    'recall@0.30', 'recall@0.50', 'recall@0.70',
                    'length_ratio'):
            assert q[key] == 1.0, key
    assert format_pseudo_label_quality(q).startswith(
        'pseudo-labels vs GT: 3003 segments / 3003 instances; precision '
        '0.3/0.5/0.7: 100.0/100.0/100.0 %')
