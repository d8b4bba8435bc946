"""ClickTALDataset + transforms on tiny hand-made files and the real GT."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.datasets import ClickTALDataset
from backtal_mmaction.models.losses import IGNORE_INDEX

from tests.helpers import SHARED_DATA as SHARED


def pipeline(num_segments=None, feat_dim=6, **resample):
    p = [dict(type='LoadSnippetFeature', layout='array', axis='TC',
              feat_dim=feat_dim)]
    if num_segments:
        p.append(dict(type='ResampleSnippets', num_segments=num_segments,
                      **resample))
    return p + [dict(type='BuildClickLabels'),
                dict(type='PackClickLocalizationInputs')]


def make(b, subset='train', **kwargs):
    init_default_scope('mmaction')
    kwargs.setdefault('pipeline', pipeline(10))
    return ClickTALDataset(ann_file=b['gt'], subset=subset,
                           data_prefix=dict(feature=b['feat_dir']), **kwargs)


def test_metainfo_labels_and_packing(tiny_benchmark):
    ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'])
    assert ds.metainfo['classes'] == ('Jump', 'Run') and len(ds) == 2
    item = ds[1]  # v_b: two classes, no clicks
    sample = item['data_samples']
    assert item['inputs'].shape == (6, 10)
    assert sample.gt_video_labels.tolist() == [1.0, 1.0]
    assert sample.gt_instances.segments.tolist() == [[5.0, 9.0],
                                                     [12.0, 14.0]]
    assert sample.gt_instances.labels.tolist() == [1, 0]
    assert (sample.gt_click_labels == IGNORE_INDEX).all()
    assert sample.metainfo['num_frames'] == 500  # 20 s x 25 fps
    assert sample.metainfo['num_snippets'] == 10
    assert sample.metainfo['orig_num_snippets'] == 40


def test_click_mapping_merge_all_annotators(tiny_benchmark):
    ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'])
    labels = ds[0]['data_samples'].gt_click_labels
    # T = 10 over 10 s: snippet = floor(t / 10 * 10)
    expected = torch.full((10, ), IGNORE_INDEX)
    expected[0] = 2   # 0.5 s background (A1)
    expected[9] = 2   # 9.9 s background (A1)
    expected[3] = 0   # 3.0 s action Jump (SF)
    expected[6] = 2   # 6.0 s background (A2)
    assert labels.tolist() == expected.tolist()


def test_annotator_and_type_selection(tiny_benchmark):
    ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'],
              click_annotators='A1', click_types=('background', ))
    labels = ds[0]['data_samples'].gt_click_labels
    assert (labels != IGNORE_INDEX).nonzero().flatten().tolist() == [0, 9]
    ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'],
              annotator_mode='first', click_annotators=['A2', 'A1'])
    labels = ds[0]['data_samples'].gt_click_labels
    assert (labels != IGNORE_INDEX).nonzero().flatten().tolist() == [6]


def test_random_annotator_is_one_annotator_per_load(tiny_benchmark):
    ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'],
              annotator_mode='random')
    seen = set()
    np.random.seed(0)
    for _ in range(40):
        who = ds[0]['data_samples'].metainfo['click_annotators']
        assert len(set(who)) == 1
        seen.add(who[0])
    assert seen == {'A1', 'A2', 'SF'}


def test_action_click_wins_a_shared_snippet(tiny_benchmark, tmp_path):
    clicks = {'database': {'v_a': {'clicks': [
        dict(time=3.0, type='action', label='Run', annotator='X'),
        dict(time=3.05, type='background', annotator='X')]}}}
    path = tmp_path / 'c2.json'
    path.write_text(json.dumps(clicks))
    ds = make(tiny_benchmark, click_file=str(path))
    assert ds[0]['data_samples'].gt_click_labels[3].item() == 1


def test_test_split_keeps_full_length(tiny_benchmark):
    ds = make(tiny_benchmark, subset='test', test_mode=True,
              pipeline=pipeline(None))
    item = ds[0]
    assert item['inputs'].shape == (6, 15)
    assert item['data_samples'].metainfo['num_frames'] == 241  # frame_num


def test_official_npz_layout(tiny_benchmark, tmp_path):
    spa = np.random.rand(3, 12).astype(np.float32)
    tem = np.random.rand(3, 12).astype(np.float32)
    point = np.full(12, -100)
    point[[2, 11]] = 2
    np.savez(tmp_path / 'features' / 'v_a.npz', feat_spa=spa, feat_tem=tem,
             point_label=point)
    np.savez(tmp_path / 'features' / 'v_b.npz', feat_spa=spa, feat_tem=tem)
    init_default_scope('mmaction')
    ds = ClickTALDataset(
        ann_file=tiny_benchmark['gt'], subset='train', feature_suffix='.npz',
        data_prefix=dict(feature=str(tmp_path / 'features')),
        pipeline=[dict(type='LoadSnippetFeature', layout='official',
                       feat_dim=6),
                  dict(type='ResampleSnippets', num_segments=6),
                  dict(type='BuildClickLabels'),
                  dict(type='PackClickLocalizationInputs')])
    item = ds[0]
    # (2C, T) = spa stacked over tem, linearly resampled 12 -> 6: the
    # half-pixel centres of 6 bins fall between snippets 2k and 2k+1.
    expected = np.concatenate([spa, tem])
    expected = (expected[:, 0::2] + expected[:, 1::2]) / 2
    np.testing.assert_allclose(item['inputs'].numpy(), expected, rtol=1e-6)
    # point labels remapped by centre position: 2 -> floor(2.5/2)=1, 11 -> 5
    labels = item['data_samples'].gt_click_labels
    assert (labels != IGNORE_INDEX).nonzero().flatten().tolist() == [1, 5]


def test_official_test_file_metadata(tiny_benchmark, tmp_path):
    spa = np.random.rand(3, 9).astype(np.float32)
    np.savez(tmp_path / 'features' / 'v_c.npz', feat_spa=spa, feat_tem=spa,
             frame_num=np.array(250), fps=np.array(30.0),
             duration=np.array(8.3))
    init_default_scope('mmaction')
    ds = ClickTALDataset(
        ann_file=tiny_benchmark['gt'], subset='test', test_mode=True,
        feature_suffix='.npz',
        data_prefix=dict(feature=str(tmp_path / 'features')),
        pipeline=[dict(type='LoadSnippetFeature', feat_dim=6),
                  dict(type='PackClickLocalizationInputs')])
    meta = ds[0]['data_samples'].metainfo
    assert meta['num_frames'] == 250   # from the file
    assert meta['duration'] == 8.0     # the GT's duration is kept


@pytest.mark.parametrize('mode', ['uniform', 'random'])
def test_index_resampling_picks_one_snippet_per_bin(tiny_benchmark, mode):
    ds = make(tiny_benchmark, pipeline=pipeline(5, mode=mode))
    x = np.load(Path(tiny_benchmark['feat_dir']) / 'v_a.npy').T  # (6, 20)
    got = ds[0]['inputs'].numpy()
    for k in range(5):  # bin k covers snippets [4k, 4k + 4)
        assert any(np.allclose(got[:, k], x[:, j])
                   for j in range(4 * k, 4 * k + 4))
    if mode == 'uniform':
        np.testing.assert_allclose(got, x[:, [2, 6, 10, 14, 18]])


# ---------------------------------------------------------------- bad input
def test_missing_feature_file_named(tiny_benchmark):
    Path(tiny_benchmark['feat_dir'], 'v_b.npy').unlink()
    with pytest.raises(FileNotFoundError, match='v_b.npy'):
        make(tiny_benchmark)


def test_feature_dim_mismatch_named(tiny_benchmark):
    ds = make(tiny_benchmark, pipeline=pipeline(10, feat_dim=2048))
    with pytest.raises(ValueError, match="v_a.*feature dim 6.*2048"):
        ds[0]


def test_transposed_features_hint(tiny_benchmark):
    np.save(Path(tiny_benchmark['feat_dir'], 'v_a.npy'),
            np.zeros((6, 20), np.float32))
    ds = make(tiny_benchmark)
    with pytest.raises(ValueError, match='transposed'):
        ds[0]


def test_nan_features_named(tiny_benchmark):
    x = np.ones((20, 6), np.float32)
    x[4, 2] = np.nan
    np.save(Path(tiny_benchmark['feat_dir'], 'v_a.npy'), x)
    with pytest.raises(ValueError, match="v_a.*NaN/Inf.*snippet 4"):
        make(tiny_benchmark)[0]


def test_zero_length_features(tiny_benchmark):
    np.save(Path(tiny_benchmark['feat_dir'], 'v_a.npy'),
            np.zeros((0, 6), np.float32))
    with pytest.raises(ValueError, match='T=0'):
        make(tiny_benchmark)[0]


def test_too_short_for_num_segments(tiny_benchmark):
    with pytest.raises(ValueError, match='allow_upsample'):
        make(tiny_benchmark, pipeline=pipeline(30))[0]
    item = make(tiny_benchmark,
                pipeline=pipeline(30, allow_upsample=True))[0]
    assert item['inputs'].shape == (6, 30)


def test_click_outside_duration(tiny_benchmark, tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps({'database': {'v_a': {'clicks': [
        dict(time=11.0, type='background', annotator='A1')]}}}))
    with pytest.raises(ValueError, match='v_a'):
        make(tiny_benchmark, click_file=str(path))


def test_clicks_for_unknown_video(tiny_benchmark, tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps({'database': {'nope': {'clicks': []}}}))
    with pytest.raises(ValueError, match='nope'):
        make(tiny_benchmark, click_file=str(path))


def test_gt_label_not_in_class_list(tiny_benchmark):
    with pytest.raises(ValueError, match="v_b.*'Run'.*class list"):
        make(tiny_benchmark, classes=['Jump'])


def test_malformed_gt_json(tmp_path, tiny_benchmark):
    bad = tmp_path / 'bad_gt.json'
    bad.write_text('{"database": {')
    tiny_benchmark['gt'] = str(bad)
    with pytest.raises(ValueError, match='bad_gt.json.*not valid JSON'):
        make(tiny_benchmark)


def test_require_clicks_without_clicks(tiny_benchmark):
    with pytest.raises(ValueError, match='needs clicks'):
        make(tiny_benchmark, require_clicks=True)


def test_empty_subset(tiny_benchmark):
    with pytest.raises(ValueError, match="no video in subset 'validation'"):
        make(tiny_benchmark, subset='validation')


# ---------------------------------------------------------------- real data
@pytest.mark.skipif(not (SHARED / 'gt_thumos14.json').exists(),
                    reason='../shared/data not available')
def test_real_thumos14_gt_with_converted_a1_clicks(tmp_path):
    from backtal_mmaction.datasets.clicks import (convert_thumos_csv,
                                                  dump_click_file)
    clicks = convert_thumos_csv(
        SHARED / 'THUMOS14_Background-Click-Annotation_A1.txt',
        annotator='A1')
    click_file = tmp_path / 'clicks_A1.json'
    dump_click_file(clicks, click_file)
    gt = json.loads((SHARED / 'gt_thumos14.json').read_text())['database']
    feat_dir = tmp_path / 'features'
    feat_dir.mkdir()
    for name, info in gt.items():
        if info['subset'] == 'val':
            length = max(1, int(info['duration'] * info['fps'] / 16))
            np.save(feat_dir / f'{name}.npy', np.ones((length, 4), np.float32))
    init_default_scope('mmaction')
    ds = ClickTALDataset(
        ann_file=str(SHARED / 'gt_thumos14.json'), subset='val',
        click_file=str(click_file), click_types=('background', ),
        require_clicks=True, data_prefix=dict(feature=str(feat_dir)),
        pipeline=pipeline(750, feat_dim=4, allow_upsample=True))
    assert len(ds) == 200 and len(ds.metainfo['classes']) == 20
    total = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        total += len(info['click_times'])
        assert info['video_labels'].sum() >= 1
    assert total == 2264
    item = ds[0]
    n_clicked = int((item['data_samples'].gt_click_labels == 20).sum())
    assert 1 <= n_clicked <= len(ds.get_data_info(0)['click_times'])


def _without_timing(b, video):
    data = json.loads(Path(b['gt']).read_text())
    data['database'][video].pop('fps')
    data['database'][video].pop('frame_num', None)
    Path(b['gt']).write_text(json.dumps(data))


def test_test_mode_videos_need_fps_or_frame_num(tiny_benchmark):
    """Issue 10 #5: caught at load, naming video and fields (not at the
    first validation, blaming the pipeline)."""
    _without_timing(tiny_benchmark, 'v_c')
    with pytest.raises(ValueError, match=r"'v_c'.*\"fps\".*\"frame_num\""):
        make(tiny_benchmark, subset='test', test_mode=True,
             pipeline=pipeline())
    # Training does not map detections to frames; default_fps fills in.
    _without_timing(tiny_benchmark, 'v_a')
    assert len(make(tiny_benchmark, subset='train')) == 2
    ds = make(tiny_benchmark, subset='test', test_mode=True,
              pipeline=pipeline(), default_fps=30)
    assert ds.get_data_info(0)['num_frames'] == 240


def test_test_mode_official_npz_frame_num_is_enough(tiny_benchmark):
    _without_timing(tiny_benchmark, 'v_c')
    feat = Path(tiny_benchmark['feat_dir'])
    x = np.random.default_rng(0).random((3, 15)).astype(np.float32)
    np.savez(feat / 'v_c.npz', feat_spa=x, feat_tem=x, frame_num=241)
    ds = make(tiny_benchmark, subset='test', test_mode=True,
              feature_suffix='.npz',
              pipeline=[dict(type='LoadSnippetFeature'),
                        dict(type='PackClickLocalizationInputs')])
    assert ds[0]['data_samples'].metainfo['num_frames'] == 241


@pytest.mark.parametrize('dtype', [np.int64, np.int8, bool, np.complex64])
def test_non_float_features_are_refused(tmp_path, dtype):
    """Issue 10 #10: float16/32/64 only; the file and dtype are named."""
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    path = tmp_path / 'v.npy'
    np.save(path, np.ones((5, 4), dtype=dtype))
    with pytest.raises(ValueError, match=r"v\.npy.*" + np.dtype(dtype).name):
        LoadSnippetFeature()(dict(feature_path=str(path), video_name='v'))


