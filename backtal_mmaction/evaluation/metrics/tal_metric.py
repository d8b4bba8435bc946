"""Temporal action localization mAP as an MMEngine metric."""
import logging
import os.path as osp
from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmaction.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from ...utils import check_flag, to_numpy
from ..functional import (DEFAULT_TIOU_THRESHOLDS, check_tiou_thresholds,
                          dump_activitynet_results, evaluate_detections,
                          format_detection_table, format_tiou,
                          load_activitynet_gt, load_ambiguous_segments)

_PRED_FIELDS = ('segments', 'scores', 'labels')
_GT_FIELDS = ('segments', 'labels')


def _as_dict(obj: Any, what: str) -> dict:
    """A dict view of a data sample / InstanceData (or a dict as is)."""
    if isinstance(obj, Mapping):
        return obj
    if hasattr(obj, 'to_dict'):  # BaseDataElement, ActionDataSample, ...
        return obj.to_dict()
    raise TypeError(f'{what} must be a dict or a BaseDataElement, got '
                    f'{type(obj).__name__}')


def _instances(sample: Mapping, key: str, fields: Sequence[str],
               video: str) -> Dict[str, np.ndarray]:
    inst = _as_dict(sample[key], f'{key} of video {video!r}')
    missing = [f for f in fields if f not in inst]
    if missing:
        raise ValueError(f'{key} of video {video!r} is missing field(s) '
                         f'{missing} (has {sorted(inst)})')
    return {f: to_numpy(inst[f]) for f in fields}


def _float64(values: np.ndarray) -> np.ndarray:
    """Predictions as float64: float32 widens exactly, so the in-memory
    value, the float written to the dump (full ``repr``) and the value read
    back from it are the same number."""
    return np.asarray(values, dtype=np.float64)


def _gt_float64(segments: np.ndarray) -> np.ndarray:
    """GT segments ``(N, 2)`` as the float64 of the GT file.

    ``PackClickLocalizationInputs`` packs GT as float64 (used as is); a
    pipeline that packs float32 tensors loses the file's decimals, which an
    offline evaluation reads as float64, e.g. 157.4 vs
    float32(157.4) = 157.399993896484375. That last-bit difference flips
    exactly tied tIoU values and tIoU values at a threshold (THUMOS14
    HighJump, video_test_0000887: AP 1/12 vs 2/12). A float32 is therefore
    mapped back through its shortest decimal (``'157.4'``), which gives the
    file's float64 whenever the file writes at most 6 significant digits
    (every THUMOS14 time). float64 input is used as is.
    """
    seg = np.asarray(segments)
    if seg.dtype == np.float32:
        return seg.astype(str).astype(np.float64)
    return np.asarray(seg, dtype=np.float64)


def _count_inexact_float32(segments: np.ndarray) -> int:
    """How many float32 values have more than 6 significant digits, i.e.
    may not be the file's decimal after :func:`_gt_float64`."""
    digits = [
        len(text.split('e')[0].replace('-', '').replace('.', '').strip('0'))
        for text in np.asarray(segments).astype(str).ravel().tolist()
    ]
    return int(sum(d > 6 for d in digits))


