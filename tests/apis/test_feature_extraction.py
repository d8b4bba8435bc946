"""Raw video -> snippet features with an MMAction2 recognizer, end to end.

A tiny randomly initialised ``Recognizer3D`` (ResNet3d-18, 4 base
channels, 2 stages) runs on a generated 3 s, 30 fps, 64x64 video and on
generated flow frames. The reference features are computed without
MMAction2's pipeline: frames decoded directly, resized with OpenCV,
normalised by hand and fed to the backbone one snippet at a time.
"""
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.apis.feature_extraction import (
    VIDEO_EXTENSIONS, collect_videos, extract_features_to_dir,
    extract_features_with_recognizers, extract_video_features,
    rawframes_input, save_video_features, snippet_frame_indices,
    split_test_pipeline)
from backtal_mmaction.datasets import ClickTALDataset
from backtal_mmaction.datasets.transforms.loading import LoadSnippetFeature

from tests.helpers import REPO, subprocess_env

TOOL = REPO / 'tools' / 'data' / 'extract_features.py'
FPS, NUM_FRAMES, SIZE, CROP = 30, 90, 64, 32
RGB_MEAN, RGB_STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
FLOW_TMPL = 'flow_{}_{:05d}.jpg'


def recognizer_cfg(in_channels=3, flow=False):
    """A few-thousand-parameter I3D-like recognizer (feature dim 8)."""
    mean, std = ([128.0] * 2, [128.0] * 2) if flow else (RGB_MEAN, RGB_STD)
    backbone = dict(type='ResNet3d', depth=18, pretrained=None,
                    pretrained2d=False, in_channels=in_channels,
                    base_channels=4, num_stages=2, out_indices=(1, ),
                    spatial_strides=(1, 2), temporal_strides=(1, 1),
                    dilations=(1, 1), conv1_kernel=(3, 7, 7),
                    inflate=((1, 1), (1, 1)), norm_eval=False)
    if flow:
        head = [dict(type='SampleFrames', clip_len=16, num_clips=1,
                     test_mode=True), dict(type='RawFrameDecode')]
    else:
        head = [dict(type='DecordInit'),
                dict(type='SampleFrames', clip_len=16, num_clips=1,
                     test_mode=True), dict(type='DecordDecode')]
    return Config(dict(
        model=dict(type='Recognizer3D', backbone=backbone,
                   cls_head=dict(type='I3DHead', num_classes=3,
                                 in_channels=8),
                   data_preprocessor=dict(type='ActionDataPreprocessor',
                                          mean=mean, std=std,
                                          format_shape='NCTHW')),
        # ThreeCrop: the extractor must reduce it to one centre view
        test_pipeline=head + [dict(type='Resize', scale=(-1, CROP)),
                              dict(type='ThreeCrop', crop_size=CROP),
                              dict(type='FormatShape', input_format='NCTHW'),
                              dict(type='PackActionInputs')]))


def build(cfg, seed):
    from mmaction.apis import init_recognizer
    torch.manual_seed(seed)
    return init_recognizer(cfg, None, device='cpu')


@pytest.fixture(scope='module')
def media(tmp_path_factory):
    """A moving bar video (90 frames) and 89 flow frames of one 'video'."""
    root = tmp_path_factory.mktemp('media')
    video = root / 'videos' / 'vid_a.mp4'
    video.parent.mkdir()
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'mp4v'),
                             FPS, (SIZE, SIZE))
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for i in range(NUM_FRAMES):
        frame = np.full((SIZE, SIZE, 3), (2 * i, 100, 200 - 2 * i), np.uint8)
        frame[10:30, i % 50:i % 50 + 10] = 255
        writer.write(frame)
    writer.release()
    flow_dir = root / 'flow' / 'vid_a'
    flow_dir.mkdir(parents=True)
    for i in range(1, NUM_FRAMES):  # one flow frame fewer, as denseflow
        for axis in 'xy':
            img = rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)
            cv2.imwrite(str(flow_dir / FLOW_TMPL.format(axis, i)), img)
    return dict(root=root, video=video, flow_root=root / 'flow',
                flow_dir=flow_dir)


@pytest.fixture(scope='module')
def models():
    init_default_scope('mmaction')
    return dict(rgb=build(recognizer_cfg(), 0),
                flow=build(recognizer_cfg(in_channels=2, flow=True), 1))