@pytest.mark.parametrize('dtype', [np.float16, np.float32, np.float64])
def test_float_features_are_accepted(tmp_path, dtype):
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    path = tmp_path / 'v.npy'
    np.save(path, np.ones((5, 4), dtype=dtype))
    out = LoadSnippetFeature()(dict(feature_path=str(path), video_name='v'))
    assert out['features'].dtype == np.float32 and out['features'].shape == (
        4, 5)


@pytest.mark.parametrize('kind', ['truncated', 'garbage', 'object',
                                  'bad_npz', 'truncated_npz'])
def test_unreadable_feature_files_are_named(tmp_path, kind):
    """Issue 10 #4: NumPy's messages name no file; ours do."""
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    suffix = '.npz' if 'npz' in kind else '.npy'
    path = tmp_path / f'v{suffix}'
    if kind == 'object':
        np.save(path, np.array([[1.0, None]], dtype=object),
                allow_pickle=True)
    elif kind == 'garbage':
        path.write_bytes(b'garbage' * 10)
    elif kind == 'bad_npz':
        path.write_bytes(b'PK\x03\x04 not really a zip')
    else:
        save = np.savez if suffix == '.npz' else np.save
        save(path, np.ones((100, 8), np.float32))
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=r"video 'v'.*" + str(path)):
        LoadSnippetFeature()(dict(feature_path=str(path), video_name='v'))


