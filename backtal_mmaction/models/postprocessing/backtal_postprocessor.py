"""BackTAL test-time post-processing: CAS -> scored, NMS-ed detections."""
import numbers
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_flag, check_range, to_numpy
from .base import BasePostProcessor
from .nms import NMS_MODES, soft_nms, temporal_nms
from .proposals import (Proposals, concat_proposals, empty_proposals,
                        magnitude_proposals, minmax_normalize,
                        threshold_proposals, upsample_linear,
                        video_class_probs)

NMS_METHODS = ('hard', 'soft_gaussian', 'soft_linear')
CAS_MODES = ('logits', 'background_margin')


def _to_numpy(x, name: str) -> np.ndarray:
    """Tensor (any device / dtype) or array-like -> float64 ndarray."""
    try:
        # to_numpy widens bf16 / fp16 on the torch side (no NumPy bf16);
        # float32 -> float64 is exact.
        return to_numpy(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f'BackTALPostProcessor: {name} is not numeric: '
                         f'{e}') from e


def _check_finite(x: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(x)):
        raise ValueError(f'BackTALPostProcessor: {name} contains NaN or '
                         f'infinite values')


def _as_float_tuple(values, name: str) -> tuple:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim > 1 or not np.all(np.isfinite(arr)):
        raise ValueError(f'BackTALPostProcessor: {name} must be a flat '
                         f'sequence of finite numbers, got {values!r}')
    return tuple(float(v) for v in arr.reshape(-1))


def _empty_result() -> Dict[str, np.ndarray]:
    return dict(
        segments=np.zeros((0, 2), dtype=np.float64),
        scores=np.zeros(0, dtype=np.float64),
        labels=np.zeros(0, dtype=np.int64))


