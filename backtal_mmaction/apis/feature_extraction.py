"""Snippet features of raw videos from MMAction2 recognizers.

A video of ``N`` frames is cut into ``T = ceil(N / stride)`` snippets;
snippet ``t`` holds frames ``t * stride + [0, snippet_len)`` (indices past
the last frame repeat it), so with ``stride == snippet_len`` the snippets
tile the video, the grid ``snippet_times`` assumes. Each snippet goes
through the recognizer's own test pipeline (its sampler replaced by these
frame indices, a multi-view crop by a centre crop of the same size), its
data preprocessor and its backbone; the backbone output is averaged over
every axis but the channels, giving one ``(C,)`` vector per snippet.

RGB comes from a video file (the config's ``DecordInit`` / ``OpenCVInit``
/ ``PyAVInit``). MMAction2 computes no optical flow: a flow stream reads
pre-computed flow frames (``flow_x_00001.jpg`` / ``flow_y_00001.jpg``, e.g.
from ``denseflow``) with ``RawFrameDecode`` in a second recognizer whose
pipeline has ``modality='Flow'``; for 3D backbones (``FormatShape`` with
``'NCTHW'``) the x/y images of a frame are stacked into 2 channels.
"""
import math
import os
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmaction.apis import init_recognizer
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose, pseudo_collate

from ..utils import atomic_replace, check_count, check_number
from .inference import check_device

__all__ = [
    'FEATURE_LAYOUTS', 'snippet_frame_indices', 'split_test_pipeline',
    'extract_video_features', 'rawframes_input', 'save_video_features',
    'extract_features_to_dir', 'collect_videos', 'VIDEO_EXTENSIONS',
    'extract_features_with_recognizers', 'check_extraction_args'
]

# Test-time multi-view crops; one feature per snippet needs one view.
MULTI_VIEW_CROPS = ('ThreeCrop', 'TenCrop')
DEFAULT_FLOW_TMPL = 'flow_{}_{:05d}.jpg'
# 'npy': one (T, C) array (RGB then flow channels); 'official': the BackTAL
# release's .npz (feat_spa / feat_tem (C, T), fps, duration, frame_num).
FEATURE_LAYOUTS = ('npy', 'official')
# Files a folder given as input contributes (case-insensitive).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v')


def snippet_frame_indices(num_frames: int,
                          snippet_len: int = 16,
                          stride: int = 16,
                          num_snippets: Optional[int] = None) -> np.ndarray:
    """0-based frame indices of every snippet (see the module docstring).

    Args:
        num_frames (int): ``N`` frames of the stream.
        snippet_len (int): Frames per snippet. Defaults to 16.
        stride (int): Frames between snippet starts. Defaults to 16.
        num_snippets (int, optional): ``T`` to use instead of
            ``ceil(N / stride)``, e.g. the RGB stream's for a flow stream
            with one frame fewer, so both streams share one grid.

    Returns:
        np.ndarray: ``(T, snippet_len)`` int64, clipped to ``[0, N - 1]``.
    """
    if num_frames < 1:
        raise ValueError(f'num_frames must be >= 1, got {num_frames}')
    if snippet_len < 1 or stride < 1:
        raise ValueError(f'snippet_len and stride must be >= 1, got '
                         f'{snippet_len} and {stride}')
    if num_snippets is None:
        num_snippets = math.ceil(num_frames / stride)
    starts = np.arange(num_snippets, dtype=np.int64)[:, None] * stride
    return np.minimum(starts + np.arange(snippet_len), num_frames - 1)


def _type(cfg: Union[dict, Callable]) -> str:
    return cfg.get('type', '') if isinstance(cfg, dict) else \
        type(cfg).__name__


def split_test_pipeline(pipeline: Sequence[dict]) -> Tuple[list, list]:
    """Split a recognizer test pipeline around its frame sampler.

    Args:
        pipeline (list[dict]): E.g. ``[DecordInit, SampleFrames,
            DecordDecode, Resize, ThreeCrop, FormatShape, PackActionInputs]``.

    Returns:
        tuple: ``(open_cfgs, snippet_cfgs)``: the transforms before the
        sampler (run once per video, e.g. ``DecordInit``) and after it (run
        per batch of snippets), with ``ThreeCrop`` / ``TenCrop`` replaced by
        ``CenterCrop`` of the same ``crop_size``.

    Raises:
        ValueError: No sampler (a transform whose type contains ``Sample``).
    """
    types = [_type(t) for t in pipeline]
    samplers = [i for i, name in enumerate(types) if 'Sample' in name]
    if not samplers:
        raise ValueError(f'test pipeline {types} has no frame sampler (e.g. '
                         'SampleFrames) to replace by snippet indices')
    cut = samplers[0]
    after = []
    for cfg in pipeline[cut + 1:]:
        if _type(cfg) in MULTI_VIEW_CROPS:
            cfg = dict(type='CenterCrop', crop_size=cfg['crop_size'])
        after.append(cfg)
    return list(pipeline[:cut]), after


