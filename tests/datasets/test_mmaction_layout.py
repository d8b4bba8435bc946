"""MMAction2's own ActivityNet data (``anet_anno_<split>.json`` and the
``csv_mean_100`` feature CSVs of its BMN / BSN configs) read as they are.

The expectations come from MMAction2's own transforms
(``GenerateLocalizationLabels``, ``LoadLocalizationFeature``) run on the
same files, from hand-computed values, and from the same benchmark in this
plugin's layout, which must give the same samples and the same mAP.
"""
import json
import re
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from backtal_mmaction import register_all_modules
from backtal_mmaction.datasets import ClickTALDataset
from backtal_mmaction.datasets.gt_io import (MMACTION_LAYOUT,
                                             database_from_mmaction, load_gt,
                                             read_class_list)

from tests.helpers.mmaction_layout import (write_feature_csv,
                                           write_mmaction_layout)

register_all_modules(init_default_scope=False)

# The two entries of MMAction2's ActivityNetDataset docstring.
MMACTION_EXAMPLE = {
    'v_--1DO2V4K74': {
        'duration_second': 211.53, 'duration_frame': 6337,
        'annotations': [{'segment': [30.025882995319815, 205.2318595943838],
                         'label': 'Rock climbing'}],
        'feature_frame': 6336, 'fps': 30.0, 'rfps': 29.9579255898},
    'v_--6bJUbfpnQ': {
        'duration_second': 26.75, 'duration_frame': 647,
        'annotations': [{'segment': [2.578755070202808, 24.914101404056165],
                         'label': 'Drinking beer'}],
        'feature_frame': 624, 'fps': 24.0, 'rfps': 24.1869158879},
}
PIPELINE = [dict(type='LoadSnippetFeature'), dict(type='BuildClickLabels'),
            dict(type='PackClickLocalizationInputs')]


@pytest.fixture
def example_file(tmp_path):
    path = tmp_path / 'anet_anno_val.json'
    path.write_text(json.dumps(MMACTION_EXAMPLE))
    return path


@pytest.fixture(scope='module')
def both_layouts(tiny_synthetic, tmp_path_factory):
    """The tiny benchmark in both layouts (features span whole videos)."""
    out = write_mmaction_layout(tiny_synthetic,
                                tmp_path_factory.mktemp('mmaction'))
    return dict(native=tiny_synthetic, **out)


def _dataset(**kwargs):
    init_default_scope('mmaction')
    return ClickTALDataset(pipeline=PIPELINE, **kwargs)


def test_converted_entries_by_hand(example_file):
    gt = load_gt(str(example_file))
    assert gt.data['layout'] == MMACTION_LAYOUT
    # no class list: the sorted labels
    assert gt.class_names == ['Drinking beer', 'Rock climbing']
    a, b = gt.videos['v_--1DO2V4K74'], gt.videos['v_--6bJUbfpnQ']
    # the decoded rate, as MMAction2 converts frames and seconds (its "fps"
    # field is nominal: 30.0 for a 29.958 fps video)
    assert (a['duration'], a['fps'], a['frame_num']) == (211.53,
                                                         6337 / 211.53, 6337)
    assert (b['duration'], b['fps'], b['frame_num']) == (26.75, 647 / 26.75,
                                                         647)
    # the features span feature_frame / duration_frame of the video
    assert a['feature_duration'] == pytest.approx(211.49662, abs=1e-5)
    assert b['feature_duration'] == pytest.approx(25.79907, abs=1e-5)
    assert a['segments'].tolist() == [[30.025882995319815,
                                       205.2318595943838]]
    assert b['labels'].tolist() == [0]
    # the nominal fps only where the frame count is missing
    entry = dict(MMACTION_EXAMPLE['v_--6bJUbfpnQ'])
    del entry['duration_frame'], entry['feature_frame']
    converted = database_from_mmaction({'v': entry})['v']
    assert converted['fps'] == 24.0 and 'frame_num' not in converted


