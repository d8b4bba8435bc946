"""Foreground filter (background suppression) of BaS-Net / BackTAL."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range

from ..backbones.conv_impl import SelectableConv1d


@MODELS.register_module()
class ForegroundFilter(BaseModule):
    """Per-snippet foreground weights ``w in (0, 1)^T``.

    ``1x1 conv D->hidden -> LeakyReLU -> 1x1 conv hidden->1 -> sigmoid``.
    The suppressed branch of the localizer runs on ``w * x``. The weights
    are float32 (or wider) also under autocast: ``(B, 1, T)`` is tiny, and
    the L1 loss sums them over the video.

    Args:
        in_channels (int): Feature dim D.
        hidden_channels (int): Defaults to 512.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        impl (str): Kernel library of the 1x1 convs (matmul or
            ``F.conv1d``; see :mod:`..backbones.conv_impl`).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='fg_filter.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 512,
                 negative_slope: float = 0.01,
                 impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels,
                     hidden_channels=hidden_channels)
        check_range('negative_slope', negative_slope, owner=owner)
        self.conv_1 = SelectableConv1d(in_channels, hidden_channels, 1,
                                       impl=impl)
        self.conv_2 = nn.Conv1d(hidden_channels, 1, 1)
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, T)`` -> foreground weights ``(B, 1, T)``."""
        h = F.leaky_relu(self.conv_1(x), self.negative_slope)
        logits = self.conv_2(h)
        if logits.dtype in (torch.float16, torch.bfloat16):
            logits = logits.float()
        return torch.sigmoid(logits)
