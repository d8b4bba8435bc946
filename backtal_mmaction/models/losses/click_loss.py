"""Position modeling: supervised loss on clicked snippets."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from backtal_mmaction.utils import CLICK_TYPES, IGNORE_INDEX, check_range
from .utils import get_required, masked_mean


def check_click_types(click_types, owner: str) -> tuple:
    """``click_types`` as a tuple; a non-empty subset of
    :data:`CLICK_TYPES` (a string is one type), else a ValueError naming
    ``owner``."""
    if isinstance(click_types, str):
        click_types = (click_types, )
    unknown = [t for t in click_types if t not in CLICK_TYPES]
    if unknown or not click_types:
        raise ValueError(f'{owner}: click_types {tuple(click_types)} '
                         f'must be a non-empty subset of {CLICK_TYPES}; '
                         f'unsupported: {unknown}')
    return tuple(click_types)


def click_cross_entropy(cas: torch.Tensor, click_labels: torch.Tensor,
                        use_background: bool = True,
                        use_action: bool = False) -> torch.Tensor:
    """Cross-entropy of the CAS at clicked snippets.

    Args:
        cas (Tensor): ``(B, C+1, T)`` logits, background = index C.
        click_labels (Tensor): ``(B, T)`` long: C at background clicks,
            the class index at action clicks, ``IGNORE_INDEX`` elsewhere.
        use_background (bool): Supervise background clicks.
        use_action (bool): Supervise action clicks.

    Returns:
        Tensor: mean over all supervised snippets of the batch; 0 (with
        grad) when there is none.
    """
    num_bg = cas.shape[1] - 1
    labels = click_labels.long()
    keep = torch.zeros_like(labels, dtype=torch.bool)
    if use_background:
        keep |= labels == num_bg
    if use_action:
        keep |= (labels >= 0) & (labels < num_bg)
    labels = torch.where(keep, labels, torch.full_like(labels, IGNORE_INDEX))
    # per-snippet CE (0 at ignored snippets), averaged over the clicks of
    # the whole (possibly distributed) batch
    ce = F.cross_entropy(cas, labels, ignore_index=IGNORE_INDEX,
                         reduction='none')
    return masked_mean(ce, keep)


@MODELS.register_module()
class ClickLoss(nn.Module):
    """Cross-entropy at clicked snippets: BackTAL's background-click loss
    (``click_types=('background',)``, the default) and the SF-Net-style
    action-click loss (``('action',)``) in one class.

    Registered also as ``BackgroundClickLoss``, its former name, so configs
    written before the rename build unchanged.

    Args:
        click_types (Sequence[str]): Which clicks supervise the CAS, any of
            ``('background', 'action')``. ``('action',)`` is SF-Net-style
            action-click supervision with the same loss.
        loss_weight (float): Defaults to 1.0.
        cas_key (str): Defaults to ``'cas_base'`` (the base branch).
    """

    def __init__(self, click_types: Sequence[str] = ('background', ),
                 loss_weight: float = 1.0, cas_key: str = 'cas_base') -> None:
        super().__init__()
        self.click_types = check_click_types(click_types, type(self).__name__)
        check_range('loss_weight', loss_weight, owner=type(self).__name__)
        self.loss_weight = loss_weight
        self.cas_key = cas_key

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        cas = get_required(outputs, self.cas_key, type(self).__name__)
        labels = get_required(targets, 'click_labels', type(self).__name__)
        return self.loss_weight * click_cross_entropy(
            cas, labels, 'background' in self.click_types,
            'action' in self.click_types)


@MODELS.register_module()
class SigmoidClickLoss(nn.Module):
    """Clicks as point supervision of a sigmoid (no background class)
    head, the sibling of :class:`ClickLoss` for detectors such as
    :class:`AnchorFreeTAD`.

    At a background click every class logit is a negative (target 0); at an
    action click its class is a positive (target 1) and the other classes
    are left alone (a snippet may hold two overlapping actions). Binary
    cross-entropy summed over the supervised classes, averaged over the
    clicks of the (distributed) batch.

    Reads ``outputs[cas_key]`` ``(B, C, P)`` -- its first ``T`` points must
    be the snippets (level 0 of a pyramid) -- and ``targets['click_labels']``
    ``(B, T)`` (C at background clicks, the class at action clicks,
    ``IGNORE_INDEX`` elsewhere).

    Args:
        click_types (Sequence[str]): Any of ``('background', 'action')``.
        loss_weight (float): Defaults to 1.0.
        cas_key (str): Defaults to ``'cls_logits'``.
    """

    def __init__(self, click_types: Sequence[str] = ('background', ),
                 loss_weight: float = 1.0,
                 cas_key: str = 'cls_logits') -> None:
        super().__init__()
        self.click_types = check_click_types(click_types, type(self).__name__)
        check_range('loss_weight', loss_weight, owner=type(self).__name__)
        self.loss_weight = loss_weight
        self.cas_key = cas_key

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        labels = get_required(targets, 'click_labels', name).long()
        num_snippets = labels.shape[1]
        logits = get_required(outputs, self.cas_key,
                              name)[:, :, :num_snippets].transpose(1, 2)
        num_classes = logits.shape[2]
        bg = labels == num_classes
        act = (labels >= 0) & (labels < num_classes)
        if 'background' not in self.click_types:
            bg = torch.zeros_like(bg)
        if 'action' not in self.click_types:
            act = torch.zeros_like(act)
        onehot = F.one_hot(labels.clamp(0, num_classes - 1),
                           num_classes).to(logits.dtype)
        # background click: all classes, target 0; action click: its class
        elem = torch.where(bg[..., None], torch.ones_like(onehot),
                           onehot * act[..., None])
        bce = F.binary_cross_entropy_with_logits(
            logits, onehot * act[..., None], reduction='none')
        per_click = (bce * elem).sum(2)
        return self.loss_weight * masked_mean(per_click, bg | act)


# The former name, kept for configs and code written before the rename:
# ``type='BackgroundClickLoss'`` builds a ClickLoss.
BackgroundClickLoss = ClickLoss
MODELS.register_module(name='BackgroundClickLoss', module=ClickLoss)