def test_span_is_mmaction_generate_localization_labels(example_file):
    """The seconds the dataset's snippet grid divides are MMAction2's
    ``corrected_second``: a segment's place on the grid (segment /
    duration, clipped to [0, 1]) is MMAction2's ``gt_bbox``, bit for bit."""
    from mmaction.datasets.transforms import GenerateLocalizationLabels
    names = str(example_file)  # its own labels are the class list
    ds = _dataset(ann_file=str(example_file), classes=names,
                  check_files=False, test_mode=True, default_fps=None)
    for i, name in enumerate(MMACTION_EXAMPLE):
        ref = GenerateLocalizationLabels().transform(
            dict(MMACTION_EXAMPLE[name]))['gt_bbox']
        info = ds.get_data_info(i)
        ours = np.clip(np.asarray(info['gt_segments']) / info['duration'],
                       0, 1)
        np.testing.assert_array_equal(ours, ref)
        # the frame count is the span's: feature_frame
        assert info['num_frames'] == MMACTION_EXAMPLE[name]['feature_frame']


def test_feature_csv_is_read_as_mmaction_reads_it(both_layouts):
    from mmaction.datasets.transforms import LoadLocalizationFeature
    from mmcv.transforms import Compose

    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    csv = both_layouts['csv'] / 'video_test_0000000.csv'
    ref = Compose([LoadLocalizationFeature()])(
        dict(feature_path=str(csv)))['raw_feature']
    ours = LoadSnippetFeature(feat_dim=16).transform(
        dict(feature_path=str(csv)))['features']
    assert ours.dtype == ref.dtype == np.float32
    np.testing.assert_array_equal(ours, ref)  # (D, T)
    # and the CSV holds the .npy's values exactly
    native = np.load(both_layouts['native'] / 'features' /
                     'video_test_0000000.npy')
    np.testing.assert_array_equal(ours, native.T)


def test_csv_without_header_keeps_its_first_row(tmp_path):
    """MMAction2 skips the first row unread; a first row of numbers is a
    snippet, not a header."""
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    feats = np.arange(12, dtype=np.float32).reshape(4, 3)
    path = tmp_path / 'v.csv'
    write_feature_csv(path, feats, header=False)
    out = LoadSnippetFeature().transform(dict(feature_path=str(path)))
    np.testing.assert_array_equal(out['features'], feats.T)
    assert out['num_snippets'] == 4
    # one snippet: still (D, 1)
    write_feature_csv(path, feats[:1])
    out = LoadSnippetFeature().transform(dict(feature_path=str(path)))
    assert out['features'].shape == (3, 1)


def test_bad_csv_names_the_video(tmp_path):
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    path = tmp_path / 'v.csv'
    path.write_text('f0,f1\n1,2\n3\n')
    with pytest.raises(ValueError, match=r"^video 'v_x': cannot read "
                       r'feature file .*v\.csv .*CSV of numbers'):
        LoadSnippetFeature().transform(dict(feature_path=str(path),
                                            video_name='v_x'))
    with pytest.raises(ValueError, match='layout="official" expects .npz'):
        LoadSnippetFeature(layout='official').transform(
            dict(feature_path=str(path), video_name='v_x'))


@pytest.mark.parametrize('split,test_mode', [('train', False),
                                             ('test', True)])
