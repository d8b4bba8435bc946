"""Inference with a localizer, MMAction2's ``mmaction.apis`` shape: build
it from a config + checkpoint (:func:`init_localizer`), run it on one
video's features (:func:`inference_localizer`, features in, detections in
seconds out), on every video of a dataset (:func:`predict_dataset`) or on
a set of feature files written as an ActivityNet result JSON
(:func:`localize_feature_files`, behind ``tools/infer.py``).
"""
import copy
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
from ..cli.runner import build_model_from_checkpoint, check_output_file
from ..datasets.gt_io import class_names_from_gt, load_gt_database
from ..evaluation.functional import dump_activitynet_results

__all__ = [
    'init_localizer', 'inference_localizer', 'predict_dataset',
    'localize_feature_files', 'build_dataset', 'split_as_test_dataset_cfg',
    'training_videos_dataset_cfg', 'collect_feature_files',
    'resolve_class_names', 'video_timing', 'filter_detections',
    'FEATURE_EXTS'
]

# the feature files inference reads (``LoadSnippetFeature``'s formats)
FEATURE_EXTS = ('.npy', '.npz')


def init_localizer(config: Union[str, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None):
    """Build the config's model, load ``checkpoint`` (safe loader, strict,
    mismatches named) and put it in eval mode on ``device``.

    Returns:
        nn.Module: the model, with the config as ``model.cfg``.
    """
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
            raise FileNotFoundError(f'`classes` file not found: '
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
            '`classes` FILE (one name per line, in training order)')
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
                f'{source}: the file carries no fps/duration; pass `fps` '
                '(and `duration` for a single video)')
        duration = num_snippets * snippet_frames / fps
        warnings.warn(
            f'{source}: no duration given, assuming T * {snippet_frames} '
            f'/ fps = {duration:.2f} s ({num_snippets} snippets); pass '
            '`duration` if the features do not cover the video exactly')
    if num_frames is None:
        if not fps:
            raise ValueError(f'{source}: cannot derive the frame count '
                             'without `fps`')
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
                           log: Callable[[str], None] = print
                           ) -> Dict[str, dict]:
    """Detect actions in every feature file and write ``out``:
    ``tools/infer.py``.

    Args:
        config (str): Config file of the model.
        checkpoint (str): Its checkpoint (must match the model).
        features (sequence of str): ``.npy`` / ``.npz`` files or folders of
            them, one file per video (names must be unique).
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

    Returns:
        dict: ``{video: dict(segments (N, 2) seconds, scores (N,),
        labels (N,))}`` (numpy arrays), as written to ``out``.

    Raises:
        ValueError: ``topk < 1``, ``duration`` with several files, class
            names that do not match the model, bad feature files.
        FileExistsError / IsADirectoryError: ``out`` exists (without
            ``overwrite``) or is a directory.
    """
    if topk is not None and topk < 1:
        raise ValueError(f'`topk` must be >= 1, got {topk}')
    check_output_file(out, '`out`', overwrite=overwrite)
    files = collect_feature_files(features)
    if duration is not None and len(files) != 1:
        raise ValueError('`duration` applies to a single video; got '
                         f'{len(files)} feature files')
    cfg = load_config(config, cfg_options, cfg_options_allow_new)
    class_names = resolve_class_names(cfg, classes)
    model = init_localizer(cfg, checkpoint, device)
    if model.num_classes != len(class_names):
        raise ValueError(f'{len(class_names)} class names but the model has '
                         f'{model.num_classes} classes')
    predictions = {}
    for path in files:
        det = inference_localizer(
            model, path, fps=fps, duration=duration,
            snippet_frames=snippet_frames, topk=topk, score_thr=score_thr,
            layout=feature_layout, axis=axis, array_key=array_key)
        predictions[osp.splitext(osp.basename(path))[0]] = det
    dump_activitynet_results(predictions, class_names, out,
                             overwrite=overwrite)
    total = sum(len(p['scores']) for p in predictions.values())
    log(f'wrote {total} detections of {len(predictions)} video(s) to {out}')
    return predictions