@METRICS.register_module()
class TALMetric(BaseMetric):
    """Temporal action localization mAP (ActivityNet protocol).

    Per-class AP at each tIoU threshold, averaged over the classes that have
    ground truth; see
    :func:`backtal_mmaction.evaluation.functional.evaluate_detections`.

    Each model output (``data_samples`` of :meth:`process`) must carry
    ``video_name`` and ``pred_instances`` with ``segments`` ``(N, 2)``
    [start, end] in seconds, ``scores`` ``(N, )`` and ``labels`` ``(N, )``
    class indices into ``dataset_meta['classes']``. Without ``ann_file`` it
    must also carry ``gt_instances`` with ``segments`` and ``labels``.

    Args:
        tiou_thresholds (Sequence[float]): Thresholds in ``(0, 1]``.
            Defaults to ``(0.1, 0.2, ..., 0.7)`` (THUMOS14).
        ann_file (str, optional): ActivityNet-style GT JSON. If given, GT is
            read from it (restricted to ``subset``) instead of the data
            samples, and a prediction for a video not in it is an error.
        subset (str, optional): Subset of ``ann_file`` to evaluate on, e.g.
            ``'test'``. Only valid with ``ann_file``.
        ambiguous_file (str, optional): File of ambiguous segments (THUMOS14
            ``Ambiguous_test.txt`` layout, ``video start end`` per line).
            Predictions overlapping them are removed before matching, as in
            the CO2-Net / HR-Pro evaluation (see
            :func:`~backtal_mmaction.evaluation.functional.\
ambiguous_prediction_mask`). Read when the metric is built.
        dump_results (str, optional): Write the predictions to this
            ActivityNet result JSON after each evaluation.
        overwrite_dump (bool): Allow replacing a ``dump_results`` file that
            existed before this metric was built. The metric always
            replaces its own earlier dump (one per validation round).
            Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``, for collecting results
            across ranks. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'tal'``.

    Returns (of :meth:`compute_metrics`):
        ``{'mAP@0.10': ..., ..., 'mAP_avg': ...}`` in percent, plus
        ``'mAP_avg_0.1:0.5'`` and ``'mAP_avg_0.3:0.7'`` (the LACP / HR-Pro
        columns) when all thresholds of that range are evaluated.

    Numbers: GT and predictions are evaluated as float64 seconds, the
    representation of the offline ``eval_detections.py`` on this metric's
    dump, so both give identical AP (see :func:`_gt_float64`).
    """
    default_prefix = 'tal'

    def __init__(self,
                 tiou_thresholds=DEFAULT_TIOU_THRESHOLDS,
                 ann_file: Optional[str] = None,
                 subset: Optional[str] = None,
                 ambiguous_file: Optional[str] = None,
                 dump_results: Optional[str] = None,
                 overwrite_dump: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        check_flag('overwrite_dump', overwrite_dump, owner='TALMetric')
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.tiou_thresholds = check_tiou_thresholds(tiou_thresholds)
        if subset is not None and ann_file is None:
            raise ValueError('TALMetric: `subset` only applies together with '
                             '`ann_file`')
        self.ann_file = ann_file
        self.subset = subset
        self.ambiguous_file = ambiguous_file
        # Read now: a bad file fails before inference, not after it.
        self.ambiguous = (None if ambiguous_file is None else
                          load_ambiguous_segments(ambiguous_file))
        self.dump_results = dump_results
        self.overwrite_dump = overwrite_dump
        # Fail before hours of inference rather than at the final dump.
        if (dump_results is not None and osp.exists(dump_results)
                and not overwrite_dump):
            raise FileExistsError(
                f'TALMetric: dump_results file {dump_results} already '
                'exists; set overwrite_dump=True or choose another path')
        self._dumped = False
        self._warned_no_gt = False
        self._warned_no_detections = False
        self._warned_float32 = False
        self._gt_cache = None

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Store each video's predictions (and GT) as CPU NumPy arrays.

        Args:
            data_batch (Any): Unused.
            data_samples (Sequence[dict | BaseDataElement]): Model outputs,
                one per video.
        """
        for sample in data_samples:
            sample = _as_dict(sample, 'data sample')
            video = sample.get('video_name')
            if not isinstance(video, str):
                raise ValueError(
                    "TALMetric: data sample has no string 'video_name' "
                    f'(got {video!r}; keys: {sorted(sample)})')
            if sample.get('pred_instances') is None:
                raise ValueError(f'TALMetric: data sample of video {video!r} '
                                 "has no 'pred_instances'")
            pred = _instances(sample, 'pred_instances', _PRED_FIELDS, video)
            pred['segments'] = _float64(pred['segments'])
            pred['scores'] = _float64(pred['scores'])
            result = dict(video_name=video, pred=pred)
            if self.ann_file is None:
                if sample.get('gt_instances') is None:
                    raise ValueError(
                        f'TALMetric: data sample of video {video!r} has no '
                        "'gt_instances'; provide them or set `ann_file`")
                gt = _instances(sample, 'gt_instances', _GT_FIELDS, video)
                if gt['segments'].dtype == np.float32 and not \
                        self._warned_float32:
                    inexact = _count_inexact_float32(gt['segments'])
                    if inexact:
                        self._warned_float32 = True
                        print_log(
                            f'TALMetric: GT of video {video!r} arrives as '
                            f'float32 with {inexact} value(s) of more than 6 '
                            'significant digits; they may differ from the '
                            'GT file in the last bits, and so may the mAP '
                            'of an offline evaluation. Set `ann_file` to '
                            'read the GT file as float64.',
                            logger='current',
                            level=logging.WARNING)
                gt['segments'] = _gt_float64(gt['segments'])
                result['gt'] = gt
            self.results.append(result)

    def _class_names(self) -> Optional[List[str]]:
        meta = self.dataset_meta or {}
        classes = meta.get('classes')
        return None if classes is None else [str(c) for c in classes]

    def _load_gt(self, class_names: Optional[List[str]]) -> tuple:
        """GT of ``ann_file``, read once per class list (not every round)."""
        key = None if class_names is None else tuple(class_names)
        if self._gt_cache is None or self._gt_cache[0] != key:
            gt, names = load_activitynet_gt(
                self.ann_file, subset=self.subset, class_names=class_names)
            self._gt_cache = (key, gt, names)
        return self._gt_cache[1], self._gt_cache[2]

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute mAP per threshold and its average, in percent."""
        predictions = {}
        for res in results:
            if res['video_name'] in predictions:
                raise ValueError('TALMetric: got video '
                                 f"{res['video_name']!r} more than once")
            predictions[res['video_name']] = res['pred']

        class_names = self._class_names()
        if self.ann_file is not None:
            gt, class_names = self._load_gt(class_names)
        else:
            gt = {res['video_name']: res['gt'] for res in results}
        if class_names is None:
            # No class list anywhere: the largest label seen defines C.
            max_label = max([
                int(np.max(d['labels'], initial=-1))
                for d in list(gt.values()) + list(predictions.values())
            ] + [0])
            class_names = [f'class_{i}' for i in range(max_label + 1)]

        result = evaluate_detections(
            gt,
            predictions,
            len(class_names),
            self.tiou_thresholds,
            ambiguous=self.ambiguous)

        if predictions and not self._warned_no_detections and not any(
                len(p['scores']) for p in predictions.values()):
            # All-zero tables look like a broken evaluation; the usual
            # cause is an undertrained model (BackTAL on the bundled
            # benchmark detects nothing before about 10 epochs). Once per
            # metric: early validation rounds would repeat it.
            self._warned_no_detections = True
            print_log(
                f'TALMetric: no detections on any of the {len(predictions)} '
                'evaluated videos, so every mAP is 0: the model predicts '
                'no class above the post-processor\'s thresholds (an '
                'undertrained model, e.g. a smoke run of a few epochs, or '
                'too strict a class_threshold)',
                logger='current',
                level=logging.WARNING)
        missing = result['classes_without_gt']
        if missing and not self._warned_no_gt:
            self._warned_no_gt = True
            names = [class_names[c] for c in missing]
            shown = ', '.join(names[:10]) + (' ...' if len(names) > 10 else '')
            print_log(
                f'TALMetric: {len(missing)} of {len(class_names)} classes '
                f'have no ground truth and are left out of the mAP: {shown}',
                logger='current',
                level=logging.WARNING)
        print_log(
            '\n' + format_detection_table(
                result, class_names, ambiguous_file=self.ambiguous_file),
            logger='current')

        if self.dump_results is not None:
            # Our own earlier dump (previous validation round) may be replaced.
            dump_activitynet_results(
                predictions,
                class_names,
                self.dump_results,
                overwrite=self.overwrite_dump or self._dumped)
            self._dumped = True
            print_log(
                f'TALMetric: wrote detections to {self.dump_results}',
                logger='current')

        metrics = {
            f'mAP@{format_tiou(t)}': float(100 * v)
            for t, v in zip(result['tiou_thresholds'], result['mAP'])
        }
        metrics['mAP_avg'] = float(100 * result['average_mAP'])
        for name, value in result['range_mAP'].items():
            metrics[f'mAP_avg_{name}'] = float(100 * value)
        return metrics
