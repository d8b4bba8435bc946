"""Inference with a localizer, MMAction2's ``mmaction.apis`` shape: build
it from a config + checkpoint (:func:`init_localizer`), run it on one
video's features (:func:`inference_localizer`, features in, detections in
seconds out), on every video of a dataset (:func:`predict_dataset`) or on
a set of feature files written as an ActivityNet result JSON
(:func:`localize_feature_files`, behind ``tools/infer.py``).
"""
import copy
import math
import numbers
import os
import os.path as osp
import warnings
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import DATASETS, MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from ..cli.config import load_config
from ..cli.runner import build_model_from_checkpoint
from ..datasets.config_utils import config_input_files
from ..datasets.gt_io import (class_names_from_gt, feature_span, load_gt,
                              load_gt_database, read_class_list)
from ..datasets.transforms.loading import (check_float_features,
                                          check_snippet_features)
from ..evaluation.functional import dump_activitynet_results
from ..utils import check_count, check_number, check_output_path

__all__ = [
    'init_localizer', 'inference_localizer', 'predict_dataset',
    'localize_feature_files', 'build_dataset', 'split_as_test_dataset_cfg',
    'training_videos_dataset_cfg', 'collect_feature_files',
    'resolve_class_names', 'video_timing', 'filter_detections',
    'check_device', 'FEATURE_EXTS'
]

# the feature files inference reads (``LoadSnippetFeature``'s formats)
FEATURE_EXTS = ('.npy', '.npz', '.csv')
# Device types a localizer runs on; others (meta, lazy, ...) hold no data.
DEVICE_TYPES = ('cpu', 'cuda', 'mps', 'xpu')
# The timing a feature file may carry, by keyword: its name in the file.
FILE_TIMING_KEYS = dict(fps='fps', duration='duration', num_frames='frame_num')
# Timing consistency tolerance, relative to the expected value, on top of
# one snippet: feature extractors drop (floor) or pad (ceil) the last
# partial snippet, so a correct duration differs from T * snippet_frames /
# fps by up to one snippet, and a frame count from duration * fps by up to
# one snippet's frames; 10 % more leaves room for rounded durations and
# resampled videos while a wrong unit or video (x2, /30) still stands out.
TIMING_RTOL = 0.1


def check_device(device) -> str:
    """``device`` as a string after checking this machine can use it
    (before anything is built or loaded).

    Raises:
        TypeError: ``device`` is not a string or ``torch.device``.
        ValueError: not a torch device string, a device type a model cannot
            run on, or a device this machine lacks (no CUDA, ``cuda:3`` on
            a 2-GPU machine, no MPS / XPU).
    """
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f'`device` must be a string such as \'cpu\' or '
                        f"'cuda:0', got {type(device).__name__}")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ValueError(f'`device` {str(device)!r} is not a torch device '
                         '(cpu, cuda, cuda:0, ...)') from None
    if dev.type not in DEVICE_TYPES:
        raise ValueError(f'`device` {str(device)!r}: a model runs on '
                         f'{", ".join(DEVICE_TYPES)} (cuda:0, ...), not '
                         f'{dev.type!r}')
    if dev.type == 'cuda':
        if not torch.cuda.is_available():
            raise ValueError(f'`device` {dev}: CUDA is not available on '
                             'this machine (use cpu)')
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f'`device` {dev}: this machine has {count} '
                             f'CUDA device(s) (cuda:0 to cuda:{count - 1})')
    elif dev.type == 'mps' and not torch.backends.mps.is_available():
        raise ValueError(f'`device` {dev}: MPS is not available on this '
                         'machine (use cpu)')
    elif dev.type == 'xpu' and not (hasattr(torch, 'xpu')
                                    and torch.xpu.is_available()):
        raise ValueError(f'`device` {dev}: XPU is not available on this '
                         'machine (use cpu)')
    return str(dev)


def _check_timing_args(fps=None, duration=None, num_frames=None,
                       snippet_frames=16) -> None:
    """The caller's timing keywords (see :func:`video_timing`)."""
    check_number('fps', fps)
    check_number('duration', duration)
    check_count('num_frames', num_frames)
    check_count('snippet_frames', snippet_frames)


def _check_filter_args(topk=None, score_thr=None) -> None:
    """``topk`` an integer >= 1, ``score_thr`` a finite number (a NaN
    threshold would drop every detection)."""
    check_count('topk', topk)
    check_number('score_thr', score_thr, positive=False)


