"""Bad input to inference on new videos (``tools/infer.py``,
``localize_feature_files``, ``init_localizer``, ``inference_localizer``)
and to feature extraction (``tools/data/extract_features.py``): every
mistake is named (keyword for the API, flag for the tool) before the model
loads, nothing the user wrote is replaced, and timing that contradicts the
features is not accepted silently."""
import math
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from backtal_mmaction.apis import (inference_localizer, init_localizer,
                                   localize_feature_files)
from backtal_mmaction.apis import feature_extraction
from backtal_mmaction.apis.inference import filter_detections

from tests.helpers import run_tool

VIDEO = 'video_test_0000000'
SNIPPET, FPS = 16, 30.0


@pytest.fixture(scope='module')
def model(test_run):
    return init_localizer(test_run['cfg_file'], test_run['ckpt'])


@pytest.fixture
def npy(test_run) -> str:
    return str(Path(test_run['data']) / 'features' / f'{VIDEO}.npy')


@pytest.fixture
def feats(npy) -> np.ndarray:
    return np.load(npy)  # (T, 16)


def _implied_duration(feats: np.ndarray) -> float:
    """T * 16 / 30: the length the features cover."""
    return feats.shape[0] * SNIPPET / FPS


def _infer(test_run, *args):
    """``python tools/infer.py CFG CKPT ARGS``."""
    return run_tool('infer.py', [test_run['cfg_file'], test_run['ckpt'],
                                 *args])


def _last_line(run) -> str:
    return run.stderr.strip().splitlines()[-1]


# ------------------------------------------------------ 1. timing mismatch
@pytest.mark.parametrize('duration', [1.0, 1000.0])
def test_duration_far_from_the_features_warns_naming_both(
        test_run, npy, feats, tmp_path, duration):
    implied = _implied_duration(feats)
    with pytest.warns(UserWarning) as record:
        localize_feature_files(test_run['cfg_file'], test_run['ckpt'], [npy],
                               str(tmp_path / 'det.json'), fps=FPS,
                               duration=duration)
    text = ' | '.join(str(w.message) for w in record)
    assert f'{VIDEO}.npy' in text
    assert f'`duration` {duration:g} s' in text
    assert f'{implied:.2f} s' in text


def test_duration_warning_names_the_flags_on_the_command_line(
        test_run, npy, feats, tmp_path):
    out = tmp_path / 'det.json'
    with pytest.warns(UserWarning) as record:
        run = _infer(test_run, npy, '--out', out, '--fps', '30',
                     '--duration', '1')
    assert run.exit_code == 0, run.stderr[-2000:]
    text = ' | '.join(str(w.message) for w in record)
    assert '--duration 1 s' in text and '--fps 30' in text
    assert f'{_implied_duration(feats):.2f} s' in text


def test_duration_within_one_snippet_does_not_warn(test_run, model, feats):
    """Extractors drop or pad the last partial snippet: the true duration
    may differ from T * 16 / fps by up to one snippet."""
    implied = _implied_duration(feats)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        for duration in (implied, implied + (SNIPPET - 1) / FPS,
                         implied - (SNIPPET - 1) / FPS):
            inference_localizer(model, feats, fps=FPS, duration=duration)


def test_num_frames_contradicting_duration_times_fps_is_refused(
        model, feats):
    duration = _implied_duration(feats)
    with pytest.raises(ValueError) as err:
        inference_localizer(model, feats, fps=FPS, duration=duration,
                            num_frames=5)
    msg = str(err.value)
    assert '`num_frames` 5' in msg and '`duration`' in msg
    assert str(round(duration * FPS)) in msg
    # within one snippet's frames: accepted
    inference_localizer(model, feats, fps=FPS, duration=duration,
                        num_frames=round(duration * FPS) + SNIPPET - 1)


def _official(tmp_path, feats, frame_num, fps, duration) -> str:
    """An official-layout test file carrying its own timing."""
    path = tmp_path / f'{VIDEO}.npz'
    half = feats.shape[1] // 2
    np.savez(path, feat_spa=feats[:, :half].T, feat_tem=feats[:, half:].T,
             frame_num=np.int64(frame_num), fps=np.float64(fps),
             duration=np.float64(duration))
    return str(path)


def test_timing_of_an_official_file_wins_with_a_warning(model, feats,
                                                        tmp_path):
    duration = _implied_duration(feats)
    path = _official(tmp_path, feats, round(duration * FPS), FPS, duration)
    with pytest.warns(UserWarning, match='`fps` 25 ignored: the file '
                      'carries fps 30'):
        inference_localizer(model, path, fps=25.0)


def test_official_file_with_contradicting_frame_count_is_named(
        model, feats, tmp_path):
    duration = _implied_duration(feats)
    path = _official(tmp_path, feats, 5, FPS, duration)
    with pytest.raises(ValueError) as err:
        inference_localizer(model, path)
    msg = str(err.value)
    assert msg.startswith(path)
    assert 'frame_num 5 (in the file) does not match duration' in msg


