"""Shared per-level classification / boundary-regression head."""
import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range


@MODELS.register_module()
class AnchorFreeHead(BaseModule):
    """One head shared by every pyramid level (FCOS / ActionFormer style).

    For each point it predicts per-class logits (sigmoid, no background
    class: a point of no action has all classes low) and the distances to
    the action's start and end in units of the level's stride (ReLU of a
    learnt per-level scale times the regression output, so every level
    regresses numbers of similar size).

    Args:
        in_channels (int): Channels of the pyramid levels.
        num_classes (int): C.
        feat_channels (int): Channels of the hidden convolutions.
        num_convs (int): ``k = 3`` convolutions per branch (0: none, the
            outputs read the levels directly). Defaults to 2.
        num_levels (int): Pyramid levels (one regression scale each).
        prior_prob (float): Initial foreground probability of every class,
            in ``(0, 1)`` (bias init ``-log((1 - p) / p)``): most points
            are background, and starting at 0.5 would swamp the focal loss
            early on.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='head.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 feat_channels: int = 256,
                 num_convs: int = 2,
                 num_levels: int = 6,
                 prior_prob: float = 0.01,
                 negative_slope: float = 0.01,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels, num_classes=num_classes,
                     feat_channels=feat_channels, num_levels=num_levels)
        check_range('num_convs', num_convs, 0, integer=True, owner=owner)
        check_range('prior_prob', prior_prob, 0, 1, low_open=True,
                    high_open=True, owner=owner)
        check_range('negative_slope', negative_slope, owner=owner)
        self.num_classes = num_classes

        def branch():
            return nn.ModuleList(
                nn.Conv1d(in_channels if i == 0 else feat_channels,
                          feat_channels, 3, padding=1)
                for i in range(num_convs))

        self.cls_convs, self.reg_convs = branch(), branch()
        last = feat_channels if num_convs else in_channels
        self.cls_out = nn.Conv1d(last, num_classes, 3, padding=1)
        self.reg_out = nn.Conv1d(last, 2, 3, padding=1)
        self.scales = nn.Parameter(torch.ones(num_levels))
        self.negative_slope = negative_slope
        nn.init.constant_(self.cls_out.bias, -math.log((1 - prior_prob) /
                                                       prior_prob))

    def _run(self, convs, x):
        for conv in convs:
            x = F.leaky_relu(conv(x), self.negative_slope)
        return x

    def forward(self, feats: List[torch.Tensor]
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Levels ``[(B, in, T_l)]`` -> logits ``(B, C, P)`` and distances
        ``(B, 2, P)`` (start, end; stride units), levels concatenated along
        ``P = sum(T_l)``."""
        if len(feats) > len(self.scales):
            raise ValueError(f'AnchorFreeHead: {len(feats)} levels but '
                             f'num_levels={len(self.scales)}')
        logits, dists = [], []
        for lvl, x in enumerate(feats):
            logits.append(self.cls_out(self._run(self.cls_convs, x)))
            reg = self.reg_out(self._run(self.reg_convs, x))
            dists.append(F.relu(self.scales[lvl] * reg))
        return torch.cat(logits, dim=2), torch.cat(dists, dim=2)
