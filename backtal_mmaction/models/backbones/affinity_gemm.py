"""The affinity-gated kernel-3 convolution as three shifted GEMMs.

Both affinity modes of :class:`~.affinity_conv.AffinityConv1d` are a
kernel-3 convolution whose taps are scaled per output position ``t`` by a
scalar affinity. Because the scale of tap ``j`` at output ``t`` is a
scalar, it can be moved onto the *input* row that tap reads::

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

Each of the three GEMM roles (forward ``X_j W_j^T``, input gradient
``dY W_j``, weight gradient ``dY^T X_j``) runs in the library chosen for
it (:mod:`.conv_impl`: MKL / cuBLAS ``torch.mm`` or oneDNN's matmul).

The output is returned channels-last (a ``(B, H, T)`` tensor with strides
``(T*H, 1, H)``): element-wise layers keep that layout, so the next layer
reads it without a transpose copy.

Reduced precision (``torch.autocast``): :func:`affinity_conv1d` casts
``x`` and the weight to the autocast dtype once, at its entry (``x`` is
then saved in bf16 / fp16: half the memory of fp32), and runs the
function with autocast off. Every GEMM and every ``X_j`` is in that
dtype; the affinities stay in float32 (they are ``(B, 1, T)``) and their
gradient is accumulated in float32. No float32 copy of an ``(N, D)``
activation is made.
"""
from typing import Optional, Sequence, Tuple

import torch
from torch.autograd.function import once_differentiable

from .conv_impl import (MEASURE_ROWS, check_impl, choose, gemm_nt,
                        gemm_nt_into, onednn_gemm_ok, size_bucket)

# (lo, hi, g): input channels lo:hi of one tap are scaled by affinity g
# (0 = previous neighbour, 1 = none / centre, 2 = next neighbour).
ChannelRanges = Tuple[Tuple[int, int, int], ...]


def plain_tap_ranges(in_channels: int) -> Tuple[ChannelRanges, ...]:
    """Ranges of a plain convolution: every tap unscaled (``g = 1``; only
    the zero padding at the video borders is applied)."""
    return tuple(((0, in_channels, 1), ) for _ in range(3))


def _tap_scales(a_prev: torch.Tensor, a_next: torch.Tensor, B: int, T: int,
                dtype: torch.dtype
                ) -> Tuple[Tuple[Optional[torch.Tensor], ...], ...]:
    """Row scales ``s[j][g]`` ``(N, 1)`` of tap ``j`` under affinity ``g``.

    ``s[j][g] = a_g * valid_j`` with ``a_1 = 1`` and ``valid_j`` zero where
    tap ``j`` reads the zero padding (``t = 0`` for ``j = 0``, ``t = T-1``
    for ``j = 2``); ``None`` stands for an all-ones scale (centre tap,
    centre affinity), which needs no multiply. In ``dtype`` (that of ``x``).
    """
    N = B * T
    a_prev = a_prev.reshape(N, 1).to(dtype)
    a_next = a_next.reshape(N, 1).to(dtype)
    t = torch.arange(T, device=a_prev.device).repeat(B).view(N, 1)
    valid = ((t > 0).to(dtype), None, (t < T - 1).to(dtype))
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


def _is_identity_tap(j: int, ranges: ChannelRanges) -> bool:
    return j == 1 and all(g == 1 for *_, g in ranges)


def _build_tap_input(xt: torch.Tensor, j: int, ranges: ChannelRanges,
                     scales, buf: torch.Tensor) -> torch.Tensor:
    """``X_j`` ``(N, D)``: ``x`` shifted for tap ``j`` and scaled by range.

    Returns ``xt`` itself when the tap needs neither shift nor scale.
    """
    if _is_identity_tap(j, ranges):
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


def _channels_last(yt: torch.Tensor, B: int, T: int) -> torch.Tensor:
    """A time-major ``(B*T, C)`` matrix as the ``(B, C, T)`` view."""
    return yt.view(B, T, -1).transpose(1, 2)


