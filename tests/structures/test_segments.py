"""The one tIoU and the one segment check (``backtal_mmaction.structures``).

The ``_old_*`` functions are verbatim copies of the formulas the module
replaced (``evaluation/functional/tiou.py``, ``models/postprocessing/nms.py``
twice, ``evaluation/functional/detections.py``, ``datasets/segments.py``);
the new code must reproduce them bit for bit.
"""
import numpy as np
import pytest

from backtal_mmaction.datasets.segments import as_segments
from backtal_mmaction.evaluation.functional import detections, tiou
from backtal_mmaction.models.postprocessing import nms
from backtal_mmaction.structures import (TIOU_MODES, check_segments,
                                         check_tiou_mode, pairwise_tiou,
                                         segment_iou, temporal_iou)


# --------------------------------------------------------------------------
# References: the replaced code, copied before the change.
# --------------------------------------------------------------------------
def _old_eval_pairwise_tiou(seg_a, seg_b):
    """evaluation/functional/tiou.py: pairwise_tiou."""
    inter = np.minimum(seg_a[..., 1], seg_b[..., 1]) - np.maximum(
        seg_a[..., 0], seg_b[..., 0])
    inter = np.clip(inter, 0.0, None)
    union = (seg_a[..., 1] - seg_a[..., 0]) + (seg_b[..., 1] -
                                               seg_b[..., 0]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _old_nms_segment_iou(segment, segments, mode='standard'):
    """models/postprocessing/nms.py: segment_iou (1-to-N)."""
    segments = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
    start, end = float(segment[0]), float(segment[1])
    offset = 1.0 if mode == 'official' else 0.0
    inter = np.maximum(
        0.0,
        np.minimum(end, segments[:, 1]) - np.maximum(start, segments[:, 0]) +
        offset)
    union = (end - start + offset) + (segments[:, 1] - segments[:, 0] +
                                      offset) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _old_nms_pair_ious(segments, first, second, mode):
    """models/postprocessing/nms.py: _overlapping_pair_ious' formula."""
    offset = 1.0 if mode == 'official' else 0.0
    s1, e1 = segments[first, 0], segments[first, 1]
    s2, e2 = segments[second, 0], segments[second, 1]
    inter = np.maximum(0.0, np.minimum(e1, e2) - np.maximum(s1, s2) + offset)
    union = (e1 - s1 + offset) + (e2 - s2 + offset) - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def _same_bits(a, b):
    """Exactly equal arrays: dtype, shape and every bit (NaN, signed 0)."""
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape
            and a.tobytes() == b.tobytes())


def _random_segments(rng, n, grid):
    if grid:  # coarse grid: ties, touching and zero-length segments
        start = rng.integers(0, 20, n) * 0.5
        end = start + rng.integers(0, 6, n) * 0.5
    else:
        start = rng.uniform(-5, 100, n)
        end = start + rng.exponential(3, n)
    return np.stack([start, end], axis=1)


# A grid of special values: signed zeros, infinities, NaN, reversed
# segments (the unvalidated callers may pass any of them).
_SPECIAL = np.array([-np.inf, -1.0, -0.0, 0.0, 1e-300, 0.5, 1.0, np.inf,
                     np.nan])


def _special_pairs():
    v = _SPECIAL
    grid = np.stack(np.meshgrid(v, v, v, v, indexing='ij'), -1).reshape(-1, 4)
    return grid[:, :2].copy(), grid[:, 2:].copy()


# --------------------------------------------------------------------------
# Hand-computed values
# --------------------------------------------------------------------------
@pytest.mark.parametrize('a, b, expected', [
    ([0, 10], [5, 15], 5 / 15),       # partial overlap
    ([0, 10], [0, 10], 1.0),          # identical
    ([0, 10], [2, 4], 2 / 10),        # contained
    ([0, 10], [10, 20], 0.0),         # touching: zero intersection
    ([0, 10], [12, 20], 0.0),         # disjoint
    ([5, 5], [0, 10], 0.0),           # zero-length inside: 0 / 10
    ([5, 5], [5, 5], 0.0),            # two zero-length: 0/0 defined as 0
    ([0, 1], [0.6, 1.6], 0.4 / 1.6),  # the module docstring's example
])
def test_standard_tiou_by_hand(a, b, expected):
    got = temporal_iou([a], [b])
    assert got.shape == (1, 1) and got.dtype == np.float64
    assert got[0, 0] == pytest.approx(expected, abs=1e-15)
    assert segment_iou(np.array(a, float), [b])[0] == pytest.approx(
        expected, abs=1e-15)
    assert pairwise_tiou(np.array(a, float),
                         np.array(b, float)) == pytest.approx(expected,
                                                              abs=1e-15)