def test_several_click_files_are_merged(tiny_benchmark, tmp_path):
    """The background clicks of one file and the action clicks of another
    (THUMOS14's A1 CSV and SF-Net) give the clicks of the merged file; a
    bad second file is named."""
    full = json.loads(open(tiny_benchmark['clicks']).read())['database']
    parts = {}
    for kind in ('background', 'action'):
        db = {v: {'clicks': [c for c in e['clicks'] if c['type'] == kind]}
              for v, e in full.items()}
        parts[kind] = tmp_path / f'{kind}.json'
        parts[kind].write_text(json.dumps(
            {'version': 'backtal-clicks/1.0', 'database': db}))
    merged = make(tiny_benchmark, click_file=[str(parts['background']),
                                              str(parts['action'])])
    whole = make(tiny_benchmark, click_file=tiny_benchmark['clicks'])
    for i in range(2):
        assert merged[i]['data_samples'].gt_click_labels.tolist() == \
            whole[i]['data_samples'].gt_click_labels.tolist()
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({'database': {'v_a': {'clicks': [
        dict(time=11.0, type='background', annotator='A1')]}}}))
    with pytest.raises(ValueError, match='bad.json'):
        make(tiny_benchmark, click_file=[str(parts['action']), str(bad)])


def test_heldout_clicks_partition_the_clicks(tiny_benchmark):
    from backtal_mmaction.datasets.clicks import heldout_videos
    held = heldout_videos(['v_a', 'v_b'], 0.5, seed=3)
    assert held  # at least one video, whatever the hash

    def clicked(keep):
        ds = make(tiny_benchmark, click_file=tiny_benchmark['clicks'],
                  heldout_clicks=dict(fraction=0.5, seed=3, keep=keep))
        assert len(ds) == 2  # the videos stay, only clicks move
        return {ds.get_data_info(i)['video_name']
                for i in range(2) if len(ds.get_data_info(i)['click_times'])}

    # v_a is the only video with clicks in the file
    assert clicked('heldout') == ({'v_a'} & held)
    assert clicked('train') == ({'v_a'} - held)
    with pytest.raises(ValueError, match='keep'):
        make(tiny_benchmark, heldout_clicks=dict(keep='test'))
    with pytest.raises(ValueError, match=r'\[0, 1\)'):
        make(tiny_benchmark, heldout_clicks=dict(fraction=1.0))
    with pytest.raises(ValueError, match='takes fraction, seed, keep'):
        make(tiny_benchmark, heldout_clicks=dict(share=0.2))
