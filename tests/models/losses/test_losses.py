"""BackTAL losses on hand-made cases and against loop references."""
import math

import pytest
import torch
import torch.nn.functional as F

from backtal_mmaction.models.losses import (IGNORE_INDEX,
                                            AffinityEmbeddingLoss,
                                            BackgroundClickLoss,
                                            FilterL1Loss,
                                            ScoreSeparationLoss, VideoMILLoss,
                                            affinity_hinge_loss,
                                            click_cross_entropy,
                                            score_separation, video_mil_loss)

I = IGNORE_INDEX


def test_video_mil_loss_hand_values():
    scores = torch.zeros(1, 3)  # C = 2, softmax = 1/3 each
    y = torch.tensor([[1., 0.]])
    # base target [1, 0, 1] / 2 -> -(0.5 log 1/3 + 0.5 log 1/3) = log 3
    assert video_mil_loss(scores, y, True).item() == pytest.approx(math.log(3))
    # supp target [1, 0, 0] -> log 3
    assert video_mil_loss(scores, y, False).item() == pytest.approx(
        math.log(3))
    s = torch.tensor([[2., 0., 0.]])
    expected = -math.log(math.exp(2) / (math.exp(2) + 2))
    assert video_mil_loss(s, y, False).item() == pytest.approx(expected)
    # multi-label base: target [1, 1, 1] / 3 -> mean of -log softmax
    y2 = torch.tensor([[1., 1.]])
    expected = -(F.log_softmax(s, 1)).mean().item()
    assert video_mil_loss(s, y2, True).item() == pytest.approx(expected)


def test_video_mil_loss_module_and_unlabelled_video():
    out = dict(video_scores_supp=torch.zeros(2, 3))
    tgt = dict(video_labels=torch.tensor([[1., 0.], [0., 0.]]))
    # second video has no label: zero target, no loss; batch mean -> log3/2
    loss = VideoMILLoss('supp', loss_weight=2.0)(out, tgt)
    assert loss.item() == pytest.approx(2 * math.log(3) / 2)


def test_filter_l1():
    w = torch.tensor([[[0.5, 0.25]], [[1.0, 0.0]]])
    loss = FilterL1Loss(loss_weight=1e-4)(dict(fg_weights=w), {})
    assert loss.item() == pytest.approx(1e-4 * (0.75 + 1.0) / 2)


def _ce(logits, target):
    return -(logits[target] - torch.logsumexp(logits, 0)).item()


def test_click_cross_entropy_hand_values():
    cas = torch.tensor([[[1., 0., 2., 0.], [0., 1., 0., 3.],
                         [2., 0., 1., 0.]]])  # (1, C+1=3, T=4)
    labels = torch.tensor([[2, I, 0, I]])  # bg click at t=0, action at t=2
    bg_only = click_cross_entropy(cas, labels, True, False).item()
    assert bg_only == pytest.approx(_ce(cas[0, :, 0], 2))
    both = click_cross_entropy(cas, labels, True, True).item()
    assert both == pytest.approx(
        (_ce(cas[0, :, 0], 2) + _ce(cas[0, :, 2], 0)) / 2)
    act_only = click_cross_entropy(cas, labels, False, True).item()
    assert act_only == pytest.approx(_ce(cas[0, :, 2], 0))


def test_click_loss_without_clicks_is_zero_with_grad():
    cas = torch.randn(2, 3, 5, requires_grad=True)
    labels = torch.full((2, 5), I)
    loss = BackgroundClickLoss()(dict(cas_base=cas),
                                 dict(click_labels=labels))
    assert loss.item() == 0
    loss.backward()
    assert torch.equal(cas.grad, torch.zeros_like(cas))


def test_click_loss_rejects_unknown_type_at_build():
    with pytest.raises(ValueError, match='click_types'):
        BackgroundClickLoss(click_types=('scribble', ))
    with pytest.raises(ValueError, match='click_types'):
        BackgroundClickLoss(click_types=())


def test_score_separation_hand_values():
    cas = torch.zeros(2, 3, 4)  # C = 2
    cas[0, 0] = torch.tensor([3., 1., 0., -1.])
    labels = torch.tensor([[I, I, I, 2], [I, I, I, I]])
    y = torch.tensor([[1., 0.], [1., 1.]])
    # video 0, class 0: s_bg = -1, top-2 mean = 2 -> softplus(-3)
    # video 1 has no background click -> excluded
    expected = math.log1p(math.exp(-3))
    got = score_separation(cas, labels, y, topk_ratio=0.5).item()
    assert got == pytest.approx(expected)