def test_same_samples_as_the_native_layout(both_layouts, split, test_mode):
    """Every sample (features, click labels, timing, GT) equals the one
    read from the plugin's own layout; one click file covering every
    split is read by each split's dataset."""
    native = both_layouts['native']
    clicks = str(native / 'clicks.json')
    a = _dataset(ann_file=str(native / 'gt.json'), subset=split,
                 data_prefix=dict(feature=str(native / 'features')),
                 click_file=clicks, test_mode=test_mode)
    b = _dataset(ann_file=str(both_layouts['anno'][split]),
                 data_prefix=dict(feature=str(both_layouts['csv'])),
                 feature_suffix='.csv', click_file=clicks,
                 test_mode=test_mode, classes=str(native / 'gt.json'))
    assert len(a) == len(b) > 0
    assert a.metainfo['classes'] == b.metainfo['classes']
    clicked = 0
    for i in range(len(a)):
        x, y = a[i], b[i]
        np.testing.assert_array_equal(x['inputs'], y['inputs'])
        mx, my = x['data_samples'].metainfo, y['data_samples'].metainfo
        assert set(mx) == set(my)
        for key in mx:
            if key not in ('feature_path', 'fps'):
                np.testing.assert_array_equal(mx[key], my[key], err_msg=key)
        # MMAction2's layout gives the decoded rate, duration_frame /
        # duration_second, with duration_frame = round(duration * 30)
        assert my['fps'] == mx['num_frames'] / mx['duration']
        # which differs from 30 by the frame count's rounding only
        assert abs(my['fps'] - mx['fps']) * mx['duration'] <= 0.5
        clicked += len(mx['click_times']) > 0
        for field in ('gt_video_labels', 'gt_click_labels'):
            if field in x['data_samples']:
                np.testing.assert_array_equal(x['data_samples'].get(field),
                                              y['data_samples'].get(field))
        gx, gy = x['data_samples'].gt_instances, y['data_samples'].gt_instances
        np.testing.assert_array_equal(gx.segments, gy.segments)
        np.testing.assert_array_equal(gx.labels, gy.labels)
    assert clicked == (len(a) if split == 'train' else 0)


def test_train_and_test_give_the_native_layouts_map(both_layouts,
                                                    tmp_path):
    """BackTAL trained and tested through the Runner on MMAction2's files
    reaches the same mAP as on the same benchmark in the plugin's layout."""
    from tests.helpers import build_runner, synthetic_cfg
    native = both_layouts['native']
    metrics = []
    for layout in ('native', 'mmaction'):
        cfg = synthetic_cfg(native, work_dir=tmp_path / layout, epochs=3,
                            validate=False)
        # every class detected: a mAP that would tell the layouts apart
        cfg.model.post_processor.class_threshold = 0.0
        if layout == 'mmaction':
            for split in ('train', 'test'):
                ds = cfg[f'{split}_dataloader'].dataset
                ds.ann_file = str(both_layouts['anno'][split])
                ds.subset = None
                ds.classes = str(both_layouts['anno']['train'])
                ds.feature_suffix = '.csv'
                ds.data_prefix = dict(feature=str(both_layouts['csv']))
        runner = build_runner(cfg)
        runner.train()
        metrics.append(runner.test())
    assert metrics[0]['tal/mAP_avg'] > 0
    assert metrics[0] == metrics[1]


def test_test_split_without_class_list_is_refused(both_layouts):
    """An MMAction2 split file has no class list; its own sorted labels
    may not be the training file's (the class indices would shift)."""
    path = str(both_layouts['anno']['test'])
    with pytest.raises(ValueError, match=re.escape(
            f"{path}: MMAction2's ActivityNet layout holds one split and no "
            'class list') + r".*set this dataset's `classes` to the "
            'training GT file'):
        _dataset(ann_file=path, feature_suffix='.csv', test_mode=True,
                 data_prefix=dict(feature=str(both_layouts['csv'])))


def test_subset_on_a_one_split_file_is_refused(both_layouts):
    path = str(both_layouts['anno']['train'])
    with pytest.raises(ValueError, match=re.escape(
            f'{path}: its videos have no "subset" field (one file per '
            "split, as in MMAction2's ActivityNet layout), so subset "
            "'training' selects nothing; set subset=None to read them all")):
        _dataset(ann_file=path, subset='training', feature_suffix='.csv',
                 data_prefix=dict(feature=str(both_layouts['csv'])))


