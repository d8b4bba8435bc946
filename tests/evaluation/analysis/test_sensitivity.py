"""DETAD sensitivity analysis: a hand-worked case, DETAD's code re-stated
as plain loops (its matching, its bucket filter, its normalized AP) on
random detections, pandas.cut's bucket rule, and the input errors."""
import numpy as np
import pytest

from backtal_mmaction.evaluation.analysis.sensitivity import (
    CHARACTERISTIC_BINS, bucket_of, format_sensitivity_table,
    sensitivity_analysis)


def _det(segments, labels, scores=None, duration=None):
    d = dict(segments=np.asarray(segments, np.float64).reshape(-1, 2),
             labels=np.asarray(labels, np.int64))
    if scores is not None:
        d['scores'] = np.asarray(scores, np.float64)
    if duration is not None:
        d['duration'] = duration
    return d


def _rows(result, name):
    return {r['bucket']: r for r in result['characteristics'][name]}


def test_hand_worked_case():
    """One class, N = 2 GT: g0 [10, 12] (length 2, coverage 0.02), g1
    [50, 70] (length 20, coverage 0.2); predictions p0 = g1 (0.9), p1 a
    false positive (0.8), p2 = g0 (0.7).

    base: recall .5 .5 1, FP 0 1 1, precision_N = 2R / (2R + FP) = 1, .5,
    2/3; envelope 1, 2/3, 2/3 -> AP = .5 * 1 + .5 * 2/3 = 5/6.
    bucket of g0 (p0 left out: matched to g1): p1, p2: recall 0 1,
    precision_N 0, 2/3 -> AP 2/3. bucket of g1: p0, p1: recall 1 1,
    precision_N 1, 2/3 -> AP 1.
    """
    gt = {'a': _det([[10, 12], [50, 70]], [0, 0], duration=100.0)}
    pred = {'a': _det([[50, 70], [30, 35], [10, 12]], [0, 0, 0],
                      [0.9, 0.8, 0.7])}
    res = sensitivity_analysis(gt, pred, 1)
    assert res['normalization'] == 2.0 and res['num_gt'] == 2
    assert res['base'] == pytest.approx(5 / 6)
    length = _rows(res, 'length')
    assert length['XS']['num_gt'] == 1 and length['XL']['num_gt'] == 1
    assert length['XS']['average_mAP_N'] == pytest.approx(2 / 3)
    assert length['XL']['average_mAP_N'] == pytest.approx(1.0)
    assert length['S']['average_mAP_N'] is None  # no GT there
    coverage = _rows(res, 'coverage')
    # 0.02 is the first edge's bucket: [0, 0.02]
    assert coverage['XS']['average_mAP_N'] == pytest.approx(2 / 3)
    assert coverage['XL']['average_mAP_N'] == pytest.approx(1.0)
    inst = _rows(res, 'num_instances')  # 2 instances: (1, 40] = S
    assert inst['S']['average_mAP_N'] == pytest.approx(5 / 6)
    assert inst['XS']['num_gt'] == 0
    # both matches are made at normalized precision 1 and 2/3 > 0.05
    assert res['false_negative_rate'] == 0.0
    table = format_sensitivity_table(res)
    assert 'average mAP_N over all 2 GT = 83.33%, false negatives 0.0%' \
        in table
    assert '| length | XS | [0, 3] | 1 | 66.67 | 0.80 | 0.0 |' in table
    assert '| length | XL | (18, inf] | 1 | 100.00 | 1.20 | 0.0 |' in table
    assert '| length | S | (3, 6] | 0 | – | – | – |' in table


