"""A plain temporal convolution stack: the default stage-2 backbone."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range

from .conv_impl import SelectableConv1d


@MODELS.register_module()
class TemporalConvStack(BaseModule):
    """``num_layers`` ``(k = kernel_size)`` temporal convolutions with
    LeakyReLU, same-length output.

    Follows the backbone interface of :class:`AffinityTCN`:
    ``forward(x, embedding=None)`` returns ``(first_layer, last_layer)``,
    so a localizer can swap the two in a config (an affinity embedding
    passed in is ignored: plain convolutions weight every neighbour alike).

    Args:
        in_channels (int): D.
        hidden_channels (int): H of every layer.
        num_layers (int): Defaults to 2.
        kernel_size (int): Odd. Defaults to 3.
        dropout (float): After the last layer, in ``[0, 1)``. Defaults
            to 0.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        impl (str): Kernel library of the convs (:mod:`.conv_impl`).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='backbone.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_layers: int = 2,
                 kernel_size: int = 3,
                 dropout: float = 0.0,
                 negative_slope: float = 0.01,
                 impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels,
                     hidden_channels=hidden_channels, num_layers=num_layers,
                     kernel_size=kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f'{owner}: `kernel_size` must be odd, got '
                             f'{kernel_size}')
        check_range('dropout', dropout, 0, 1, high_open=True, owner=owner)
        check_range('negative_slope', negative_slope, owner=owner)
        self.convs = nn.ModuleList(
            SelectableConv1d(in_channels if i == 0 else hidden_channels,
                             hidden_channels, kernel_size, impl=impl)
            for i in range(num_layers))
        self.dropout = nn.Dropout(dropout)
        self.negative_slope = negative_slope
        self.out_channels = hidden_channels

    def forward(self, x: torch.Tensor,
                embedding: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, D, T)`` -> ``((B, H, T), (B, H, T))``."""
        first = None
        for conv in self.convs:
            x = F.leaky_relu(conv(x), self.negative_slope)
            first = x if first is None else first
        return first, self.dropout(x)