@pytest.mark.parametrize('change,message', [
    (dict(duration_second=None), 'missing field "duration_second"'),
    (dict(duration_second=-1), 'field "duration_second" must be a positive '
     'number, got -1'),
    (dict(duration_frame=2.5), 'field "duration_frame" must be a positive '
     'integer, got 2.5'),
    (dict(feature_frame=0), 'field "feature_frame" must be a positive '
     'integer, got 0'),
    (dict(duration_frame=None), 'field "feature_frame" needs '
     '"duration_frame"'),
    (dict(fps='30'), "field \"fps\" must be a positive number, got '30'"),
])
def test_bad_mmaction_entry_names_video_and_field(tmp_path, change,
                                                  message):
    entry = dict(MMACTION_EXAMPLE['v_--6bJUbfpnQ'], **change)
    entry = {k: v for k, v in entry.items() if v is not None}
    path = tmp_path / 'anno.json'
    path.write_text(json.dumps(dict(MMACTION_EXAMPLE,
                                    **{'v_--6bJUbfpnQ': entry})))
    with pytest.raises(ValueError, match=re.escape(
            f"{path}: video 'v_--6bJUbfpnQ': {message}")):
        load_gt(str(path))


def test_class_list_files(tmp_path, example_file):
    assert read_class_list(str(example_file)) == ['Drinking beer',
                                                  'Rock climbing']
    txt = tmp_path / 'classes.txt'
    txt.write_text('b\n\na\n')
    assert read_class_list(str(txt)) == ['b', 'a']  # file order
    txt.write_text('a\nb\na\n')
    with pytest.raises(ValueError, match=r"given twice: \['a'\]"):
        read_class_list(str(txt))
    txt.write_text('\n')
    with pytest.raises(ValueError, match='the class list is empty'):
        read_class_list(str(txt))
    with pytest.raises(FileNotFoundError, match='class list file not found'):
        read_class_list(str(tmp_path / 'none.txt'))


def test_simulate_clicks_tool_reads_an_mmaction_file(both_layouts,
                                                     tmp_path):
    from backtal_mmaction.datasets.clicks import load_click_file

    from tests.helpers.tool_runner import run_tool
    out = tmp_path / 'clicks_sim.json'
    run = run_tool('data/simulate_clicks.py', [
        both_layouts['anno']['train'], '--out', out, '--no-action'])
    assert run.exit_code == 0, run.stderr
    clicks = load_click_file(str(out))
    train = json.loads(both_layouts['anno']['train'].read_text())
    assert set(clicks) == set(train)
    assert all(c['type'] == 'background' for v in clicks.values() for c in v)


def test_pseudo_labelling_a_one_split_file_is_refused(trained,
                                                      both_layouts):
    """The pseudo-GT names the subset of its videos: a one-split file has
    none, and the error says so instead of writing a GT without one."""
    from backtal_mmaction.workflows.pseudo_gt import predict_training_videos
    ds_cfg = dict(type='ClickTALDataset', subset=None,
                  ann_file=str(both_layouts['anno']['train']),
                  feature_suffix='.csv', pipeline=PIPELINE,
                  data_prefix=dict(feature=str(both_layouts['csv'])))
    with pytest.raises(ValueError, match=r"must name one subset, got None "
                       r"\(.*MMAction2's anet_anno_train.json has none\)"):
        predict_training_videos(trained['cfg_file'], trained['ckpt'],
                                dataset_cfg=ds_cfg)


# ---------------------------------------------------------------- infer.py
@pytest.fixture
def resampled(trained, tmp_path):
    """The trained tiny model's test videos as MMAction2 data whose
    features cover 9/10 of each video, resampled to 25 rows (the 100 rows
    of csv_mean_100, small), and the detections tools/test.py makes of
    them: the reference for tools/infer.py."""
    from backtal_mmaction.apis import test_localizer
    from mmengine.config import Config
    src = trained['data']
    database = json.loads((src / 'gt.json').read_text())['database']
    covered = {n: int(round(v['duration'] * v['fps'])) * 9 // 10
               for n, v in database.items()}
    out = write_mmaction_layout(src, tmp_path / 'mm', covered)
    rng = np.random.default_rng(0)
    for csv in out['csv'].glob('*.csv'):  # new features: 25 rows each
        write_feature_csv(csv, rng.normal(size=(25, 16)).astype(np.float32))
    cfg = Config.fromfile(trained['cfg_file'])
    ds = cfg.test_dataloader.dataset
    ds.update(ann_file=str(out['anno']['test']), subset=None,
              classes=str(out['anno']['train']), feature_suffix='.csv',
              data_prefix=dict(feature=str(out['csv'])))
    cfg.test_evaluator.pop('ann_file', None)
    cfg_file = tmp_path / 'mm_cfg.py'
    cfg.dump(str(cfg_file))
    result = tmp_path / 'test_results.json'
    test_localizer(str(cfg_file), trained['ckpt'], out_json=str(result),
                   work_dir=str(tmp_path / 'test_wd'))
    videos = sorted(json.loads(out['anno']['test'].read_text()))
    return dict(out, cfg_file=str(cfg_file), ckpt=trained['ckpt'],
                files=[str(out['csv'] / f'{v}.csv') for v in videos],
                expected=json.loads(result.read_text())['results'])