def _role_impl(impl: str, role: str, a: torch.Tensor,
               b: torch.Tensor) -> str:
    """The library of one GEMM role ``a @ b.T`` (``a`` ``(M, K)``, ``b``
    ``(N, K)``); ``'auto'`` measures on the first :data:`MEASURE_ROWS` of
    the time dimension (rows of ``a`` for ``fwd`` / ``dx``, the reduction
    for ``dw``)."""
    if impl != 'auto':
        return impl
    if not onednn_gemm_ok(a):
        return 'gemm'
    (M, K), N = a.shape, b.shape[0]
    rows = K if role == 'dw' else M

    def runs():
        if role == 'dw':
            sa, sb = a[:, :MEASURE_ROWS], b[:, :MEASURE_ROWS]
        else:
            sa, sb = a[:MEASURE_ROWS], b
        return {name: (lambda name=name: gemm_nt(sa, sb, name))
                for name in ('gemm', 'conv')}

    key = ('affinity_conv1d', role, size_bucket(rows),
           N if role == 'dw' else K, M if role == 'dw' else N, a.dtype,
           a.device.type)
    return choose(key, 2 * M * K * N, 'gemm', runs)


class AffinityConv1dFunction(torch.autograd.Function):
    """Affinity-gated kernel-3 convolution with a memory-lean backward.

    ``forward(x, a_prev, a_next, weight, ranges, impl='gemm')``:

    - ``x`` ``(B, D, T)`` (any strides; channels-last avoids a copy),
    - ``a_prev`` / ``a_next`` ``(B, 1, T)`` (may be wider than ``x``,
      e.g. float32 affinities with a bf16 ``x``),
    - ``weight`` ``(H, D, 3)`` in the dtype of ``x``,
    - ``ranges`` from :func:`~.affinity_conv.tap_channel_ranges`,
    - ``impl``: ``'gemm'``, ``'conv'`` or ``'auto'`` (:mod:`.conv_impl`),

    returns ``y`` ``(B, H, T)`` (channels-last strides)::

        y[:, :, t] = sum_j sum_(lo, hi, g) W[:, lo:hi, j] @
                     (s_g[t] * x[:, lo:hi, t + j - 1])

    with ``s_0 = a_prev``, ``s_1 = 1``, ``s_2 = a_next`` and zero padding.
    Saves ``x``, ``a_prev``, ``a_next`` and the weight only.
    """

    @staticmethod
    def forward(ctx, x, a_prev, a_next, weight, ranges, impl='gemm'):
        B, D, T = x.shape
        H = weight.shape[0]
        xt = _time_major(x)
        # (3, H, D): each tap's matrix contiguous, so W_j^T is a plain
        # transposed GEMM operand. A view for AffinityConv1d's tap-major
        # weight; a copy for a standard (H, D, 3) contiguous one.
        wt = weight.permute(2, 0, 1).contiguous()
        scales = _tap_scales(a_prev, a_next, B, T, x.dtype)
        impl_f = _role_impl(impl, 'fwd', xt, wt[1])
        yt = (torch.empty(B * T, H, dtype=x.dtype, device=x.device)
              if impl_f == 'gemm' else None)
        buf = None
        for j in (1, 0, 2):
            if buf is None and not _is_identity_tap(j, ranges[j]):
                buf = torch.empty_like(xt, memory_format=torch.
                                       contiguous_format)
            xj = _build_tap_input(xt, j, ranges[j], scales, buf)
            if j == 1:
                yt = gemm_nt_into(xj, wt[j], impl_f, out=yt)
            else:
                yt = gemm_nt(xj, wt[j], impl_f, acc=yt)
        ctx.save_for_backward(x, a_prev, a_next, wt)
        ctx.ranges, ctx.impl = ranges, impl
        return _channels_last(yt, B, T)

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
        gyt = _time_major(gy.to(x.dtype))
        scales = _tap_scales(a_prev, a_next, B, T, x.dtype)
        valid = (scales[0][1], None, scales[2][1])
        impl_dx = _role_impl(ctx.impl, 'dx', gyt, wt[1].t())
        impl_dw = _role_impl(ctx.impl, 'dw', gyt.t(), xt.t())
        # oneDNN wants its left operand contiguous: transpose dY once.
        gyt_t = (gyt.t().contiguous() if need_w and impl_dw == 'conv'
                 and onednn_gemm_ok(gyt) else gyt.t())

        dxt = None
        dw = (torch.empty(3, H, D, dtype=wt.dtype, device=wt.device)
              if need_w else None)
        da = [None, None, None]
        buf = torch.empty_like(xt, memory_format=torch.contiguous_format)
        for j in (1, 0, 2):
            if need_w:
                xj = _build_tap_input(xt, j, ranges[j], scales, buf)
                res = gemm_nt_into(gyt_t, xj.t(), impl_dw, out=dw[j])
                if res is not dw[j]:
                    dw[j].copy_(res)
            # P_j = dY @ W_j: the gradient w.r.t. X_j, from which both the
            # input gradient and the affinity gradient follow.
            a_rows = [g for *_, g in ranges[j] if g != 1 and need_a[g]]
            if not need_x and not a_rows:
                continue
            if j == 1 and need_x:
                # The centre tap is unshifted: P_1 becomes dx itself.
                out = torch.empty(N, D, dtype=x.dtype, device=x.device)
                dxt = p = gemm_nt_into(gyt, wt[j].t(), impl_dx, out=out)
            else:
                p = gemm_nt_into(gyt, wt[j].t(), impl_dx, out=buf)
            dst, src = _row_views(j, N)
            for lo, hi, g in ranges[j]:
                if g != 1 and need_a[g]:
                    # da_g[t] += <P_j[t], x_{t+j-1}> on this channel range
                    # (a batched row dot; no (N, D) product temporary),
                    # accumulated in the affinities' own (wider) dtype
                    dot = torch.einsum('nc,nc->n', p[dst, lo:hi],
                                       xt[src, lo:hi]).to(a_prev.dtype)
                    if valid[j] is not None:
                        dot = dot * valid[j][dst, 0]
                    if da[g] is None:
                        da[g] = torch.zeros(N, dtype=a_prev.dtype,
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
        dx = None if dxt is None else _channels_last(dxt, B, T)
        d_prev = None if da[0] is None else da[0].view_as(a_prev)
        d_next = None if da[2] is None else da[2].view_as(a_next)
        if need_prev and d_prev is None:
            d_prev = torch.zeros_like(a_prev)
        if need_next and d_next is None:
            d_next = torch.zeros_like(a_next)
        # Tap-major like AffinityConv1d's weight; AccumulateGrad copies it
        # into the parameter's layout only if that differs.
        dweight = dw.permute(1, 2, 0) if need_w else None
        return dx, d_prev, d_next, dweight, None, None


def affinity_conv1d(x: torch.Tensor, a_prev: torch.Tensor,
                    a_next: torch.Tensor, weight: torch.Tensor,
                    ranges: Sequence[ChannelRanges],
                    impl: str = 'auto') -> torch.Tensor:
    """Functional form of :class:`~.affinity_conv.AffinityConv1d` (see
    :class:`AffinityConv1dFunction` for the arguments).

    Under ``torch.autocast`` ``x`` and the weight are cast to the autocast
    dtype (the GEMMs are what autocast would lower), the affinities stay as
    they are, and the function runs with autocast off, since ``out=`` GEMMs
    must see one dtype.
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
    check_impl(impl, 'affinity_conv1d')
    device = x.device.type
    if torch.is_autocast_enabled(device):
        dtype = torch.get_autocast_dtype(device)
        a_dtype = torch.promote_types(a_prev.dtype, dtype)
        with torch.autocast(device, enabled=False):
            return AffinityConv1dFunction.apply(
                x.to(dtype), a_prev.to(a_dtype), a_next.to(a_dtype),
                weight.to(dtype), tuple(ranges), impl)
    dtype = torch.promote_types(x.dtype, weight.dtype)
    return AffinityConv1dFunction.apply(x.to(dtype), a_prev.to(dtype),
                                        a_next.to(dtype), weight.to(dtype),
                                        tuple(ranges), impl)
