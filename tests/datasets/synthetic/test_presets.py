"""The test-only benchmark presets (``datasets/synthetic/presets.py``),
lists of click files, the ``--preset`` plumbing of
``tools/data/generate_synthetic.py`` and ``retarget_synthetic_config`` on an
official-layout benchmark with another class count.

Hand-checked values come from the real files of ``../shared/data``: the
first THUMOS14 ``val`` video of ``gt_thumos14.json`` is
``video_validation_0000950`` (20.243 s, ThrowDiscus [4.9, 9.2]); its rows
are ``...,background_background,3,3,1,1`` and ``...,9,9,1,1`` in the A1 CSV
(lines 2193-2194) and ``video_validation_0000950,5.910889,ThrowDiscus`` in
SF-Net file 1 (line 4199).
"""
import importlib.util
import json

import numpy as np
import pytest

from backtal_mmaction.datasets.clicks import load_click_file
from backtal_mmaction.datasets.config_utils import (benchmark_layout,
                                                    retarget_synthetic_config)
from backtal_mmaction.datasets.synthetic import (SyntheticBenchmarkConfig,
                                                 generate_synthetic_benchmark)
from backtal_mmaction.datasets.synthetic.command import (
    STAMP, TOOL_DEFAULTS, generate_from_options)
from backtal_mmaction.datasets.synthetic.presets import (DEFAULT_SHARED_DATA,
                                                         PRESETS,
                                                         preset_config)

from tests.helpers import REPO, SHARED_DATA

TOOL = REPO / 'tools' / 'data' / 'generate_synthetic.py'
A1 = 'THUMOS14_Background-Click-Annotation_A1.txt'
SF1 = 'SFNet_THUMOS14_single_frames_1.txt'
VIDEO = 'video_validation_0000950'
CONFIGS = ('configs/backtal/backtal_synthetic.py',
           'configs/two_stage/backtal_then_anchor_free_synthetic.py')

pytestmark = pytest.mark.filterwarnings(
    # The real GTs hold segments past their video's end (kept, warned).
    'ignore:.*GT segment\\(s\\) in .* start before 0:UserWarning')