@pytest.mark.parametrize('num_fp, detected', [(18, True), (20, False)])
def test_a_match_below_the_precision_floor_is_no_detection(num_fp, detected):
    """One GT (N = 1), ``num_fp`` false positives ranked above its match:
    normalized precision there is 1 / (1 + num_fp): 1/19 > 0.05 detects,
    1/21 <= 0.05 does not (DETAD's false-negative analysis)."""
    gt = {'a': _det([[10, 20]], [0], duration=100.0)}
    segs = [[50 + i, 51 + i] for i in range(num_fp)] + [[10, 20]]
    scores = list(np.linspace(1, 0.5, num_fp)) + [0.1]
    pred = {'a': _det(segs, [0] * (num_fp + 1), scores)}
    res = sensitivity_analysis(gt, pred, 1)
    assert res['false_negative_rate'] == (0.0 if detected else 1.0)
    length = _rows(res, 'length')
    assert length['M']['false_negative_rate'] == res['false_negative_rate']
    assert length['XS']['false_negative_rate'] is None


def test_num_instances_counts_every_class_of_the_video():
    """DETAD's THUMOS14 file gives 12 to each of 6 CliffDiving + 6 Diving
    instances of one video: the count is over all classes."""
    gt = {'v': _det([[i, i + 1] for i in range(0, 12, 2)] * 2,
                    [0] * 6 + [1] * 6, duration=100.0)}
    pred = {'v': _det([[0, 1]], [0], [1.0])}
    bins = {'num_instances': ((0, 6, 12, 100), ('a', 'b', 'c'))}
    res = sensitivity_analysis(gt, pred, 2, bins=bins)
    rows = _rows(res, 'num_instances')
    assert [rows[k]['num_gt'] for k in 'abc'] == [0, 12, 0]


def test_bucket_rule_is_pandas_cut_include_lowest():
    edges = (0, 3, 6, np.inf)
    values = np.array([0, 1e-9, 3, 3.0000001, 6, 1e9, -1, np.inf])
    # [0, 3], (3, 6], (6, inf]; below 0 nowhere; inf in the last bucket
    assert bucket_of(values, edges).tolist() == [0, 0, 0, 1, 1, 2, -1, 2]
    pd = pytest.importorskip('pandas')
    finite = values[:-1]
    want = pd.cut(finite, bins=list(edges), labels=False,
                  include_lowest=True)
    want = np.where(np.isnan(want), -1, want).astype(int)
    assert bucket_of(finite, edges).tolist() == want.tolist()


# --------------------------------------------------------------------- #
# DETAD's computation, re-stated with plain loops (no shared code)
def _tiou(a, b):
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = (a[1] - a[0]) + (b[1] - b[0]) - inter
    return inter / union


def _interp_ap(prec, rec):
    mprec = [0.0] + list(prec) + [0.0]
    mrec = [0.0] + list(rec) + [1.0]
    for i in range(len(mprec) - 2, -1, -1):
        mprec[i] = max(mprec[i], mprec[i + 1])
    return sum((mrec[i] - mrec[i - 1]) * mprec[i]
               for i in range(1, len(mrec)) if mrec[i] != mrec[i - 1])