def init_localizer(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None):
    """Build the config's model, load ``checkpoint`` (safe loader, strict,
    mismatches named) and put it in eval mode on ``device``.

    Returns:
        nn.Module: the model, with the config as ``model.cfg``.

    Raises:
        ValueError: ``device`` is no torch device or one this machine lacks
            (:func:`check_device`), checked before anything loads.
    """
    device = check_device(device)
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    if checkpoint is None:
        model = MODELS.build(cfg.model).to(device).eval()
    else:
        model = build_model_from_checkpoint(cfg, checkpoint, device)
    model.cfg = cfg
    return model


def split_as_test_dataset_cfg(cfg: Config, split: str) -> dict:
    """The dataset of ``split`` (``'train'`` / ``'val'`` / ``'test'``) as a
    *test* dataset: its GT, subset and clicks, read through the test
    pipeline (each video whole, at its own length) in test mode.

    Raises:
        ValueError: the config has no ``<split>_dataloader``.
    """
    loader = cfg.get(f'{split}_dataloader')
    if not loader:
        raise ValueError(f'the config has no {split}_dataloader')
    dataset = copy.deepcopy(loader.dataset)
    dataset['pipeline'] = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    dataset['test_mode'] = True
    return dataset


def training_videos_dataset_cfg(cfg: Config) -> dict:
    """The training split as a *test* dataset
    (:func:`split_as_test_dataset_cfg`), so a trained model can label its
    own training videos."""
    return split_as_test_dataset_cfg(cfg, 'train')


def build_dataset(dataset_cfg: dict):
    """``DATASETS.build`` in MMAction2's scope."""
    init_default_scope('mmaction')
    return DATASETS.build(dataset_cfg)


def predict_dataset(model, dataset) -> Iterator:
    """Run ``model`` on every video of a dataset (object or config), one
    video at a time, as the test loop does.

    Yields:
        ActionDataSample: with ``pred_instances`` (``segments`` ``(K, 2)``
        seconds, ``scores``, ``labels``) and the GT / click metainfo.
    """
    if isinstance(dataset, dict):
        dataset = build_dataset(dataset)
    with torch.no_grad():
        for idx in range(len(dataset)):
            yield from model.test_step(pseudo_collate([dataset[idx]]))


def collect_feature_files(paths: Sequence[str]) -> List[str]:
    """Expand directories; check every file exists and has a known suffix.

    Video names come from file names, so they must be unique.
    """
    files = []
    for path in paths:
        if osp.isdir(path):
            found = sorted(
                osp.join(path, f) for f in os.listdir(path)
                if f.endswith(FEATURE_EXTS))
            if not found:
                raise FileNotFoundError(
                    f'{path}: no .npy/.npz/.csv files in it')
            files += found
        elif not osp.isfile(path):
            raise FileNotFoundError(f'feature file not found: {path}')
        elif not path.endswith(FEATURE_EXTS):
            raise ValueError(f'{path}: expected a .npy, .npz or .csv feature '
                             'file')
        else:
            files.append(path)
    names = [osp.splitext(osp.basename(f))[0] for f in files]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f'several feature files for video(s) {dups[:5]}: '
                         'video names come from file names and must be '
                         'unique')
    return files


def _timings_from_video_info(video_info: str, files: Sequence[str],
                             fps: Optional[float]) -> Dict[str, dict]:
    """``{file: timing keywords of inference_localizer}`` from a GT /
    annotation JSON: the seconds the features span (its
    ``feature_duration``, else ``duration``), its fps (else ``fps``) and,
    for features spanning the whole video, its frame count; no snippet
    length (resampled features imply no duration).

    Raises:
        ValueError: a video without an entry (all of them named, before
            any model loads).
    """
    videos = load_gt(video_info).videos
    names = {f: osp.splitext(osp.basename(f))[0] for f in files}
    missing = [n for n in names.values() if n not in videos]
    if missing:
        raise ValueError(f'{video_info}: no entry for {len(missing)} of the '
                         f'{len(files)} videos, e.g. {missing[:5]}')
    timings = {}
    for path, name in names.items():
        span, frames = feature_span(videos[name])
        timings[path] = dict(duration=span, num_frames=frames,
                             fps=videos[name]['fps'] or fps,
                             snippet_frames=None)
    return timings


