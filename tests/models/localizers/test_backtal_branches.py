"""predict runs only the suppressed branch (the one the detections read):
the same detections and supp outputs as the full forward, half the
backbone calls; the raw outputs still carry both branches."""
import pytest
import torch

from tests.helpers.models import D, T
from tests.helpers.models import backtal_samples as samples
from tests.helpers.models import build_backtal as build


def _count_backbone_calls(model):
    calls = []
    model.backbone.register_forward_hook(lambda *a: calls.append(1))
    return calls


def test_supp_branch_alone_equals_the_full_forward():
    model = build().eval()
    x = torch.randn(2, D, T)
    with torch.no_grad():
        full = model.forward_features(x)
        supp = model.forward_features(x, ('supp', ))
    assert not any(k.endswith('_base') for k in supp)
    for key in ('feat1_supp', 'feat_supp', 'cas_supp', 'video_scores_supp',
                'fg_weights', 'embedding'):
        assert torch.equal(supp[key], full[key]), key
    base = model.forward_features(x, ('base', ))
    assert base['fg_weights'] is None and 'cas_supp' not in base
    torch.testing.assert_close(base['cas_base'], full['cas_base'])
    with pytest.raises(ValueError, match="subset of \\('base', 'supp'\\)"):
        model.forward_features(x, ('sup', ))
    with pytest.raises(ValueError, match='non-empty'):
        model.forward_features(x, ())


@pytest.mark.parametrize('batched', [True, False])
def test_predict_detections_unchanged_with_half_the_network(batched):
    model = build().eval()
    torch.manual_seed(1)
    x = torch.randn(3, D, T)
    inputs = x if batched else [v for v in x]
    calls = _count_backbone_calls(model)
    fast = model.predict(inputs, samples(3))
    assert len(calls) == (1 if batched else 3)  # the supp branch only
    model.keep_raw_outputs = True
    calls.clear()
    slow = model.predict(inputs, samples(3))
    assert len(calls) == (2 if batched else 6)
    for a, b in zip(fast, slow):
        for key in ('segments', 'scores', 'labels'):
            assert torch.equal(a.pred_instances[key], b.pred_instances[key])
    assert 'cas_base' in slow[0].raw_outputs
    assert len(fast[0].pred_instances.scores) > 0  # a non-trivial check


def test_without_filter_one_branch_serves_both():
    model = build(fg_filter=None, losses=dict(
        mil=dict(type='VideoMILLoss', branch='base'))).eval()
    x = torch.randn(1, D, T)
    calls = _count_backbone_calls(model)
    with torch.no_grad():
        out = model.forward_features(x, ('supp', ))
    assert len(calls) == 1
    assert out['cas_supp'] is out['cas_base']