def test_infer_with_video_info_equals_the_test_run(resampled, tmp_path):
    """--video-info: each video's span and fps from MMAction2's annotation
    file give tools/test.py's detections; resampled features imply no
    duration, so nothing is derived from 16-frame snippets or warned."""
    import warnings

    from backtal_mmaction.apis import localize_feature_files
    out = tmp_path / 'det.json'
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        localize_feature_files(
            resampled['cfg_file'], resampled['ckpt'], resampled['files'],
            str(out), video_info=str(resampled['anno']['test']),
            log=lambda _: None)
    got = json.loads(out.read_text())['results']
    assert got == resampled['expected']
    assert any(got.values())


def test_infer_video_info_errors(resampled, tmp_path):
    from backtal_mmaction.apis import localize_feature_files
    anno = str(resampled['anno']['test'])
    kwargs = dict(log=lambda _: None)
    with pytest.raises(ValueError, match='`duration` and `video_info` both '
                       'give durations'):
        localize_feature_files(resampled['cfg_file'], resampled['ckpt'],
                               resampled['files'][:1], str(tmp_path / 'a'),
                               duration=10.0, video_info=anno, **kwargs)
    train_csv = str(resampled['csv'] / 'video_train_0000000.csv')
    with pytest.raises(ValueError, match=re.escape(
            f"{anno}: no entry for 1 of the 2 videos, e.g. "
            "['video_train_0000000']")):
        localize_feature_files(resampled['cfg_file'], resampled['ckpt'],
                               [train_csv, resampled['files'][0]],
                               str(tmp_path / 'b'), video_info=anno,
                               **kwargs)
    # the config's class-list file is one of the run's inputs
    with pytest.raises(ValueError, match='is also an input of this run'):
        localize_feature_files(resampled['cfg_file'], resampled['ckpt'],
                               resampled['files'], str(
                                   resampled['anno']['train']),
                               video_info=anno, overwrite=True, **kwargs)
    # and so is the video-info file
    with pytest.raises(ValueError, match='is also an input of this run'):
        localize_feature_files(resampled['cfg_file'], resampled['ckpt'],
                               resampled['files'], anno, video_info=anno,
                               overwrite=True, **kwargs)


def test_class_names_of_a_config_with_a_class_list_file(resampled):
    """A test dataset whose ``classes`` is a file gives the file's list
    (read as a list, it would be the path's characters)."""
    from mmengine.config import Config

    from backtal_mmaction.apis.inference import resolve_class_names
    cfg = Config.fromfile(resampled['cfg_file'])
    assert resolve_class_names(cfg) == ['class00', 'class01', 'class02']


def test_offline_evaluation_against_an_mmaction_gt_file(test_run,
                                                        tmp_path):
    """eval_detections.py scores a result file against MMAction2's
    annotation file exactly as against the same GT in the plugin's
    layout (the file has no subsets: all its videos are evaluated)."""
    from tests.helpers.tool_runner import run_tool
    native = test_run['data']
    out = write_mmaction_layout(native, tmp_path / 'mm')
    tables = []
    for gt in (native / 'gt.json', out['anno']['test']):
        run = run_tool('analysis/eval_detections.py',
                       [test_run['json'], gt, '--tiou', '0.3', '0.5'])
        assert run.exit_code == 0, run.stderr
        tables.append(run.stdout[run.stdout.index('mAP'):])
    assert tables[0] == tables[1]
    assert 'mAP (%)' in tables[0]


