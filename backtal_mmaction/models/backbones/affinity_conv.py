"""The BackTAL affinity module: an embedding and an affinity-weighted conv.

Shapes follow MMAction2's localizers: features are ``(B, D, T)``. The conv
itself runs as three shifted GEMMs (:mod:`.affinity_gemm`, which explains
why), in the kernel library chosen per machine (:mod:`.conv_impl`).
"""
import functools
import math
from typing import List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range

from .affinity_gemm import (AffinityConv1dFunction,  # noqa: F401
                            ChannelRanges, affinity_conv1d)
from .conv_impl import SelectableConv1d, check_impl, plain_conv1d

AFFINITY_MODES = ('per_tap', 'official', 'none')


def neighbour_affinity(embedding: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Cosine affinity of each snippet to its left and right neighbour.

    Args:
        embedding (Tensor): L2-normalized embeddings ``(B, E, T)``.

    Returns:
        tuple[Tensor, Tensor]: ``a_prev`` and ``a_next``, each ``(B, 1, T)``:
        ``a_prev[t] = <e_t, e_{t-1}>`` and ``a_next[t] = <e_t, e_{t+1}>``.
        A zero-padded neighbour (``t = 0`` for ``a_prev``, ``t = T-1`` for
        ``a_next``) has affinity 0, exactly as the unfold of a zero-padded
        embedding gives in the official code.
    """
    dots = (embedding[..., 1:] * embedding[..., :-1]).sum(1, keepdim=True)
    a_prev = F.pad(dots, (1, 0))
    a_next = F.pad(dots, (0, 1))
    return a_prev, a_next


def official_channel_groups(in_channels: int) -> torch.Tensor:
    """Affinity tap used for each weight entry by the official code.

    The official implementation unfolds the input channel-major (flat index
    ``c * 3 + j``) but tiles the 3-tap affinity tap-major (flat index
    ``g * D + c``). So the weight entry ``(c, j)`` is multiplied by the
    affinity of tap ``g = (3c + j) // D``: whole *input channel groups* get
    ``cos(e_t, e_{t-1})`` / ``1`` / ``cos(e_t, e_{t+1})`` instead of
    per-tap weights.

    Returns:
        Tensor: Long tensor ``(D, 3)`` with values in ``{0, 1, 2}``
        (``0`` = previous neighbour, ``1`` = centre, ``2`` = next).
    """
    flat = torch.arange(in_channels * 3).view(in_channels, 3)
    return torch.div(flat, in_channels, rounding_mode='floor')


@functools.lru_cache(maxsize=None)
def tap_channel_ranges(in_channels: int,
                       affinity: str) -> Tuple[ChannelRanges, ...]:
    """Which affinity scales which input channels, for each of the 3 taps.

    Args:
        in_channels (int): D.
        affinity (str): ``'per_tap'`` or ``'official'``.

    Returns:
        tuple: three tuples (taps ``t-1``, ``t``, ``t+1``) of ``(lo, hi, g)``
        covering ``0:D`` in order; channels ``lo:hi`` of that tap are scaled
        by affinity ``g``. ``per_tap`` has one range per tap with ``g = j``;
        ``official`` has up to three (the runs of
        :func:`official_channel_groups` along its column ``j``).
    """
    if affinity == 'per_tap':
        return tuple(((0, in_channels, j), ) for j in range(3))
    if affinity != 'official':
        raise ValueError(f'tap_channel_ranges: affinity={affinity!r} has no '
                         "channel ranges (use 'per_tap' or 'official')")
    groups = official_channel_groups(in_channels)
    taps = []
    for j in range(3):
        values, counts = torch.unique_consecutive(groups[:, j],
                                                  return_counts=True)
        ends = counts.cumsum(0).tolist()
        starts = [0] + ends[:-1]
        taps.append(tuple(
            (lo, hi, g) for lo, hi, g in zip(starts, ends, values.tolist())))
    return tuple(taps)


@MODELS.register_module()
class AffinityEmbedding(BaseModule):
    """Snippet embedding whose cosine similarities drive the affinity conv.

    ``conv(k=3, D->hidden) -> LeakyReLU -> conv(k=3, hidden->E) -> L2 norm``.

    The embedding is returned in float32 (or wider) also under autocast:
    it is ``(B, E, T)`` with a small E, and the affinities (cosines of
    neighbours) and the affinity loss are read off it.

    Args:
        in_channels (int): Feature dim D.
        hidden_channels (int): Hidden width. Defaults to 512.
        embed_channels (int): Embedding dim E. Defaults to 32.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
        impl (str): Kernel library of both convs (:mod:`.conv_impl`).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='embedding.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 512,
                 embed_channels: int = 32,
                 negative_slope: float = 0.01,
                 impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels,
                     hidden_channels=hidden_channels,
                     embed_channels=embed_channels)
        check_range('negative_slope', negative_slope, owner=owner)
        self.conv_1 = SelectableConv1d(in_channels, hidden_channels, 3,
                                       impl=impl)
        self.conv_2 = SelectableConv1d(hidden_channels, embed_channels, 3,
                                       impl=impl)
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, T)`` features -> ``(B, E, T)`` unit-norm embeddings."""
        h = F.leaky_relu(self.conv_1(x), self.negative_slope)
        e = self.conv_2(h)
        if e.dtype in (torch.float16, torch.bfloat16):
            e = e.float()
        return F.normalize(e, p=2, dim=1)


@MODELS.register_module()
class AffinityConv1d(BaseModule):
    """Temporal convolution (kernel 3, no bias) gated by snippet affinity.

    ``per_tap`` (default, the paper's formulation)::

        y_t = sum_{j in {-1, 0, 1}} a_{t,j} * W_j @ x_{t+j},
        a_{t,j} = cos(e_t, e_{t+j})   (a_{t,0} = 1, padding -> 0)

    ``official`` (bit-compatible with the authors' code): the same three
    affinities, but applied to the input-channel groups given by
    :func:`official_channel_groups` instead of to the taps.

    ``none``: a plain ``Conv1d(k=3, padding=1, bias=False)``; also used when
    ``forward`` gets no embedding.

    Both affinity modes run :class:`AffinityConv1dFunction`: three GEMMs on
    a time-major layout, the FLOPs of one ``nn.Conv1d``, and no unfolded
    ``(B, 3D, T)`` tensor in forward or backward. The output of the
    affinity modes is channels-last (strides ``(T*H, 1, H)``).

    Args:
        in_channels (int): D.
        out_channels (int): H.
        affinity (str): ``'per_tap'``, ``'official'`` or ``'none'``.
        impl (str): ``'auto'`` (default), ``'gemm'`` or ``'conv'``: which
            kernel library runs the GEMMs (:mod:`.conv_impl`; all equal
            up to float rounding).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='backbone.conv_1.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 affinity: str = 'per_tap',
                 impl: str = 'auto',
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if affinity not in AFFINITY_MODES:
            raise ValueError(f'AffinityConv1d: affinity={affinity!r} is not '
                             f'one of {AFFINITY_MODES}')
        check_counts(type(self).__name__, in_channels=in_channels,
                     out_channels=out_channels)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.affinity = affinity
        self.impl = check_impl(impl, type(self).__name__)
        # Same shape and init as nn.Conv1d, so plain-conv checkpoints map
        # 1:1 (load_state_dict copies into whatever strides we use).
        weight = torch.empty(out_channels, in_channels, 3)
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
        if affinity != 'none':
            # Stored tap-major: weight[:, :, j] is then a contiguous (H, D)
            # matrix, so the GEMMs use it without a strided-gather copy and
            # the weight gradient comes back in the same layout (no copy in
            # AccumulateGrad either). Shape and values are unchanged.
            weight = weight.permute(2, 0, 1).contiguous().permute(1, 2, 0)
        self.weight = nn.Parameter(weight)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size=3, '
                f'affinity={self.affinity!r}, impl={self.impl!r}')

    def forward(self,
                x: torch.Tensor,
                embedding: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Args:
            x (Tensor): ``(B, D, T)``.
            embedding (Tensor, optional): unit-norm ``(B, E, T)``.

        Returns:
            Tensor: ``(B, H, T)``.
        """
        if embedding is None or self.affinity == 'none':
            return plain_conv1d(x, self.weight, None, self.impl)
        if x.dim() != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f'AffinityConv1d: expected x of shape (B, '
                             f'{self.in_channels}, T), got {tuple(x.shape)}')
        if (embedding.dim() != 3 or embedding.shape[0] != x.shape[0]
                or embedding.shape[2] != x.shape[2]):
            raise ValueError(
                f'AffinityConv1d: embedding {tuple(embedding.shape)} must be '
                f'(B, E, T) with B, T of x {tuple(x.shape)}')
        if self.affinity not in AFFINITY_MODES:
            raise ValueError(f'AffinityConv1d: affinity={self.affinity!r} '
                             f'is not one of {AFFINITY_MODES}')
        a_prev, a_next = neighbour_affinity(embedding)
        # Looked up per call (cached), so switching `.affinity` on a built
        # module takes effect.
        ranges = tap_channel_ranges(self.in_channels, self.affinity)
        return affinity_conv1d(x, a_prev, a_next, self.weight, ranges,
                               self.impl)
