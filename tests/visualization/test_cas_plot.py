"""CAS figures: the renderer, draw_cas_figures (tools/visualize_cas.py)
and the test hook."""
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from backtal_mmaction.visualization import render_cas_figure, snippet_times


def _toy(num_classes=3, num_snippets=40, seed=0):
    rng = np.random.default_rng(seed)
    return dict(
        cas=rng.normal(size=(num_classes + 1, num_snippets)),
        duration=20.0,
        class_names=[f'c{i}' for i in range(num_classes)],
        video_scores=rng.normal(size=num_classes + 1),
        fg_weights=rng.uniform(size=num_snippets),
        magnitude=rng.uniform(size=num_snippets),
        gt_segments=[[2.0, 5.0], [10.0, 14.0]], gt_labels=[0, 2],
        pred_segments=[[2.5, 5.5], [9.0, 13.0]], pred_scores=[0.9, 0.4],
        pred_labels=[0, 1],
        click_times=[1.0, 7.0, 11.0], click_labels=[3, 3, 2],
        click_annotators=['A1', 'A1', 'SF'], video_name='toy')


def test_snippet_times_are_centres():
    assert np.allclose(snippet_times(4, 8.0), [1.0, 3.0, 5.0, 7.0])


def test_render_returns_rgb_image():
    img = render_cas_figure(**_toy(), width=8, dpi=50)
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert img.shape[1] == 400  # 8 in x 50 dpi
    assert img.std() > 10  # something was drawn
    # Without optional inputs it still renders.
    bare = render_cas_figure(np.zeros((4, 10)), 5.0, ['a', 'b', 'c'],
                             width=6, dpi=40)
    assert bare.shape[1] == 240


def test_render_rejects_bad_input():
    kw = _toy()
    with pytest.raises(ValueError, match="video 'toy'.*class names"):
        render_cas_figure(**dict(kw, class_names=['a']))
    with pytest.raises(ValueError, match='duration'):
        render_cas_figure(**dict(kw, duration=0.0))
    with pytest.raises(ValueError, match=r'\(C\+1, T\)'):
        render_cas_figure(**dict(kw, cas=np.zeros(5)))
    # a negative count sliced off the last detections / classes silently
    with pytest.raises(ValueError, match='`max_detections` must be an '
                       'integer >= 0, got -1'):
        render_cas_figure(**dict(kw, max_detections=-1))
    with pytest.raises(ValueError, match='`max_classes` must be an integer '
                       '>= 1, got 0'):
        render_cas_figure(**dict(kw, max_classes=0))


def test_visualize_cas_names_a_bad_count_before_loading(tmp_path):
    """Checked before the config is read (here: it does not exist), named
    as the tool's flag."""
    from tests.helpers import run_tool
    run = run_tool('visualize_cas.py', [tmp_path / 'no.py', tmp_path / 'k',
                                        '--out-dir', tmp_path / 'figs',
                                        '--max-detections', '-1'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        'error: --max-detections must be an integer >= 0, got -1')
    assert not (tmp_path / 'figs').exists()


def test_visualize_cas_with_clicks(trained, tmp_path):
    from backtal_mmaction.workflows import draw_cas_figures
    from backtal_mmaction.workflows.cas_figures import build_split_dataset
    out = tmp_path / 'vis'
    written = draw_cas_figures(trained['cfg_file'], trained['ckpt'],
                               str(out), split='train',
                               videos=['video_train_0000001'])
    assert written == [str(out / 'video_train_0000001.png')]
    img = imread(written[0])
    assert img.shape[0] > 300 and img.shape[1] > 600
    # The train split keeps its click file: the figure gets the clicks.
    from mmengine.config import Config
    dataset = build_split_dataset(Config.fromfile(trained['cfg_file']),
                                  'train')
    meta = dataset[1]['data_samples'].metainfo
    assert len(meta['click_times']) > 0
    assert set(meta['click_annotators']) == {'A1'}
    with pytest.raises(ValueError, match='not in the split'):
        draw_cas_figures(trained['cfg_file'], trained['ckpt'], str(out),
                         videos=['nope'])


def test_cas_hook_during_test(test_run):
    pngs = sorted(p.name for p in Path(test_run['vis']).glob('*.png'))
    assert pngs == ['video_test_0000000.png', 'video_test_0000001.png']
    # Also handed to MMEngine's LocalVisBackend.
    backend = list(Path(test_run['work_dir']).glob(
        '*/vis_data/vis_image/cas_video_test_0000000_0.png'))
    assert backend


def test_plot_inputs_name_what_is_missing():
    """A sample without raw outputs, or with raw outputs of a model that has
    no CAS (AnchorFreeTAD's pyramid logits), gets a ValueError naming the
    video, not a KeyError."""
    from mmaction.structures import ActionDataSample

    from backtal_mmaction.visualization.cas_plot import cas_plot_inputs
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_name='v1', duration=5.0))
    with pytest.raises(ValueError, match="'v1': no raw outputs"):
        cas_plot_inputs(sample)
    raw = dict(cls_logits=np.zeros((3, 7)), distances=np.zeros((2, 7)),
               points=np.zeros((7, 3)))
    with pytest.raises(ValueError, match=r"'v1'.*no class activation.*"
                       r"\['cls_logits', 'distances', 'points'\]"):
        cas_plot_inputs(sample, raw)
