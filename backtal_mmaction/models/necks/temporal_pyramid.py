"""Multi-scale temporal feature pyramid for anchor-free detection."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range


@MODELS.register_module()
class TemporalPyramid(BaseModule):
    """Levels of strides ``1, 2, 4, ..., 2**(num_levels-1)`` (in snippets).

    Level 0 is a 1x1 projection of the backbone features; level ``l`` is a
    stride-2 ``k = 3`` convolution of level ``l - 1``, so a level of length
    ``T_l`` gives ``T_{l+1} = ceil(T_l / 2)``, and point ``i`` of level ``l`` is centred
    on snippet ``i * 2**l`` of level 0 (a stride-2, padding-1 convolution
    centres output ``j`` on input ``2 j``): position ``i * 2**l + 0.5`` in
    continuous snippet time, where snippet ``k`` covers ``[k, k + 1)``.
    Long actions are then detected by few coarse points and short ones by
    many fine points, instead of one resolution for 0.2 s and 40 s actions.

    Args:
        in_channels (int): Backbone channels H.
        out_channels (int): Channels of every level.
        num_levels (int): Defaults to 6 (strides 1..32).
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='neck.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_levels: int = 6,
                 negative_slope: float = 0.01,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels, out_channels=out_channels,
                     num_levels=num_levels)
        check_range('negative_slope', negative_slope, owner=owner)
        self.proj = nn.Conv1d(in_channels, out_channels, 1)
        self.downsample = nn.ModuleList(
            nn.Conv1d(out_channels, out_channels, 3, stride=2, padding=1)
            for _ in range(num_levels - 1))
        self.negative_slope = negative_slope
        self.num_levels = num_levels
        self.strides = tuple(2**i for i in range(num_levels))

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        """``(B, H, T)`` -> ``[(B, out, T_l)]`` for each level."""
        feats = [F.leaky_relu(self.proj(x), self.negative_slope)]
        for down in self.downsample:
            feats.append(F.leaky_relu(down(feats[-1]), self.negative_slope))
        return feats


def level_points(lengths, strides, device=None) -> torch.Tensor:
    """Snippet positions and strides of all pyramid points, concatenated.

    Args:
        lengths (Sequence[int]): ``T_l`` per level.
        strides (Sequence[int]): stride per level.

    Returns:
        Tensor: ``(P, 3)`` float: position ``i * s + 0.5``, stride ``s``
        and level index, with ``P = sum(T_l)``.
    """
    rows = []
    for lvl, (n, s) in enumerate(zip(lengths, strides)):
        pos = torch.arange(n, dtype=torch.float32, device=device) * s + 0.5
        rows.append(torch.stack(
            [pos, torch.full_like(pos, float(s)),
             torch.full_like(pos, float(lvl))], dim=1))
    return torch.cat(rows)
