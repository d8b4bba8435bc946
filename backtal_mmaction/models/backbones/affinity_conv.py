"""The BackTAL affinity module: an embedding and an affinity-weighted conv.

Shapes follow MMAction2's localizers: features are ``(B, D, T)``.
"""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

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


@MODELS.register_module()
class AffinityEmbedding(nn.Module):
    """Snippet embedding whose cosine similarities drive the affinity conv.

    ``conv(k=3, D->hidden) -> LeakyReLU -> conv(k=3, hidden->E) -> L2 norm``.

    Args:
        in_channels (int): Feature dim D.
        hidden_channels (int): Hidden width. Defaults to 512.
        embed_channels (int): Embedding dim E. Defaults to 32.
        negative_slope (float): LeakyReLU slope. Defaults to 0.01.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 512,
                 embed_channels: int = 32,
                 negative_slope: float = 0.01) -> None:
        super().__init__()
        self.conv_1 = nn.Conv1d(in_channels, hidden_channels, 3, padding=1)
        self.conv_2 = nn.Conv1d(hidden_channels, embed_channels, 3, padding=1)
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, D, T)`` features -> ``(B, E, T)`` unit-norm embeddings."""
        h = F.leaky_relu(self.conv_1(x), self.negative_slope)
        return F.normalize(self.conv_2(h), p=2, dim=1)


@MODELS.register_module()
class AffinityConv1d(nn.Module):
    """Temporal convolution (kernel 3, no bias) gated by snippet affinity.

    ``per_tap`` (default, the paper's formulation)::

        y_t = sum_{j in {-1, 0, 1}} a_{t,j} * W_j @ x_{t+j},
        a_{t,j} = cos(e_t, e_{t+j})   (a_{t,0} = 1, padding -> 0)

    ``official`` (bit-compatible with the authors' code): the same three
    affinities, but applied to the input-channel groups given by
    :func:`official_channel_groups` instead of to the taps.

    ``none``: a plain ``Conv1d(k=3, padding=1, bias=False)``; also used when
    ``forward`` gets no embedding.

    Neither mode materializes the unfolded ``(B, 3D, T)`` input: ``per_tap``
    runs one ``(3H, D)`` matmul and shifts the three tap outputs; ``official``
    runs one convolution per channel group (the groups partition the
    channels, so the cost is that of a single convolution).

    Args:
        in_channels (int): D.
        out_channels (int): H.
        affinity (str): ``'per_tap'``, ``'official'`` or ``'none'``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 affinity: str = 'per_tap') -> None:
        super().__init__()
        if affinity not in AFFINITY_MODES:
            raise ValueError(f'AffinityConv1d: affinity={affinity!r} is not '
                             f'one of {AFFINITY_MODES}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.affinity = affinity
        # Same layout and init as nn.Conv1d, so plain-conv checkpoints map 1:1.
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 3))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if affinity == 'official':
            groups = official_channel_groups(in_channels)
            slices, masks = [], []
            for g in range(3):
                chans = (groups == g).any(1).nonzero().flatten()
                lo, hi = int(chans.min()), int(chans.max()) + 1
                slices.append((lo, hi))
                masks.append((groups[lo:hi] == g).float())
            self._group_slices = slices
            for g, m in enumerate(masks):
                # Buffers so they follow .to(device); not saved in checkpoints.
                self.register_buffer(f'_group_mask_{g}', m, persistent=False)

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size=3, '
                f'affinity={self.affinity!r}')

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
            return F.conv1d(x, self.weight, padding=1)
        a_prev, a_next = neighbour_affinity(embedding)
        if self.affinity == 'per_tap':
            return self._per_tap(x, a_prev, a_next)
        return self._official(x, a_prev, a_next)

    def _per_tap(self, x, a_prev, a_next):
        H = self.out_channels
        # z[:, j*H:(j+1)*H, s] = W_j @ x_s for taps j = 0 (t-1), 1 (t), 2 (t+1)
        w = self.weight.permute(2, 0, 1).reshape(3 * H, self.in_channels)
        z = torch.matmul(w, x)
        z_prev, z_mid, z_next = z.split(H, dim=1)
        # Output t takes tap 0 at input t-1 and tap 2 at input t+1.
        y = z_mid + a_prev * F.pad(z_prev[..., :-1], (1, 0))
        return y + a_next * F.pad(z_next[..., 1:], (0, 1))

    def _official(self, x, a_prev, a_next):
        outs = []
        for g, (lo, hi) in enumerate(self._group_slices):
            w = self.weight[:, lo:hi] * getattr(self, f'_group_mask_{g}')
            outs.append(F.conv1d(x[:, lo:hi], w, padding=1))
        return a_prev * outs[0] + outs[1] + a_next * outs[2]