# ---------------------------------------------- 2./3. numeric flags checked
@pytest.mark.parametrize('flags, expected', [
    (['--fps', '30', '--score-thr', 'nan'],
     '--score-thr must be a finite number, got nan'),
    (['--fps', 'nan'], '--fps must be a finite number > 0, got nan'),
    (['--fps', 'inf'], '--fps must be a finite number > 0, got inf'),
    (['--fps', '0'], '--fps must be a finite number > 0, got 0'),
    (['--fps', '-30'], '--fps must be a finite number > 0, got -30'),
    (['--fps', '30', '--duration', '-5'],
     '--duration must be a finite number > 0, got -5'),
    (['--fps', '30', '--duration', 'nan'],
     '--duration must be a finite number > 0, got nan'),
    (['--fps', '30', '--snippet-frames', '0'],
     '--snippet-frames must be an integer >= 1, got 0'),
    (['--fps', '30', '--topk', '0'], '--topk must be an integer >= 1, got 0'),
])
def test_bad_numbers_name_the_flag(test_run, npy, tmp_path, flags, expected):
    out = tmp_path / 'det.json'
    run = _infer(test_run, npy, '--out', out, *flags)
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    assert _last_line(run).startswith(f'error: {expected}')
    assert not out.exists()


def test_nan_score_threshold_is_refused_by_the_api():
    det = dict(segments=np.zeros((2, 2)), scores=np.array([0.9, 0.1]),
               labels=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match='`score_thr` must be a finite'):
        filter_detections(det, None, float('nan'))
    with pytest.raises(TypeError, match='`topk` must be an integer'):
        filter_detections(det, 1.5, None)


# ------------------------------------------------------------- 4. device
def test_unknown_device_is_named_before_anything_loads(test_run, tmp_path):
    # a missing checkpoint: the device error must come first
    with pytest.raises(ValueError, match=r"`device` 'gpu' is not a torch "
                       r'device \(cpu, cuda'):
        init_localizer(test_run['cfg_file'], str(tmp_path / 'none.pth'),
                       device='gpu')
    run = _infer(test_run, 'missing.npy', '--out', tmp_path / 'det.json',
                 '--fps', '30', '--device', 'gpu')
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    assert _last_line(run) == ("error: --device 'gpu' is not a torch device "
                               '(cpu, cuda, cuda:0, ...)')


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs no CUDA')
def test_cuda_without_cuda_is_named(test_run, npy, tmp_path):
    with pytest.raises(ValueError, match='`device` cuda: CUDA is not '
                       'available on this machine'):
        init_localizer(test_run['cfg_file'], test_run['ckpt'],
                       device='cuda')
    run = _infer(test_run, npy, '--out', tmp_path / 'det.json', '--fps',
                 '30', '--device', 'cuda:0')
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    assert _last_line(run).startswith(
        'error: --device cuda:0: CUDA is not available on this machine')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_index_past_the_devices_is_named(test_run):
    count = torch.cuda.device_count()
    with pytest.raises(ValueError, match=f'this machine has {count} CUDA'):
        init_localizer(test_run['cfg_file'], test_run['ckpt'],
                       device=f'cuda:{count}')


# ------------------------------------------------ 5. arrays get file checks
def _nan(feats):
    bad = feats.copy()
    bad[3, 2] = np.nan
    return bad


@pytest.mark.parametrize('make, kwargs, error, fragments', [
    (lambda f: f.T, {}, ValueError,
     ['array input', 'feat_dim=16', 'is `axis` right?']),
    (lambda f: f[:, :12], {}, ValueError, ['array input', 'feature dim 12',
                                           'feat_dim=16']),
    (_nan, {}, ValueError, ['array input', 'NaN/Inf', 'snippet 3']),
    (lambda f: f.astype(np.int64), {}, ValueError,
     ['array input', 'int64', 'floating point']),
    (lambda f: torch.from_numpy(f).long(), {}, ValueError,
     ['array input', 'int64', 'floating point']),
    (lambda f: f[None], {}, ValueError, ['array input', 'must be (T, C)']),
    (lambda f: f[:0], {}, ValueError, ['array input', 'T=0']),
    (lambda f: f.tolist(), {}, TypeError,
     ['`features` must be', 'got list']),
    (lambda f: f, dict(fps='30'), TypeError, ['`fps` must be a number',
                                              "'30'"]),
    (lambda f: f, dict(fps=30, num_frames=1.5), TypeError,
     ['`num_frames` must be an integer']),
    (lambda f: f, dict(fps=30, duration=float('inf')), ValueError,
     ['`duration` must be a finite number > 0']),
    (lambda f: f.T, dict(video_name='v1'), ValueError,
     ["video 'v1'", 'is `axis` right?']),
])
def test_arrays_are_checked_like_files(model, feats, make, kwargs, error,
                                       fragments):
    kwargs = dict(dict(fps=FPS), **kwargs)
    with pytest.raises(error) as err:
        inference_localizer(model, make(feats), **kwargs)
    for fragment in fragments:
        assert fragment in str(err.value)
    assert 'None' not in str(err.value)