def _detad_reference(gt, pred, num_classes, thresholds, bins):
    inst = []  # (gt id, video, segment, label, traits)
    for v, d in gt.items():
        n = len(d['labels'])
        for seg, lab in zip(d['segments'], d['labels']):
            length = seg[1] - seg[0]
            cov = length / d['duration']
            if cov > 1 or length <= 0:
                continue
            inst.append(dict(id=len(inst), video=v, seg=seg, label=int(lab),
                             coverage=cov, length=length, num_instances=n))
    classes = sorted({g['label'] for g in inst})
    norm = len(inst) / len(classes)
    preds = [dict(video=v, seg=s, label=int(lab), score=float(sc))
             for v, d in pred.items()
             for s, lab, sc in zip(d['segments'], d['labels'], d['scores'])]
    matched = {}  # (threshold index, prediction index) -> gt id
    for c in classes:
        cp = sorted((i for i, p in enumerate(preds) if p['label'] == c),
                    key=lambda i: -preds[i]['score'])
        for k, thr in enumerate(thresholds):
            lock = set()
            for i in cp:
                cands = [g for g in inst if g['label'] == c
                         and g['video'] == preds[i]['video']]
                cands.sort(key=lambda g: -_tiou(preds[i]['seg'], g['seg']))
                for g in cands:
                    if _tiou(preds[i]['seg'], g['seg']) < thr:
                        break
                    if g['id'] in lock:
                        continue
                    lock.add(g['id'])
                    matched[k, i] = g['id']
                    break

    def _curve(ranked, k, n_c):
        """(recall, normalized precision) after each ranked prediction."""
        tp = fp = 0
        out = []
        for i in ranked:
            if (k, i) in matched:
                tp += 1
            else:
                fp += 1
            r = tp / n_c
            out.append((r, r * norm / (r * norm + fp)))
        return out

    def map_n(in_bucket):
        aps = []
        for c in classes:
            n_c = sum(1 for g in inst if g['label'] == c and in_bucket(g))
            if not n_c:
                continue
            ids = {g['id'] for g in inst if in_bucket(g)}
            cp = sorted((i for i, p in enumerate(preds) if p['label'] == c),
                        key=lambda i: -preds[i]['score'])
            cp = [i for i in cp if all(matched.get((k, i)) in ids | {None}
                                       for k in range(len(thresholds)))]
            ap = []
            for k in range(len(thresholds)):
                rec, prec = zip(*_curve(cp, k, n_c)) if cp else ((), ())
                ap.append(_interp_ap(prec, rec))
            aps.append(np.mean(ap))
        return float(np.mean(aps)) if aps else None

    # false negatives: matches made at normalized precision <= 0.05 are
    # dropped (DETAD's minimum_normalized_precision_threshold_for_detection)
    detected = [set() for _ in thresholds]
    for c in classes:
        n_c = sum(1 for g in inst if g['label'] == c)
        cp = sorted((i for i, p in enumerate(preds) if p['label'] == c),
                    key=lambda i: -preds[i]['score'])
        for k in range(len(thresholds)):
            for i, (_, p) in zip(cp, _curve(cp, k, n_c)):
                if (k, i) in matched and p > 0.05:
                    detected[k].add(matched[k, i])

    def fn_rate(in_bucket):
        ids = [g['id'] for g in inst if in_bucket(g)]
        if not ids:
            return None
        return float(np.mean([1 - np.mean([i in d for i in ids])
                              for d in detected]))

    out = dict(base=map_n(lambda g: True), fn=fn_rate(lambda g: True),
               characteristics={})
    for name, (edges, labels) in bins.items():
        rows = []
        for b, label in enumerate(labels):
            lo, hi = edges[b], edges[b + 1]

            def inside(g, lo=lo, hi=hi, b=b):
                x = g[name]
                return (lo < x <= hi) or (b == 0 and x == lo)
            rows.append((map_n(inside), fn_rate(inside)))
        out['characteristics'][name] = rows
    return out


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_equals_detad_restated_on_random_detections(seed):
    rng = np.random.default_rng(seed)
    C, thresholds = 3, (0.3, 0.5, 0.7)
    gt, pred = {}, {}
    for v in range(12):
        duration = float(rng.uniform(20, 200))
        n = int(rng.integers(1, 6))
        starts = rng.uniform(0, duration * 0.9, n)
        lengths = rng.uniform(0.5, duration * 0.5, n)
        segs = np.stack([starts, np.minimum(starts + lengths,
                                            duration * 1.05)], 1)
        labels = rng.integers(0, C, n)
        gt[f'v{v}'] = _det(segs, labels, duration=duration)
        m = int(rng.integers(0, 12))
        jitter = segs[rng.integers(0, n, m)] + rng.normal(0, 3, (m, 2))
        jitter.sort(axis=1)
        pred[f'v{v}'] = _det(jitter, rng.integers(0, C, m),
                             rng.permutation(m) / 10 + v)  # distinct
    bins = {'coverage': ((0, 0.1, 0.3, 1), ('S', 'M', 'L')),
            'length': ((0, 10, 40, np.inf), ('S', 'M', 'L')),
            'num_instances': ((-1, 1, 3, np.inf), ('S', 'M', 'L'))}
    got = sensitivity_analysis(gt, pred, C, thresholds, bins=bins)
    want = _detad_reference(gt, pred, C, thresholds, bins)
    assert got['base'] == pytest.approx(want['base'], abs=1e-12)
    assert got['false_negative_rate'] == pytest.approx(want['fn'], abs=1e-12)
    assert 0 < want['fn'] < 1  # some GT found, some missed
    for name in bins:
        rows = got['characteristics'][name]
        for row, (w_map, w_fn) in zip(rows, want['characteristics'][name]):
            for v, w in ((row['average_mAP_N'], w_map),
                         (row['false_negative_rate'], w_fn)):
                assert (v is None) == (w is None)
                if v is not None:
                    assert v == pytest.approx(w, abs=1e-12)
    assert got['bins'] == 'custom'