@pytest.mark.parametrize('a, b, expected', [
    ([0, 1], [0.6, 1.6], 1.4 / 2.6),  # 0.54 instead of 0.25
    ([0, 10], [10, 20], 1 / 21),      # touching: +1 overlaps by 1
    ([0, 10], [11, 20], 0.0),         # gap of exactly 1: inter 0
    ([0, 10], [10.5, 20], 0.5 / 21),  # 0.5 / (11 + 10.5 - 0.5)
    ([5, 5], [5, 5], 1.0),            # zero-length: 1 / (1 + 1 - 1)
    ([0, 10], [0, 10], 1.0),
])
def test_official_plus_one_tiou_by_hand(a, b, expected):
    assert temporal_iou([a], [b], 'official')[0, 0] == pytest.approx(
        expected, abs=1e-15)
    assert segment_iou(np.array(a, float), [b],
                       'official')[0] == pytest.approx(expected, abs=1e-15)


def test_exact_values_at_thresholds():
    # 3 / 10 and 5 / 10 must come out as the literals 0.3 and 0.5 that the
    # thresholds are written as (>= and > tests at exactly the threshold).
    assert temporal_iou([[0, 10]], [[7, 10]])[0, 0] == 0.3
    assert temporal_iou([[0, 10]], [[5, 10]])[0, 0] == 0.5


def test_shapes_and_dtypes():
    a = np.array([[0, 2], [1, 3], [4, 5]], float)
    b = np.array([[0, 1], [2, 4]], float)
    assert temporal_iou(a, b).shape == (3, 2)
    assert temporal_iou(np.zeros((0, 2)), b).shape == (0, 2)
    assert temporal_iou([], []).shape == (0, 0)
    assert segment_iou(a[0], b).shape == (2, )
    assert segment_iou(a[0], np.zeros((0, 2))).shape == (0, )
    # pairwise broadcasting: (3, 1, 2) x (1, 2, 2) -> (3, 2); (P, 2) pairs.
    assert _same_bits(pairwise_tiou(a[:, None], b[None]), temporal_iou(a, b))
    assert pairwise_tiou(a[:2], b).shape == (2, )
    # the dtype of the inputs is kept (Python-float offset, NEP 50)
    assert pairwise_tiou(a.astype(np.float32),
                         b[:1].astype(np.float32)).dtype == np.float32


def test_modes():
    assert TIOU_MODES == ('standard', 'official')
    assert check_tiou_mode('standard') == 0.0
    assert check_tiou_mode('official') == 1.0
    with pytest.raises(ValueError,
                       match=r"^fn: unknown mode 'x', valid modes are "
                       r"\('standard', 'official'\)$"):
        check_tiou_mode('x', 'fn')
    for fn in (lambda: temporal_iou([[0, 1]], [[0, 1]], 'x'),
               lambda: segment_iou([0, 1], [[0, 1]], 'x'),
               lambda: pairwise_tiou(np.zeros(2), np.zeros(2), 'x')):
        with pytest.raises(ValueError, match='unknown mode'):
            fn()


# --------------------------------------------------------------------------
# The segment check
# --------------------------------------------------------------------------
def test_check_segments_accepts():
    seg = check_segments([[0, 1], [2, 2]], 'x')
    assert seg.dtype == np.float64 and seg.tolist() == [[0, 1], [2, 2]]
    for empty in ([], np.zeros((0, 2)), np.zeros((0, 3)), np.zeros(0)):
        assert check_segments(empty, 'x').shape == (0, 2)