def _stack_flow_pairs(results: dict) -> dict:
    """``[x0, y0, x1, y1, ...]`` grayscale images -> ``(H, W, 2)`` frames."""
    imgs = results['imgs']
    results['imgs'] = [np.stack(pair, axis=-1)
                       for pair in zip(imgs[0::2], imgs[1::2])]
    return results


def _build(cfgs: list, modality: str) -> Compose:
    transforms = [TRANSFORMS.build(c) if isinstance(c, dict) else c
                  for c in cfgs]
    formats = [getattr(t, 'input_format', None) for t in transforms
               if type(t).__name__ == 'FormatShape']
    if modality == 'Flow' and formats and formats[0] == 'NCTHW':
        decode = [i for i, t in enumerate(transforms)
                  if type(t).__name__.endswith('Decode')]
        if not decode:
            raise ValueError('a Flow pipeline needs a decode transform '
                             '(RawFrameDecode) before FormatShape')
        transforms.insert(decode[0] + 1, _stack_flow_pairs)
    return Compose(transforms)


def _pool(feats, num_snippets: int) -> torch.Tensor:
    """Backbone output(s) ``(B * k, C, ...)`` -> ``(B, sum C)`` means."""
    if isinstance(feats, (tuple, list)):  # e.g. SlowFast: (slow, fast)
        return torch.cat([_pool(f, num_snippets) for f in feats], dim=1)
    # 2D backbones see every frame of a snippet as one sample (k frames).
    x = feats.reshape(num_snippets, -1, feats.shape[1],
                      int(np.prod(feats.shape[2:], dtype=np.int64)))
    return x.float().mean(dim=(1, 3))


def _source_name(results: dict) -> str:
    return str(results.get('filename', results.get('frame_dir', '<input>')))


def _open(video: Union[str, dict], open_cfgs: list) -> dict:
    if isinstance(video, dict):
        results = dict(video)
    elif isinstance(video, str):
        results = dict(filename=video, start_index=0, modality='RGB')
    else:
        raise TypeError(f'video must be a file path or a results dict, got '
                        f'{type(video).__name__}')
    results.setdefault('start_index', 0)
    results.setdefault('modality', 'RGB')
    results.setdefault('label', -1)
    name = _source_name(results)
    if 'filename' in results and not osp.isfile(results['filename']):
        raise FileNotFoundError(f'video file not found: {name}')
    try:
        results = _build(open_cfgs, results['modality'])(results)
    except Exception as e:  # noqa: BLE001  (decord/cv2/av errors vary)
        raise ValueError(f'cannot read video {name}: {type(e).__name__}: '
                         f'{e}') from None
    total = results.get('total_frames')
    if not isinstance(total, (int, np.integer)) or total < 1:
        raise ValueError(f'cannot read video {name}: it has no frames '
                         f'(total_frames={total!r})')
    return results


def _video_fps(results: dict) -> Optional[float]:
    fps = results.get('avg_fps')  # DecordInit
    if not fps:
        fps = getattr(results.get('video_reader'), 'fps', None)  # OpenCVInit
    return float(fps) if fps and math.isfinite(fps) and fps > 0 else None


