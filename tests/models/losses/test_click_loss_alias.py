"""``ClickLoss`` and its former registry name ``BackgroundClickLoss``."""
import torch
from mmaction.registry import MODELS

import backtal_mmaction.registration  # noqa: F401  (registers the losses)
from backtal_mmaction.models.losses import BackgroundClickLoss, ClickLoss

from tests.helpers import REPO


def test_old_name_builds_the_same_loss_with_the_same_value():
    new = MODELS.build(dict(type='ClickLoss', click_types=('action', )))
    old = MODELS.build(dict(type='BackgroundClickLoss',
                            click_types=('action', )))
    assert type(new) is ClickLoss and type(old) is ClickLoss
    assert BackgroundClickLoss is ClickLoss
    # (B=1, C+1=3, T=2) logits; an action click of class 1 at t=0, none at
    # t=1: the loss is the CE at t=0 = logsumexp(0, 2, 0) - 2
    cas = torch.tensor([[[0.0, 5.0], [2.0, 1.0], [0.0, 3.0]]])
    labels = torch.tensor([[1, -100]])
    expected = torch.logsumexp(torch.tensor([0.0, 2.0, 0.0]), 0) - 2.0
    for loss in (new, old):
        value = loss(dict(cas_base=cas), dict(click_labels=labels))
        torch.testing.assert_close(value, expected)


def test_shipped_configs_use_the_new_name():
    configs = REPO / 'configs'
    users = [p for p in configs.rglob('*.py')
             if "'BackgroundClickLoss'" in p.read_text()]
    assert users == []