@pytest.mark.parametrize('seg, message', [
    ([[0, 1, 2]], r"^gt\['v1'\]\.segments must have shape \(N, 2\) "
     r'\[start, end\], got shape \(1, 3\)$'),
    ([0, 1], r"^gt\['v1'\]\.segments must have shape \(N, 2\) "
     r'\[start, end\], got shape \(2,\)$'),
    ([[0, np.nan]], r"^gt\['v1'\]\.segments contains NaN or infinite "
     'values$'),
    ([[0, np.inf]], r"^gt\['v1'\]\.segments contains NaN or infinite "
     'values$'),
    ([[0, 1], [3, 2], [5, 4]], r"^gt\['v1'\]\.segments has 2 segment\(s\) "
     r'with end < start, first one: \[3\.0, 2\.0\]$'),
])
def test_check_segments_messages(seg, message):
    with pytest.raises(ValueError, match=message):
        check_segments(seg, "gt['v1'].segments")


def test_check_segments_optional_rules():
    seg = check_segments([[3, 2], [0, np.nan]], finite=False, ordered=False)
    assert seg.shape == (2, 2)
    with pytest.raises(ValueError, match='end < start'):
        check_segments([[3, 2]], finite=False)
    with pytest.raises(ValueError, match='NaN'):
        check_segments([[0, np.nan]], ordered=False)


def test_check_segments_accepts_tensors():
    torch = pytest.importorskip('torch')
    seg = check_segments(torch.tensor([[0.0, 1.5]], dtype=torch.float16))
    assert seg.dtype == np.float64 and seg.tolist() == [[0.0, 1.5]]


def test_old_names_delegate():
    # The old homes re-export the one implementation.
    assert tiou.pairwise_tiou is pairwise_tiou
    assert tiou.temporal_iou is temporal_iou
    assert detections.check_segments is check_segments
    assert nms.segment_iou is segment_iou
    assert nms.NMS_MODES is TIOU_MODES
    # datasets' lenient form: shape only, same (N, 2) message
    assert as_segments([[3, 2], [0, np.nan]]).shape == (2, 2)
    assert as_segments([]).shape == (0, 2)
    with pytest.raises(ValueError,
                       match=r'^segments must have shape \(N, 2\)'):
        as_segments([1, 2, 3])


# --------------------------------------------------------------------------
# Bit-identity with the replaced formulas
# --------------------------------------------------------------------------
@pytest.mark.parametrize('grid', [False, True])
def test_equal_to_old_evaluation_formula(grid):
    rng = np.random.default_rng(0 if grid else 1)
    for _ in range(20):
        a = _random_segments(rng, int(rng.integers(0, 60)), grid)
        b = _random_segments(rng, int(rng.integers(0, 60)), grid)
        ref = _old_eval_pairwise_tiou(a[:, None, :], b[None, :, :])
        assert _same_bits(temporal_iou(a, b), ref)
        assert _same_bits(pairwise_tiou(a[:, None, :], b[None, :, :]), ref)
        a32, b32 = a.astype(np.float32), b.astype(np.float32)
        assert _same_bits(pairwise_tiou(a32[:, None], b32[None]),
                          _old_eval_pairwise_tiou(a32[:, None], b32[None]))


@pytest.mark.parametrize('mode', TIOU_MODES)
@pytest.mark.parametrize('grid', [False, True])
def test_equal_to_old_nms_formulas(mode, grid):
    rng = np.random.default_rng(2 if grid else 3)
    for _ in range(20):
        seg = _random_segments(rng, int(rng.integers(1, 80)), grid)
        for i in range(0, len(seg), 7):
            assert _same_bits(segment_iou(seg[i], seg, mode),
                              _old_nms_segment_iou(seg[i], seg, mode))
            assert _same_bits(nms.segment_iou(seg[i], seg, mode),
                              _old_nms_segment_iou(seg[i], seg, mode))
        labels = rng.integers(0, 3, len(seg))
        first, second, iou = nms._overlapping_pair_ious(seg, labels, mode)
        assert _same_bits(iou, _old_nms_pair_ious(seg, first, second, mode))
        # all pairs, not only the overlapping ones
        i, j = np.triu_indices(len(seg), 1)
        assert _same_bits(pairwise_tiou(seg[i], seg[j], mode),
                          _old_nms_pair_ious(seg, i, j, mode))


