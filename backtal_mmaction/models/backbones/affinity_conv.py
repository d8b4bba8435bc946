"""The BackTAL affinity module: an embedding and an affinity-weighted conv.

Shapes follow MMAction2's localizers: features are ``(B, D, T)``.

Implementation notes (why the conv is a custom autograd function)
-----------------------------------------------------------------
Both affinity modes are a kernel-3 convolution whose taps are scaled per
output position ``t`` by a scalar affinity. Because the scale of tap ``j``
at output ``t`` is a scalar, it can be moved onto the *input* row that tap
reads::

    y_t = sum_j W_j @ (s_{t,j} * x_{t+j-1})

So the layer is three plain GEMMs ``Y += X_j @ W_j^T`` on a time-major,
batch-flattened layout ``(N = B*T, D)``, where ``X_j`` is ``x`` shifted by
one row and scaled row-wise (per input-channel range for ``official``).
In that layout a temporal shift is a row shift: the row that crosses from
one video into the next is exactly the zero-padded position, whose scale is
forced to 0, so no video leaks into its neighbour.

:class:`AffinityConv1dFunction` runs these GEMMs and saves only ``x``, the
two affinity rows and the weight. The backward pass rebuilds each ``X_j``
(one cheap pass) for the weight gradient, and gets the affinity gradient
for free from the input-gradient GEMM ``P_j = dY @ W_j``:
``da[t] = <P_j[t], x_{t+j-1}>``. The ``(B, 3D, T)`` unfolded input, the
tiled affinity and their product, which the autograd of the direct
formulation keeps alive, never exist; the FLOPs are those of
``nn.Conv1d(k=3)`` (except that when ``x`` needs no gradient but the
affinities do, two of the three input-gradient GEMMs still run, since the
affinity gradient is read off them).

The output is returned channels-last (a ``(B, H, T)`` tensor with strides
``(T*H, 1, H)``): element-wise layers keep that layout, so the next
:class:`AffinityConv1d` reads it without a transpose copy.
"""
import functools
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from torch.autograd.function import once_differentiable

AFFINITY_MODES = ('per_tap', 'official', 'none')

# (lo, hi, g): input channels lo:hi of one tap are scaled by affinity g
# (0 = previous neighbour, 1 = none / centre, 2 = next neighbour).
ChannelRanges = Tuple[Tuple[int, int, int], ...]


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


def _tap_scales(a_prev: torch.Tensor, a_next: torch.Tensor, B: int,
                T: int) -> Tuple[Tuple[Optional[torch.Tensor], ...], ...]:
    """Row scales ``s[j][g]`` ``(N, 1)`` of tap ``j`` under affinity ``g``.

    ``s[j][g] = a_g * valid_j`` with ``a_1 = 1`` and ``valid_j`` zero where
    tap ``j`` reads the zero padding (``t = 0`` for ``j = 0``, ``t = T-1``
    for ``j = 2``); ``None`` stands for an all-ones scale (centre tap,
    centre affinity), which needs no multiply.
    """
    N = B * T
    a_prev = a_prev.reshape(N, 1)
    a_next = a_next.reshape(N, 1)
    t = torch.arange(T, device=a_prev.device).repeat(B).view(N, 1)
    valid = ((t > 0).to(a_prev.dtype), None, (t < T - 1).to(a_prev.dtype))
    scales = []
    for j in range(3):
        v = valid[j]
        scales.append((a_prev if v is None else a_prev * v, v,
                       a_next if v is None else a_next * v))
    return tuple(scales)


def _row_views(j: int, n: int) -> Tuple[slice, slice]:
    """Rows ``(dst, src)`` so that ``X_j[dst] = x[src]`` (a 1-row shift)."""
    if j == 0:
        return slice(1, n), slice(0, n - 1)
    if j == 2:
        return slice(0, n - 1), slice(1, n)
    return slice(0, n), slice(0, n)


