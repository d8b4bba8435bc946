"""Temporal enhancement network (Li et al., ACM MM 2022), reconstructed.

The paper describes a base branch and a temporal-continuity branch that
models relations between affine (similar) neighbouring snippets; no code is
public. This module implements::

    base:        b   = phi(W_b * x)                       (k = 3 conv)
    continuity:  a_t,o = softmax_o(cos(x_t, x_{t+o}) / tau),  o in [-w, w]
                 x~_t  = sum_o a_t,o x_{t+o}              (out-of-range o
                                                           excluded)
                 c   = phi(W_c x~)                        (1 x 1 conv)
    fusion:      h1  = b + c
    output:      h2  = dropout(phi(W_2 * h1))             (k = 3 conv)

with ``phi`` = LeakyReLU(0.01). ``forward`` returns ``(h1, h2)`` like
:class:`AffinityTCN`, so it plugs into any localizer that takes a backbone
(an affinity embedding passed in is ignored: the continuity branch computes
its own affinities from the features).
"""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range


def shift_time(x: torch.Tensor, offset: int) -> torch.Tensor:
    """``y[..., t] = x[..., t + offset]``, zero outside ``[0, T)``."""
    if offset == 0:
        return x
    if offset > 0:
        return F.pad(x[..., offset:], (0, offset))
    return F.pad(x[..., :offset], (-offset, 0))


def affinity_aggregate(x: torch.Tensor, window: int = 2,
                       temperature: float = 0.1) -> torch.Tensor:
    """Average each snippet's neighbours weighted by feature affinity.

    Args:
        x (Tensor): ``(B, D, T)``.
        window (int): w, neighbours ``t-w .. t+w`` (including t).
        temperature (float): tau of the softmax over cosine similarities.

    Returns:
        Tensor: ``(B, D, T)``.
    """
    xn = F.normalize(x, dim=1)
    T = x.shape[-1]
    offsets = range(-window, window + 1)
    pos = torch.arange(T, device=x.device)
    sims = torch.stack([(xn * shift_time(xn, o)).sum(1) for o in offsets],
                       dim=1)  # (B, 2w+1, T)
    valid = torch.stack([(pos + o >= 0) & (pos + o < T) for o in offsets])
    sims = sims.masked_fill(~valid, float('-inf')) / temperature
    weights = sims.softmax(dim=1)
    return sum(weights[:, i:i + 1] * shift_time(x, o)
               for i, o in enumerate(offsets))


@MODELS.register_module()
class TemporalEnhancementNet(BaseModule):
    """Base branch + temporal-continuity branch (see module docstring).

    Args:
        in_channels (int): D.
        hidden_channels (int): H.
        window (int): Neighbourhood half-width w, >= 1. Defaults to 2.
        temperature (float): Affinity softmax temperature, > 0. Defaults
            to 0.1.
        dropout (float): In ``[0, 1)``. Defaults to 0.7.
        negative_slope (float): Defaults to 0.01.
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='backbone.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self, in_channels: int = 2048, hidden_channels: int = 2048,
                 window: int = 2, temperature: float = 0.1,
                 dropout: float = 0.7, negative_slope: float = 0.01,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels,
                     hidden_channels=hidden_channels, window=window)
        check_range('temperature', temperature, 0, low_open=True,
                    owner=owner)
        check_range('dropout', dropout, 0, 1, high_open=True, owner=owner)
        check_range('negative_slope', negative_slope, owner=owner)
        self.base = nn.Conv1d(in_channels, hidden_channels, 3, padding=1)
        self.continuity = nn.Conv1d(in_channels, hidden_channels, 1)
        self.out = nn.Conv1d(hidden_channels, hidden_channels, 3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.window = window
        self.temperature = temperature
        self.negative_slope = negative_slope
        self.out_channels = hidden_channels

    def forward(self, x: torch.Tensor,
                embedding: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, D, T)`` -> ``(h1, h2)``, each ``(B, H, T)``."""
        act = lambda v: F.leaky_relu(v, self.negative_slope)  # noqa: E731
        agg = affinity_aggregate(x, self.window, self.temperature)
        h1 = act(self.base(x)) + act(self.continuity(agg))
        return h1, self.dropout(act(self.out(h1)))
