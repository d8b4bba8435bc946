"""Sigmoid focal loss for the anchor-free detector's classification."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from .utils import get_required, global_count


def sigmoid_focal_loss(logits: torch.Tensor,
                       targets: torch.Tensor,
                       alpha: float = 0.25,
                       gamma: float = 2.0) -> torch.Tensor:
    """Element-wise focal loss (Lin et al., 2017) of sigmoid logits.

    ``FL = -a_t (1 - p_t)^gamma log(p_t)`` with ``p_t = p`` where the target
    is 1 and ``1 - p`` where it is 0 (``a_t = alpha`` / ``1 - alpha``; soft
    targets interpolate). ``alpha < 0`` switches the weighting off.

    Args:
        logits (Tensor): any shape.
        targets (Tensor): same shape, in ``[0, 1]``.

    Returns:
        Tensor: same shape, unreduced.
    """
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * (1 - p_t)**gamma
    if alpha >= 0:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return loss


@MODELS.register_module()
class PointFocalLoss(nn.Module):
    """Focal loss over all valid pyramid points, normalized by the number
    of positive points of the (distributed) batch.

    Reads ``outputs['cls_logits']`` ``(B, C, P)`` and the assigner's
    ``targets['cls_targets']`` ``(B, P, C)`` (1 at a point's assigned class,
    0 elsewhere), ``targets['valid']`` ``(B, P)`` and
    ``targets['pos_weights']`` ``(B, P)`` (the assigned segment's weight:
    1 for GT, the pseudo-label score for pseudo-segments; 0 at negatives).
    A positive point's loss is scaled by its weight, negatives by 1.

    Args:
        alpha (float): Weight of the positives, at most 1 (negatives get
            ``1 - alpha``); ``alpha < 0`` switches the weighting off.
            Defaults to 0.25.
        gamma (float): Focusing exponent, >= 0. Defaults to 2.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        check_range('alpha', alpha, high=1, owner=owner)
        check_range('gamma', gamma, 0, owner=owner)
        check_range('loss_weight', loss_weight, owner=owner)
        self.alpha, self.gamma, self.loss_weight = alpha, gamma, loss_weight

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        logits = get_required(outputs, 'cls_logits', name).transpose(1, 2)
        cls_t = get_required(targets, 'cls_targets', name)
        valid = get_required(targets, 'valid', name)
        weights = get_required(targets, 'pos_weights', name)
        pos = cls_t.amax(dim=2) > 0
        point_w = torch.where(pos, weights, torch.ones_like(weights)) * valid
        loss = sigmoid_focal_loss(logits, cls_t, self.alpha, self.gamma)
        num_pos = global_count(pos.float().sum()).clamp(min=1.0)
        return self.loss_weight * (loss.sum(2) * point_w).sum() / num_pos