def reference_features(model, clips, mean, std):
    """Per snippet: (16, H, W, C) uint8 -> resize -> normalise -> backbone
    -> mean over (t, h, w)."""
    out = []
    with torch.no_grad():
        for clip in clips:
            small = np.stack([
                cv2.resize(f, (CROP, CROP), interpolation=cv2.INTER_LINEAR)
                for f in clip
            ]).reshape(len(clip), CROP, CROP, -1).astype(np.float32)
            x = (small - np.float32(mean)) / np.float32(std)
            x = torch.from_numpy(x).permute(3, 0, 1, 2)[None]  # 1 C T H W
            out.append(model.backbone(x).mean(dim=(2, 3, 4))[0].numpy())
    return np.stack(out)


def rgb_clips(video, inds):
    import decord
    reader = decord.VideoReader(str(video))
    return [reader.get_batch(list(row)).asnumpy() for row in inds]


def flow_clips(flow_dir, inds):
    def read(axis, i):
        return cv2.imread(str(flow_dir / FLOW_TMPL.format(axis, i + 1)),
                          cv2.IMREAD_GRAYSCALE)

    return [np.stack([np.stack([read('x', i), read('y', i)], -1)
                      for i in row]) for row in inds]


# --------------------------------------------------------------------------
def test_snippet_frame_indices_by_hand():
    assert snippet_frame_indices(10, 4, 3).tolist() == [
        [0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9], [9, 9, 9, 9]]
    inds = snippet_frame_indices(40)
    assert inds.shape == (3, 16)
    assert inds[2].tolist() == list(range(32, 40)) + [39] * 8
    # a flow stream of 89 frames on the RGB grid of 90 frames (T = 6)
    assert snippet_frame_indices(89, num_snippets=6)[-1].tolist() == \
        list(range(80, 89)) + [88] * 7
    with pytest.raises(ValueError, match='num_frames'):
        snippet_frame_indices(0)


def test_split_test_pipeline_replaces_sampler_and_multi_view_crops():
    pipeline = recognizer_cfg().test_pipeline
    before, after = split_test_pipeline(pipeline)
    assert [t['type'] for t in before] == ['DecordInit']
    assert [t['type'] for t in after] == [
        'DecordDecode', 'Resize', 'CenterCrop', 'FormatShape',
        'PackActionInputs']
    assert after[2]['crop_size'] == CROP
    with pytest.raises(ValueError, match='no frame sampler'):
        split_test_pipeline([dict(type='DecordInit'),
                             dict(type='DecordDecode')])


def test_rgb_features_match_a_direct_backbone_reference(media, models):
    feats, meta = extract_video_features(models['rgb'], str(media['video']),
                                         batch_size=4, return_meta=True)
    assert meta == dict(num_frames=NUM_FRAMES, fps=float(FPS))
    assert feats.shape == (6, 8) and feats.dtype == np.float32
    inds = snippet_frame_indices(NUM_FRAMES)
    expected = reference_features(models['rgb'],
                                  rgb_clips(media['video'], inds), RGB_MEAN,
                                  RGB_STD)
    np.testing.assert_allclose(feats, expected, rtol=1e-4, atol=1e-5)
    # a stride of 8 doubles the snippets and keeps every 16-frame window
    dense = extract_video_features(models['rgb'], str(media['video']),
                                   stride=8, batch_size=5)
    assert dense.shape == (12, 8)
    np.testing.assert_allclose(dense[0::2], feats, rtol=1e-4, atol=1e-5)


def test_flow_frames_through_a_second_recognizer(media, models):
    frames = rawframes_input(str(media['flow_dir']), FLOW_TMPL)
    assert frames['total_frames'] == NUM_FRAMES - 1
    feats = extract_video_features(models['flow'], frames, num_snippets=6,
                                   batch_size=4)
    inds = snippet_frame_indices(NUM_FRAMES - 1, num_snippets=6)
    expected = reference_features(models['flow'],
                                  flow_clips(media['flow_dir'], inds),
                                  [128.0] * 2, [128.0] * 2)
    np.testing.assert_allclose(feats, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(FileNotFoundError, match='no frame'):
        rawframes_input(str(media['flow_dir']), 'img_{:05d}.jpg', 'RGB')


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_model_gives_the_cpu_features(media, models):
    cpu = extract_video_features(models['rgb'], str(media['video']))
    gpu_model = build(recognizer_cfg(), 0).to('cuda')
    gpu = extract_video_features(gpu_model, str(media['video']))
    np.testing.assert_allclose(gpu, cpu, rtol=1e-3, atol=1e-4)


def test_unreadable_and_missing_videos_are_named(tmp_path, models):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'not a video at all' * 100)
    with pytest.raises(ValueError, match=r'cannot read video .*broken\.mp4'):
        extract_video_features(models['rgb'], str(bad))
    with pytest.raises(FileNotFoundError, match=r'gone\.mp4'):
        extract_video_features(models['rgb'], str(tmp_path / 'gone.mp4'))


