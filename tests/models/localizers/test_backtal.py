"""The BackTAL localizer: loss / predict / tensor modes and swappable parts."""
import pytest
import torch
from mmengine.registry import init_default_scope

from tests.helpers.models import C, D, T
from tests.helpers.models import backtal_cfg as model_cfg
from tests.helpers.models import backtal_samples as samples
from tests.helpers.models import build_backtal as build


def test_loss_mode_keys_and_backward():
    model = build()
    losses = model(torch.randn(4, D, T), samples(4), mode='loss')
    assert set(losses) == {f'loss_{k}' for k in (
        'mil_base', 'mil_supp', 'filter_l1', 'bg_click', 'score_sep',
        'affinity')}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.embedding.conv_1.weight.grad is not None  # affinity loss
    assert model.fg_filter.conv_1.weight.grad is not None


def test_batch_without_clicks_trains():
    model = build()
    losses = model(torch.randn(2, D, T), samples(2, click_at=()),
                   mode='loss')
    for key in ('loss_bg_click', 'loss_score_sep', 'loss_affinity'):
        assert losses[key].item() == 0
    sum(losses.values()).backward()


def test_loss_can_be_switched_off_by_config():
    cfg = model_cfg()
    cfg['losses']['score_sep'] = None
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    model = MODELS.build(cfg)
    assert 'score_sep' not in model.losses


def test_predict_outputs_seconds_within_video():
    model = build().eval()
    outs = model(torch.randn(2, D, T), samples(2), mode='predict')
    for ds in outs:
        pred = ds.pred_instances
        assert pred.segments.shape[1] == 2 and len(pred.segments) > 0
        assert (pred.segments[:, 0] >= 0).all()
        assert (pred.segments[:, 1] <= 12.0 + 1e-6).all()
        assert (pred.segments[:, 1] > pred.segments[:, 0]).all()
        assert ((pred.labels >= 0) & (pred.labels < C)).all()
        assert (pred.scores[:-1] >= pred.scores[1:]).all()


def test_predict_variable_length_list_equals_single_runs():
    model = build().eval()
    x1, x2 = torch.randn(D, T), torch.randn(D, T + 5)
    batched = model([x1, x2], samples(2), mode='predict')
    single = model(x2[None], samples(1), mode='predict')
    torch.testing.assert_close(batched[1].pred_instances.scores,
                               single[0].pred_instances.scores)


def test_without_filter_and_embedding():
    model = build(fg_filter=None, embedding=None,
                  losses=dict(mil=dict(type='VideoMILLoss', branch='base')))
    out = model(torch.randn(2, D, T), mode='tensor')
    assert out['embedding'] is None and out['fg_weights'] is None
    assert out['cas_supp'] is out['cas_base']


def test_class_count_mismatch_is_explained():
    model = build()
    with pytest.raises(ValueError, match='num_classes'):
        model(torch.randn(2, D, T), samples(2, num_classes=C + 2),
              mode='loss')


def test_affinity_loss_without_embedding_names_what_is_missing():
    model = build(embedding=None)
    with pytest.raises(KeyError, match='AffinityEmbeddingLoss.*embedding'):
        model(torch.randn(2, D, T), samples(2), mode='loss')


def test_dropout_off_in_eval_makes_predict_deterministic():
    model = build().eval()
    x = torch.randn(1, D, T)
    a = model.forward_features(x)['cas_supp']
    b = model.forward_features(x)['cas_supp']
    assert torch.equal(a, b)


def test_raw_outputs_reproduce_predictions():
    model = build().eval()
    model.keep_raw_outputs = True
    ds = model(torch.randn(1, D, T), samples(1), mode='predict')[0]
    raw = ds.raw_outputs
    assert raw['cas_supp'].shape == (C + 1, T)
    assert raw['video_scores_supp'].shape == (C + 1, )
    assert raw['magnitude'].shape == raw['fg_weights'].shape == (T, )
    again = model.post_processor(raw['cas_supp'], raw['video_scores_supp'],
                                 raw['magnitude'], num_frames=360,
                                 duration=12.0)
    torch.testing.assert_close(
        torch.as_tensor(again['scores'], dtype=torch.float32),
        ds.pred_instances.scores)