def resolve_class_names(cfg, classes_file: Optional[str] = None) -> List[str]:
    """``classes_file`` (a text file, one name per line, or a GT JSON: see
    :func:`~backtal_mmaction.datasets.gt_io.read_class_list`), else the
    config's test dataset ``classes`` (a list, or such a file), else its GT
    file's class list."""
    if classes_file:
        if not osp.isfile(classes_file):
            raise FileNotFoundError(f'`classes` file not found: '
                                    f'{classes_file}')
        return read_class_list(classes_file)
    dataset = cfg.test_dataloader.dataset
    if isinstance(dataset.get('classes'), str):
        return read_class_list(dataset.classes)
    if dataset.get('classes'):
        return [str(c) for c in dataset.classes]
    ann_file = dataset.get('ann_file')
    if not ann_file or not osp.isfile(ann_file):
        raise FileNotFoundError(
            'cannot find the class names: the config\'s test dataset has no '
            f'`classes` and its ann_file {ann_file!r} is missing; pass '
            '`classes` FILE (one name per line, in training order)')
    return [str(c) for c in class_names_from_gt(load_gt_database(ann_file))]


def _timing_label(key: str, value, given) -> str:
    """A timing value in a message, named by where it came from: a keyword
    of the caller (```fps` 30``) or a field of the feature file."""
    if key in given:
        return f'`{key}` {value:g}'
    return f'{FILE_TIMING_KEYS[key]} {value:g} (in the file)'


def video_timing(source: str,
                 num_snippets: int,
                 fps: Optional[float] = None,
                 duration: Optional[float] = None,
                 num_frames: Optional[int] = None,
                 snippet_frames: Optional[int] = 16,
                 given=('fps', 'duration', 'num_frames')) -> tuple:
    """``(num_frames, duration, fps)`` of one video, checked.

    A missing duration is derived as ``T * snippet_frames / fps`` with a
    warning (exact only when the features cover the whole video in
    non-overlapping snippets); a missing frame count as
    ``round(duration * fps)``.

    Consistency (tolerance: one snippet plus :data:`TIMING_RTOL` of the
    expected value, see there):

    - a given ``duration`` far from ``T * snippet_frames / fps`` warns
      (UserWarning): the detections would be spread over the wrong length;
    - a ``num_frames`` far from ``duration * fps`` raises ValueError.

    Args:
        source (str): Names the video in messages.
        num_snippets (int): ``T`` of the features.
        fps, duration, num_frames: Known timing (None: unknown).
        snippet_frames (int, optional): Frames per feature snippet; None
            for features resampled to a fixed length (ActivityNet's 100
            rows), whose duration the features do not imply: it must then
            be known, and nothing is checked against it.
        given (collection of str): Which of ``fps`` / ``duration`` /
            ``num_frames`` the caller gave (named as keywords in messages);
            the others came from the feature file.

    Raises:
        TypeError / ValueError: a bad value (a given keyword is named, a
            file value with ``source``), no fps to derive what is missing,
            or a frame count that contradicts ``duration * fps``.
    """
    timing = dict(fps=fps, duration=duration, num_frames=num_frames)
    _check_timing_args(snippet_frames=snippet_frames,
                       **{k: v for k, v in timing.items() if k in given})
    for key, value in timing.items():
        # the file's values: a number > 0 (a frame count need not be an
        # int type: files store it as float too)
        if key not in given and value is not None and not (
                isinstance(value, numbers.Real) and math.isfinite(value)
                and value > 0):
            raise ValueError(f'{source}: invalid {FILE_TIMING_KEYS[key]} '
                             f'{value!r} in the file')
    implied = (None if fps is None or snippet_frames is None else
               num_snippets * snippet_frames / fps)
    if duration is None:
        if snippet_frames is None:
            raise ValueError(f'{source}: no duration known, and resampled '
                             'features imply none; pass `duration`')
        if fps is None:
            raise ValueError(
                f'{source}: no fps or duration known (the features carry '
                'none); pass `fps` (and `duration` for a single video)')
        duration = implied
        warnings.warn(
            f'{source}: no duration given, assuming T * {snippet_frames} '
            f'/ fps = {duration:.2f} s ({num_snippets} snippets); pass '
            '`duration` if the features do not cover the video exactly')
    elif implied is not None and 'duration' in given and abs(
            duration - implied) > (snippet_frames / fps
                                   + TIMING_RTOL * implied):
        warnings.warn(
            f'{source}: `duration` {duration:g} s differs from the '
            f'{implied:.2f} s the features imply ({num_snippets} snippets x '
            f'`snippet_frames` {snippet_frames} / '
            f'{_timing_label("fps", fps, given)}); the detections are '
            'spread over `duration`: check `duration`, `fps` and '
            '`snippet_frames`')
    if num_frames is None:
        if fps is None:
            raise ValueError(f'{source}: cannot derive the frame count '
                             'without `fps`')
        num_frames = int(round(float(duration) * float(fps)))
    elif fps is not None:
        expected = float(duration) * float(fps)
        if abs(num_frames - expected) > (snippet_frames or 1) \
                + TIMING_RTOL * expected:
            raise ValueError(
                f'{source}: {_timing_label("num_frames", num_frames, given)}'
                f' does not match {_timing_label("duration", duration, given)}'
                f' * {_timing_label("fps", fps, given)} = {expected:.0f} '
                'frames')
    return int(num_frames), float(duration), (float(fps) if fps else None)