def test_score_separation_mean_over_classes_then_videos():
    cas = torch.zeros(2, 3, 4)
    cas[0, 0] = torch.tensor([3., 1., 0., -1.])  # sp(-1 - 2)
    cas[0, 1] = torch.tensor([0., 0., 4., 2.])  # s_bg = 2, top2 = 3 -> sp(-1)
    cas[1, 1] = torch.tensor([1., 1., 1., 1.])  # s_bg = 1, top2 = 1 -> sp(0)
    labels = torch.tensor([[I, I, I, 2], [2, I, I, I]])
    y = torch.tensor([[1., 1.], [0., 1.]])
    sp = lambda v: math.log1p(math.exp(v))  # noqa: E731
    expected = ((sp(-3) + sp(-1)) / 2 + sp(0)) / 2
    loss = ScoreSeparationLoss(topk_ratio=0.5, loss_weight=1.0)(
        dict(cas_base=cas), dict(click_labels=labels, video_labels=y))
    assert loss.item() == pytest.approx(expected)


def test_score_separation_no_clicks_zero():
    cas = torch.randn(2, 3, 4, requires_grad=True)
    loss = score_separation(cas, torch.full((2, 4), I), torch.ones(2, 2))
    assert loss.item() == 0
    loss.backward()


def test_affinity_loss_hand_values():
    # e0=(1,0), e1=(.6,.8) foreground; e2=(0,1), e3=(-1,0) background
    emb = torch.tensor([[[1., .6, 0., -1.], [0., .8, 1., 0.]]])
    fg = torch.tensor([[True, True, False, False]])
    bg = torch.tensor([[False, False, True, True]])
    # ff: min cos within F = .6 -> [.5-.6]+ = 0
    # bb: cos(e2,e3) = 0 -> .5 for both -> .5
    # fb: f0 max(0,-1)=0 -> 0 ; f1 max(.8,-.6)=.8 -> .7 ; mean .35
    # bf: b2 max(0,.8)=.8 -> .7 ; b3 max(-1,-.6) -> 0 ; mean .35
    got = affinity_hinge_loss(emb, fg, bg, 0.5, 0.1).item()
    assert got == pytest.approx(0 + 0.5 + 0.35 + 0.35)


def test_affinity_module_selects_topk_of_gt_classes():
    emb = torch.tensor([[[1., .6, 0., -1.], [0., .8, 1., 0.]]])
    cas = torch.zeros(1, 3, 4)
    cas[0, 0] = torch.tensor([5., 4., 0., 0.])  # GT class: top-2 = {0, 1}
    cas[0, 1] = torch.tensor([0., 0., 9., 9.])  # not a GT class: ignored
    tgt = dict(video_labels=torch.tensor([[1., 0.]]),
               click_labels=torch.tensor([[I, I, 2, 2]]))
    loss = AffinityEmbeddingLoss(topk_ratio=0.5, loss_weight=0.8)(
        dict(cas_supp=cas, embedding=emb), tgt)
    assert loss.item() == pytest.approx(0.8 * 1.2)


def affinity_loop_reference(emb, fg, bg):
    per_video = []
    for b in range(emb.shape[0]):
        F_ = fg[b].nonzero().flatten().tolist()
        B_ = bg[b].nonzero().flatten().tolist()
        if not F_ or not B_:
            continue
        cos = lambda i, j: float(emb[b, :, i] @ emb[b, :, j])  # noqa: E731
        terms = [
            sum(max(0, .5 - min(cos(f, g) for g in F_)) for f in F_) / len(F_),
            sum(max(0, .5 - min(cos(c, d) for d in B_)) for c in B_) / len(B_),
            sum(max(0, max(cos(f, c) for c in B_) - .1) for f in F_) / len(F_),
            sum(max(0, max(cos(c, f) for f in F_) - .1) for c in B_) / len(B_),
        ]
        per_video.append(sum(terms))
    return sum(per_video) / len(per_video) if per_video else 0.0


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_affinity_loss_matches_loop_reference(seed):
    g = torch.Generator().manual_seed(seed)
    emb = F.normalize(torch.randn(4, 6, 12, generator=g, dtype=torch.float64),
                      dim=1)
    fg = torch.rand(4, 12, generator=g) < 0.3
    bg = torch.rand(4, 12, generator=g) < 0.3
    bg[0] = False  # a video without clicks
    got = affinity_hinge_loss(emb, fg, bg).item()
    assert got == pytest.approx(affinity_loop_reference(emb, fg, bg))


def test_affinity_loss_grad_finite_with_empty_sets():
    emb = F.normalize(torch.randn(2, 3, 5), dim=1).requires_grad_(True)
    fg = torch.zeros(2, 5, dtype=torch.bool)
    loss = affinity_hinge_loss(emb, fg, fg)
    loss.backward()
    assert loss.item() == 0 and torch.isfinite(emb.grad).all()


def test_missing_output_names_the_loss():
    with pytest.raises(KeyError, match='ScoreSeparationLoss'):
        ScoreSeparationLoss()(dict(), dict(click_labels=None))
