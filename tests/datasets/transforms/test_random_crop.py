"""RandomCropSnippets: windows at the video's own resolution, by hand."""
import numpy as np
import pytest

from backtal_mmaction.datasets.transforms import (BuildClickLabels,
                                                  RandomCropSnippets)


def _results(T=20, duration=40.0):
    # 2 s per snippet; feature value = snippet index, to see the window
    return dict(features=np.tile(np.arange(T, dtype=np.float32), (3, 1)),
                duration=duration, num_classes=2,
                gt_segments=np.array([[2.0, 10.0], [20.0, 24.0],
                                      [30.0, 40.0]]),
                gt_labels=np.array([0, 1, 0]),
                gt_scores=np.array([1.0, 0.5, 0.8]),
                video_labels=np.array([1.0, 1.0], np.float32),
                click_times=np.array([1.0, 15.0, 27.0]),
                click_labels=np.array([2, 2, 1]),
                click_annotators=['A', 'B', 'C'])


def test_crop_shifts_times_and_keeps_resolution(monkeypatch):
    monkeypatch.setattr(np.random, 'randint', lambda lo, hi: 6)
    r = RandomCropSnippets(num_segments=8, trunc_thresh=0.5)(_results())
    # window = snippets 6..13 = [12 s, 28 s), 2 s per snippet as before
    assert r['features'][0].tolist() == list(range(6, 14))
    assert r['duration'] == 16.0 and r['valid_snippets'] == 8
    # [2, 10] is outside; [20, 24] inside -> [8, 12]; [30, 40] outside
    assert r['gt_segments'].tolist() == [[8.0, 12.0]]
    assert r['gt_labels'].tolist() == [1] and r['gt_scores'].tolist() == [0.5]
    assert r['video_labels'].tolist() == [0.0, 1.0]
    assert r['click_times'].tolist() == [3.0, 15.0]
    assert r['click_labels'].tolist() == [2, 1]
    assert r['click_annotators'] == ['B', 'C']
    # clicks land on the snippet they were on before the crop, minus 6
    r = BuildClickLabels()(r)
    assert np.flatnonzero(r['click_label_vector'] != -100).tolist() == [1, 7]


def test_crop_truncation_rule(monkeypatch):
    monkeypatch.setattr(np.random, 'randint', lambda lo, hi: 3)
    # window [6 s, 22 s): [2, 10] keeps 4 / 8 = 0.5 -> kept (>= 0.5) as
    # [0, 4]; [20, 24] keeps 2 / 4 = 0.5 -> kept as [14, 16]
    r = RandomCropSnippets(num_segments=8, trunc_thresh=0.5)(_results())
    assert r['gt_segments'].tolist() == [[0.0, 4.0], [14.0, 16.0]]
    r = RandomCropSnippets(num_segments=8, trunc_thresh=0.6)(_results())
    assert r['gt_segments'].shape == (0, 2)


def test_crop_retries_until_a_segment_is_kept(monkeypatch):
    starts = [7, 10, 0]  # [14, 20) holds no segment; [20, 26) holds one
    monkeypatch.setattr(np.random, 'randint', lambda lo, hi: starts.pop(0))
    out = RandomCropSnippets(num_segments=3)(_results())
    assert out['gt_segments'].tolist() == [[0.0, 4.0]]
    assert starts == [0]  # two draws


def test_short_video_is_padded_not_stretched():
    r = RandomCropSnippets(num_segments=32)(_results(T=20))
    assert r['features'].shape == (3, 32)
    assert r['features'][0, :20].tolist() == list(range(20))
    assert (r['features'][:, 20:] == 0).all()
    assert r['valid_snippets'] == 20 and r['duration'] == 64.0
    assert r['gt_segments'].tolist() == _results()['gt_segments'].tolist()
    with pytest.raises(ValueError, match='num_segments'):
        RandomCropSnippets(num_segments=0)


def test_build_click_labels_uses_ignore_index():
    """Unclicked snippets hold IGNORE_INDEX (-100), the value the click
    losses ignore; a config asking for another value is refused."""
    from mmaction.registry import TRANSFORMS

    from backtal_mmaction.utils import IGNORE_INDEX
    r = dict(features=np.zeros((2, 5), np.float32), duration=10.0,
             num_classes=3, click_times=np.array([0.0, 4.5, 9.99]),
             click_labels=np.array([3, 1, 3]))
    out = BuildClickLabels()(dict(r))['click_label_vector']
    # snippet = floor(t / 10 * 5): 0 -> 0, 4.5 -> 2, 9.99 -> 4
    assert out.tolist() == [3, -100, 1, -100, 3] and IGNORE_INDEX == -100
    spelled = TRANSFORMS.build(dict(type='BuildClickLabels',
                                    ignore_index=-100))
    assert spelled(dict(r))['click_label_vector'].tolist() == out.tolist()
    with pytest.raises(ValueError, match=r'ignore_index=255 is not '
                       r'supported: the click losses use IGNORE_INDEX '
                       r'\(-100\)'):
        TRANSFORMS.build(dict(type='BuildClickLabels', ignore_index=255))


def _packed(results):
    from backtal_mmaction.datasets.transforms import \
        PackClickLocalizationInputs
    return PackClickLocalizationInputs()(BuildClickLabels()(results))


def test_unpadded_crop_padded_by_the_batch_equals_the_padded_crop():
    """RandomCropSnippets(pad=False) + SnippetFeaturePreprocessor(pad_batch)
    gives a short video exactly what RandomCropSnippets(pad=True) gives it
    when the batch's longest video is the window: features, duration,
    valid snippets and click labels."""
    from backtal_mmaction.models.data_preprocessors import \
        SnippetFeaturePreprocessor
    short = RandomCropSnippets(num_segments=32, pad=False)(_results(T=20))
    assert short['features'].shape == (3, 20)
    assert short['valid_snippets'] == 20 and short['duration'] == 40.0
    reference = _packed(RandomCropSnippets(num_segments=32)(_results(T=20)))
    long = RandomCropSnippets(num_segments=32, pad=False)(
        _results(T=32, duration=64.0))
    a, b = _packed(short), _packed(long)
    out = SnippetFeaturePreprocessor(pad_batch=True)(
        dict(inputs=[a['inputs'], b['inputs']],
             data_samples=[a['data_samples'], b['data_samples']]),
        training=True)
    assert out['inputs'].shape == (2, 3, 32)
    assert out['inputs'][0].tolist() == reference['inputs'].tolist()
    ds, ref = out['data_samples'][0], reference['data_samples']
    for key in ('duration', 'valid_snippets'):
        assert ds.metainfo[key] == ref.metainfo[key], key
    assert ds.gt_click_labels.tolist() == ref.gt_click_labels.tolist()
    # the longest video is untouched; test batches are never padded
    assert out['data_samples'][1].metainfo['duration'] == 64.0
    test = SnippetFeaturePreprocessor(pad_batch=True)(
        dict(inputs=[a['inputs'], b['inputs']]), training=False)
    assert isinstance(test['inputs'], list)