def _build_tap_input(xt: torch.Tensor, j: int, ranges: ChannelRanges,
                     scales, buf: torch.Tensor) -> torch.Tensor:
    """``X_j`` ``(N, D)``: ``x`` shifted for tap ``j`` and scaled by range.

    Returns ``xt`` itself when the tap needs neither shift nor scale.
    """
    if j == 1 and all(g == 1 for _, _, g in ranges):
        return xt
    n = xt.shape[0]
    dst, src = _row_views(j, n)
    if j == 0:
        buf[:1].zero_()
    elif j == 2:
        buf[n - 1:].zero_()
    for lo, hi, g in ranges:
        s = scales[j][g]
        if s is None:
            buf[dst, lo:hi].copy_(xt[src, lo:hi])
        else:
            torch.mul(xt[src, lo:hi], s[dst], out=buf[dst, lo:hi])
    return buf


def _time_major(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, T)`` -> ``(B*T, C)``; a view for channels-last input."""
    B, C, T = x.shape
    return x.transpose(1, 2).reshape(B * T, C)


def _channels_last_empty(B: int, C: int, T: int,
                         like: torch.Tensor) -> Tuple[torch.Tensor,
                                                      torch.Tensor]:
    """A ``(B, C, T)`` tensor stored time-major, and its ``(B*T, C)`` view."""
    out = torch.empty_strided((B, C, T), (T * C, 1, C), dtype=like.dtype,
                              device=like.device)
    return out, out.transpose(1, 2).view(B * T, C)


class AffinityConv1dFunction(torch.autograd.Function):
    """Affinity-gated kernel-3 convolution with a memory-lean backward.

    ``forward(x, a_prev, a_next, weight, ranges)``:

    - ``x`` ``(B, D, T)`` (any strides; channels-last avoids a copy),
    - ``a_prev`` / ``a_next`` ``(B, 1, T)``,
    - ``weight`` ``(H, D, 3)``,
    - ``ranges`` from :func:`tap_channel_ranges`,

    returns ``y`` ``(B, H, T)`` (channels-last strides)::

        y[:, :, t] = sum_j sum_(lo, hi, g) W[:, lo:hi, j] @
                     (s_g[t] * x[:, lo:hi, t + j - 1])

    with ``s_0 = a_prev``, ``s_1 = 1``, ``s_2 = a_next`` and zero padding.
    Saves ``x``, ``a_prev``, ``a_next`` and the weight only.
    """

    @staticmethod
    def forward(ctx, x, a_prev, a_next, weight, ranges):
        B, D, T = x.shape
        H = weight.shape[0]
        xt = _time_major(x)
        # (3, H, D): each tap's matrix contiguous, so W_j^T is a plain
        # transposed GEMM operand. A view for AffinityConv1d's tap-major
        # weight; a copy for a standard (H, D, 3) contiguous one.
        wt = weight.permute(2, 0, 1).contiguous()
        scales = _tap_scales(a_prev, a_next, B, T)
        y, yt = _channels_last_empty(B, H, T, x)
        buf = None
        for j in (1, 0, 2):
            if buf is None and not (j == 1 and all(g == 1
                                                   for *_, g in ranges[1])):
                buf = torch.empty_like(xt)
            xj = _build_tap_input(xt, j, ranges[j], scales, buf)
            if j == 1:
                torch.mm(xj, wt[j].t(), out=yt)
            else:
                yt.addmm_(xj, wt[j].t())
        ctx.save_for_backward(x, a_prev, a_next, wt)
        ctx.ranges = ranges
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, gy):
        x, a_prev, a_next, wt = ctx.saved_tensors
        ranges = ctx.ranges
        need_x, need_prev, need_next, need_w = ctx.needs_input_grad[:4]
        need_a = (need_prev, None, need_next)
        B, D, T = x.shape
        H = wt.shape[1]
        N = B * T
        xt = _time_major(x)
        gyt = _time_major(gy)
        scales = _tap_scales(a_prev, a_next, B, T)
        valid = (scales[0][1], None, scales[2][1])

        dx = dxt = None
        if need_x:
            dx, dxt = _channels_last_empty(B, D, T, x)
        dw = (torch.empty(3, H, D, dtype=wt.dtype, device=wt.device)
              if need_w else None)
        da = [None, None, None]
        buf = torch.empty_like(xt)
        for j in (1, 0, 2):
            if need_w:
                xj = _build_tap_input(xt, j, ranges[j], scales, buf)
                torch.mm(gyt.t(), xj, out=dw[j])
            # P_j = dY @ W_j: the gradient w.r.t. X_j, from which both the
            # input gradient and the affinity gradient follow.
            a_rows = [g for *_, g in ranges[j] if g != 1 and need_a[g]]
            if not need_x and not a_rows:
                continue
            # The centre tap is unshifted: write P_1 straight into dx.
            p = dxt if (j == 1 and need_x) else buf
            torch.mm(gyt, wt[j], out=p)
            dst, src = _row_views(j, N)
            for lo, hi, g in ranges[j]:
                if g != 1 and need_a[g]:
                    # da_g[t] += <P_j[t], x_{t+j-1}> on this channel range
                    # (a batched row dot; no (N, D) product temporary)
                    dot = torch.einsum('nc,nc->n', p[dst, lo:hi],
                                       xt[src, lo:hi])
                    if valid[j] is not None:
                        dot = dot * valid[j][dst, 0]
                    if da[g] is None:
                        da[g] = torch.zeros(N, dtype=x.dtype,
                                            device=x.device)
                    da[g][dst] += dot
            if not need_x:
                continue
            for lo, hi, g in ranges[j]:
                s = scales[j][g]
                if j == 1:
                    if s is not None:
                        p[:, lo:hi].mul_(s)
                else:
                    # X_j[dst] = s[dst] * x[src]  =>  dx[src] += s[dst] P[dst]
                    target = dxt[src, lo:hi]
                    if s is None:
                        target.add_(p[dst, lo:hi])
                    else:
                        target.addcmul_(p[dst, lo:hi], s[dst])
        d_prev = None if da[0] is None else da[0].view_as(a_prev)
        d_next = None if da[2] is None else da[2].view_as(a_next)
        if need_prev and d_prev is None:
            d_prev = torch.zeros_like(a_prev)
        if need_next and d_next is None:
            d_next = torch.zeros_like(a_next)
        # Tap-major like AffinityConv1d's weight; AccumulateGrad copies it
        # into the parameter's layout only if that differs.
        dweight = dw.permute(1, 2, 0) if need_w else None
        return dx, d_prev, d_next, dweight, None


def affinity_conv1d(x: torch.Tensor, a_prev: torch.Tensor,
                    a_next: torch.Tensor, weight: torch.Tensor,
                    ranges: Sequence[ChannelRanges]) -> torch.Tensor:
    """Functional form of :class:`AffinityConv1d` (see
    :class:`AffinityConv1dFunction` for the arguments).

    Under ``torch.autocast`` the inputs are cast to the autocast dtype (the
    GEMMs are what autocast would lower) and the function runs with
    autocast off, since ``out=`` GEMMs must see one dtype.
    """
    if x.dim() != 3 or weight.dim() != 3 or weight.shape[2] != 3:
        raise ValueError(f'affinity_conv1d: expected x (B, D, T) and weight '
                         f'(H, D, 3), got {tuple(x.shape)} and '
                         f'{tuple(weight.shape)}')
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f'affinity_conv1d: x has {x.shape[1]} channels but '
                         f'the weight expects {weight.shape[1]}')
    B, _, T = x.shape
    for name, a in (('a_prev', a_prev), ('a_next', a_next)):
        if a.shape != (B, 1, T):
            raise ValueError(f'affinity_conv1d: {name} must be {(B, 1, T)}, '
                             f'got {tuple(a.shape)}')
    device = x.device.type
    if torch.is_autocast_enabled(device):
        dtype = torch.get_autocast_dtype(device)
        with torch.autocast(device, enabled=False):
            return AffinityConv1dFunction.apply(
                x.to(dtype), a_prev.to(dtype), a_next.to(dtype),
                weight.to(dtype), tuple(ranges))
    dtype = torch.promote_types(x.dtype, weight.dtype)
    return AffinityConv1dFunction.apply(x.to(dtype), a_prev.to(dtype),
                                        a_next.to(dtype), weight.to(dtype),
                                        tuple(ranges))


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

    Both affinity modes run :class:`AffinityConv1dFunction`: three GEMMs on
    a time-major layout, the FLOPs of one ``nn.Conv1d``, and no unfolded
    ``(B, 3D, T)`` tensor in forward or backward. The output of the
    affinity modes is channels-last (strides ``(T*H, 1, H)``).

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
        return affinity_conv1d(x, a_prev, a_next, self.weight, ranges)