def test_equal_on_special_values():
    """Signed zeros, infinities, NaN, reversed segments: every bit equal
    (no-validation callers can pass them), for arrays long enough to take
    NumPy's SIMD paths and for single elements."""
    a, b = _special_pairs()
    with np.errstate(invalid='ignore'):
        assert _same_bits(pairwise_tiou(a, b), _old_eval_pairwise_tiou(a, b))
        for mode in TIOU_MODES:
            assert _same_bits(pairwise_tiou(a, b, mode),
                              _old_nms_pair_ious(np.concatenate([a, b]),
                                                 np.arange(len(a)),
                                                 np.arange(len(a)) + len(a),
                                                 mode))
            for k in range(0, len(a), 97):
                assert _same_bits(segment_iou(a[k], b, mode),
                                  _old_nms_segment_iou(a[k], b, mode))
        for k in range(0, len(a), 53):
            assert _same_bits(pairwise_tiou(a[k], b[k]),
                              _old_eval_pairwise_tiou(a[k], b[k]))


# --------------------------------------------------------------------------
# Clicks are checked against the loaded GroundTruth (no second parse)
# --------------------------------------------------------------------------
def _write_gt(tmp_path):
    import json
    gt = {
        'database': {
            'v1': {'subset': 'val', 'duration': 10.0,
                   'annotations': [{'segment': [1.0, 2.0], 'label': 'Jump'}]},
            'v2': {'subset': 'test', 'duration': 5.5, 'annotations': []},
        },
        'activity_list': ['Jump', 'Run'],
    }
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    return str(path)


def _click(time, label=None):
    return dict(time=time, type='action' if label else 'background',
                label=label, annotator='a')


@pytest.mark.parametrize('clicks, message', [
    ({'v1': [_click(1.0), _click(10.5)]},
     r"^c\.json: video 'v1', click #1: time 10\.5 s is outside the video "
     r'\[0, 10\] s \(duration 10 s; 1 click\(s\) of this video out of '
     r'range\)$'),
    ({'v2': [_click(-1.0)]},  # a video outside the loaded subset
     r"^c\.json: video 'v2', click #0: time -1 s is outside the video "
     r'\[0, 5\.5\] s'),
    ({'v1': [_click(1.0, 'Swim')]},
     r"^c\.json: video 'v1', click #0: label 'Swim' is not one of the 2 "
     r'classes$'),
    ({'x': [_click(1.0)]},
     r'^c\.json: 1 video\(s\) with clicks are not in the ground truth'),
])
def test_validate_clicks_groundtruth_same_errors(tmp_path, clicks, message):
    from backtal_mmaction.datasets import validate_clicks
    from backtal_mmaction.datasets.gt_io import load_gt
    gt = load_gt(_write_gt(tmp_path), 'val')
    for target, names in ((gt, None), (gt, gt.class_names),
                          (gt.database, gt.class_names)):
        with pytest.raises(ValueError, match=message):
            validate_clicks(clicks, target, names, path='c.json')


def test_validate_clicks_uses_parsed_videos(tmp_path, monkeypatch):
    from backtal_mmaction.datasets import validate_clicks
    from backtal_mmaction.datasets.clicks import ground_truth
    from backtal_mmaction.datasets.gt_io import load_gt
    gt = load_gt(_write_gt(tmp_path), 'val')
    read = []
    real = ground_truth.video_gt_segments

    def spy(database, video, *args):
        read.append(video)
        return real(database, video, *args)

    monkeypatch.setattr(ground_truth, 'video_gt_segments', spy)
    clicks = {'v1': [_click(0.0), _click(10.0, 'Jump')], 'v2': [_click(5.5)]}
    assert validate_clicks(clicks, gt) is None
    assert read == ['v2']  # v1 was parsed by load_gt; v2 is not loaded
    read.clear()
    validate_clicks(clicks, gt.database, gt.class_names)
    assert read == ['v1', 'v2']
    with pytest.raises(ValueError, match='needs class_names'):
        validate_clicks(clicks, gt.database)
