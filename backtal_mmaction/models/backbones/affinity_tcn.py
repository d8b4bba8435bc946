"""Two-layer temporal backbone of BackTAL, built from :class:`AffinityConv1d`."""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range

from .affinity_conv import AffinityConv1d


@MODELS.register_module()
class AffinityTCN(BaseModule):
    """``AffinityConv1d -> LeakyReLU -> AffinityConv1d -> LeakyReLU -> Dropout``.

    With ``affinity='none'`` (or when called without an embedding) this is
    the plain temporal-conv backbone of the weakly supervised baseline.

    Args:
        in_channels (int): Feature dim D. Defaults to 2048.
        hidden_channels (int): H. Defaults to 2048.
        affinity (str): Mode of both :class:`AffinityConv1d` layers.
        dropout (float): Dropout after the second layer, in ``[0, 1)``.
            Defaults to 0.7.
        negative_slope (float): LeakyReLU slope (any finite number).
            Defaults to 0.01.
        impl (str): Kernel library of both layers, ``'auto'`` (default),
            ``'gemm'`` or ``'conv'`` (see :mod:`.conv_impl`).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='backbone.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int = 2048,
                 hidden_channels: int = 2048,
                 affinity: str = 'per_tap',
                 dropout: float = 0.7,
                 negative_slope: float = 0.01,
                 impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels,
                     hidden_channels=hidden_channels)
        check_range('dropout', dropout, 0, 1, high_open=True, owner=owner)
        check_range('negative_slope', negative_slope, owner=owner)
        self.conv_1 = AffinityConv1d(in_channels, hidden_channels, affinity,
                                     impl)
        self.conv_2 = AffinityConv1d(hidden_channels, hidden_channels,
                                     affinity, impl)
        self.dropout = nn.Dropout(dropout)
        self.negative_slope = negative_slope
        self.out_channels = hidden_channels

    def forward(self,
                x: torch.Tensor,
                embedding: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Args:
            x (Tensor): ``(B, D, T)``.
            embedding (Tensor, optional): unit-norm ``(B, E, T)``.

        Returns:
            tuple[Tensor, Tensor]: first-layer ``(B, H, T)`` (used by the
            feature-magnitude proposals) and final ``(B, H, T)`` features.
        """
        h1 = F.leaky_relu(self.conv_1(x, embedding), self.negative_slope)
        h2 = F.leaky_relu(self.conv_2(h1, embedding), self.negative_slope)
        return h1, self.dropout(h2)
