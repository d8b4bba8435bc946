"""Anchor-free detector decoding: point logits + distances -> detections."""
from typing import Dict, Optional

import numpy as np
import torch
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from .base import BasePostProcessor
from .nms import (NMS_MODES, SOFT_NMS_METHODS, matrix_nms, soft_nms,
                  temporal_nms)

NMS_TYPES = ('hard', 'soft', 'matrix')
# The keyword arguments each NMS function takes besides the boxes.
NMS_ARGS = dict(hard={'iou_thr', 'mode'},
                soft={'method', 'sigma', 'iou_thr', 'min_score', 'mode'},
                matrix={'method', 'sigma', 'min_score', 'mode'})
DEFAULT_NMS = dict(type='soft', sigma=0.5, min_score=0.001)
# What a ``video_fusion`` dict leaves out.
DEFAULT_FUSION = dict(topk_ratio=0.125, power=1.0)
# The keyword arguments of AnchorFreePostProcessor, i.e. the keys of
# AnchorFreeTAD's legacy ``test_cfg``.
ARGS = ('score_thr', 'pre_nms_topk', 'nms', 'max_per_video', 'min_length',
        'video_fusion')


def check_nms(nms: dict, where: str) -> None:
    """Refuse an unknown NMS type or an argument its function does not take.

    Args:
        nms (dict): ``type`` (default ``'soft'``) and the function's
            keyword arguments.
        where (str): How the caller spells the field, for the messages
            (e.g. ``'AnchorFreeTAD: test_cfg.nms'``).
    """
    nms_type = nms.get('type', 'soft')
    if nms_type not in NMS_TYPES:
        raise ValueError(f'{where}.type {nms_type!r} not in {NMS_TYPES}')
    extra = set(nms) - {'type'} - NMS_ARGS[nms_type]
    if extra:
        # e.g. sigma left over when --cfg-options switches to 'hard'
        raise ValueError(
            f'{where} of type {nms_type!r} takes '
            f'{sorted(NMS_ARGS[nms_type])}, got also {sorted(extra)} '
            '(replace the whole nms dict: add `_delete_=True` to it; on '
            'the command line, KEY._delete_=True with KEY the nms dict)')
    # The values too, at build time: a string sigma would otherwise be a
    # TypeError deep in the NMS at the first test video.
    if nms.get('method', 'gaussian') not in SOFT_NMS_METHODS:
        raise ValueError(f"{where}.method {nms['method']!r} not in "
                         f'{SOFT_NMS_METHODS}')
    if nms.get('mode', 'standard') not in NMS_MODES:
        raise ValueError(f"{where}.mode {nms['mode']!r} not in {NMS_MODES}")
    for key, low, high, low_open in (('sigma', 0, None, True),
                                     ('iou_thr', 0, 1, False),
                                     ('min_score', None, None, False)):
        if key in nms:
            check_range(key, nms[key], low, high, low_open=low_open,
                        owner=where)


