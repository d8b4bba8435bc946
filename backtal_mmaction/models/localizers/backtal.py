"""BackTAL localizer: composes registered parts into an MMEngine model."""
from typing import Dict, Optional, Sequence

import torch
from mmaction.registry import MODELS
from mmengine.structures import InstanceData

from ..losses.utils import IGNORE_INDEX
from .base_localizer import BaseSnippetLocalizer

# The two branches: on the raw features, and on the foreground-filtered ones.
BRANCHES = ('base', 'supp')


@MODELS.register_module()
class BackTAL(BaseSnippetLocalizer):
    """Background-click supervised temporal action localizer.

    A base branch and a foreground-suppressed branch share one backbone and
    classifier::

        e     = embedding(x)                    (B, E, T), optional
        w     = fg_filter(x)                    (B, 1, T), optional
        base: h1, h = backbone(x, e);      cas = cls_head(h)   (B, C+1, T)
        supp: h1, h = backbone(w * x, e);  cas = cls_head(h)

    Every part is built from the registry, so any of them can be swapped in
    a config; ``losses`` is a dict ``name -> loss cfg`` (``None`` entries are
    skipped, so a child config can switch a loss off with
    ``losses=dict(score_sep=None)``). Each loss receives the outputs dict
    (keys listed in :meth:`forward_features`) and the targets dict
    (``video_labels`` ``(B, C)``, ``click_labels`` ``(B, T)``).

    Args:
        backbone (dict): e.g. :class:`AffinityTCN`; ``forward(x, e)``
            returns ``(first_layer, features)``.
        cls_head (dict): e.g. :class:`TopKMILHead`.
        fg_filter (dict, optional): e.g. :class:`ForegroundFilter`. Without
            it the suppressed branch is the base branch.
        embedding (dict, optional): e.g. :class:`AffinityEmbedding`.
        losses (dict): ``name -> loss cfg``.
        post_processor (dict, optional): e.g. ``BackTALPostProcessor``;
            required for ``predict``.
        data_preprocessor (dict, optional): Defaults to
            ``SnippetFeaturePreprocessor``.
    """

    def __init__(self,
                 backbone: dict,
                 cls_head: dict,
                 fg_filter: Optional[dict] = None,
                 embedding: Optional[dict] = None,
                 losses: Optional[dict] = None,
                 post_processor: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(losses=losses, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.cls_head = MODELS.build(cls_head)
        self.fg_filter = MODELS.build(fg_filter) if fg_filter else None
        self.embedding = MODELS.build(embedding) if embedding else None
        self.post_processor = (MODELS.build(post_processor)
                               if post_processor else None)
        # Set by tools (e.g. ``--save-raw``) to also return each video's raw
        # outputs, so post-processing can be re-tuned without the network.
        self.keep_raw_outputs = False

    @property
    def num_classes(self) -> int:
        return self.cls_head.num_classes

    # ------------------------------------------------------------------ #
    def forward_features(self, x: torch.Tensor,
                         branches: Sequence[str] = BRANCHES
                         ) -> Dict[str, torch.Tensor]:
        """Run the branches.

        Args:
            x (Tensor): ``(B, D, T)``.
            branches (Sequence[str]): ``'base'`` and / or ``'supp'``.
                Defaults to both (training, raw outputs). The detections
                read only the suppressed branch, so ``predict`` runs
                ``('supp', )``: half the network, the same detections.
                Without a foreground filter the two are one branch.

        Returns:
            dict: ``embedding`` (B, E, T) or None, ``fg_weights`` (B, 1, T)
            or None, and for each ``br`` run (``base`` / ``supp``):
            ``feat1_{br}`` (B, H, T), ``feat_{br}`` (B, H, T),
            ``cas_{br}`` (B, C+1, T), ``video_scores_{br}`` (B, C+1).
        """
        unknown = set(branches) - set(BRANCHES)
        if unknown or not branches:
            raise ValueError(f'BackTAL.forward_features: branches must be a '
                             f'non-empty subset of {BRANCHES}, got '
                             f'{tuple(branches)}')
        # The embedding always sees the unfiltered features.
        emb = self.embedding(x) if self.embedding is not None else None
        out = dict(embedding=emb, fg_weights=None)
        todo = []
        if self.fg_filter is None or 'base' in branches:
            todo.append(('base', x))
        if self.fg_filter is not None and 'supp' in branches:
            # Computed before the base branch runs, as always (the order
            # of dropout's random draws in training).
            w = self.fg_filter(x)
            out['fg_weights'] = w
            todo.append(('supp', x * w))
        for name, inp in todo:
            h1, h = self.backbone(inp, emb)
            cas = self.cls_head(h)
            out.update({
                f'feat1_{name}': h1,
                f'feat_{name}': h,
                f'cas_{name}': cas,
                f'video_scores_{name}': self.cls_head.video_scores(cas),
            })
        if self.fg_filter is None:
            for key in ('feat1', 'feat', 'cas', 'video_scores'):
                out[f'{key}_supp'] = out[f'{key}_base']
        return out

    # ------------------------------------------------------------------ #
    def _targets(self, data_samples: Sequence, num_snippets: int) -> dict:
        video_labels = torch.stack(
            [ds.gt_video_labels for ds in data_samples]).float()
        if video_labels.shape[1] != self.num_classes:
            raise ValueError(
                f'The dataset has {video_labels.shape[1]} classes but '
                f'cls_head.num_classes is {self.num_classes}; set '
                'model.cls_head.num_classes to match the class list.')
        clicks = []
        for ds in data_samples:
            c = ds.get('gt_click_labels')
            if c is None:
                c = torch.full((num_snippets, ), IGNORE_INDEX,
                               device=video_labels.device)
            clicks.append(c)
        return dict(video_labels=video_labels,
                    click_labels=torch.stack(clicks).long())

    def loss(self, inputs, data_samples) -> Dict[str, torch.Tensor]:
        if isinstance(inputs, (list, tuple)):
            raise ValueError(
                'BackTAL training needs equal-length videos in a batch; '
                'resample them with `ResampleSnippets(num_segments=...)` '
                'in the training pipeline.')
        outputs = self.forward_features(inputs)
        targets = self._targets(data_samples, inputs.shape[-1])
        return {f'loss_{name}': loss(outputs, targets)
                for name, loss in self.losses.items()}

    @torch.no_grad()
    def predict(self, inputs, data_samples) -> list:
        if self.post_processor is None:
            raise ValueError('BackTAL.predict needs a `post_processor` in '
                             'the model config.')
        # The raw outputs carry the base branch too; detections need only
        # the suppressed one.
        branches = BRANCHES if self.keep_raw_outputs else ('supp', )
        if isinstance(inputs, (list, tuple)):
            outs = [self.forward_features(x[None], branches) for x in inputs]
        else:
            full = self.forward_features(inputs, branches)
            outs = [{k: (v[i:i + 1] if v is not None else None)
                     for k, v in full.items()} for i in range(len(inputs))]
        for out, ds in zip(outs, data_samples):
            magnitude = out['feat1_supp'][0].norm(p=2, dim=0)
            num_frames = ds.metainfo.get('num_frames')
            duration = ds.metainfo.get('duration')
            if num_frames is None or duration is None:
                raise ValueError(
                    f"video {ds.metainfo.get('video_name')!r}: predict "
                    'needs `num_frames` and `duration` in the sample '
                    'metainfo (PackClickLocalizationInputs adds them).')
            det = self.post_processor(
                out['cas_supp'][0], out['video_scores_supp'][0], magnitude,
                num_frames=int(num_frames), duration=float(duration))
            pred = InstanceData()
            pred.segments = torch.as_tensor(det['segments'],
                                            dtype=torch.float32)
            pred.scores = torch.as_tensor(det['scores'], dtype=torch.float32)
            pred.labels = torch.as_tensor(det['labels'], dtype=torch.long)
            ds.pred_instances = pred
            if self.keep_raw_outputs:
                ds.raw_outputs = self._raw_outputs(out, magnitude)
        return list(data_samples)

    @staticmethod
    def _raw_outputs(out: dict, magnitude: torch.Tensor) -> dict:
        """One video's outputs as float32 NumPy arrays (first dim dropped)."""
        def np32(t):
            return t[0].detach().float().cpu().numpy()

        raw = dict(
            cas_supp=np32(out['cas_supp']),
            video_scores_supp=np32(out['video_scores_supp']),
            cas_base=np32(out['cas_base']),
            video_scores_base=np32(out['video_scores_base']),
            magnitude=magnitude.detach().float().cpu().numpy())
        if out.get('fg_weights') is not None:
            raw['fg_weights'] = np32(out['fg_weights'])[0]
        return raw