def test_npy_output_loads_through_the_dataset_and_resumes(
        tmp_path, media, models):
    out = tmp_path / 'feats'
    logs = []
    summary = extract_features_to_dir([str(media['video'])], str(out),
                                      models['rgb'], batch_size=4,
                                      log=logs.append)
    path = out / 'vid_a.npy'
    assert summary['written'] == [str(path)] and not summary['failed']
    direct = extract_video_features(models['rgb'], str(media['video']))
    loaded = LoadSnippetFeature(layout='array', axis='TC', feat_dim=8)(
        dict(feature_path=str(path), video_name='vid_a'))
    np.testing.assert_array_equal(loaded['features'], direct.T)
    gt = tmp_path / 'gt.json'
    gt.write_text(json.dumps(dict(
        database={'vid_a': dict(subset='val', duration=3.0, fps=FPS,
                                annotations=[dict(segment=[1.0, 2.0],
                                                  label='Bar')])},
        activity_list=['Bar'])))
    ds = ClickTALDataset(
        ann_file=str(gt), subset='val', data_prefix=dict(feature=str(out)),
        pipeline=[dict(type='LoadSnippetFeature', layout='array', axis='TC',
                       feat_dim=8),
                  dict(type='BuildClickLabels'),
                  dict(type='PackClickLocalizationInputs')])
    assert ds[0]['inputs'].shape == (8, 6)
    # resumable: the finished video is skipped, --overwrite redoes it
    stamp = path.stat().st_mtime_ns
    again = extract_features_to_dir([str(media['video'])], str(out),
                                    models['rgb'], log=logs.append)
    assert again == dict(written=[], skipped=[str(path)], failed=[])
    assert path.stat().st_mtime_ns == stamp
    os.utime(path, ns=(0, 0))
    redo = extract_features_to_dir([str(media['video'])], str(out),
                                   models['rgb'], overwrite=True,
                                   log=logs.append)
    assert redo['written'] == [str(path)]
    assert path.stat().st_mtime_ns != 0
    np.testing.assert_array_equal(np.load(path), direct)


def test_layout_rules(tmp_path, media, models):
    rgb = np.zeros((4, 8), np.float32)
    with pytest.raises(ValueError, match='needs RGB and flow'):
        save_video_features(str(tmp_path / 'a.npz'), rgb)
    with pytest.raises(ValueError, match='needs the fps'):
        save_video_features(str(tmp_path / 'a.npz'), rgb, rgb, 64, None)
    with pytest.raises(ValueError, match='4 snippets but flow 3'):
        save_video_features(str(tmp_path / 'a.npy'), rgb, rgb[:3])
    save_video_features(str(tmp_path / 'a.npy'), rgb, rgb + 1)
    assert np.load(tmp_path / 'a.npy').shape == (4, 16)
    with pytest.raises(ValueError, match="layout 'official' holds RGB"):
        extract_features_to_dir([str(media['video'])], str(tmp_path),
                                models['rgb'], layout='official')
    with pytest.raises(ValueError, match='share the name'):
        extract_features_to_dir(['a/x.mp4', 'b/x.avi'], str(tmp_path),
                                models['rgb'])
    assert not (tmp_path / 'vid_a.npz').exists()


def _save_checkpoint(model, path):
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_collect_videos_files_folders_and_list(tmp_path):
    folder = tmp_path / 'clips'
    folder.mkdir()
    for name in ('b.MP4', 'a.avi', '.hidden.mp4', 'notes.txt', 'c.m4v'):
        (folder / name).write_bytes(b'')
    listed = tmp_path / 'lists' / 'videos.txt'
    listed.parent.mkdir()
    listed.write_text('x.mp4\n\n  sub/y.webm \n')
    videos = collect_videos([str(tmp_path / 'first.mkv'), str(folder)],
                            str(listed))
    assert videos == [
        str(tmp_path / 'first.mkv'),  # a file is kept as given
        str(folder / 'a.avi'), str(folder / 'b.MP4'), str(folder / 'c.m4v'),
        str(listed.parent / 'x.mp4'), str(listed.parent / 'sub/y.webm')]
    assert VIDEO_EXTENSIONS == ('.mp4', '.avi', '.mkv', '.webm', '.mov',
                                '.m4v')