def filter_detections(det: Dict[str, np.ndarray], topk: Optional[int],
                      score_thr: Optional[float]) -> Dict[str, np.ndarray]:
    """Score threshold, then the ``topk`` best (descending score, ties in
    the post-processor's order).

    Raises:
        TypeError / ValueError: ``topk`` not an integer >= 1, ``score_thr``
            not a finite number.
    """
    _check_filter_args(topk, score_thr)
    order = np.argsort(-det['scores'], kind='stable')
    if score_thr is not None:
        order = order[det['scores'][order] >= score_thr]
    if topk is not None:
        order = order[:topk]
    return {k: v[order] for k, v in det.items()}


def _model_feat_dim(model) -> Optional[int]:
    """The feature dim D the model's config expects (its first part with
    ``in_channels``), None when unknown."""
    cfg = getattr(model, 'cfg', None)
    if cfg is None:
        return None
    for part in ('backbone', 'embedding', 'fg_filter'):
        dim = (cfg.model.get(part) or {}).get('in_channels')
        if dim is not None:
            return int(dim)
    return None


def _feature_loader(model, layout: str, axis: str,
                    array_key: Optional[str]):
    return TRANSFORMS.build(
        dict(type='LoadSnippetFeature', layout=layout, axis=axis,
             feat_dim=_model_feat_dim(model), array_key=array_key,
             load_point_label=False))


def _array_features(features, source: str, feat_dim: Optional[int],
                    axis: str) -> np.ndarray:
    """An in-memory feature array checked as ``LoadSnippetFeature`` checks
    a file: floating point, 2-D, ``D`` = ``feat_dim`` (with a hint when
    the array looks transposed), ``T >= 1``, finite.

    Args:
        features (np.ndarray | Tensor): ``(T, D)`` (``axis='TC'``) or
            ``(D, T)`` (``'CT'``).
        source (str): Names the input in messages.

    Returns:
        np.ndarray: ``(D, T)`` contiguous float32, the model's layout.
    """
    if isinstance(features, torch.Tensor):
        arr = features.detach().cpu()
        # bfloat16 has no NumPy dtype; every float is read as float32 anyway
        arr = arr.float().numpy() if arr.is_floating_point() else arr.numpy()
    elif isinstance(features, np.ndarray):
        arr = features
    else:
        raise TypeError(f'`features` must be a .npy/.npz/.csv file path, a '
                        f'numpy array or a torch tensor, got '
                        f'{type(features).__name__}')
    check_float_features(arr, source)
    if arr.ndim != 2:
        layout = '(T, C)' if axis == 'TC' else '(C, T)'
        raise ValueError(f'{source}: features must be {layout} (2-D, '
                         f'`axis` {axis!r}), got shape {arr.shape}')
    return check_snippet_features(arr.T if axis == 'TC' else arr, source,
                                  feat_dim)