def test_presets_and_input_errors():
    assert set(CHARACTERISTIC_BINS) == {'thumos14', 'activitynet'}
    gt = {'a': _det([[1, 2]], [0], duration=10.0)}
    pred = {'a': _det([[1, 2]], [0], [1.0])}
    res = sensitivity_analysis(gt, pred, 1, bins='activitynet')
    assert res['base'] == 1.0 and res['bins'] == 'activitynet'
    with pytest.raises(ValueError, match="unknown `bins` 'coco'"):
        sensitivity_analysis(gt, pred, 1, bins='coco')
    with pytest.raises(ValueError, match="unknown characteristic 'size'"):
        sensitivity_analysis(gt, pred, 1, bins={'size': ((0, 1), ('a', ))})
    with pytest.raises(ValueError, match='edges must increase'):
        sensitivity_analysis(gt, pred, 1,
                             bins={'length': ((0, 0), ('a', ))})
    with pytest.raises(ValueError, match='1 bucket'):
        sensitivity_analysis(gt, pred, 1,
                             bins={'length': ((0, 1), ('a', 'b'))})
    with pytest.raises(ValueError, match=r'tiou_thresholds must lie in '
                       r'\(0, 1\], got \[0\.0\]'):
        sensitivity_analysis(gt, pred, 1, tiou_thresholds=(0.0, ))
    no_duration = {'a': _det([[1, 2]], [0])}
    with pytest.raises(ValueError, match=r"gt\['a'\] needs a positive "
                       '`duration`'):
        sensitivity_analysis(no_duration, pred, 1)
    with pytest.raises(ValueError, match='not in the ground truth'):
        sensitivity_analysis(gt, {'b': pred['a']}, 1)
    too_long = {'a': _det([[0, 20]], [0], duration=10.0)}
    with pytest.raises(ValueError, match='no GT instance to analyse'):
        sensitivity_analysis(too_long, pred, 1)
    # instances longer than their video are left out, and said so
    mixed = {'a': _det([[0, 20], [1, 2]], [0, 0], duration=10.0)}
    res = sensitivity_analysis(mixed, pred, 1)
    assert res['dropped_gt'] == 1 and res['num_gt'] == 1
    assert '1 GT longer than their video or without length left out' in \
        format_sensitivity_table(res)


def test_figure_bars_hold_the_table(tmp_path):
    """The sensitivity figure's bars are the table's values (%), in its
    order; a bucket without GT has no bar."""
    from backtal_mmaction.evaluation.analysis.error_report import \
        plot_sensitivity
    gt = {'a': _det([[10, 12], [50, 70]], [0, 0], duration=100.0)}
    pred = {'a': _det([[50, 70], [30, 35], [10, 12]], [0, 0, 0],
                      [0.9, 0.8, 0.7])}
    res = sensitivity_analysis(gt, pred, 1)
    fig = plot_sensitivity(res, str(tmp_path / 's.png'))
    ax_map, ax_fn = fig.axes
    rows = [r for rows in res['characteristics'].values() for r in rows
            if r['num_gt']]
    assert [p.get_height() for p in ax_map.patches] == pytest.approx(
        [100 * r['average_mAP_N'] for r in rows])
    assert [p.get_height() for p in ax_fn.patches] == pytest.approx(
        [100 * r['false_negative_rate'] for r in rows])
    assert (tmp_path / 's.png').stat().st_size > 0