@MODELS.register_module()
class AnchorFreePostProcessor(BasePostProcessor):
    """Turn one video's point scores and boundary distances into temporal
    detections, as :class:`AnchorFreeTAD` decodes (FCOS / ActionFormer).

    Steps: sigmoid point probabilities ``(C, P)``, optionally scaled by the
    class's video-level evidence (``video_fusion``); the (point, class)
    pairs above ``score_thr``, at most ``pre_nms_topk`` of them; their
    segments ``[pos - d_s * stride, pos + d_e * stride]`` in seconds,
    clipped to ``[0, duration]``, those not longer than ``min_length``
    dropped; class-wise NMS; the ``max_per_video`` best.

    Args:
        score_thr (float): Minimum point probability of a candidate.
        pre_nms_topk (int): Candidates kept before NMS (the best).
        nms (dict, optional): ``dict(type='soft', sigma=0.5,
            min_score=0.001)`` (the default; Gaussian soft-NMS), its
            parallel form ``type='matrix'`` (no loop over boxes) or
            ``dict(type='hard', iou_thr=0.5)``; the other keys are the
            arguments of :func:`soft_nms` / :func:`matrix_nms` /
            :func:`temporal_nms`. A given dict replaces the default whole.
        max_per_video (int, optional): Detections kept after NMS; None
            keeps all.
        min_length (float): Seconds; shorter (or equal) segments are
            dropped before NMS.
        video_fusion (dict, optional): None, or ``dict(topk_ratio=0.125,
            power=1)``: scale point scores by the class's video-level top-k
            mean probability (over the level-0 points) to the given power.
    """

    # What it decodes from saved raw outputs (AnchorFreeTAD's): see
    # :meth:`BasePostProcessor.from_raw`.
    raw_keys = ('cls_logits', 'distances', 'points')

    def __init__(self,
                 score_thr: float = 0.001,
                 pre_nms_topk: int = 2000,
                 nms: Optional[dict] = None,
                 max_per_video: Optional[int] = 200,
                 min_length: float = 0.0,
                 video_fusion: Optional[dict] = None) -> None:
        nms = dict(DEFAULT_NMS if nms is None else nms)
        owner = 'AnchorFreePostProcessor'
        check_nms(nms, f'{owner}: nms')
        check_range('score_thr', score_thr, owner=owner)
        check_range('pre_nms_topk', pre_nms_topk, 1, integer=True,
                    owner=owner)
        if max_per_video is not None:
            check_range('max_per_video', max_per_video, 1, integer=True,
                        owner=owner)
        check_range('min_length', min_length, owner=owner)
        if video_fusion:
            if not isinstance(video_fusion, dict) or set(video_fusion) - {
                    'topk_ratio', 'power'}:
                raise ValueError(
                    f'{owner}: `video_fusion` must be None or a dict with '
                    f"'topk_ratio' and / or 'power', got {video_fusion!r}")
            fusion = {**DEFAULT_FUSION, **video_fusion}
            check_range('topk_ratio', fusion['topk_ratio'], 0, 1,
                        low_open=True, owner=f'{owner}: video_fusion')
            check_range('power', fusion['power'], 0,
                        owner=f'{owner}: video_fusion')
        self.score_thr = score_thr
        self.pre_nms_topk = pre_nms_topk
        self.nms = nms
        self.max_per_video = max_per_video
        self.min_length = min_length
        self.video_fusion = video_fusion

    def _from_raw(self, raw, num_classes):
        """The call on AnchorFreeTAD's saved ``cls_logits`` ``(C, P)``,
        ``distances`` ``(2, P)`` and ``points`` ``(P, 3)``; T is the number
        of level-0 points (one per input snippet, as :meth:`__call__`
        reads them)."""
        logits, dists, points = (raw[k] for k in self.raw_keys)
        expected_c = 'C' if num_classes is None else str(num_classes)
        self._check_shape(
            raw, 'cls_logits', logits.ndim == 2 and logits.shape[1] >= 1
            and (num_classes is None or logits.shape[0] == num_classes),
            f'({expected_c}, P)'
            + (f' for {num_classes} classes' if num_classes else ''))
        P = logits.shape[1]
        self._check_shape(raw, 'distances', dists.shape == (2, P),
                          f'(2, {P}) to match cls_logits')
        self._check_shape(raw, 'points', points.shape == (P, 3),
                          f'({P}, 3) to match cls_logits')
        level0 = points[:, 2] == 0
        num_snippets = int(level0.sum())
        if num_snippets < 1 or not level0[:num_snippets].all():
            raise ValueError(
                f"video {raw.get('video_name')!r}: raw points do not start "
                'with the level-0 points (one per snippet)')
        duration = self._raw_meta(raw, 'duration')
        return self(torch.from_numpy(np.ascontiguousarray(logits)),
                    torch.from_numpy(np.ascontiguousarray(dists)),
                    torch.from_numpy(np.ascontiguousarray(points)),
                    num_snippets, duration)

    def __call__(self, cls_logits: torch.Tensor, distances: torch.Tensor,
                 points: torch.Tensor, num_snippets: int,
                 duration: float) -> Dict[str, np.ndarray]:
        """Detections of one video.

        Args:
            cls_logits (Tensor): ``(C, P)`` point logits.
            distances (Tensor): ``(2, P)`` distances to the start and the
                end, in stride units.
            points (Tensor): ``(P, 3)``: position (snippets), stride,
                level (:func:`level_points`).
            num_snippets (int): T of the input; the first T points are
                level 0 (one per snippet).
            duration (float): Seconds.

        Returns:
            dict: ``segments`` ``(K, 2)`` float64 seconds in
            ``[0, duration]``, ``scores`` ``(K,)`` float64, ``labels``
            ``(K,)`` int64, by descending score, ``K <= max_per_video``.
        """
        point_probs = torch.sigmoid(cls_logits.float())  # (C, P)
        C = cls_logits.shape[0]
        if self.video_fusion:
            fusion = {**DEFAULT_FUSION, **self.video_fusion}
            # video-level class evidence (top-k mean over the snippet-level
            # points, as in MIL): a point score is scaled by how present its
            # class is in the whole video, so one confident point of a
            # sibling class weighs less than a class seen all along
            k = max(1, int(num_snippets * fusion['topk_ratio']))
            level0 = point_probs[:, :num_snippets]
            video = level0.topk(min(k, level0.shape[1]), dim=1).values.mean(1)
            point_probs = point_probs * video[:, None]**fusion['power']
        probs = point_probs.t().reshape(-1)  # (P * C)
        keep = torch.nonzero(probs > self.score_thr)[:, 0]
        if keep.numel() > self.pre_nms_topk:
            keep = keep[probs[keep].topk(self.pre_nms_topk).indices]
        scores = probs[keep].double().cpu().numpy()
        pt, labels = (keep // C).cpu(), (keep % C).cpu().numpy()
        pos = points[pt.to(points.device), 0].double().cpu().numpy()
        stride = points[pt.to(points.device), 1].double().cpu().numpy()
        d = distances.t()[pt.to(distances.device)].double().cpu().numpy()
        scale = float(duration) / num_snippets
        segments = np.stack([(pos - d[:, 0] * stride) * scale,
                             (pos + d[:, 1] * stride) * scale], axis=1)
        segments = np.clip(segments, 0.0, float(duration)).reshape(-1, 2)
        ok = (segments[:, 1] - segments[:, 0]) > max(self.min_length, 0.0)
        segments, scores, labels = segments[ok], scores[ok], labels[ok]
        nms = dict(self.nms)
        nms_type = nms.pop('type', 'soft')
        if nms_type in ('soft', 'matrix'):
            fn = soft_nms if nms_type == 'soft' else matrix_nms
            idx, scores = fn(segments, scores, labels, **nms)
            segments, labels = segments[idx], labels[idx]
        else:
            idx = temporal_nms(segments, scores, labels, **nms)
            segments, scores, labels = segments[idx], scores[idx], labels[idx]
        order = np.argsort(-scores, kind='stable')[:self.max_per_video]
        return dict(segments=segments[order], scores=scores[order],
                    labels=labels[order].astype(np.int64))