def inference_localizer(model,
                        features: Union[str, np.ndarray, torch.Tensor],
                        video_name: Optional[str] = None,
                        fps: Optional[float] = None,
                        duration: Optional[float] = None,
                        num_frames: Optional[int] = None,
                        snippet_frames: Optional[int] = 16,
                        topk: Optional[int] = None,
                        score_thr: Optional[float] = None,
                        layout: str = 'auto',
                        axis: str = 'TC',
                        array_key: Optional[str] = None
                        ) -> Dict[str, np.ndarray]:
    """Detect actions in one video.

    Args:
        model: A localizer from :func:`init_localizer` (eval mode).
        features: ``(T, C)`` snippet features (numpy array or tensor;
            ``(C, T)`` with ``axis='CT'``), or a ``.npy`` / ``.npz`` /
            ``.csv`` (MMAction2's ActivityNet features) file
            read by ``LoadSnippetFeature`` with ``layout`` / ``axis`` /
            ``array_key`` (official BackTAL test files carry ``fps`` /
            ``duration`` / ``frame_num``). Arrays get the file checks:
            float dtype, 2-D, the model's feature dim, finite values.
        video_name: Names the video in messages; defaults to the file name
            (arrays: ``'array input'``).
        fps, duration, num_frames: Timing of the video when the features
            do not carry it (see :func:`video_timing`; a value the file
            carries wins, with a warning when the caller's differs).
        snippet_frames (int, optional): Frames per snippet, to derive or
            check the duration; None for resampled features (see
            :func:`video_timing`).
        topk, score_thr: Optional output filter (:func:`filter_detections`).

    Returns:
        dict: ``segments`` ``(K, 2)`` seconds, ``scores`` ``(K,)``,
        ``labels`` ``(K,)`` class indices, sorted by descending score.

    Raises:
        TypeError: ``features`` or a timing keyword of the wrong type.
        ValueError: bad features (naming the file / video), bad or
            inconsistent timing, bad ``topk`` / ``score_thr``.
    """
    _check_timing_args(fps, duration, num_frames, snippet_frames)
    _check_filter_args(topk, score_thr)
    caller = dict(fps=fps, duration=duration, num_frames=num_frames)
    if isinstance(features, (str, os.PathLike)):
        path = os.fspath(features)
        name = video_name or osp.splitext(osp.basename(path))[0]
        results = _feature_loader(model, layout, axis, array_key)(
            dict(feature_path=path, video_name=name))
        # the loader's (D, T), as the test pipeline packs it
        feats, source = results['features'], path
        in_file = {k: results[k] for k in caller if results.get(k)
                   is not None}
        for key, value in in_file.items():
            if caller[key] is not None and not math.isclose(
                    caller[key], value, rel_tol=1e-6):
                warnings.warn(f'{source}: `{key}` {caller[key]:g} ignored: '
                              f'the file carries {FILE_TIMING_KEYS[key]} '
                              f'{value:g}')
    else:
        name = video_name or 'array input'
        source = f'video {video_name!r}' if video_name else 'array input'
        feats, in_file = _array_features(features, source,
                                         _model_feat_dim(model), axis), {}
    timing = dict(caller, **in_file)
    num_frames, duration, fps = video_timing(
        source, int(feats.shape[1]), timing['fps'], timing['duration'],
        timing['num_frames'], snippet_frames,
        given={k for k, v in caller.items() if v is not None} - set(in_file))
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_name=name, duration=duration,
                             num_frames=num_frames, fps=fps))
    with torch.no_grad():
        out = model.test_step(dict(inputs=[torch.from_numpy(feats)],
                                   data_samples=[sample]))[0]
    pred = out.pred_instances
    det = dict(segments=pred.segments.cpu().numpy().reshape(-1, 2),
               scores=pred.scores.cpu().numpy(),
               labels=pred.labels.cpu().numpy())
    return filter_detections(det, topk, score_thr)


