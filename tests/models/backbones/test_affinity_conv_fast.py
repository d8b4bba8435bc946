"""The custom-autograd AffinityConv1d against a naive unfold formulation.

The reference here takes *arbitrary* affinity rows (not only cosines that
vanish at the borders), so the padding / cross-video masking of the fast
path is exercised on its own.
"""
import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.backbones.affinity_conv import (
    AffinityConv1d, AffinityConv1dFunction, affinity_conv1d,
    official_channel_groups, tap_channel_ranges)


def naive_affinity_conv(x, a_prev, a_next, w, mode):
    """Unfold to (B, D, 3, T), multiply each (c, j) entry by its affinity,
    contract with the weight. Padding positions are zeros of the unfold."""
    B, D, T = x.shape
    xp = F.pad(x, (1, 1))
    unfolded = torch.stack([xp[:, :, j:j + T] for j in range(3)], dim=2)
    a = torch.cat([a_prev, torch.ones_like(a_prev), a_next], 1)  # (B, 3, T)
    if mode == 'per_tap':
        groups = torch.arange(3).expand(D, 3)
    else:
        groups = official_channel_groups(D)
    scale = a[:, groups]  # (B, D, 3, T)
    return torch.einsum('hcj,bcjt->bht', w, unfolded * scale)


def rand_inputs(B, D, H, T, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, D, T, generator=g, dtype=dtype)
    a_prev = torch.rand(B, 1, T, generator=g, dtype=dtype) * 2 - 1
    a_next = torch.rand(B, 1, T, generator=g, dtype=dtype) * 2 - 1
    w = torch.randn(H, D, 3, generator=g, dtype=dtype)
    return x, a_prev, a_next, w


@pytest.mark.parametrize('mode', ['per_tap', 'official'])
@pytest.mark.parametrize('D', [5, 6, 7])
def test_gradcheck(mode, D):
    x, a_prev, a_next, w = rand_inputs(2, D, 3, 5, seed=D)
    args = [t.requires_grad_() for t in (x, a_prev, a_next, w)]
    ranges = tap_channel_ranges(D, mode)
    assert torch.autograd.gradcheck(
        lambda *t: AffinityConv1dFunction.apply(*t, ranges), args)


@pytest.mark.parametrize('mode', ['per_tap', 'official'])
@pytest.mark.parametrize('B,T', [(1, 1), (3, 1), (2, 2), (3, 7)])
def test_matches_naive_forward_and_backward(mode, B, T):
    D, H = 8, 5
    x, a_prev, a_next, w = rand_inputs(B, D, H, T, seed=B * 10 + T)
    inputs = [t.clone().requires_grad_() for t in (x, a_prev, a_next, w)]
    ref_inputs = [t.clone().requires_grad_() for t in (x, a_prev, a_next, w)]
    ranges = tap_channel_ranges(D, mode)
    y = affinity_conv1d(*inputs, ranges)
    y_ref = naive_affinity_conv(*ref_inputs, mode)
    torch.testing.assert_close(y, y_ref)
    g = torch.randn_like(y_ref)
    (y * g).sum().backward()
    (y_ref * g).sum().backward()
    for t, r in zip(inputs, ref_inputs):
        torch.testing.assert_close(t.grad, r.grad)


def test_no_leak_between_videos():
    # The fast path flattens the batch into one sequence; changing video 1
    # must leave videos 0 and 2 bit-identical (outputs and gradients).
    x, a_prev, a_next, w = rand_inputs(3, 6, 4, 5)
    ranges = tap_channel_ranges(6, 'official')
    x2 = x.clone()
    x2[1] = 1e6
    y1 = affinity_conv1d(x, a_prev, a_next, w, ranges)
    y2 = affinity_conv1d(x2, a_prev, a_next, w, ranges)
    assert torch.equal(y1[[0, 2]], y2[[0, 2]])
    xg = x2.clone().requires_grad_()
    g = torch.zeros(3, 4, 5, dtype=x.dtype)
    g[1] = 1.0  # gradient only on video 1
    (affinity_conv1d(xg, a_prev, a_next, w, ranges) * g).sum().backward()
    assert (xg.grad[[0, 2]] == 0).all()


@pytest.mark.parametrize('need', [(True, False, False, True),
                                  (False, True, True, True),
                                  (False, True, False, False),
                                  (True, False, True, False)])
@pytest.mark.parametrize('mode', ['per_tap', 'official'])
def test_partial_input_grads(need, mode):
    x, a_prev, a_next, w = rand_inputs(2, 7, 3, 6, seed=5)
    ranges = tap_channel_ranges(7, mode)
    full = [t.clone().requires_grad_() for t in (x, a_prev, a_next, w)]
    part = [t.clone().requires_grad_(n)
            for t, n in zip((x, a_prev, a_next, w), need)]
    g = torch.randn(2, 3, 6, dtype=x.dtype)
    (affinity_conv1d(*full, ranges) * g).sum().backward()
    (affinity_conv1d(*part, ranges) * g).sum().backward()
    for f, p, n in zip(full, part, need):
        if n:
            torch.testing.assert_close(p.grad, f.grad)
        else:
            assert p.grad is None


