"""Anchor-free multi-scale temporal action detector (stage 2)."""
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmaction.registry import MODELS, TASK_UTILS

from ..necks.temporal_pyramid import level_points
from ..postprocessing.anchor_free_postprocessor import (ARGS, DEFAULT_NMS,
                                                        check_nms)
from .base_localizer import BaseSnippetLocalizer


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
        test_cfg (dict, optional): The older spelling of
            ``post_processor``: the :class:`AnchorFreePostProcessor`
            arguments without ``type`` (``score_thr``, ``pre_nms_topk``,
            ``nms``, ``max_per_video``, ``min_length``, ``video_fusion``),
            kept so that existing configs build the same model. Give
            either this or ``post_processor``, not both.
        data_preprocessor (dict, optional): Defaults to
            ``SnippetFeaturePreprocessor``.
        post_processor (dict, optional): Decoding, e.g.
            ``dict(type='AnchorFreePostProcessor', nms=dict(type='matrix',
            sigma=0.5, min_score=0.001))``. Defaults to
            ``AnchorFreePostProcessor``'s defaults (Gaussian soft-NMS).
        keep_raw_outputs (bool): Also return each video's ``cls_logits``
            ``(C, P)``, ``distances`` ``(2, P)`` and ``points`` ``(P, 3)``
            as float32 NumPy ``raw_outputs`` (``tools/test.py --save-raw``;
            ``postprocess_raw`` decodes them again with any
            ``AnchorFreePostProcessor`` setting). Defaults to False.
    """

    # ``points`` (P, 3) is one tensor for the whole batch.
    shared_output_keys = ('points', )
    # What the post-processor reads: decoding can be re-run from them.
    raw_output_keys = ('cls_logits', 'distances', 'points')
    # The detections stay float64 (the post-processor's NMS output): the
    # soft / matrix NMS decays are not float32 values, so float32 would
    # round the scores that --out-json and the pseudo-labels of a stage-2
    # model write, and may tie scores that the metric ranks apart.
    pred_dtype = torch.float64

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 losses: dict,
                 embedding: Optional[dict] = None,
                 assigner: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 post_processor: Optional[dict] = None,
                 keep_raw_outputs: bool = False) -> None:
        super().__init__(
            losses=losses, data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            post_processor=self.post_processor_cfg(post_processor,
                                                   test_cfg),
            keep_raw_outputs=keep_raw_outputs)
        self.embedding = MODELS.build(embedding) if embedding else None
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.assigner = TASK_UTILS.build(
            assigner or dict(type='PointTargetAssigner'))
        self._check_levels()

    def _check_levels(self) -> None:
        """The head and the assigner cover every level of the neck (a
        ``--cfg-options model.neck.num_levels=...`` that forgot them would
        fail only at the first training / test step). Parts without the
        usual attributes are not checked."""
        levels = getattr(self.neck, 'num_levels', None)
        if not isinstance(levels, int):
            return
        scales = getattr(self.head, 'scales', None)
        ranges = getattr(self.assigner, 'regress_ranges', None)
        for what, have in (('head.num_levels', scales),
                           ('assigner.regress_ranges (one per level)',
                            ranges)):
            if have is not None and len(have) < levels:
                raise ValueError(
                    f'AnchorFreeTAD: the neck has {levels} levels '
                    f'(neck.num_levels) but {what} gives {len(have)}; set '
                    'them to match')

    @staticmethod
    def post_processor_cfg(post_processor: Optional[dict],
                           test_cfg: Optional[dict]) -> dict:
        """The ``post_processor`` config, from either spelling (also read
        by ``postprocess_raw``, which builds no model)."""
        if post_processor is not None and test_cfg is not None:
            raise ValueError(
                'AnchorFreeTAD: got both `post_processor` and `test_cfg`, '
                'two spellings of the decoding settings; keep one (move the '
                'test_cfg keys into post_processor, or replace an inherited '
                'one with `_delete_=True`).')
        if post_processor is not None:
            return post_processor
        cfg = dict(test_cfg or {})
        unknown = set(cfg) - set(ARGS)
        if unknown:
            # A mistyped key would otherwise decode with the default.
            raise ValueError(
                f'AnchorFreeTAD: test_cfg got unknown key(s) '
                f'{sorted(unknown)}; it takes {sorted(ARGS)}')
        # The messages name test_cfg, as the user wrote it.
        check_nms(cfg.get('nms', DEFAULT_NMS), 'AnchorFreeTAD: test_cfg.nms')
        return dict(type='AnchorFreePostProcessor', **cfg)

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

    def _targets(self, outputs: Dict[str, torch.Tensor],
                 data_samples: Sequence, num_snippets: int,
                 device: torch.device) -> dict:
        """:class:`PointTargetAssigner`'s targets of the segments, plus
        ``valid`` ``(B, P)``, ``click_labels`` ``(B, T)`` and, when every
        sample has them, ``video_labels`` ``(B, C)``."""
        T = num_snippets
        segs, labels, weights, valid = self._segments_in_snippets(
            data_samples, T, device)
        targets = self.assigner(outputs['points'], segs, labels,
                                self.num_classes, weights, valid)
        # points past a padded video's end (RandomCropSnippets) get no loss
        valid_len = torch.tensor(
            [float(ds.metainfo.get('valid_snippets', T))
             for ds in data_samples], device=device)
        targets['valid'] = (outputs['points'][None, :, 0] <
                            valid_len[:, None]).float()
        targets['click_labels'] = self._click_labels(data_samples, T, device)
        if all(ds.get('gt_video_labels') is not None for ds in data_samples):
            targets['video_labels'] = torch.stack(
                [ds.gt_video_labels for ds in data_samples]).float()
        return targets

    # ------------------------------------------------------------------ #
    def decode(self, logits: torch.Tensor, dists: torch.Tensor,
               points: torch.Tensor, num_snippets: int,
               duration: float) -> Dict[str, np.ndarray]:
        """One video's detections: ``self.post_processor`` (see
        :meth:`AnchorFreePostProcessor.__call__`).

        Args:
            logits (Tensor): ``(C, P)``.
            dists (Tensor): ``(2, P)`` stride units.
            points (Tensor): ``(P, 3)``.
            num_snippets (int): T of the input.
            duration (float): Seconds.

        Returns:
            dict: ``segments`` ``(K, 2)`` float64 seconds in
            ``[0, duration]``, ``scores`` ``(K,)``, ``labels`` ``(K,)``,
            by descending score.
        """
        return self.post_processor(logits, dists, points, num_snippets,
                                   duration)

    def _decode(self, outputs: Dict[str, torch.Tensor], num_snippets: int,
                meta: dict) -> Dict[str, np.ndarray]:
        """Detections of one video from ``cls_logits`` ``(1, C, P)``,
        ``distances`` ``(1, 2, P)`` and ``points`` ``(P, 3)``."""
        return self.decode(outputs['cls_logits'][0],
                           outputs['distances'][0], outputs['points'],
                           num_snippets, float(meta['duration']))