def localize_feature_files(config: str,
                           checkpoint: str,
                           features: Sequence[str],
                           out: str,
                           overwrite: bool = False,
                           fps: Optional[float] = None,
                           duration: Optional[float] = None,
                           snippet_frames: int = 16,
                           topk: Optional[int] = None,
                           score_thr: Optional[float] = None,
                           feature_layout: str = 'auto',
                           axis: str = 'TC',
                           array_key: Optional[str] = None,
                           classes: Optional[str] = None,
                           device: str = 'cpu',
                           cfg_options: Optional[dict] = None,
                           cfg_options_allow_new: bool = False,
                           log: Callable[[str], None] = print,
                           video_info: Optional[str] = None
                           ) -> Dict[str, dict]:
    """Detect actions in every feature file and write ``out``:
    ``tools/infer.py``.

    Args:
        config (str): Config file of the model.
        checkpoint (str): Its checkpoint (must match the model).
        features (sequence of str): ``.npy`` / ``.npz`` / ``.csv`` files or
            folders of them, one file per video (names must be unique).
        out (str): ``--out``: ActivityNet result JSON to write
            (``{"results": {video: [{"label", "segment", "score"}]}}``).
        overwrite (bool): ``--overwrite``: replace ``out`` if it exists.
        fps (float, optional): ``--fps`` of the videos (for files without
            it).
        duration (float, optional): ``--duration`` in seconds (one video
            only); without it, derived as ``T * snippet_frames / fps``.
        snippet_frames (int): ``--snippet-frames`` per feature snippet.
        topk (int, optional): ``--topk``: keep the N best detections.
        score_thr (float, optional): ``--score-thr``: drop lower scores.
        feature_layout (str): ``--feature-layout``: auto / official / array.
        axis (str): ``--axis`` of plain arrays: ``'TC'`` (time first) or
            ``'CT'``.
        array_key (str, optional): ``--array-key`` inside plain ``.npz``.
        classes (str, optional): ``--classes`` text file (one name a line);
            default: the config's test dataset classes / GT class list.
        device (str): ``--device``: cpu, cuda, cuda:1, ...
        cfg_options (dict, optional): parsed ``--cfg-options``.
        cfg_options_allow_new (bool): ``--cfg-options-allow-new``.
        log (callable): receives the summary line (default: ``print``).
        video_info (str, optional): ``--video-info``: a GT or annotation
            JSON (any layout :func:`~backtal_mmaction.datasets.gt_io.load_gt`
            reads, MMAction2's ``anet_anno_*.json`` included) giving every
            video's duration and frame rate, and the span its features
            cover; for features resampled to a fixed length (ActivityNet's
            100 rows), whose length implies no duration. ``fps`` then fills
            in only entries without one; ``duration`` is refused.

    Returns:
        dict: ``{video: dict(segments (N, 2) seconds, scores (N,),
        labels (N,))}`` (numpy arrays), as written to ``out``.

    Raises:
        TypeError / ValueError: a bad number (``topk`` < 1, a non-finite
            or non-positive ``fps`` / ``duration``, ``snippet_frames`` < 1,
            a non-finite ``score_thr``), a ``device`` this machine lacks,
            ``duration`` with several files, class names that do not
            match the model, bad feature files; all but the last two
            before anything loads.
        FileExistsError / IsADirectoryError: ``out`` exists (without
            ``overwrite``) or is a directory; ValueError: ``out`` is one
            of the run's inputs (config, checkpoint, a feature file, the
            classes file or the config's GT file), even with
            ``overwrite``.
    """
    _check_filter_args(topk, score_thr)
    _check_timing_args(fps, duration, snippet_frames=snippet_frames)
    check_device(device)
    files = collect_feature_files(features)
    if duration is not None and video_info is not None:
        raise ValueError('`duration` and `video_info` both give durations; '
                         'pass one')
    if duration is not None and len(files) != 1:
        raise ValueError('`duration` applies to a single video; got '
                         f'{len(files)} feature files')
    timings = (None if video_info is None else
               _timings_from_video_info(video_info, files, fps))
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    # the test dataset's GT is read when `classes` is not given
    check_output_path(out, '`out`', overwrite, inputs=[
        config, checkpoint, classes, video_info, *files,
        *config_input_files(cfg, ('test_dataloader', ))])
    class_names = resolve_class_names(cfg, classes)
    model = init_localizer(cfg, checkpoint, device)
    if model.num_classes != len(class_names):
        raise ValueError(f'{len(class_names)} class names but the model has '
                         f'{model.num_classes} classes')
    predictions = {}
    for path in files:
        timing = (dict(fps=fps, duration=duration,
                       snippet_frames=snippet_frames) if timings is None
                  else timings[path])
        det = inference_localizer(
            model, path, topk=topk, score_thr=score_thr,
            layout=feature_layout, axis=axis, array_key=array_key, **timing)
        predictions[osp.splitext(osp.basename(path))[0]] = det
    dump_activitynet_results(predictions, class_names, out,
                             overwrite=overwrite)
    total = sum(len(p['scores']) for p in predictions.values())
    log(f'wrote {total} detections of {len(predictions)} video(s) to {out}')
    return predictions