def test_extract_with_recognizers_from_config_files(tmp_path, media, models):
    """What tools/data/extract_features.py runs: models from a config and a
    checkpoint give the in-process model's features; no video found is an
    error before any model is built (the config does not even exist)."""
    cfg = tmp_path / 'rgb.py'
    recognizer_cfg().dump(str(cfg))
    ckpt = _save_checkpoint(models['rgb'], tmp_path / 'rgb.pth')
    out = tmp_path / 'feats'
    summary = extract_features_with_recognizers(
        [str(media['video'].parent)], str(out), str(cfg),
        checkpoint=str(ckpt), device='cpu', batch_size=4, log=lambda m: 0)
    assert summary == dict(written=[str(out / 'vid_a.npy')], skipped=[],
                           failed=[])
    np.testing.assert_allclose(
        np.load(out / 'vid_a.npy'),
        extract_video_features(models['rgb'], str(media['video'])),
        rtol=1e-5, atol=1e-6)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no video found in \[.*empty'\] "
                       r"\(extensions \('\.mp4'"):
        extract_features_with_recognizers([str(empty)], str(out),
                                          str(tmp_path / 'absent.py'))


def test_cli_two_streams_official_layout_end_to_end(tmp_path, media, models):
    """The CLI with saved weights; outputs equal the in-process features and
    load as the official layout; a broken video is named, the rest done."""
    rgb_cfg, flow_cfg = tmp_path / 'rgb.py', tmp_path / 'flow.py'
    recognizer_cfg().dump(str(rgb_cfg))
    recognizer_cfg(in_channels=2, flow=True).dump(str(flow_cfg))
    rgb_ckpt = _save_checkpoint(models['rgb'], tmp_path / 'rgb.pth')
    flow_ckpt = _save_checkpoint(models['flow'], tmp_path / 'flow.pth')
    videos = tmp_path / 'videos'
    videos.mkdir()
    shutil.copy(media['video'], videos / 'vid_a.mp4')
    bad = videos / 'broken.mp4'
    bad.write_bytes(b'\x00garbage' * 64)
    out = tmp_path / 'feats'
    res = subprocess.run(
        [sys.executable, str(TOOL), str(rgb_cfg), '--checkpoint',
         str(rgb_ckpt), str(videos), '--out-dir', str(out),
         '--layout', 'official', '--flow-config', str(flow_cfg),
         '--flow-checkpoint', str(flow_ckpt), '--flow-frames-dir',
         str(media['flow_root']), '--batch-size', '4', '--device', 'cpu'],
        capture_output=True, text=True, env=subprocess_env(), timeout=300,
        cwd=tmp_path)
    assert res.returncode == 1, res.stderr[-3000:]
    assert f'cannot read video {bad}' in res.stdout + res.stderr
    assert '1 written, 0 skipped, 1 failed' in res.stdout
    npz = np.load(out / 'vid_a.npz')
    assert sorted(npz.files) == ['duration', 'feat_spa', 'feat_tem', 'fps',
                                 'frame_num']
    assert (npz['frame_num'].item(), npz['fps'].item()) == (NUM_FRAMES, FPS)
    assert npz['duration'].item() == pytest.approx(NUM_FRAMES / FPS)
    rgb = extract_video_features(models['rgb'], str(media['video']))
    flow = extract_video_features(
        models['flow'], rawframes_input(str(media['flow_dir'])),
        num_snippets=len(rgb))
    np.testing.assert_allclose(npz['feat_spa'], rgb.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npz['feat_tem'], flow.T, rtol=1e-5,
                               atol=1e-6)
    # The official loader: RGB then flow, frame_num from the file (the GT
    # here has no fps, so a test-mode dataset relies on it).
    gt = tmp_path / 'gt.json'
    gt.write_text(json.dumps(dict(
        database={'vid_a': dict(subset='test', duration=3.0,
                                annotations=[])}, activity_list=['Bar'])))
    ds = ClickTALDataset(
        ann_file=str(gt), subset='test', test_mode=True,
        feature_suffix='.npz', data_prefix=dict(feature=str(out)),
        pipeline=[dict(type='LoadSnippetFeature', layout='official',
                       feat_dim=16),
                  dict(type='PackClickLocalizationInputs')])
    item = ds[0]
    assert item['inputs'].shape == (16, 6)
    np.testing.assert_allclose(item['inputs'].numpy(),
                               np.concatenate([npz['feat_spa'],
                                               npz['feat_tem']]))
    assert item['data_samples'].metainfo['num_frames'] == NUM_FRAMES
