"""Detect actions in new videos from their feature files and write an
ActivityNet result JSON: the function behind ``tools/infer.py``.

One model (:func:`~.inference.init_localizer`), one
:func:`~.localize.inference_localizer` call per feature file (the video
name is the file name without suffix).
"""
import os.path as osp
from typing import Callable, Dict, Optional, Sequence

__all__ = ['localize_feature_files']


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
    from ..cli.config import load_config
    from ..cli.runner import check_output_file
    from ..evaluation.functional import dump_activitynet_results
    from .inference import init_localizer
    from .localize import (collect_feature_files, inference_localizer,
                           resolve_class_names)
    if topk is not None and topk < 1:
        raise ValueError(f'--topk must be >= 1, got {topk}')
    check_output_file(out, '--out', overwrite=overwrite)
    files = collect_feature_files(features)
    if duration is not None and len(files) != 1:
        raise ValueError('--duration applies to a single video; got '
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
