"""Anchor-free multi-scale temporal action detector (stage 2)."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import MODELS, TASK_UTILS
from mmengine.structures import InstanceData

from ..losses.utils import IGNORE_INDEX
from ..necks.temporal_pyramid import level_points
from ..postprocessing.nms import matrix_nms, soft_nms, temporal_nms
from .base_localizer import BaseSnippetLocalizer

NMS_TYPES = ('hard', 'soft', 'matrix')
NMS_ARGS = dict(hard={'iou_thr', 'mode'},
                soft={'method', 'sigma', 'iou_thr', 'min_score', 'mode'},
                matrix={'method', 'sigma', 'min_score', 'mode'})


@MODELS.register_module()
class AnchorFreeTAD(BaseSnippetLocalizer):
    """Anchor-free temporal action detector: every point of a multi-scale
    temporal pyramid classifies itself and regresses the distances to the
    start and end of the action it lies in (FCOS / ActionFormer family).

    ::

        e       = embedding(x)                       (B, E, T), optional
        _, h    = backbone(x, e)                     (B, H, T)
        levels  = neck(h)                            [(B, F, T_l)], strides 2^l
        logits, dists = head(levels)                 (B, C, P), (B, 2, P)

    It learns boundaries from segments: full GT (the fully supervised upper
    bound) or pseudo-segments of a stage-1 model (weighted by their
    ``scores`` when the GT instances carry them). Every part comes from the
    registry, so BackTAL's parts plug in by config: ``AffinityEmbedding`` +
    ``AffinityTCN`` as the stem, ``SigmoidClickLoss`` to use background
    clicks as extra negatives. ``losses`` is a dict ``name -> cfg`` like
    :class:`BackTAL`'s; each loss gets the outputs (``cls_logits``,
    ``distances``, ``embedding``, ``feat``) and the targets
    (:class:`PointTargetAssigner`'s plus ``click_labels`` ``(B, T)`` and
    ``video_labels`` ``(B, C)``).

    Training inputs are ``(B, D, T)`` of equal length (resampled); at test,
    videos of different lengths run one by one (no padding, as in
    :class:`SnippetFeaturePreprocessor`), so every video is decoded from
    exactly the computation it would get alone.

    Args:
        backbone (dict): ``forward(x, e) -> (first, last)``, e.g.
            :class:`TemporalConvStack` or :class:`AffinityTCN`.
        neck (dict): e.g. :class:`TemporalPyramid`.
        head (dict): e.g. :class:`AnchorFreeHead`.
        losses (dict): ``name -> loss cfg``; ``None`` entries are skipped.
        embedding (dict, optional): e.g. :class:`AffinityEmbedding`.
        assigner (dict): Defaults to :class:`PointTargetAssigner`.
        test_cfg (dict): Decoding: ``score_thr`` (0.001), ``pre_nms_topk``
            (2000), ``nms`` (``dict(type='soft', sigma=0.5,
            min_score=0.001)``, its parallel form ``type='matrix'`` (no
            loop over boxes) or ``dict(type='hard', iou_thr=0.5)``),
            ``max_per_video`` (200), ``min_length`` (seconds, 0),
            ``video_fusion`` (None, or ``dict(topk_ratio=0.125, power=1)``:
            scale point scores by the class's video-level top-k mean
            probability to the given power).
        data_preprocessor (dict, optional): Defaults to
            ``SnippetFeaturePreprocessor``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 losses: dict,
                 embedding: Optional[dict] = None,
                 assigner: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(losses=losses, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.embedding = MODELS.build(embedding) if embedding else None
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.assigner = TASK_UTILS.build(
            assigner or dict(type='PointTargetAssigner'))
        cfg = dict(score_thr=0.001, pre_nms_topk=2000,
                   nms=dict(type='soft', sigma=0.5, min_score=0.001),
                   max_per_video=200, min_length=0.0, video_fusion=None)
        cfg.update(test_cfg or {})
        nms_type = cfg['nms'].get('type', 'soft')
        if nms_type not in NMS_TYPES:
            raise ValueError(f'AnchorFreeTAD: test_cfg.nms.type {nms_type!r} '
                             f'not in {NMS_TYPES}')
        extra = set(cfg['nms']) - {'type'} - NMS_ARGS[nms_type]
        if extra:
            # e.g. sigma left over when --cfg-options switches to 'hard'
            raise ValueError(
                f'AnchorFreeTAD: test_cfg.nms of type {nms_type!r} takes '
                f'{sorted(NMS_ARGS[nms_type])}, got also {sorted(extra)} '
                '(replace the whole nms dict)')
        self.test_cfg = cfg

    @property
    def num_classes(self) -> int:
        return self.head.num_classes

    # ------------------------------------------------------------------ #
    def forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``x`` ``(B, D, T)`` -> ``cls_logits`` ``(B, C, P)``,
        ``distances`` ``(B, 2, P)`` (stride units), ``points`` ``(P, 3)``,
        ``embedding``, ``feat`` ``(B, H, T)``."""
        emb = self.embedding(x) if self.embedding is not None else None
        _, feat = self.backbone(x, emb)
        levels = self.neck(feat)
        logits, dists = self.head(levels)
        points = level_points([lv.shape[-1] for lv in levels],
                              self.neck.strides[:len(levels)], x.device)
        return dict(cls_logits=logits, distances=dists, points=points,
                    embedding=emb, feat=feat)

    # ------------------------------------------------------------------ #
    def _segments_in_snippets(self, data_samples: Sequence,
                              num_snippets: int, device) -> tuple:
        """GT (or pseudo) segments of the batch, padded: ``(B, N, 2)``
        snippet units, labels / weights / valid ``(B, N)``."""
        counts = [len(ds.gt_instances) for ds in data_samples]
        B, N = len(data_samples), max(counts + [0])
        segs = torch.zeros(B, N, 2, device=device)
        labels = torch.zeros(B, N, dtype=torch.long, device=device)
        weights = torch.zeros(B, N, device=device)
        valid = torch.zeros(B, N, dtype=torch.bool, device=device)
        for i, (ds, n) in enumerate(zip(data_samples, counts)):
            if not n:
                continue
            duration = ds.metainfo.get('duration')
            if not duration:
                raise ValueError(
                    f"video {ds.metainfo.get('video_name')!r}: AnchorFreeTAD "
                    'needs `duration` in the sample metainfo')
            gt = ds.gt_instances
            segs[i, :n] = gt.segments.to(device).float() * (num_snippets /
                                                            float(duration))
            labels[i, :n] = gt.labels.to(device)
            weights[i, :n] = (gt.scores.to(device).float()
                              if 'scores' in gt else 1.0)
            valid[i, :n] = True
        if valid.any() and int(labels[valid].max()) >= self.num_classes:
            raise ValueError('A segment label is >= head.num_classes='
                             f'{self.num_classes}; set model.head.'
                             'num_classes to match the class list.')
        return segs, labels, weights, valid

    def loss(self, inputs, data_samples) -> Dict[str, torch.Tensor]:
        if isinstance(inputs, (list, tuple)):
            raise ValueError(
                'AnchorFreeTAD training needs equal-length videos in a '
                'batch; resample them with `ResampleSnippets(num_segments='
                '...)` in the training pipeline.')
        out = self.forward_features(inputs)
        T = inputs.shape[-1]
        segs, labels, weights, valid = self._segments_in_snippets(
            data_samples, T, inputs.device)
        targets = self.assigner(out['points'], segs, labels,
                                self.num_classes, weights, valid)
        # points past a padded video's end (RandomCropSnippets) get no loss
        valid_len = torch.tensor(
            [float(ds.metainfo.get('valid_snippets', T))
             for ds in data_samples], device=inputs.device)
        targets['valid'] = (out['points'][None, :, 0] <
                            valid_len[:, None]).float()
        clicks = [ds.get('gt_click_labels') for ds in data_samples]
        targets['click_labels'] = torch.stack([
            c.to(inputs.device) if c is not None else torch.full(
                (T, ), IGNORE_INDEX, device=inputs.device) for c in clicks
        ]).long()
        if all(ds.get('gt_video_labels') is not None for ds in data_samples):
            targets['video_labels'] = torch.stack(
                [ds.gt_video_labels for ds in data_samples]).float()
        return {f'loss_{name}': loss(out, targets)
                for name, loss in self.losses.items()}

    # ------------------------------------------------------------------ #
    def decode(self, logits: torch.Tensor, dists: torch.Tensor,
               points: torch.Tensor, num_snippets: int,
               duration: float) -> dict:
        """One video's detections.

        Args:
            logits (Tensor): ``(C, P)``.
            dists (Tensor): ``(2, P)`` stride units.
            points (Tensor): ``(P, 3)``.
            num_snippets (int): T of the input.
            duration (float): Seconds.

        Returns:
            dict: ``segments`` ``(K, 2)`` float64 seconds in
            ``[0, duration]``, ``scores`` ``(K,)``, ``labels`` ``(K,)``,
            by descending score, ``K <= max_per_video``.
        """
        cfg = self.test_cfg
        point_probs = torch.sigmoid(logits.float())  # (C, P)
        C = logits.shape[0]
        fusion = cfg.get('video_fusion')
        if fusion:
            # video-level class evidence (top-k mean over the snippet-level
            # points, as in MIL): a point score is scaled by how present its
            # class is in the whole video, so one confident point of a
            # sibling class weighs less than a class seen all along
            k = max(1, int(num_snippets * fusion.get('topk_ratio', 0.125)))
            level0 = point_probs[:, :num_snippets]
            video = level0.topk(min(k, level0.shape[1]), dim=1).values.mean(1)
            point_probs = point_probs * video[:, None]**fusion.get(
                'power', 1.0)
        probs = point_probs.t().reshape(-1)  # (P * C)
        keep = torch.nonzero(probs > cfg['score_thr'])[:, 0]
        if keep.numel() > cfg['pre_nms_topk']:
            keep = keep[probs[keep].topk(cfg['pre_nms_topk']).indices]
        scores = probs[keep].double().cpu().numpy()
        pt, labels = (keep // C).cpu(), (keep % C).cpu().numpy()
        pos = points[pt.to(points.device), 0].double().cpu().numpy()
        stride = points[pt.to(points.device), 1].double().cpu().numpy()
        d = dists.t()[pt.to(dists.device)].double().cpu().numpy()
        scale = float(duration) / num_snippets
        segments = np.stack([(pos - d[:, 0] * stride) * scale,
                             (pos + d[:, 1] * stride) * scale], axis=1)
        segments = np.clip(segments, 0.0, float(duration)).reshape(-1, 2)
        ok = (segments[:, 1] - segments[:, 0]) > max(cfg['min_length'], 0.0)
        segments, scores, labels = segments[ok], scores[ok], labels[ok]
        nms = dict(cfg['nms'])
        nms_type = nms.pop('type', 'soft')
        if nms_type in ('soft', 'matrix'):
            fn = soft_nms if nms_type == 'soft' else matrix_nms
            idx, scores = fn(segments, scores, labels, **nms)
            segments, labels = segments[idx], labels[idx]
        else:
            idx = temporal_nms(segments, scores, labels, **nms)
            segments, scores, labels = segments[idx], scores[idx], labels[idx]
        order = np.argsort(-scores, kind='stable')[:cfg['max_per_video']]
        return dict(segments=segments[order], scores=scores[order],
                    labels=labels[order].astype(np.int64))

    @torch.no_grad()
    def predict(self, inputs, data_samples) -> list:
        if isinstance(inputs, (list, tuple)):
            outs = [self.forward_features(x[None]) for x in inputs]
            lengths = [x.shape[-1] for x in inputs]
        else:
            full = self.forward_features(inputs)
            outs = [dict(full, cls_logits=full['cls_logits'][i:i + 1],
                         distances=full['distances'][i:i + 1])
                    for i in range(len(inputs))]
            lengths = [inputs.shape[-1]] * len(inputs)
        for out, T, ds in zip(outs, lengths, data_samples):
            duration = ds.metainfo.get('duration')
            if duration is None:
                raise ValueError(
                    f"video {ds.metainfo.get('video_name')!r}: predict "
                    'needs `duration` in the sample metainfo '
                    '(PackClickLocalizationInputs adds it).')
            det = self.decode(out['cls_logits'][0], out['distances'][0],
                              out['points'], T, float(duration))
            pred = InstanceData()
            pred.segments = torch.as_tensor(det['segments'],
                                            dtype=torch.float64)
            pred.scores = torch.as_tensor(det['scores'], dtype=torch.float64)
            pred.labels = torch.as_tensor(det['labels'], dtype=torch.long)
            ds.pred_instances = pred
        return list(data_samples)