@MODELS.register_module()
class BackTALPostProcessor(BasePostProcessor):
    """Turn one video's CAS into temporal detections, as in BackTAL.

    Steps: video probabilities (softmax, background dropped) select the
    classes with ``p >= class_threshold``; their CAS rows are min-max
    normalized and linearly upsampled to the frame count; proposals come from
    thresholding the CAS (``cas_thresholds``) and, on THUMOS14, the feature
    magnitude (``mag_thresholds``), each scored by outer-inner contrast plus
    ``gamma * p_c``; frames are converted to seconds, optionally shrunk and
    completed by a whole-video proposal (ActivityNet / HACS), then class-wise
    NMS and an optional top-k are applied.

    Defaults are the THUMOS14 settings. ActivityNet1.2: ``class_threshold=0.1,
    cas_thresholds=np.arange(0, 0.15, 0.025), mag_thresholds=(), lam=20,
    gamma=0.6, nms_thr=0.7, shrink_ratio=0.02, whole_video_score=0.6``;
    HACS: same with ``class_threshold=0.075``, ``np.arange(0, 0.2, 0.025)``,
    ``lam=200``, ``nms_thr=0.71``.

    Args:
        class_threshold (float): Minimum video probability of a kept class.
        cas_thresholds (Sequence[float]): CAS thresholds. Note that
            ``np.arange`` values differ from typed decimals in the last bit
            (e.g. ``0.07500000000000001``); that only matters for CAS values
            exactly on a threshold.
        mag_thresholds (Sequence[float]): Feature-magnitude thresholds; empty
            disables magnitude proposals.
        lam (float): Outer-region length relative to the proposal length.
        gamma (float): Weight of the video probability in proposal scores.
        nms_thr (float): NMS IoU threshold in [0, 1) (suppress if ``>``).
        nms_mode (str): ``'standard'`` tIoU or ``'official'`` (+1 in seconds,
            reproduces the official code).
        nms_method (str): ``'hard'``, ``'soft_gaussian'`` or ``'soft_linear'``.
            For soft-NMS, ``nms_thr`` is the linear-method IoU threshold.
        soft_sigma (float): Gaussian soft-NMS sigma.
        soft_min_score (float): Soft-NMS score floor.
        shrink_ratio (float): Shrink every proposal by this fraction of its
            length at each end (in [0, 0.5)).
        whole_video_score (float, optional): If set, add a ``[0, duration]``
            proposal with this score for every class with proposals.
        max_detections (int, optional): Keep the top-k detections after NMS.
        background_in_softmax (bool): See :func:`video_class_probs`;
            BackTAL's rule is True.
        cas_mode (str): What is thresholded for class ``c``: ``'logits'``
            (BackTAL: the class logit ``cas[c]``) or ``'background_margin'``
            (``cas[c] - cas[C]``, the log-odds of ``c`` against background).
            The margin suits models without a foreground filter, where click
            supervision reaches the background logit but not the action
            logits (e.g. the adversarial model of ablation row 8).
    """

    # What it decodes from saved raw outputs (BackTAL's; ``magnitude`` is
    # read when present): see :meth:`BasePostProcessor.from_raw`.
    raw_keys = ('cas_supp', 'video_scores_supp')

    def __init__(self,
                 class_threshold: float = 0.25,
                 cas_thresholds: Sequence[float] = tuple(
                     np.arange(0, 0.25, 0.025)),
                 mag_thresholds: Sequence[float] = tuple(
                     np.arange(0.3, 0.8, 0.075)),
                 lam: float = 0.25,
                 gamma: float = 0.2,
                 nms_thr: float = 0.55,
                 nms_mode: str = 'standard',
                 nms_method: str = 'hard',
                 soft_sigma: float = 0.5,
                 soft_min_score: float = 1e-3,
                 shrink_ratio: float = 0.0,
                 whole_video_score: Optional[float] = None,
                 max_detections: Optional[int] = None,
                 background_in_softmax: bool = True,
                 cas_mode: str = 'logits') -> None:
        check_flag('background_in_softmax', background_in_softmax,
                   owner='BackTALPostProcessor')
        self.background_in_softmax = bool(background_in_softmax)
        if cas_mode not in CAS_MODES:
            raise ValueError(f'BackTALPostProcessor: unknown cas_mode '
                             f'{cas_mode!r}, valid modes are {CAS_MODES}')
        self.cas_mode = cas_mode
        owner = 'BackTALPostProcessor'
        # check_range: a string or a bool (e.g. from a config) is a named
        # ValueError here, not a TypeError at the first video
        check_range('class_threshold', class_threshold, 0, 1, owner=owner)
        check_range('lam', lam, 0, owner=owner)
        check_range('gamma', gamma, owner=owner)
        check_range('nms_thr', nms_thr, 0, 1, high_open=True, owner=owner)
        if nms_mode not in NMS_MODES:
            raise ValueError(f'BackTALPostProcessor: unknown nms_mode '
                             f'{nms_mode!r}, valid modes are {NMS_MODES}')
        if nms_method not in NMS_METHODS:
            raise ValueError(f'BackTALPostProcessor: unknown nms_method '
                             f'{nms_method!r}, valid methods are '
                             f'{NMS_METHODS}')
        check_range('soft_sigma', soft_sigma, 0, low_open=True, owner=owner)
        check_range('soft_min_score', soft_min_score, owner=owner)
        check_range('shrink_ratio', shrink_ratio, 0, 0.5, high_open=True,
                    owner=owner)
        if whole_video_score is not None:
            check_range('whole_video_score', whole_video_score, owner=owner)
        if max_detections is not None:
            check_range('max_detections', max_detections, 1, integer=True,
                        owner=owner)
        self.class_threshold = float(class_threshold)
        self.cas_thresholds = _as_float_tuple(cas_thresholds, 'cas_thresholds')
        self.mag_thresholds = _as_float_tuple(mag_thresholds, 'mag_thresholds')
        self.lam = float(lam)
        self.gamma = float(gamma)
        self.nms_thr = float(nms_thr)
        self.nms_mode = nms_mode
        self.nms_method = nms_method
        self.soft_sigma = float(soft_sigma)
        self.soft_min_score = float(soft_min_score)
        self.shrink_ratio = float(shrink_ratio)
        self.whole_video_score = (None if whole_video_score is None else
                                  float(whole_video_score))
        self.max_detections = (None if max_detections is None else
                               int(max_detections))

    # ------------------------------------------------------------------ #
    # input checking
    # ------------------------------------------------------------------ #
    @staticmethod
    def _check_inputs(cas, video_scores, magnitude, num_frames, duration):
        cas = _to_numpy(cas, 'cas')
        video_scores = _to_numpy(video_scores, 'video_scores')
        if cas.ndim != 2:
            raise ValueError(f'BackTALPostProcessor: cas must be 2-D '
                             f'(C+1, T), got shape {cas.shape}')
        if cas.shape[0] < 2 or cas.shape[1] < 1:
            raise ValueError(f'BackTALPostProcessor: cas must have at least '
                             f'2 rows (C >= 1 classes + background) and 1 '
                             f'snippet, got shape {cas.shape}')
        if video_scores.shape != (cas.shape[0], ):
            raise ValueError(f'BackTALPostProcessor: video_scores must have '
                             f'shape ({cas.shape[0]},) to match the cas '
                             f'rows, got {video_scores.shape}')
        _check_finite(cas, 'cas')
        _check_finite(video_scores, 'video_scores')
        if magnitude is not None:
            magnitude = _to_numpy(magnitude, 'magnitude')
            if magnitude.shape != (cas.shape[1], ):
                raise ValueError(f'BackTALPostProcessor: magnitude must have '
                                 f'shape ({cas.shape[1]},) = (T,), got '
                                 f'{magnitude.shape}')
            _check_finite(magnitude, 'magnitude')
        if isinstance(num_frames, torch.Tensor):
            num_frames = num_frames.item()
        if (isinstance(num_frames, bool)
                or not isinstance(num_frames, numbers.Integral)
                or num_frames < 1):
            raise ValueError(f'BackTALPostProcessor: num_frames must be an '
                             f'int >= 1, got {num_frames!r}')
        if isinstance(duration, torch.Tensor):
            duration = duration.item()
        if (isinstance(duration, bool)
                or not isinstance(duration, numbers.Real)
                or not np.isfinite(duration) or duration <= 0):
            raise ValueError(f'BackTALPostProcessor: duration must be a '
                             f'finite number > 0, got {duration!r}')
        return cas, video_scores, magnitude, int(num_frames), float(duration)

    # ------------------------------------------------------------------ #
    # pipeline
    # ------------------------------------------------------------------ #
    def generate_proposals(self, cas: np.ndarray, video_scores: np.ndarray,
                           magnitude: Optional[np.ndarray],
                           num_frames: int) -> dict:
        """Frame-level proposals of the kept classes (before NMS).

        Args:
            cas (np.ndarray): ``(C+1, T)`` validated float64 CAS.
            video_scores (np.ndarray): ``(C+1, )`` validated logits.
            magnitude (np.ndarray, optional): ``(T, )``.
            num_frames (int): F.

        Returns:
            dict: ``threshold`` and ``magnitude`` :class:`Proposals` (the
            latter empty when disabled), whose ``rows`` index ``classes``
            (int64 ``(Kc, )`` dataset class ids of the kept classes, with
            video probabilities ``probs`` ``(Kc, )``).
        """
        probs = video_class_probs(video_scores, self.background_in_softmax)
        kept = np.flatnonzero(probs >= self.class_threshold).astype(np.int64)
        kept_probs = probs[kept]
        rows = cas[kept]
        if self.cas_mode == 'background_margin':
            rows = rows - cas[-1:]
        cas_up = upsample_linear(minmax_normalize(rows), num_frames)
        thr_props = threshold_proposals(cas_up, kept_probs,
                                        self.cas_thresholds, self.lam,
                                        self.gamma)
        mag_props = empty_proposals()
        if magnitude is not None and len(self.mag_thresholds) and kept.size:
            mag_up = upsample_linear(
                np.clip(minmax_normalize(magnitude), 0.0, 1.0), num_frames)
            mag_props = magnitude_proposals(mag_up, cas_up, kept_probs,
                                            self.mag_thresholds, self.lam,
                                            self.gamma)
        return dict(
            threshold=thr_props,
            magnitude=mag_props,
            classes=kept,
            probs=kept_probs)

    def __call__(self,
                 cas,
                 video_scores,
                 magnitude=None,
                 num_frames: Optional[int] = None,
                 duration: Optional[float] = None) -> Dict[str, np.ndarray]:
        """Detections of one video.

        Args:
            cas (Tensor | np.ndarray): ``(C+1, T)`` suppressed-branch CAS
                logits, background last.
            video_scores (Tensor | np.ndarray): ``(C+1, )`` video logits.
            magnitude (Tensor | np.ndarray, optional): ``(T, )`` feature
                magnitude; used only if ``mag_thresholds`` is non-empty.
            num_frames (int): Frame count F of the video.
            duration (float): Video duration in seconds.

        Returns:
            dict: ``segments`` ``(N, 2)`` float64 ``[start, end]`` seconds,
            ``scores`` ``(N, )`` float64 and ``labels`` ``(N, )`` int64,
            sorted by descending score.
        """
        cas, video_scores, magnitude, num_frames, duration = \
            self._check_inputs(cas, video_scores, magnitude, num_frames,
                               duration)
        parts = self.generate_proposals(cas, video_scores, magnitude,
                                        num_frames)
        props = concat_proposals(parts['threshold'], parts['magnitude'])
        kept = parts['classes']
        if props.scores.size == 0:
            return _empty_result()
        segments, scores, labels = self._to_seconds(props, kept, num_frames,
                                                    duration)
        return self._nms(segments, scores, labels)

    def _from_raw(self, raw, num_classes):
        """The call on BackTAL's saved ``cas_supp`` ``(C+1, T)``,
        ``video_scores_supp`` ``(C+1,)`` and ``magnitude`` ``(T,)``."""
        cas = raw['cas_supp']
        if num_classes is not None:
            self._check_shape(
                raw, 'cas_supp', cas.ndim == 2
                and cas.shape[0] == num_classes + 1,
                f'({num_classes + 1}, T) for {num_classes} classes')
        return self(cas, raw['video_scores_supp'], raw.get('magnitude'),
                    num_frames=self._raw_meta(raw, 'num_frames'),
                    duration=self._raw_meta(raw, 'duration'))

    def _to_seconds(self, props: Proposals, kept: np.ndarray, num_frames: int,
                    duration: float):
        """Frames -> seconds, shrink, whole-video proposals."""
        # Same evaluation order as the official ``s / F * duration``.
        starts = props.starts / num_frames * duration
        ends = (props.ends + 1) / num_frames * duration
        if self.shrink_ratio > 0:
            shrink = self.shrink_ratio * (ends - starts)
            starts, ends = starts + shrink, ends - shrink
        segments = np.stack([starts, ends], axis=1)
        scores = props.scores
        labels = kept[props.rows]
        if self.whole_video_score is not None:
            # The official code appends one [0, duration] box per generated
            # proposal. Those copies are identical (same box, same score,
            # same class), so with hard NMS (nms_thr < 1, and tIoU = 1 in
            # both modes) the first copy suppresses all others and one box per
            # class that produced proposals gives identical NMS output.
            # (Soft-NMS would only decay the copies; one per class is kept
            # there too, the official code uses hard NMS.)
            wv_labels = np.unique(labels)
            segments = np.concatenate(
                [segments,
                 np.tile([[0.0, duration]], (wv_labels.size, 1))])
            scores = np.concatenate(
                [scores,
                 np.full(wv_labels.size, self.whole_video_score)])
            labels = np.concatenate([labels, wv_labels])
        return segments, scores, labels

    def _nms(self, segments: np.ndarray, scores: np.ndarray,
             labels: np.ndarray) -> Dict[str, np.ndarray]:
        if self.nms_method == 'hard':
            keep = temporal_nms(segments, scores, labels, self.nms_thr,
                                self.nms_mode)
            new_scores = scores[keep]
        else:
            keep, new_scores = soft_nms(
                segments,
                scores,
                labels,
                method=self.nms_method[len('soft_'):],
                sigma=self.soft_sigma,
                iou_thr=self.nms_thr,
                min_score=self.soft_min_score,
                mode=self.nms_mode)
        order = np.argsort(-new_scores, kind='stable')
        if self.max_detections is not None:
            order = order[:self.max_detections]
        keep = keep[order]
        return dict(
            segments=segments[keep],
            scores=new_scores[order],
            labels=labels[keep].astype(np.int64))