def extract_video_features(model: torch.nn.Module,
                           video: Union[str, dict],
                           snippet_len: int = 16,
                           stride: int = 16,
                           batch_size: int = 8,
                           num_snippets: Optional[int] = None,
                           test_pipeline: Optional[Sequence[dict]] = None,
                           return_meta: bool = False):
    """Features of one video, one vector per snippet.

    Args:
        model (nn.Module): A recognizer (``Recognizer3D`` tested) from
            ``mmaction.apis.init_recognizer``, on CPU or CUDA; the
            inputs follow it to its device.
        video (str | dict): A video file, or the pipeline's input dict, e.g.
            :func:`rawframes_input` for flow frames.
        snippet_len (int): Frames per snippet. Defaults to 16.
        stride (int): Frames between snippets. Defaults to 16.
        batch_size (int): Snippets per forward pass. Defaults to 8.
        num_snippets (int, optional): See :func:`snippet_frame_indices`.
        test_pipeline (list[dict], optional): Defaults to
            ``model.cfg.test_pipeline``.
        return_meta (bool): Also return ``{'num_frames', 'fps'}`` (fps from
            the video container, None when it reports none).

    Returns:
        np.ndarray | tuple: ``(T, C)`` float32 features (and the meta dict).

    Raises:
        FileNotFoundError: The video file does not exist.
        ValueError: The video cannot be opened or decoded, naming it.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if test_pipeline is None:
        test_pipeline = model.cfg.test_pipeline
    open_cfgs, snippet_cfgs = split_test_pipeline(test_pipeline)
    base = _open(video, open_cfgs)
    name = _source_name(base)
    run = _build(snippet_cfgs, base['modality'])
    inds = snippet_frame_indices(base['total_frames'], snippet_len, stride,
                                 num_snippets)
    chunks = []
    model.eval()
    with torch.no_grad():
        for first in range(0, len(inds), batch_size):
            batch = inds[first:first + batch_size]
            results = dict(base, frame_inds=batch.reshape(-1) +
                           base['start_index'], clip_len=snippet_len,
                           num_clips=len(batch), frame_interval=1)
            try:
                data = run(results)
            except Exception as e:  # noqa: BLE001
                raise ValueError(
                    f'cannot decode frames {int(batch[0, 0])}-'
                    f'{int(batch[-1, -1])} of video {name}: '
                    f'{type(e).__name__}: {e}') from None
            data = model.data_preprocessor(pseudo_collate([data]), False)
            feats, _ = model.extract_feat(data['inputs'], stage='backbone')
            chunks.append(_pool(feats, len(batch)).cpu().numpy())
    out = np.concatenate(chunks).astype(np.float32, copy=False)
    if return_meta:
        return out, dict(num_frames=int(base['total_frames']),
                         fps=_video_fps(base))
    return out


def rawframes_input(frame_dir: str,
                    filename_tmpl: str = DEFAULT_FLOW_TMPL,
                    modality: str = 'Flow',
                    start_index: int = 1) -> Dict[str, object]:
    """Pipeline input of a folder of frames, counting its frames.

    Args:
        frame_dir (str): One video's frames.
        filename_tmpl (str): ``'flow_{}_{:05d}.jpg'`` (``{}`` = x / y) for
            flow, e.g. ``'img_{:05d}.jpg'`` for RGB frames.
        modality (str): ``'Flow'`` or ``'RGB'``.
        start_index (int): Index of the first frame file. Defaults to 1.

    Returns:
        dict: ``frame_dir``, ``filename_tmpl``, ``modality``,
        ``start_index`` and ``total_frames`` (consecutive files present).

    Raises:
        FileNotFoundError: The folder or its first frame is missing.
    """
    def path(i: int) -> str:
        name = (filename_tmpl.format('x', i) if modality == 'Flow' else
                filename_tmpl.format(i))
        return osp.join(frame_dir, name)

    if not osp.isdir(frame_dir):
        raise FileNotFoundError(f'frame folder not found: {frame_dir}')
    total = 0
    while osp.isfile(path(start_index + total)):
        total += 1
    if total == 0:
        raise FileNotFoundError(f'{frame_dir}: no frame {path(start_index)} '
                                f'(filename_tmpl={filename_tmpl!r}, '
                                f'start_index={start_index})')
    return dict(frame_dir=frame_dir, filename_tmpl=filename_tmpl,
                modality=modality, start_index=start_index,
                total_frames=total)



def save_video_features(path: str,
                        rgb: np.ndarray,
                        flow: Optional[np.ndarray] = None,
                        num_frames: Optional[int] = None,
                        fps: Optional[float] = None) -> None:
    """Write one video's features atomically, in the layout of ``path``.

    Args:
        path (str): ``.npy``: ``(T, C_rgb + C_flow)`` float32 (read by
            ``LoadSnippetFeature(layout='array', axis='TC')``); ``.npz``:
            the official layout, ``feat_spa`` = RGB and ``feat_tem`` = flow,
            both ``(C, T)`` of one shape, plus ``fps``, ``frame_num`` and
            ``duration = frame_num / fps`` (``layout='official'``).
        rgb (np.ndarray): ``(T, C)`` RGB features.
        flow (np.ndarray, optional): ``(T, C)`` flow features.
        num_frames (int, optional): RGB frames (official layout).
        fps (float, optional): Video frame rate (official layout).
    """
    name = osp.basename(path)
    if flow is not None and flow.shape[0] != rgb.shape[0]:
        raise ValueError(f'{name}: RGB has {rgb.shape[0]} snippets but flow '
                         f'{flow.shape[0]}')
    if path.endswith('.npy'):
        arr = rgb if flow is None else np.concatenate([rgb, flow], axis=1)
        atomic_replace(path, lambda tmp: np.save(tmp, arr), suffix='.npy')
        return
    if flow is None or flow.shape != rgb.shape:
        raise ValueError(
            f'{name}: the official layout needs RGB and flow features of one '
            f'shape (feat_spa / feat_tem), got RGB {rgb.shape} and flow '
            f'{None if flow is None else flow.shape}')
    if not fps or not num_frames:
        raise ValueError(f'{name}: the official layout needs the fps and '
                         f'frame count (got fps={fps}, frame_num='
                         f'{num_frames}); give the fps explicitly')
    arrays = dict(feat_spa=np.ascontiguousarray(rgb.T),
                  feat_tem=np.ascontiguousarray(flow.T),
                  fps=np.float64(fps), frame_num=np.int64(num_frames),
                  duration=np.float64(num_frames / fps))
    atomic_replace(path, lambda tmp: np.savez(tmp, **arrays), suffix='.npz')


def check_extraction_args(out_dir: Optional[str] = None,
                          snippet_len: int = 16,
                          stride: int = 16,
                          batch_size: int = 8,
                          fps: Optional[float] = None,
                          flow_start_index: int = 1) -> None:
    """The settings of an extraction, checked before any model is built or
    video read (keywords named in backquotes, which the tool prints as
    flags).

    Raises:
        TypeError: a value of the wrong type (or an unknown keyword).
        ValueError: ``snippet_len`` / ``stride`` / ``batch_size`` < 1,
            ``fps`` not finite and > 0, ``flow_start_index`` < 0.
        NotADirectoryError: ``out_dir`` is a file.
    """
    if out_dir is not None and osp.exists(out_dir) \
            and not osp.isdir(out_dir):
        raise NotADirectoryError(f'`out_dir` {out_dir} is a file, not a '
                                 'folder')
    check_count('snippet_len', snippet_len)
    check_count('stride', stride)
    check_count('batch_size', batch_size)
    check_number('fps', fps)
    check_count('flow_start_index', flow_start_index, minimum=0)


def extract_features_to_dir(videos: Sequence[str],
                            out_dir: str,
                            model: torch.nn.Module,
                            layout: str = 'npy',
                            flow_model: Optional[torch.nn.Module] = None,
                            flow_frames_dir: Optional[str] = None,
                            flow_tmpl: str = DEFAULT_FLOW_TMPL,
                            flow_start_index: int = 1,
                            fps: Optional[float] = None,
                            overwrite: bool = False,
                            log: Callable[[str], None] = print,
                            **kwargs) -> Dict[str, list]:
    """Extract and write ``<out_dir>/<video stem>.npy|.npz`` per video.

    Resumable: a video whose output exists is skipped unless ``overwrite``
    (outputs are written atomically, so an existing file is complete). A
    video that cannot be read is reported and the others go on.

    Args:
        videos (list[str]): Video files; their stems name the outputs.
        out_dir (str): Output folder (created).
        model (nn.Module): RGB recognizer.
        layout (str): One of :data:`FEATURE_LAYOUTS`.
        flow_model (nn.Module, optional): Flow recognizer; needs
            ``flow_frames_dir`` holding ``<video stem>/`` frame folders.
        flow_tmpl (str): Flow file names. Defaults to ``flow_{}_{:05d}.jpg``.
        flow_start_index (int): First flow frame index. Defaults to 1.
        fps (float, optional): Frame rate of videos whose container reports
            none (official layout).
        overwrite (bool): Re-extract existing outputs.
        log (callable): Progress lines. Defaults to ``print``.
        **kwargs: ``snippet_len``, ``stride``, ``batch_size`` of
            :func:`extract_video_features`.

    Returns:
        dict: ``written`` / ``skipped`` (output paths) and ``failed``
        (``(video, message)``).

    Raises:
        ValueError / TypeError / NotADirectoryError: bad settings
            (:func:`check_extraction_args`, layout, flow stream) or videos
            sharing a name, before any video is read.
    """
    check_extraction_args(out_dir, fps=fps,
                          flow_start_index=flow_start_index, **kwargs)
    if layout not in FEATURE_LAYOUTS:
        raise ValueError(f'layout must be one of {FEATURE_LAYOUTS}, got '
                         f'{layout!r}')
    if (flow_model is None) != (flow_frames_dir is None):
        raise ValueError('a flow stream needs both flow_model and '
                         'flow_frames_dir')
    if layout == 'official' and flow_model is None:
        raise ValueError("layout 'official' holds RGB and flow features "
                         '(feat_spa / feat_tem): give a flow model and flow '
                         "frames, or use layout 'npy'")
    names = [osp.splitext(osp.basename(v))[0] for v in videos]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f'several videos share the name(s) {twice[:5]}; '
                         'outputs are named after the video file stem')
    suffix = '.npy' if layout == 'npy' else '.npz'
    summary = dict(written=[], skipped=[], failed=[])
    for i, (video, name) in enumerate(zip(videos, names)):
        path = osp.join(out_dir, name + suffix)
        if osp.exists(path) and not overwrite:
            summary['skipped'].append(path)
            continue
        try:
            rgb, meta = extract_video_features(model, video,
                                               return_meta=True, **kwargs)
            flow = None
            if flow_model is not None:
                frames = rawframes_input(osp.join(flow_frames_dir, name),
                                         flow_tmpl, 'Flow', flow_start_index)
                flow = extract_video_features(flow_model, frames,
                                              num_snippets=len(rgb), **kwargs)
            save_video_features(path, rgb, flow, meta['num_frames'],
                                meta['fps'] or fps)
        except (ValueError, OSError) as e:
            summary['failed'].append((video, str(e)))
            log(f'[{i + 1}/{len(videos)}] FAILED {video}: {e}')
            continue
        summary['written'].append(path)
        dims = rgb.shape[1] + (0 if flow is None else flow.shape[1])
        log(f'[{i + 1}/{len(videos)}] {name}: {len(rgb)} snippets x {dims} '
            f'-> {path}')
    return summary


def collect_videos(inputs: Sequence[str],
                   list_file: Optional[str] = None) -> list:
    """Video paths: files as given, folders' videos (sorted, by
    :data:`VIDEO_EXTENSIONS`, hidden files left out), then the lines of
    ``list_file`` (relative paths: to the list file's folder).

    Raises:
        FileNotFoundError / IsADirectoryError: ``list_file`` is missing or
            a folder.
    """
    if list_file and not osp.isfile(list_file):
        if osp.isdir(list_file):
            raise IsADirectoryError(f'`list_file` {list_file} is a folder; '
                                    'give a text file, one video per line')
        raise FileNotFoundError(f'`list_file` not found: {list_file}')
    videos = []
    for item in inputs:
        if osp.isdir(item):
            videos += sorted(
                osp.join(item, n) for n in os.listdir(item)
                if n.lower().endswith(VIDEO_EXTENSIONS)
                and not n.startswith('.'))
        else:
            videos.append(item)
    if list_file:
        root = osp.dirname(osp.abspath(list_file))
        with open(list_file, encoding='utf-8') as f:
            videos += [osp.join(root, line.strip()) for line in f
                       if line.strip()]
    return videos


def extract_features_with_recognizers(
        inputs: Sequence[str], out_dir: str, config: str,
        checkpoint: Optional[str] = None, flow_config: Optional[str] = None,
        flow_checkpoint: Optional[str] = None, device: Optional[str] = None,
        list_file: Optional[str] = None, **kwargs) -> Dict[str, list]:
    """:func:`extract_features_to_dir` of :func:`collect_videos` ``(inputs,
    list_file)`` with MMAction2 ``init_recognizer`` models (``checkpoint``
    None: random weights; ``device`` None: ``cuda:0`` if available, else
    ``cpu``). Bad settings (:func:`check_extraction_args`, a ``device``
    this machine lacks, a missing ``list_file``) and no video at all raise
    before any model is built."""
    check_extraction_args(out_dir, **{k: kwargs[k] for k in (
        'snippet_len', 'stride', 'batch_size', 'fps', 'flow_start_index')
        if k in kwargs})
    if device is not None:
        device = check_device(device)
    videos = collect_videos(inputs, list_file)
    if not videos:
        raise ValueError(f'no video found in {list(inputs)} (extensions '
                         f'{VIDEO_EXTENSIONS})')
    device = device or ('cuda:0' if torch.cuda.is_available() else 'cpu')
    model = init_recognizer(config, checkpoint, device=device)
    flow_model = None if flow_config is None else init_recognizer(
        flow_config, flow_checkpoint, device=device)
    return extract_features_to_dir(videos, out_dir, model,
                                   flow_model=flow_model, **kwargs)
