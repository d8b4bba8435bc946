"""Localizing actions in new videos: features in, detections (seconds) out.

MMAction2's ``inference_recognizer`` counterpart for a localizer built by
:func:`~backtal_mmaction.apis.init_localizer`; ``tools/infer.py`` is its
command line.
"""
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch

__all__ = [
    'FEATURE_EXTS', 'collect_feature_files', 'resolve_class_names',
    'video_timing', 'filter_detections', 'inference_localizer'
]

FEATURE_EXTS = ('.npy', '.npz')


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
                raise FileNotFoundError(f'{path}: no .npy/.npz files in it')
            files += found
        elif not osp.isfile(path):
            raise FileNotFoundError(f'feature file not found: {path}')
        elif not path.endswith(FEATURE_EXTS):
            raise ValueError(f'{path}: expected a .npy or .npz feature file')
        else:
            files.append(path)
    names = [osp.splitext(osp.basename(f))[0] for f in files]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f'several feature files for video(s) {dups[:5]}: '
                         'video names come from file names and must be '
                         'unique')
    return files


def resolve_class_names(cfg, classes_file: Optional[str] = None) -> List[str]:
    """``classes_file`` (one name per line), else the config's test dataset
    ``classes``, else its GT file's class list."""
    if classes_file:
        if not osp.isfile(classes_file):
            raise FileNotFoundError(f'--classes file not found: '
                                    f'{classes_file}')
        with open(classes_file, encoding='utf-8') as f:
            names = [line.strip() for line in f if line.strip()]
        if not names:
            raise ValueError(f'{classes_file}: no class names in it')
        return names
    dataset = cfg.test_dataloader.dataset
    if dataset.get('classes'):
        return [str(c) for c in dataset.classes]
    ann_file = dataset.get('ann_file')
    if not ann_file or not osp.isfile(ann_file):
        raise FileNotFoundError(
            'cannot find the class names: the config\'s test dataset has no '
            f'`classes` and its ann_file {ann_file!r} is missing; pass '
            '--classes FILE (one name per line, in training order)')
    from ..datasets.gt_io import class_names_from_gt, load_gt_database
    return [str(c) for c in class_names_from_gt(load_gt_database(ann_file))]


def video_timing(source: str,
                 num_snippets: int,
                 fps: Optional[float] = None,
                 duration: Optional[float] = None,
                 num_frames: Optional[int] = None,
                 snippet_frames: int = 16) -> tuple:
    """``(num_frames, duration, fps)`` of one video.

    A missing duration is derived as ``T * snippet_frames / fps`` with a
    warning (exact only when the features cover the whole video in
    non-overlapping snippets); a missing frame count as
    ``round(duration * fps)``. ``source`` names the video in messages.
    """
    if duration is None:
        if not fps:
            raise ValueError(
                f'{source}: the file carries no fps/duration; pass --fps '
                '(and --duration for a single video)')
        duration = num_snippets * snippet_frames / fps
        warnings.warn(
            f'{source}: no duration given, assuming T * {snippet_frames} '
            f'/ fps = {duration:.2f} s ({num_snippets} snippets); pass '
            '--duration if the features do not cover the video exactly')
    if num_frames is None:
        if not fps:
            raise ValueError(f'{source}: cannot derive the frame count '
                             'without --fps')
        num_frames = int(round(float(duration) * float(fps)))
    if not (float(duration) > 0 and int(num_frames) >= 1):
        raise ValueError(f'{source}: invalid duration {duration} / frame '
                         f'count {num_frames}')
    return int(num_frames), float(duration), (float(fps) if fps else None)


def filter_detections(det: Dict[str, np.ndarray], topk: Optional[int],
                      score_thr: Optional[float]) -> Dict[str, np.ndarray]:
    """Score threshold, then the ``topk`` best (descending score, ties in
    the post-processor's order)."""
    order = np.argsort(-det['scores'], kind='stable')
    if score_thr is not None:
        order = order[det['scores'][order] >= score_thr]
    if topk is not None:
        order = order[:topk]
    return {k: v[order] for k, v in det.items()}


def _feature_loader(model, layout: str, axis: str,
                    array_key: Optional[str]):
    from mmaction.registry import TRANSFORMS
    feat_dim = None
    for part in ('backbone', 'embedding', 'fg_filter'):
        dim = (model.cfg.model.get(part) or {}).get('in_channels') \
            if getattr(model, 'cfg', None) is not None else None
        if dim is not None:
            feat_dim = int(dim)
            break
    return TRANSFORMS.build(
        dict(type='LoadSnippetFeature', layout=layout, axis=axis,
             feat_dim=feat_dim, array_key=array_key,
             load_point_label=False))


def inference_localizer(model,
                        features: Union[str, np.ndarray, torch.Tensor],
                        video_name: Optional[str] = None,
                        fps: Optional[float] = None,
                        duration: Optional[float] = None,
                        num_frames: Optional[int] = None,
                        snippet_frames: int = 16,
                        topk: Optional[int] = None,
                        score_thr: Optional[float] = None,
                        layout: str = 'auto',
                        axis: str = 'TC',
                        array_key: Optional[str] = None
                        ) -> Dict[str, np.ndarray]:
    """Detect actions in one video.

    Args:
        model: A localizer from :func:`init_localizer` (eval mode).
        features: ``(T, C)`` snippet features (array or tensor), or a
            ``.npy`` / ``.npz`` file read by ``LoadSnippetFeature`` with
            ``layout`` / ``axis`` / ``array_key`` (official BackTAL test
            files carry ``fps`` / ``duration`` / ``frame_num``).
        video_name: Defaults to the file name (or ``'video'``).
        fps, duration, num_frames: Timing of the video when the features
            do not carry it (see :func:`video_timing`).
        topk, score_thr: Optional output filter (:func:`filter_detections`).

    Returns:
        dict: ``segments`` ``(K, 2)`` seconds, ``scores`` ``(K,)``,
        ``labels`` ``(K,)`` class indices, sorted by descending score.
    """
    from mmaction.structures import ActionDataSample
    if isinstance(features, (str, os.PathLike)):
        path = os.fspath(features)
        name = video_name or osp.splitext(osp.basename(path))[0]
        results = _feature_loader(model, layout, axis, array_key)(
            dict(feature_path=path, video_name=name))
        # the loader's (D, T), as the test pipeline packs it
        feats, source = torch.from_numpy(results['features']), path
        num_snippets = int(results['num_snippets'])
        fps = results.get('fps') or fps
        duration = results.get('duration') or duration
        num_frames = results.get('num_frames') or num_frames
    else:
        name, source = video_name or 'video', f'video {video_name!r}'
        if features.ndim != 2:
            raise ValueError(f'{source}: features must be (T, C), got '
                             f'shape {tuple(features.shape)}')
        # (T, C) in, the model's (D, T) layout inside
        feats = torch.as_tensor(features, dtype=torch.float32).t() \
            .contiguous()
        num_snippets = int(features.shape[0])
    num_frames, duration, fps = video_timing(source, num_snippets, fps,
                                             duration, num_frames,
                                             snippet_frames)
    sample = ActionDataSample()
    sample.set_metainfo(dict(video_name=name, duration=duration,
                             num_frames=num_frames, fps=fps))
    with torch.no_grad():
        out = model.test_step(dict(inputs=[feats], data_samples=[sample]))[0]
    pred = out.pred_instances
    det = dict(segments=pred.segments.cpu().numpy().reshape(-1, 2),
               scores=pred.scores.cpu().numpy(),
               labels=pred.labels.cpu().numpy())
    return filter_detections(det, topk, score_thr)