def _shared():
    files = ('gt_thumos14.json', A1, SF1, 'activity_net.v1-2.min.json')
    if not all((SHARED_DATA / f).is_file() for f in files):
        pytest.skip(f'real annotation files not available in {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture(scope='module')
def thumos_small(tmp_path_factory):
    """thumos14-fixed-t with the first 5 videos of each subset."""
    out = tmp_path_factory.mktemp('thumos14_fixed_t')
    summary = generate_synthetic_benchmark(
        out,
        preset_config('thumos14-fixed-t', _shared(),
                      max_videos_per_subset=5),
        overwrite=True)
    return out, summary


@pytest.fixture(scope='module')
def anet_small(tmp_path_factory):
    """activitynet12-fixed-t with 5 videos per subset, through the tool's
    option plumbing (so the folder carries the generator's stamp)."""
    out = tmp_path_factory.mktemp('anet12_fixed_t') / 'bench'
    options = _tool_options('--out', out, '--preset', 'activitynet12-fixed-t',
                            '--shared-data', _shared(), '--max-videos', 5)
    lines = generate_from_options(options)
    return out, options, lines


def _tool():
    spec = importlib.util.spec_from_file_location('generate_synthetic', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tool_options(*argv):
    return vars(_tool().parse_args([str(a) for a in argv]))


def test_preset_fields():
    shared = _shared()
    thumos = preset_config('thumos14-fixed-t', shared)
    assert thumos == SyntheticBenchmarkConfig(
        feat_dim=128, num_segments=256, seed=0, layout='official',
        gt_file=str(shared / 'gt_thumos14.json'),
        click_file=[str(shared / A1), str(shared / SF1)],
        subsets_from_gt={'val': 'train', 'test': 'test'})
    assert thumos.max_videos_per_subset is None  # all 200 / 210 videos
    anet = preset_config('activitynet12-fixed-t', str(shared))
    assert anet == SyntheticBenchmarkConfig(
        feat_dim=128, num_segments=100, seed=0, layout='official',
        gt_file=str(shared / 'activity_net.v1-2.min.json'),
        subsets_from_gt={'training': 'train', 'validation': 'test'},
        classes=['Archery', 'Clean and jerk', 'Doing nails',
                 'Hand washing clothes', 'Mixing drinks', 'Playing flauta',
                 'Playing violin', 'Rock climbing', 'Spinning',
                 'Using the pommel horse'])
    assert anet.click_file is None  # simulated clicks
    # Overrides replace those fields only.
    changed = preset_config('activitynet12-fixed-t', shared, seed=3,
                            feat_dim=64)
    assert (changed.seed, changed.feat_dim) == (3, 64)
    assert changed == SyntheticBenchmarkConfig(
        **dict(anet.__dict__, seed=3, feat_dim=64))
    assert PRESETS == ('thumos14-fixed-t', 'activitynet12-fixed-t')
    assert DEFAULT_SHARED_DATA == '../shared/data'


def test_preset_errors(tmp_path):
    with pytest.raises(ValueError, match=r"unknown benchmark preset "
                       r"'thumos'; valid presets: \['thumos14-fixed-t', "
                       r"'activitynet12-fixed-t'\]"):
        preset_config('thumos', tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=r'annotation file not found: '
                       f'{tmp_path}/gt_thumos14.json'):
        preset_config('thumos14-fixed-t', tmp_path)
    with pytest.raises(FileNotFoundError,
                       match=f'{tmp_path}/activity_net.v1-2.min.json'):
        preset_config('activitynet12-fixed-t', tmp_path)
    shared = _shared()
    with pytest.raises(ValueError, match=r"unknown override\(s\) \['seeds'\]"):
        preset_config('thumos14-fixed-t', shared, seeds=1)


def test_thumos_preset_files(thumos_small):
    out, summary = thumos_small
    gt = json.loads((out / 'gt.json').read_text())
    subsets = [e['subset'] for e in gt['database'].values()]
    assert sorted(set(subsets)) == ['test', 'train']
    assert subsets.count('train') == subsets.count('test') == 5
    assert len(gt['activity_list']) == 20
    assert summary['train_subset'] == 'train'
    # Fixed T = 256 for every video, official layout.
    files = sorted((out / 'features').iterdir())
    assert [f.suffix for f in files] == ['.npz'] * 10
    assert benchmark_layout(out) == 'official'
    for f in files:
        with np.load(f) as npz:
            assert npz['feat_spa'].shape == npz['feat_tem'].shape == (64, 256)
    # The real clicks: A1 background + SF-Net action, train videos only.
    clicks = load_click_file(out / 'clicks.json')
    kinds = {(c['type'], c['annotator']) for v in clicks.values() for c in v}
    assert kinds == {('background', 'A1'), ('action', 'SF')}
    assert {gt['database'][v]['subset'] for v in clicks} == {'train'}
    assert clicks[VIDEO] == [
        dict(time=3.0, type='background', label=None, annotator='A1'),
        dict(time=5.910889, type='action', label='ThrowDiscus',
             annotator='SF'),
        dict(time=9.0, type='background', label=None, annotator='A1'),
    ]
    assert summary['num_clicks'] == {
        'A1': sum(c['annotator'] == 'A1' for v in clicks.values() for c in v),
        'SF': sum(c['annotator'] == 'SF' for v in clicks.values() for c in v)
    }
    # point_label: class count 20 at floor(t / 20.243 s * 256) = 37, 113.
    with np.load(out / 'features' / f'{VIDEO}.npz') as npz:
        point_label = npz['point_label']
        assert npz['cls_label'].sum() == 1
    assert point_label.shape == (256, )
    assert np.flatnonzero(point_label != -100).tolist() == [37, 113]
    assert (point_label[[37, 113]] == 20).all()


def test_anet_preset_files_and_stamp(anet_small):
    out, options, lines = anet_small
    gt = json.loads((out / 'gt.json').read_text())
    # the 10-class subset, and only videos of those classes
    assert len(gt['activity_list']) == 10
    assert {a['label'] for e in gt['database'].values()
            for a in e['annotations']} <= set(gt['activity_list'])
    assert sorted({e['subset'] for e in gt['database'].values()}) == \
        ['test', 'train']
    files = sorted((out / 'features').iterdir())
    assert len(files) == 10 and {f.suffix for f in files} == {'.npz'}
    for f in files:
        with np.load(f) as npz:
            assert npz['feat_spa'].shape == (64, 100)
    clicks = load_click_file(out / 'clicks.json')
    kinds = {(c['type'], c['annotator']) for v in clicks.values() for c in v}
    assert kinds == {('background', 'A1'), ('action', 'SF')}
    assert lines[-1].startswith('preset activitynet12-fixed-t (test-only')
    stamp = json.loads((out / STAMP).read_text())
    assert stamp['preset'] == 'activitynet12-fixed-t'
    assert stamp['preset_config']['max_videos_per_subset'] == 5
    assert stamp['preset_config']['gt_file'] == 'activity_net.v1-2.min.json'
    assert set(stamp['input_files']) == {'activity_net.v1-2.min.json'}
    # --exist-ok reuses it; other options are refused, naming what changed.
    assert generate_from_options(dict(options, exist_ok=True)) == [
        f'{out} already holds this benchmark; reusing it (`exist_ok`)']
    with pytest.raises(ValueError, match=r'other arguments \(preset_config\)'):
        generate_from_options(dict(options, exist_ok=True, seed=1))
    with pytest.raises(ValueError, match=r'other arguments \(input_files, '
                       r'preset, preset_config\)'):
        generate_from_options(
            dict(options, exist_ok=True, preset='thumos14-fixed-t'))


def test_tool_options(tmp_path):
    tool = _tool()
    # the tool's defaults are the package's (TOOL_DEFAULTS, one place)
    parsed = vars(tool.parse_args(['--out', 'x']))
    assert {k: parsed[k] for k in TOOL_DEFAULTS} == TOOL_DEFAULTS
    assert parsed['preset'] is None and parsed['shared_data'] is None
    # A preset sets the benchmark: other content options are refused.
    with pytest.raises(ValueError, match=r'`preset` thumos14-fixed-t sets '
                       r'the benchmark itself; `layout`, `num_segments` '
                       r'cannot be combined'):
        generate_from_options(_tool_options(
            '--out', tmp_path / 'o', '--preset', 'thumos14-fixed-t',
            '--num-segments', 50, '--layout', 'official'))
    with pytest.raises(ValueError, match=r'`shared_data` applies to '
                       r'`preset` only'):
        generate_from_options(_tool_options('--out', tmp_path / 'o',
                                            '--shared-data', tmp_path))
    with pytest.raises(FileNotFoundError, match=r'gt_thumos14\.json'):
        generate_from_options(_tool_options(
            '--out', tmp_path / 'o', '--preset', 'thumos14-fixed-t',
            '--shared-data', tmp_path))
    assert not (tmp_path / 'o').exists()
    with pytest.raises(SystemExit):  # argparse choices
        tool.parse_args(['--out', 'x', '--preset', 'thumos'])


def test_click_file_lists(tmp_path):
    shared = _shared()
    options = _tool_options(
        '--out', tmp_path / 'two', '--gt-file', shared / 'gt_thumos14.json',
        '--click-file', shared / A1, shared / SF1, '--subsets', 'val:train',
        '--max-videos', 1, '--feat-dim', 8)
    generate_from_options(options)
    clicks = load_click_file(tmp_path / 'two' / 'clicks.json')
    assert list(clicks) == [VIDEO] and len(clicks[VIDEO]) == 3
    # One file through nargs='+': the settings and stamp of a single path.
    one = _tool_options('--out', tmp_path / 'one', '--click-file', shared / A1,
                        '--gt-file', shared / 'gt_thumos14.json')
    assert one['click_file'] == [str(shared / A1)]
    from backtal_mmaction.datasets.synthetic.command import (
        benchmark_config_of, stamp_content)
    assert benchmark_config_of(one).click_file == str(shared / A1)
    assert stamp_content(one)['click_file'] == str(shared / A1)
    # A bad file of a list is named.
    bad = tmp_path / 'sf_bad.txt'
    bad.write_text('video_nope,1.5,Diving\n')
    with pytest.raises(ValueError, match=r"sf_bad\.txt, line 1, video "
                       r"'video_nope': video not in the ground truth"):
        generate_synthetic_benchmark(
            tmp_path / 'bad', SyntheticBenchmarkConfig(
                gt_file=str(shared / 'gt_thumos14.json'),
                click_file=[str(shared / A1), str(bad)], feat_dim=8,
                subsets_from_gt={'val': 'train'}, max_videos_per_subset=1))
    with pytest.raises(ValueError, match='click_file: empty list'):
        generate_synthetic_benchmark(
            tmp_path / 'empty', SyntheticBenchmarkConfig(
                gt_file=str(shared / 'gt_thumos14.json'), click_file=[],
                feat_dim=8, max_videos_per_subset=1))


@pytest.mark.parametrize('config', CONFIGS)
def test_retarget_to_official_anet(anet_small, config):
    from mmengine.config import Config
    out = anet_small[0]
    cfg = Config.fromfile(str(REPO / config))
    retarget_synthetic_config(cfg, str(out))
    heads = [cfg.model.get('cls_head'), cfg.model.get('head')]
    assert [h.num_classes for h in heads if h] == [10]
    for split in ('train', 'test'):
        ds = cfg[f'{split}_dataloader'].dataset
        assert ds.ann_file == f'{out}/gt.json'
        assert ds.data_prefix == dict(feature=f'{out}/features')
        assert ds.feature_suffix == '.npz'
        pipelines = [ds.pipeline, cfg[f'{split}_pipeline']]
        loaders = [t for p in pipelines for t in p
                   if t['type'] == 'LoadSnippetFeature']
        assert loaders and all(t['layout'] == 'auto' for t in loaders)
    assert cfg.train_dataloader.dataset.click_file == f'{out}/clicks.json'
    # No 'val' subset: validation is dropped.
    assert cfg.val_dataloader is None and cfg.val_evaluator is None
    assert cfg.val_cfg is None and 'val_interval' not in cfg.train_cfg


def test_retarget_keeps_npy_benchmarks(tmp_path):
    """An 'npy' benchmark with the config's class count and a val subset:
    only the paths change, as before."""
    from mmengine.config import Config
    generate_synthetic_benchmark(
        tmp_path, SyntheticBenchmarkConfig(
            num_videos=dict(train=1, val=1, test=1), feat_dim=8,
            duration_range=(10.0, 12.0)))
    before = Config.fromfile(str(REPO / CONFIGS[0]))
    cfg = Config.fromfile(str(REPO / CONFIGS[0]))
    retarget_synthetic_config(cfg, str(tmp_path))
    for split in ('train', 'val', 'test'):
        before[f'{split}_dataloader'].dataset.ann_file = f'{tmp_path}/gt.json'
        before[f'{split}_dataloader'].dataset.data_prefix = dict(
            feature=f'{tmp_path}/features')
    before.train_dataloader.dataset.click_file = f'{tmp_path}/clicks.json'
    assert cfg.to_dict() == before.to_dict()


def test_retargeted_backtal_loads_a_sample(anet_small):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import backtal_mmaction.registration  # noqa: F401  (registers the datasets)
    from mmaction.registry import DATASETS
    # The configs' default_scope: transforms are looked up in mmaction's.
    init_default_scope('mmaction')
    out = anet_small[0]
    cfg = Config.fromfile(str(REPO / CONFIGS[0]))
    retarget_synthetic_config(cfg, str(out))
    for split in ('train', 'test'):
        dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
        assert len(dataset) == 5
        sample = dataset[0]
        # train: resampled to the config's 100; test: the file's T = 100.
        assert tuple(sample['inputs'].shape) == (128, 100)


def test_class_subset_keeps_whole_classes():
    """``classes`` keeps the videos all of whose instances are of those
    classes, and the class list shrinks to them (GT order)."""
    from backtal_mmaction.datasets.synthetic.real_gt import load_real_gt
    gt = str(_shared() / 'gt_thumos14.json')
    db, names, full = load_real_gt(gt, {'val': 'train'}, None, 30,
                                   classes=['HighJump', 'Diving'])
    assert names == ['Diving', 'HighJump']  # the file's order
    expected = [v for v, e in full.items() if e['subset'] == 'val' and
                {a['label'] for a in e['annotations']} <= {'HighJump',
                                                            'Diving'}]
    assert sorted(db) == sorted(expected) and len(expected) > 10
    with pytest.raises(ValueError, match="'Nope'"):
        load_real_gt(gt, None, None, 30, classes=['Nope'])


def test_config_utils_reads_the_generators_stamp():
    """config_utils repeats the stamp's file name (reading a config must not
    import the generator); the two stay one name."""
    from backtal_mmaction.datasets.config_utils import GENERATOR_STAMP
    from backtal_mmaction.datasets.synthetic.command import STAMP
    assert GENERATOR_STAMP == STAMP
