"""backtal_mmaction/testing/backtal_original.py computes what our BackTAL
computes.

The benchmark's "original formulation" row is only a fair yardstick if it
does the same work: its affinity conv equals ``AffinityConv1d``, and its
forward + per-sample-loop losses equal our model's losses and gradients.
"""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from backtal_mmaction.models.backbones import AffinityConv1d
from backtal_mmaction.testing.backtal_original import (
    original_forward, original_losses, original_similarity,
    unfold_affinity_conv1d, unfold_affinity_layers)

D, H, C, T, B = 10, 8, 4, 40, 3


@pytest.mark.parametrize('mode', ['per_tap', 'official'])
def test_unfold_conv_equals_module(mode):
    torch.manual_seed(0)
    conv = AffinityConv1d(7, 5, affinity=mode).double()
    x = torch.randn(3, 7, 9, dtype=torch.float64)
    e = F.normalize(torch.randn(3, 4, 9, dtype=torch.float64), dim=1)
    torch.testing.assert_close(unfold_affinity_conv1d(x, e, conv.weight, mode),
                               conv(x, e))
    # the context manager swaps the implementation and restores it
    with unfold_affinity_layers(conv):
        assert 'forward' in vars(conv)
        torch.testing.assert_close(conv(x, e), conv.forward(x, e))
    assert 'forward' not in vars(conv)


def test_similarity_is_zero_at_the_padding():
    e = F.normalize(torch.randn(2, 3, 5, dtype=torch.float64), dim=1)
    sim = original_similarity(e)
    assert (sim[:, 0, 0] == 0).all() and (sim[:, 2, -1] == 0).all()
    torch.testing.assert_close(sim[:, 1], torch.ones(2, 5,
                                                     dtype=torch.float64))
    torch.testing.assert_close(sim[:, 2, :-1], (e[..., 1:] *
                                                e[..., :-1]).sum(1))


def _model(mode):
    init_default_scope('mmaction')
    import backtal_mmaction.registration  # noqa: F401
    from mmaction.registry import MODELS
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='BackTAL',
        embedding=dict(type='AffinityEmbedding', in_channels=D,
                       hidden_channels=6, embed_channels=4),
        backbone=dict(type='AffinityTCN', in_channels=D, hidden_channels=H,
                      affinity=mode, dropout=0.5),
        fg_filter=dict(type='ForegroundFilter', in_channels=D,
                       hidden_channels=6),
        cls_head=dict(type='TopKMILHead', in_channels=H, num_classes=C),
        losses=dict(
            mil_base=dict(type='VideoMILLoss', branch='base'),
            mil_supp=dict(type='VideoMILLoss', branch='supp'),
            filter_l1=dict(type='FilterL1Loss', loss_weight=1e-4),
            bg_click=dict(type='ClickLoss'),
            score_sep=dict(type='ScoreSeparationLoss'),
            affinity=dict(type='AffinityEmbeddingLoss',
                          loss_weight=0.8)))).double().train()


def _targets():
    from mmaction.structures import ActionDataSample
    g = torch.Generator().manual_seed(1)
    samples, labels, clicks = [], [], []
    for b in range(B):
        y = torch.zeros(C, dtype=torch.float64)
        y[b % C] = 1  # one class per video (see the reference's docstring)
        c = torch.full((T, ), -100, dtype=torch.long)
        c[torch.randperm(T, generator=g)[:4 if b else 0]] = C
        ds = ActionDataSample()
        ds.gt_video_labels, ds.gt_click_labels = y, c
        samples.append(ds)
        labels.append(y)
        clicks.append(c)
    # video 0 has no background click: both formulations must skip it
    return samples, torch.stack(labels), torch.stack(clicks)


@pytest.mark.parametrize('mode', ['per_tap', 'official'])
def test_original_step_equals_model(mode):
    model = _model(mode)
    x = torch.randn(B, D, T, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(2))
    samples, labels, clicks = _targets()
    # same seed -> same dropout masks (both draw base, then supp)
    torch.manual_seed(3)
    ours = model(x, samples, mode='loss')
    loss = sum(ours.values())
    grads = torch.autograd.grad(loss, list(model.parameters()))
    torch.manual_seed(3)
    ref = original_losses(original_forward(model, x), labels, clicks)
    ref_grads = torch.autograd.grad(ref['total'], list(model.parameters()))
    for name in ('mil_base', 'mil_supp', 'filter_l1', 'bg_click', 'score_sep',
                 'affinity'):
        torch.testing.assert_close(ours[f'loss_{name}'], ref[name])
    assert ref['affinity'] > 0 and ref['score_sep'] > 0
    torch.testing.assert_close(loss, ref['total'])
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r)