# ------------------------------------------- defects of a bad-input probe
def test_a_file_in_both_layouts_is_refused(tmp_path):
    """A "database" object beside MMAction2 entries: one of the two would
    be ignored (the entries were, silently)."""
    path = tmp_path / 'mixed.json'
    path.write_text(json.dumps(dict(MMACTION_EXAMPLE, database={})))
    with pytest.raises(ValueError, match=re.escape(
            f'{path}: holds a "database" object and also 2 entries of '
            "MMAction2's layout at the top level (e.g. ['v_--1DO2V4K74', "
            "'v_--6bJUbfpnQ'])")):
        load_gt(str(path))


def test_features_longer_than_the_video_warn_once(tmp_path):
    entry = dict(MMACTION_EXAMPLE['v_--6bJUbfpnQ'], feature_frame=2000)
    path = tmp_path / 'long.json'
    path.write_text(json.dumps({'v_--6bJUbfpnQ': entry}))
    with pytest.warns(UserWarning, match=re.escape(
            f"{path}: 1 video(s) have \"feature_frame\" > \"duration_frame\" "
            "(features spanning more than the video), e.g. 'v_--6bJUbfpnQ' "
            '(2000 > 647)')):
        gt = load_gt(str(path))
    # kept as MMAction2 keeps it
    assert gt.videos['v_--6bJUbfpnQ']['feature_duration'] == \
        pytest.approx(2000 / 647 * 26.75)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load_gt(str(path))  # once per file


def test_subset_given_by_the_entries_is_kept(tmp_path):
    entries = {k: dict(v, subset='validation')
               for k, v in MMACTION_EXAMPLE.items()}
    path = tmp_path / 'anno.json'
    path.write_text(json.dumps(entries))
    assert len(load_gt(str(path), subset='validation').videos) == 2


@pytest.mark.parametrize('text,rows', [
    ('\ufeff1,2\n3,4\n', 2),  # a BOM, no header
    ('\ufefff0,f1\n1,2\n', 1),  # a BOM and a header
    ('f0,f1\r\n1,2\r\n3,4\r\n', 2),
])
def test_csv_variants(tmp_path, text, rows):
    from backtal_mmaction.datasets.transforms.loading import read_feature_csv
    path = tmp_path / 'v.csv'
    path.write_bytes(text.encode('utf-8'))
    assert read_feature_csv(str(path)).shape == (rows, 2)


@pytest.mark.parametrize('text', ['', 'f0,f1\n', '\n'])
def test_csv_without_data_rows_is_named(tmp_path, text):
    from backtal_mmaction.datasets.transforms import LoadSnippetFeature
    path = tmp_path / 'v.csv'
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(
            f"video 'v_x': {path}: no data rows (an empty file, or a header "
            'only)')):
        LoadSnippetFeature().transform(dict(feature_path=str(path),
                                            video_name='v_x'))


def test_clicks_past_the_feature_span_are_dropped(both_layouts, tmp_path):
    """Features covering the first half of each video: clicks after it
    lie in no snippet (clipped, they all landed on the last one)."""
    native = both_layouts['native']
    database = json.loads((native / 'gt.json').read_text())['database']
    half = {n: int(round(v['duration'] * v['fps'])) // 2
            for n, v in database.items()}
    out = write_mmaction_layout(native, tmp_path / 'mm', half)
    clicks = json.loads((native / 'clicks.json').read_text())['database']
    ds = _dataset(ann_file=str(out['anno']['train']), feature_suffix='.csv',
                  data_prefix=dict(feature=str(out['csv'])),
                  click_file=str(native / 'clicks.json'))
    dropped = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        name, span = info['video_name'], info['duration']
        times = [c['time'] for c in clicks[name]['clicks']]
        kept = sorted(t for t in times if t <= span)
        dropped += len(times) - len(kept)
        assert sorted(info['click_times']) == kept
        assert span < database[name]['duration']
    assert dropped > 0


