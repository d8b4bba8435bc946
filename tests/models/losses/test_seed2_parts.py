"""Whole-video-as-background parts against hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.backbones import (TemporalEnhancementNet,
                                               affinity_aggregate)
from backtal_mmaction.models.losses import (ForegroundMILLoss,
                                            GradientReinforce,
                                            WholeVideoBackgroundLoss,
                                            foreground_mil_loss,
                                            scale_gradient,
                                            whole_video_background_loss)


def test_scale_gradient_identity_forward_scaled_backward():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = scale_gradient(x, 3.0)
    assert torch.equal(y, x)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 6.0, 9.0]  # d/dx = 3 * [1, 2, 3]


def test_gradient_reinforce_module_rejects_weakening():
    with pytest.raises(ValueError, match='>= 1'):
        GradientReinforce(0.5)
    x = torch.ones(2, requires_grad=True)
    GradientReinforce(2.0)(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_whole_video_loss_values_and_background_only_reinforcement():
    # B=1, C+1=3, T=4; top-2 (r=0.5) means per row
    cas = torch.tensor([[[4., 2., 0., 0.], [1., 1., 1., 1.],
                         [0., 2., 2., 0.]]], requires_grad=True)
    s = torch.tensor([3., 1., 2.])  # top-2 means
    expected = -(s[2] - torch.logsumexp(s, 0)).item()
    loss = whole_video_background_loss(cas, 'video', 0.5, factor=1.0)
    assert loss.item() == pytest.approx(expected)
    # gradients: factor only multiplies the background row's gradient
    g1 = torch.autograd.grad(loss, cas)[0]
    loss2 = whole_video_background_loss(cas, 'video', 0.5, factor=4.0)
    assert loss2.item() == pytest.approx(expected)  # forward unchanged
    g4 = torch.autograd.grad(loss2, cas)[0]
    torch.testing.assert_close(g4[:, :2], g1[:, :2])
    torch.testing.assert_close(g4[:, 2], 4 * g1[:, 2])
    # the background gradient of softmax CE is p_bg - 1 split over top-k
    p_bg = torch.softmax(s, 0)[2].item()
    assert g1[0, 2, 1].item() == pytest.approx((p_bg - 1) / 2)


def test_whole_video_loss_snippet_mode():
    cas = torch.zeros(2, 3, 5)
    # uniform logits: -log(1/3) at every snippet
    assert whole_video_background_loss(cas, 'snippet').item() == \
        pytest.approx(math.log(3))
    loss = WholeVideoBackgroundLoss(mode='snippet', reinforce_factor=2.0,
                                    reinforce_rows='all', loss_weight=0.5)
    assert loss(dict(cas_base=cas), {}).item() == pytest.approx(
        0.5 * math.log(3))
    with pytest.raises(ValueError, match='mode'):
        WholeVideoBackgroundLoss(mode='frame')


def test_foreground_mil_excludes_background():
    cas = torch.tensor([[[4., 2., 0., 0.], [1., 1., 1., 1.],
                         [9., 9., 9., 9.]]])
    y = torch.tensor([[1., 0.]])
    s = torch.tensor([3., 1.])  # background row ignored entirely
    expected = -(s[0] - torch.logsumexp(s, 0)).item()
    assert foreground_mil_loss(cas, y, 0.5).item() == pytest.approx(expected)
    m = ForegroundMILLoss(topk_ratio=0.5, loss_weight=2.0)
    assert m(dict(cas_base=cas), dict(video_labels=y)).item() == \
        pytest.approx(2 * expected)


def test_affinity_aggregate_hand_values():
    # T=3, w=1, D=2: x0=(1,0), x1=(1,0), x2=(0,1); tau=1
    x = torch.tensor([[[1., 1., 0.], [0., 0., 1.]]])
    out = affinity_aggregate(x, window=1, temperature=1.0)
    # t=0: neighbours {0, 1}, cos = {1, 1} -> equal weights -> (1, 0)
    torch.testing.assert_close(out[0, :, 0], torch.tensor([1., 0.]))
    # t=1: {0,1,2}, cos = {1,1,0} -> w = (e, e, 1)/(2e+1)
    e = math.e
    exp1 = torch.tensor([2 * e / (2 * e + 1), 1 / (2 * e + 1)])
    torch.testing.assert_close(out[0, :, 1], exp1)
    # t=2: {1,2}, cos = {0,1} -> w = (1, e)/(1+e)
    torch.testing.assert_close(out[0, :, 2],
                               torch.tensor([1 / (1 + e), e / (1 + e)]))


def test_temporal_enhancement_net_as_backbone():
    net = TemporalEnhancementNet(6, 5, window=2, dropout=0.0).eval()
    x = torch.randn(2, 6, 9)
    h1, h2 = net(x, embedding=torch.randn(2, 3, 9))
    act = lambda v: F.leaky_relu(v, 0.01)  # noqa: E731
    exp_h1 = act(net.base(x)) + act(net.continuity(
        affinity_aggregate(x, 2, 0.1)))
    torch.testing.assert_close(h1, exp_h1)
    torch.testing.assert_close(h2, act(net.out(h1)))
