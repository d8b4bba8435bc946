"""AffinityConv1d / AffinityEmbedding against direct reference formulas."""
import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.backbones import (AffinityConv1d,
                                               AffinityEmbedding,
                                               AffinityTCN,
                                               neighbour_affinity,
                                               official_channel_groups)


def unit_embedding(B, E, T, seed=0):
    g = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(B, E, T, generator=g, dtype=torch.float64),
                       dim=1)


def direct_affinity(e):
    """a[b, t, j] = cos(e_t, e_{t+j-1}) by explicit loops, 0 off the ends."""
    B, _, T = e.shape
    a = torch.zeros(B, T, 3, dtype=e.dtype)
    for b in range(B):
        for t in range(T):
            for j in range(3):
                s = t + j - 1
                if 0 <= s < T:
                    a[b, t, j] = F.cosine_similarity(e[b, :, t], e[b, :, s],
                                                     dim=0)
    return a


def per_tap_reference(x, w, e):
    """y_t = sum_j a_{t,j} W_j x_{t+j-1}, one position at a time."""
    B, D, T = x.shape
    a = direct_affinity(e)
    xp = F.pad(x, (1, 1))
    y = torch.zeros(B, w.shape[0], T, dtype=x.dtype)
    for b in range(B):
        for t in range(T):
            for j in range(3):
                y[b, :, t] += a[b, t, j] * (w[:, :, j] @ xp[b, :, t + j])
    return y


def official_reference(x, w, e):
    """The official code's formulation, literally: channel-major unfold of
    the input times a tap-major tiled affinity, then a (H, 3D) matmul."""
    B, D, T = x.shape
    xp = F.pad(x, (1, 1))
    unfolded = torch.stack([xp[:, :, j:j + T] for j in range(3)], dim=2)
    unfolded = unfolded.reshape(B, D * 3, T)  # flat index c * 3 + j
    a = direct_affinity(e)  # (B, T, 3)
    tile = a.permute(0, 2, 1).repeat_interleave(D, dim=1)  # flat g * D + c
    return torch.einsum('hk,bkt->bht', w.reshape(w.shape[0], D * 3),
                        unfolded * tile)


@pytest.mark.parametrize('D', [6, 7, 8])
def test_per_tap_matches_reference(D):
    torch.manual_seed(0)
    conv = AffinityConv1d(D, 5, affinity='per_tap').double()
    x = torch.randn(2, D, 9, dtype=torch.float64)
    e = unit_embedding(2, 4, 9)
    torch.testing.assert_close(conv(x, e), per_tap_reference(x, conv.weight,
                                                             e))


@pytest.mark.parametrize('D', [6, 7, 8, 2048])
def test_official_channel_groups(D):
    groups = official_channel_groups(D)
    flat = torch.arange(3 * D)
    assert torch.equal(groups.flatten(), flat // D)
    # contiguous groups: tap-major scaling of channel blocks
    assert (groups[:D // 3] == 0).all() and (groups[-(D // 3):] == 2).all()


@pytest.mark.parametrize('D', [6, 7, 8, 11])
def test_official_matches_reference(D):
    torch.manual_seed(1)
    conv = AffinityConv1d(D, 4, affinity='official').double()
    x = torch.randn(3, D, 10, dtype=torch.float64)
    e = unit_embedding(3, 5, 10, seed=2)
    torch.testing.assert_close(conv(x, e), official_reference(x, conv.weight,
                                                              e))


def test_official_differs_from_per_tap():
    torch.manual_seed(0)
    a = AffinityConv1d(6, 3, affinity='official').double()
    b = AffinityConv1d(6, 3, affinity='per_tap').double()
    b.weight.data.copy_(a.weight.data)
    x, e = torch.randn(1, 6, 8, dtype=torch.float64), unit_embedding(1, 4, 8)
    assert not torch.allclose(a(x, e), b(x, e))


def test_gradients_match_reference():
    torch.manual_seed(3)
    for mode, ref in (('per_tap', per_tap_reference),
                      ('official', official_reference)):
        conv = AffinityConv1d(7, 4, affinity=mode).double()
        x = torch.randn(2, 7, 6, dtype=torch.float64, requires_grad=True)
        # The embedding reaches the conv through F.normalize (as in the
        # model), so gradients are compared w.r.t. the raw embedding: the
        # dot product and the reference's cosine then agree.
        raw = torch.randn(2, 3, 6, dtype=torch.float64, requires_grad=True)
        g_out = torch.randn(2, 4, 6, dtype=torch.float64)
        grads = torch.autograd.grad(
            (conv(x, F.normalize(raw, dim=1)) * g_out).sum(),
            (x, raw, conv.weight))
        w = conv.weight.detach().clone().requires_grad_(True)
        ref_grads = torch.autograd.grad(
            (ref(x, w, F.normalize(raw, dim=1)) * g_out).sum(), (x, raw, w))
        for g, r in zip(grads, ref_grads):
            torch.testing.assert_close(g, r)


def test_no_embedding_or_none_mode_is_plain_conv():
    torch.manual_seed(0)
    conv = AffinityConv1d(5, 3, affinity='none')
    x = torch.randn(2, 5, 7)
    expected = F.conv1d(x, conv.weight, padding=1)
    torch.testing.assert_close(conv(x, unit_embedding(2, 4, 7).float()),
                               expected)
    conv2 = AffinityConv1d(5, 3)
    torch.testing.assert_close(conv2(x), F.conv1d(x, conv2.weight,
                                                  padding=1))


def test_all_ones_affinity_equals_conv_in_the_interior():
    # identical embeddings => cos = 1 inside, 0 only against the padding,
    # which multiplies zeros anyway: per_tap reduces to a plain conv.
    conv = AffinityConv1d(4, 3)
    x = torch.randn(1, 4, 6)
    e = F.normalize(torch.ones(1, 2, 6), dim=1)
    torch.testing.assert_close(conv(x, e), F.conv1d(x, conv.weight,
                                                    padding=1))


def test_neighbour_affinity_hand_values():
    e = torch.tensor([[[1., 0., 0.6], [0., 1., 0.8]]])  # columns e_0..e_2
    a_prev, a_next = neighbour_affinity(e)
    # e0.e1 = 0, e1.e2 = 0.8; zero padding at the ends
    assert a_prev.flatten().tolist() == pytest.approx([0, 0, 0.8])
    assert a_next.flatten().tolist() == pytest.approx([0, 0.8, 0])


def test_embedding_unit_norm_and_shapes():
    emb = AffinityEmbedding(16, hidden_channels=8, embed_channels=4)
    out = emb(torch.randn(2, 16, 11))
    assert out.shape == (2, 4, 11)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(2, 11))


def test_backbone_layers_and_dropout():
    net = AffinityTCN(6, 5, dropout=0.7).eval()
    x = torch.randn(2, 6, 9)
    h1, h2 = net(x, unit_embedding(2, 3, 9).float())
    assert h1.shape == h2.shape == (2, 5, 9)
    expected = F.leaky_relu(net.conv_2(h1, unit_embedding(2, 3, 9).float()),
                            0.01)
    torch.testing.assert_close(h2, expected)  # eval: dropout is identity


def test_bad_mode():
    with pytest.raises(ValueError, match='affinity'):
        AffinityConv1d(4, 4, affinity='tap')
