"""BackTAL localizer: composes registered parts into an MMEngine model."""
from typing import Dict, Optional, Sequence

import torch
from mmaction.registry import MODELS

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
        keep_raw_outputs (bool): Also return each video's raw outputs (see
            :meth:`_raw_outputs`); set by tools such as ``--save-raw``.
            Defaults to False.
    """

    # BackTALPostProcessor upsamples the CAS to the frame count.
    required_meta = ('num_frames', 'duration')

    def __init__(self,
                 backbone: dict,
                 cls_head: dict,
                 fg_filter: Optional[dict] = None,
                 embedding: Optional[dict] = None,
                 losses: Optional[dict] = None,
                 post_processor: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 keep_raw_outputs: bool = False) -> None:
        super().__init__(losses=losses, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, post_processor=post_processor,
                         keep_raw_outputs=keep_raw_outputs)
        self.backbone = MODELS.build(backbone)
        self.cls_head = MODELS.build(cls_head)
        self.fg_filter = MODELS.build(fg_filter) if fg_filter else None
        self.embedding = MODELS.build(embedding) if embedding else None

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
    def _targets(self, outputs: Dict[str, torch.Tensor],
                 data_samples: Sequence, num_snippets: int,
                 device: torch.device) -> dict:
        """``video_labels`` ``(B, C)`` and ``click_labels`` ``(B, T)``."""
        video_labels = torch.stack(
            [ds.gt_video_labels for ds in data_samples]).float()
        if video_labels.shape[1] != self.num_classes:
            raise ValueError(
                f'The dataset has {video_labels.shape[1]} classes but '
                f'cls_head.num_classes is {self.num_classes}; set '
                'model.cls_head.num_classes to match the class list.')
        return dict(video_labels=video_labels,
                    click_labels=self._click_labels(data_samples,
                                                    num_snippets, device))

    # ------------------------------------------------------------------ #
    def _predict_forward_kwargs(self) -> dict:
        # The raw outputs carry the base branch too; detections need only
        # the suppressed one.
        return dict(
            branches=BRANCHES if self.keep_raw_outputs else ('supp', ))

    @staticmethod
    def _magnitude(outputs: Dict[str, torch.Tensor]) -> torch.Tensor:
        """``(T,)`` L2 norm of the suppressed branch's first-layer
        features (THUMOS14's magnitude proposals)."""
        return outputs['feat1_supp'][0].norm(p=2, dim=0)

    def _decode(self, outputs: Dict[str, torch.Tensor], num_snippets: int,
                meta: dict) -> dict:
        """Detections of one video from its suppressed-branch CAS
        ``(1, C+1, T)``, video scores ``(1, C+1)`` and magnitude."""
        return self.post_processor(
            outputs['cas_supp'][0], outputs['video_scores_supp'][0],
            self._magnitude(outputs), num_frames=int(meta['num_frames']),
            duration=float(meta['duration']))

    def _raw_outputs(self, outputs: Dict[str, torch.Tensor]) -> dict:
        """One video's outputs as float32 NumPy arrays (first dim dropped):
        ``cas_{supp,base}`` ``(C+1, T)``, ``video_scores_{supp,base}``
        ``(C+1,)``, ``magnitude`` ``(T,)`` and, with a foreground filter,
        ``fg_weights`` ``(T,)``."""
        def np32(t):
            return t[0].detach().float().cpu().numpy()

        raw = dict(
            cas_supp=np32(outputs['cas_supp']),
            video_scores_supp=np32(outputs['video_scores_supp']),
            cas_base=np32(outputs['cas_base']),
            video_scores_base=np32(outputs['video_scores_base']),
            magnitude=self._magnitude(outputs).detach().float().cpu().numpy())
        if outputs.get('fg_weights') is not None:
            raw['fg_weights'] = np32(outputs['fg_weights'])[0]
        return raw
