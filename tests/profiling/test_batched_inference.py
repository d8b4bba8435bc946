"""Length-bucketed batched inference equals running each video alone."""
import pytest
import torch
from mmengine.registry import init_default_scope

from backtal_mmaction.profiling.batched_inference import (
    batched_forward_features, length_buckets)

D, H, C = 10, 8, 4


def _model(affinity='per_tap', embedding=True):
    init_default_scope('mmaction')
    import backtal_mmaction.registration  # noqa: F401
    from mmaction.registry import MODELS
    torch.manual_seed(0)
    cfg = dict(
        type='BackTAL',
        embedding=dict(type='AffinityEmbedding', in_channels=D,
                       hidden_channels=6, embed_channels=4),
        backbone=dict(type='AffinityTCN', in_channels=D, hidden_channels=H,
                      affinity=affinity),
        fg_filter=dict(type='ForegroundFilter', in_channels=D,
                       hidden_channels=6),
        cls_head=dict(type='TopKMILHead', in_channels=H, num_classes=C,
                      topk_ratio=0.25))
    if not embedding:
        cfg.pop('embedding')
    return MODELS.build(cfg).double().eval()


def test_length_buckets_by_hand():
    lengths = [100, 95, 40, 98, 38, 300, 39]
    # 300 alone (2 x 300 > 400 rows); 100, 98, 95 (4th would exceed 400);
    # 40 + 39 + 38 within 10 % padding
    assert length_buckets(lengths, max_rows=400, max_waste=0.1) == [
        [5], [0, 3, 1], [2, 6, 4]]
    # no padding allowed: only equal lengths share a batch
    assert length_buckets([5, 7, 5, 7], max_rows=100, max_waste=0) == [
        [1, 3], [0, 2]]


@pytest.mark.parametrize('seed', range(3))
def test_length_buckets_invariants(seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 300, (60, ), generator=g).tolist()
    batches = length_buckets(lengths, max_rows=1000, max_waste=0.2)
    assert sorted(i for b in batches for i in b) == list(range(60))
    for b in batches:
        rows = len(b) * max(lengths[i] for i in b)
        assert len(b) == 1 or rows <= 1000
        assert rows - sum(lengths[i] for i in b) <= 0.2 * rows


@pytest.mark.parametrize('affinity,embedding', [('per_tap', True),
                                                ('official', True),
                                                ('none', False)])
def test_batched_equals_one_by_one(affinity, embedding):
    model = _model(affinity, embedding)
    g = torch.Generator().manual_seed(1)
    lengths = [13, 9, 9, 5, 1, 12, 3]
    videos = [torch.randn(D, n, generator=g, dtype=torch.float64)
              for n in lengths]
    batched = batched_forward_features(model, videos, max_rows=64,
                                       max_waste=0.9)
    assert len(batched) == len(videos)
    for x, got in zip(videos, batched):
        ref = model.forward_features(x[None])
        assert set(got) == set(ref)
        for key, value in ref.items():
            if value is None:
                assert got[key] is None
            else:
                assert got[key].shape == value.shape, key
                torch.testing.assert_close(got[key], value, msg=key)
    # the masking hooks are gone
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_padding_would_leak_without_the_masks():
    # the reference above is meaningful: a plain padded batch differs
    model = _model()
    a = torch.randn(D, 6, dtype=torch.float64)
    padded = torch.zeros(1, D, 9, dtype=torch.float64)
    padded[0, :, :6] = a
    padded[0, :, 6:] = 1.0  # another video's snippets after the end
    leaky = model.forward_features(padded)['cas_supp'][..., :6]
    alone = model.forward_features(a[None])['cas_supp']
    assert not torch.allclose(leaky, alone)


def test_unsupported_models_are_refused():
    model = _model()
    with pytest.raises(TypeError, match='forward_features'):
        batched_forward_features(torch.nn.Linear(2, 2), [])
    model.extra = torch.nn.MaxPool1d(2)
    with pytest.raises(TypeError, match="'extra'"):
        batched_forward_features(model, [torch.zeros(D, 4)])
