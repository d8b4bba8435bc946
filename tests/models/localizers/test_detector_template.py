"""A third detector is its parts only: a ``BaseSnippetLocalizer`` subclass
with ``forward_features``, ``_targets`` and ``_decode`` gets training
(``loss``), test (``predict``, list or batch inputs), the metainfo check,
the packing of detections and raw outputs from the template."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope

import backtal_mmaction.registration  # noqa: F401
from backtal_mmaction.models.localizers.base_localizer import \
    BaseSnippetLocalizer
from backtal_mmaction.models.losses import IGNORE_INDEX
from tests.helpers.models import backtal_samples

D, H, C, T = 6, 8, 2, 16


class TinyLocalizer(BaseSnippetLocalizer):
    """backbone -> MIL head on the raw features, BackTAL's output keys so
    its losses and post-processor apply unchanged. Not registered: the
    test builds it directly (its parts come from the registry)."""

    required_meta = ('num_frames', 'duration')

    def __init__(self, backbone, cls_head, **kwargs):
        super().__init__(**kwargs)
        self.backbone = MODELS.build(backbone)
        self.cls_head = MODELS.build(cls_head)

    def forward_features(self, x):  # x (B, D, T)
        h1, h = self.backbone(x, None)  # (B, H, T) each
        cas = self.cls_head(h)  # (B, C+1, T)
        return dict(feat1_base=h1, cas_base=cas,
                    video_scores_base=self.cls_head.video_scores(cas))

    def _targets(self, outputs, data_samples, num_snippets, device):
        return dict(
            video_labels=torch.stack(
                [ds.gt_video_labels for ds in data_samples]).float(),
            click_labels=self._click_labels(data_samples, num_snippets,
                                            device))

    def _decode(self, outputs, num_snippets, meta):
        return self.post_processor(
            outputs['cas_base'][0], outputs['video_scores_base'][0],
            outputs['feat1_base'][0].norm(p=2, dim=0),
            num_frames=int(meta['num_frames']),
            duration=float(meta['duration']))


def _build(**kwargs):
    init_default_scope('mmaction')
    torch.manual_seed(0)
    cfg = dict(
        backbone=dict(type='TemporalConvStack', in_channels=D,
                      hidden_channels=H, dropout=0.0),
        cls_head=dict(type='TopKMILHead', in_channels=H, num_classes=C,
                      topk_ratio=0.25),
        losses=dict(mil=dict(type='VideoMILLoss', branch='base'),
                    bg_click=dict(type='ClickLoss'), off=None),
        post_processor=dict(type='BackTALPostProcessor', class_threshold=0.0,
                            mag_thresholds=()))
    cfg.update(kwargs)
    return TinyLocalizer(**cfg)


def _samples(n, clicks=True):
    """``n`` samples of ``T`` snippets, one background click at snippet 0
    (``clicks``; otherwise no click labels at all)."""
    return backtal_samples(n, clicks, num_classes=C, num_snippets=T,
                           click_at=(0, ), duration=8.0, num_frames=240)


def test_loss_from_the_template():
    model = _build()
    losses = model(torch.randn(3, D, T), _samples(3), mode='loss')
    # ``None`` entries of ``losses`` are skipped
    assert set(losses) == {'loss_mil', 'loss_bg_click'}
    sum(losses.values()).backward()
    assert model.cls_head.conv.weight.grad.abs().sum() > 0
    # without a click file every snippet is ignored by the click loss
    targets = model._targets({}, _samples(2, clicks=False), T, 'cpu')
    assert targets['click_labels'].shape == (2, T)
    assert targets['click_labels'].dtype == torch.int64
    assert (targets['click_labels'] == IGNORE_INDEX).all()
    # the list guard names this model
    with pytest.raises(ValueError, match='TinyLocalizer training needs '
                       'equal-length videos.*ResampleSnippets'):
        model.loss([torch.randn(D, T)], _samples(1))


def test_predict_batch_and_list_from_the_template():
    model = _build().eval()
    torch.manual_seed(1)
    x = torch.randn(2, D, T)
    batched = model(x, _samples(2), mode='predict')
    alone = [model.predict(x[i:i + 1], _samples(2)[i:i + 1])[0]
             for i in range(2)]
    listed = model.predict([x[0], x[1, :, :11]], _samples(2))
    for b, a in zip(batched, alone):
        pred = b.pred_instances
        assert pred.segments.dtype == pred.scores.dtype == torch.float32
        assert pred.labels.dtype == torch.int64
        assert pred.segments.shape == (len(pred.scores), 2)
        assert len(pred.scores) > 0  # a non-trivial check
        for key in ('segments', 'scores', 'labels'):
            torch.testing.assert_close(pred[key], a.pred_instances[key])
    # a list runs each video alone (its own length)
    short = model.predict(x[1:, :, :11], _samples(2)[1:])[0]
    assert torch.equal(listed[1].pred_instances.scores,
                       short.pred_instances.scores)
    assert all('raw_outputs' not in ds for ds in batched)


def test_raw_outputs_default_to_every_output():
    model = _build(keep_raw_outputs=True).eval()
    ds = model.predict(torch.randn(2, D, T), _samples(2))[1]
    raw = ds.raw_outputs
    assert set(raw) == {'feat1_base', 'cas_base', 'video_scores_base'}
    assert raw['cas_base'].shape == (C + 1, T)  # batch dim dropped
    assert raw['video_scores_base'].shape == (C + 1, )
    assert all(v.dtype == np.float32 for v in raw.values())


def test_template_errors_name_the_model():
    model = _build().eval()
    ds = _samples(1)[0]
    ds.set_metainfo(dict(num_frames=None))
    with pytest.raises(ValueError, match="video 'v0': TinyLocalizer.predict "
                       'needs `num_frames` and `duration` in the sample '
                       r'metainfo \(PackClickLocalizationInputs adds them\)'):
        model.predict(torch.randn(1, D, T), [ds])
    no_pp = _build(post_processor=None).eval()
    with pytest.raises(ValueError, match='TinyLocalizer.predict needs a '
                       '`post_processor`'):
        no_pp.predict(torch.randn(1, D, T), _samples(1))