def test_eval_against_a_split_file_without_one_of_the_classes(
        test_run, tmp_path):
    """The model's class02 has no instance in this split file (which has
    no class list): its detections are scored as those of a class without
    GT, left out of the mAP, as against a GT naming every class."""
    from tests.helpers.tool_runner import run_tool
    native = test_run['data']
    out = write_mmaction_layout(native, tmp_path / 'mm')
    anno = json.loads(out['anno']['test'].read_text())
    kept = {k: v for k, v in anno.items()
            if all(a['label'] != 'class02' for a in v['annotations'])}
    assert 0 < len(kept) < len(anno)
    split = tmp_path / 'anet_anno_no_c2.json'
    split.write_text(json.dumps(kept))
    results = json.loads(Path(test_run['json']).read_text())
    results['results'] = {k: v for k, v in results['results'].items()
                          if k in kept}
    assert any(d['label'] == 'class02'
               for v in results['results'].values() for d in v)
    res = tmp_path / 'results.json'
    res.write_text(json.dumps(results))
    # the reference: the same videos in the plugin's layout, every class
    ref_gt = tmp_path / 'gt.json'
    ref_gt.write_text(json.dumps(dict(
        activity_list=['class00', 'class01', 'class02'],
        database={k: dict(subset='test', duration=v['duration_second'],
                          annotations=v['annotations'])
                  for k, v in kept.items()})))
    tables = []
    for gt in (split, ref_gt):
        run = run_tool('analysis/eval_detections.py', [res, gt])
        assert run.exit_code == 0, run.stderr
        assert 'class02' in run.stdout and 'have no GT' in run.stdout
        tables.append(run.stdout[run.stdout.index('Temporal'):])
    assert tables[0] == tables[1]
    run = run_tool('analysis/diagnose_errors.py', [res, split])
    assert run.exit_code == 0, run.stderr


def test_simulate_clicks_subset_error_names_the_file(both_layouts,
                                                     tmp_path):
    from tests.helpers.tool_runner import run_tool
    anno = both_layouts['anno']['train']
    run = run_tool('data/simulate_clicks.py', [
        anno, '--out', tmp_path / 'c.json', '--subset', 'training'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1].startswith(
        f'error: {anno}: its videos have no "subset" field')


def test_click_file_of_another_split_says_so(both_layouts):
    """A training dataset with require_clicks whose click file names only
    videos of another split's file: the error says that is the case."""
    native = both_layouts['native']
    clicks = json.loads((native / 'clicks.json').read_text())
    database = json.loads(both_layouts['anno']['train'].read_text())
    # the test split's videos only (the file keeps its schema)
    others = {k: v for k, v in clicks['database'].items()
              if k not in database}
    path = both_layouts['anno']['train'].parent / 'clicks_other.json'
    if not others:  # the tiny benchmark clicks train videos only
        others = {'video_test_0000000': dict(clicks=[dict(
            time=1.0, type='background', annotator='A1')])}
    path.write_text(json.dumps(dict(clicks, database=others)))
    with pytest.raises(ValueError, match=re.escape(
            f"clicked video(s) of the click file(s), none in "
            f"{both_layouts['anno']['train']}: the clicks of another "
            'split?)')):
        _dataset(ann_file=str(both_layouts['anno']['train']),
                 feature_suffix='.csv', require_clicks=True,
                 data_prefix=dict(feature=str(both_layouts['csv'])),
                 click_file=str(path))


def test_untimed_mmaction_entry_names_its_own_fields(tmp_path):
    entry = {k: v for k, v in MMACTION_EXAMPLE['v_--6bJUbfpnQ'].items()
             if k not in ('fps', 'duration_frame', 'feature_frame')}
    path = tmp_path / 'anno.json'
    path.write_text(json.dumps({'v_--6bJUbfpnQ': entry}))
    with pytest.raises(ValueError, match=re.escape(
            f'{path}: 1 video(s) of subset None have neither "fps" nor '
            '"duration_frame", e.g. video \'v_--6bJUbfpnQ\'')):
        _dataset(ann_file=str(path), classes=str(path), test_mode=True,
                 check_files=False)
