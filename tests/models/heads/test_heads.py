"""Classifier head, top-k pooling and the foreground filter."""
import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.heads import (ForegroundFilter, TopKMILHead,
                                           topk_mean, topk_ratio_to_k)


def test_topk_k_rule():
    assert topk_ratio_to_k(750, 0.125) == 93  # floor(93.75)
    assert topk_ratio_to_k(100, 0.6) == 60
    assert topk_ratio_to_k(5, 0.125) == 1  # at least one snippet


def test_topk_mean_hand_values():
    cas = torch.tensor([[[1., 5., 3., 2.], [0., -1., -2., 4.]]])
    # k = floor(0.5 * 4) = 2: (5 + 3) / 2 and (4 + 0) / 2
    assert topk_mean(cas, 0.5).tolist() == [[4.0, 2.0]]


def test_head_is_a_bias_free_projection():
    head = TopKMILHead(6, num_classes=3, topk_ratio=0.25)
    feat = torch.randn(2, 6, 8)
    cas = head(feat)
    assert cas.shape == (2, 4, 8) and head.conv.bias is None
    expected = torch.einsum('ch,bht->bct', head.conv.weight[..., 0], feat)
    torch.testing.assert_close(cas, expected)
    torch.testing.assert_close(head.video_scores(cas),
                               cas.topk(2, -1).values.mean(-1))
    with pytest.raises(ValueError, match='topk_ratio'):
        TopKMILHead(6, 3, topk_ratio=0)


def test_head_equals_conv1d_on_channels_last_features_with_grads():
    """The matmul form equals nn.Conv1d (forward and both gradients) on the
    channels-last features the affinity backbone returns."""
    torch.manual_seed(0)
    head = TopKMILHead(5, num_classes=2).double()
    feat = torch.randn(3, 7, 5, dtype=torch.float64).transpose(1, 2)
    assert not feat.is_contiguous()  # (B, H, T) view of (B, T, H) memory
    feat.requires_grad_(True)
    ref_feat = feat.detach().clone().requires_grad_(True)
    cas = head(feat)
    ref = F.conv1d(ref_feat, head.conv.weight)
    torch.testing.assert_close(cas, ref, rtol=0, atol=1e-12)
    grad = torch.randn_like(cas)
    cas.backward(grad)
    w_grad = head.conv.weight.grad.clone()
    head.conv.weight.grad = None
    ref.backward(grad)
    torch.testing.assert_close(feat.grad, ref_feat.grad, rtol=0, atol=1e-12)
    torch.testing.assert_close(w_grad, head.conv.weight.grad, rtol=0,
                               atol=1e-12)
    assert list(head.state_dict()) == ['conv.weight']


def test_foreground_filter_formula():
    filt = ForegroundFilter(5, hidden_channels=4)
    x = torch.randn(3, 5, 7)
    h = F.leaky_relu(torch.einsum('oc,bct->bot', filt.conv_1.weight[..., 0],
                                  x) + filt.conv_1.bias[:, None], 0.01)
    w = torch.sigmoid(torch.einsum('oc,bct->bot', filt.conv_2.weight[..., 0],
                                   h) + filt.conv_2.bias[:, None])
    out = filt(x)
    assert out.shape == (3, 1, 7) and ((out > 0) & (out < 1)).all()
    torch.testing.assert_close(out, w)