def test_layouts_and_output_strides():
    x, a_prev, a_next, w = rand_inputs(2, 6, 4, 5)
    ranges = tap_channel_ranges(6, 'per_tap')
    x_cl = x.transpose(1, 2).contiguous().transpose(1, 2)
    y = affinity_conv1d(x, a_prev, a_next, w, ranges)
    assert y.shape == (2, 4, 5) and y.stride() == (20, 1, 4)
    torch.testing.assert_close(affinity_conv1d(x_cl, a_prev, a_next, w,
                                               ranges), y)
    # a non-contiguous, broadcast upstream gradient
    xg = x.clone().requires_grad_()
    affinity_conv1d(xg, a_prev, a_next, w, ranges).sum().backward()
    xr = x.clone().requires_grad_()
    naive_affinity_conv(xr, a_prev, a_next, w, 'per_tap').sum().backward()
    torch.testing.assert_close(xg.grad, xr.grad)


def test_module_matches_naive_with_embedding():
    torch.manual_seed(0)
    conv = AffinityConv1d(9, 4, affinity='official').double()
    x = torch.randn(2, 9, 8, dtype=torch.float64)
    e = F.normalize(torch.randn(2, 3, 8, dtype=torch.float64), dim=1)
    dots = (e[..., 1:] * e[..., :-1]).sum(1, keepdim=True)
    ref = naive_affinity_conv(x, F.pad(dots, (1, 0)), F.pad(dots, (0, 1)),
                              conv.weight, 'official')
    torch.testing.assert_close(conv(x, e), ref)


def test_float32_close_to_float64():
    x, a_prev, a_next, w = rand_inputs(2, 64, 32, 20)
    ranges = tap_channel_ranges(64, 'per_tap')
    y64 = affinity_conv1d(x, a_prev, a_next, w, ranges)
    y32 = affinity_conv1d(x.float(), a_prev.float(), a_next.float(),
                          w.float(), ranges)
    assert y32.dtype == torch.float32
    torch.testing.assert_close(y32.double(), y64, rtol=1e-4, atol=1e-4)


def test_bf16_autocast():
    x, a_prev, a_next, w = rand_inputs(2, 16, 8, 10, dtype=torch.float32)
    ranges = tap_channel_ranges(16, 'per_tap')
    wp = w.clone().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        y = affinity_conv1d(x, a_prev, a_next, wp, ranges)
    assert y.dtype == torch.bfloat16
    ref = naive_affinity_conv(x, a_prev, a_next, w, 'per_tap')
    torch.testing.assert_close(y.float(), ref, rtol=0.05, atol=0.1)
    y.float().sum().backward()
    assert wp.grad.dtype == torch.float32


def test_tap_channel_ranges():
    for D in (6, 7, 8, 2048):
        groups = official_channel_groups(D)
        for j, ranges in enumerate(tap_channel_ranges(D, 'official')):
            assert ranges[0][0] == 0 and ranges[-1][1] == D
            for lo, hi, g in ranges:
                assert (groups[lo:hi, j] == g).all()
    assert tap_channel_ranges(4, 'per_tap') == (((0, 4, 0), ),
                                                ((0, 4, 1), ),
                                                ((0, 4, 2), ))
    with pytest.raises(ValueError, match='affinity'):
        tap_channel_ranges(4, 'none')


def test_bad_shapes():
    conv = AffinityConv1d(4, 3)
    e = F.normalize(torch.randn(2, 2, 5), dim=1)
    with pytest.raises(ValueError, match='expected x'):
        conv(torch.randn(2, 5, 5), e)
    with pytest.raises(ValueError, match='embedding'):
        conv(torch.randn(2, 4, 6), e)
    w = torch.randn(3, 4, 3)
    with pytest.raises(ValueError, match='a_prev'):
        affinity_conv1d(torch.randn(2, 4, 5), torch.randn(2, 1, 4),
                        torch.randn(2, 1, 5), w,
                        tap_channel_ranges(4, 'per_tap'))


def test_double_backward_is_refused():
    x, a_prev, a_next, w = rand_inputs(1, 4, 2, 3)
    x.requires_grad_()
    ranges = tap_channel_ranges(4, 'per_tap')
    y = affinity_conv1d(x, a_prev, a_next, w, ranges)
    (gx, ) = torch.autograd.grad(y.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        gx.sum().backward()


def test_weight_is_tap_major_and_checkpoints_map():
    torch.manual_seed(0)
    conv = AffinityConv1d(5, 4)
    assert conv.weight.shape == (4, 5, 3)
    assert conv.weight.permute(2, 0, 1).is_contiguous()
    # same init values as a plain Conv1d weight drawn from the same seed
    torch.manual_seed(0)
    plain = torch.empty(4, 5, 3)
    torch.nn.init.kaiming_uniform_(plain, a=5**0.5)
    assert torch.equal(conv.weight.detach(), plain)
    # a contiguous (plain Conv1d) state dict loads value for value and the
    # layout survives load_state_dict and dtype casts
    new = torch.randn(4, 5, 3)
    conv.load_state_dict({'weight': new})
    assert torch.equal(conv.weight.detach(), new)
    conv = conv.double()
    assert conv.weight.permute(2, 0, 1).is_contiguous()
    x = torch.randn(2, 5, 6, dtype=torch.float64)
    e = F.normalize(torch.randn(2, 3, 6, dtype=torch.float64), dim=1)
    conv(x, e).sum().backward()
    assert conv.weight.grad.stride() == conv.weight.stride()
    # a contiguous weight (e.g. assigned by hand) gives the same numbers
    w = conv.weight.detach().contiguous()
    ref = affinity_conv1d(x, *_affinities(e), w,
                          tap_channel_ranges(5, 'per_tap'))
    torch.testing.assert_close(conv(x, e), ref)
    assert AffinityConv1d(5, 4, affinity='none').weight.is_contiguous()


def _affinities(e):
    dots = (e[..., 1:] * e[..., :-1]).sum(1, keepdim=True)
    return F.pad(dots, (1, 0)), F.pad(dots, (0, 1))