def test_good_arrays_in_either_layout_and_type_agree(model, feats):
    """(T, C) numpy, (C, T) with axis='CT' and a float64 tensor: one
    result."""
    duration = _implied_duration(feats)
    ref = inference_localizer(model, feats, fps=FPS, duration=duration)
    for features, axis in ((np.ascontiguousarray(feats.T), 'CT'),
                           (torch.from_numpy(feats).double(), 'TC')):
        got = inference_localizer(model, features, fps=FPS,
                                  duration=duration, axis=axis)
        np.testing.assert_allclose(got['scores'], ref['scores'], rtol=1e-5)
        np.testing.assert_allclose(got['segments'], ref['segments'],
                                   rtol=1e-5)


# ------------------------------------------------------- 6. output guard
@pytest.fixture
def own_inputs(test_run, npy, tmp_path):
    """Copies of the run's inputs (never the session's own files): a
    config whose test GT is a copy, the checkpoint, a feature file and a
    classes file."""
    src = Path(test_run['data'])
    gt = tmp_path / 'gt.json'
    shutil.copy(src / 'gt.json', gt)
    cfg = Config.fromfile(test_run['cfg_file'])
    cfg.test_dataloader.dataset.ann_file = str(gt)
    cfg_file = tmp_path / 'cfg.py'
    cfg.dump(str(cfg_file))
    ckpt = tmp_path / 'ckpt.pth'
    shutil.copy(test_run['ckpt'], ckpt)
    feat = tmp_path / 'feats' / f'{VIDEO}.npy'
    feat.parent.mkdir()
    shutil.copy(npy, feat)
    classes = tmp_path / 'classes.txt'
    classes.write_text('class00\nclass01\nclass02\n')
    return dict(gt=gt, config=cfg_file, checkpoint=ckpt, feature=feat,
                classes=classes)


@pytest.mark.parametrize('which', ['gt', 'config', 'checkpoint', 'feature',
                                   'classes'])
def test_out_may_not_be_an_input_even_with_overwrite(own_inputs, which):
    files = own_inputs
    before = {k: p.read_bytes() for k, p in files.items()}
    target = files[which]
    run = run_tool('infer.py', [
        files['config'], files['checkpoint'], files['feature'].parent,
        '--out', target, '--overwrite', '--fps', '30', '--classes',
        files['classes']])
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    line = _last_line(run)
    assert line.startswith(f'error: --out {target} is also an input')
    assert {k: p.read_bytes() for k, p in files.items()} == before


# --------------------------------------------------- 7. extract_features
@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if a recognizer is built: the checks come first."""
    def boom(*args, **kwargs):
        raise AssertionError('a model was built before the input checks')
    monkeypatch.setattr(feature_extraction, 'init_recognizer', boom)


@pytest.mark.parametrize('flags, expected', [
    (['--list', '{tmp}/missing.txt'], 'error: --list not found: '
     '{tmp}/missing.txt'),
    (['--list', '{tmp}'], 'error: --list {tmp} is a folder'),
    (['v.mp4', '--snippet-len', '0'],
     'error: --snippet-len must be an integer >= 1, got 0'),
    (['v.mp4', '--stride', '-1'],
     'error: --stride must be an integer >= 1, got -1'),
    (['v.mp4', '--batch-size', '0'],
     'error: --batch-size must be an integer >= 1, got 0'),
    (['v.mp4', '--fps', 'nan'],
     'error: --fps must be a finite number > 0, got nan'),
    (['v.mp4', '--device', 'gpu'],
     "error: --device 'gpu' is not a torch device"),
    (['v.mp4', '--out-dir', '{tmp}/notes.txt'],
     'error: --out-dir {tmp}/notes.txt is a file'),
])
def test_extract_features_checks_inputs_first(no_model, tmp_path, flags,
                                              expected):
    (tmp_path / 'notes.txt').write_text('mine')
    flags = [f.format(tmp=tmp_path) for f in flags]
    out_dir = tmp_path / 'feats'
    # a later --out-dir wins over this one
    run = run_tool('data/extract_features.py',
                   ['recognizer.py', '--out-dir', out_dir, *flags])
    assert run.exit_code == 1 and run.exception is None, run.stderr[-2000:]
    assert _last_line(run).startswith(expected.format(tmp=tmp_path))
    assert not out_dir.exists()
    assert (tmp_path / 'notes.txt').read_text() == 'mine'


def test_extract_features_out_dir_that_is_a_file(no_model, tmp_path):
    mine = tmp_path / 'notes.txt'
    mine.write_text('mine')
    with pytest.raises(NotADirectoryError, match='`out_dir`'):
        feature_extraction.extract_features_to_dir(['v.mp4'], str(mine),
                                                   model=None)
    assert mine.read_text() == 'mine'


def test_extract_features_to_dir_checks_numbers_before_any_video(tmp_path):
    """No video is read (the model is None): the settings fail first."""
    for kwargs, fragment in ((dict(snippet_len=0), '`snippet_len`'),
                             (dict(stride=-1), '`stride`'),
                             (dict(fps=math.nan), '`fps`')):
        with pytest.raises(ValueError, match=fragment):
            feature_extraction.extract_features_to_dir(
                ['missing.mp4'], str(tmp_path / 'out'), model=None,
                **kwargs)
