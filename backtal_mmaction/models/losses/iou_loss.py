"""1-D IoU / distance-IoU loss of boundary distances."""
import torch
import torch.nn as nn
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from .utils import get_required, global_count

IOU_MODES = ('iou', 'diou')


def segment_iou_from_offsets(pred: torch.Tensor, target: torch.Tensor,
                             mode: str = 'diou') -> torch.Tensor:
    """IoU (or DIoU) of segments given by distances from one shared point.

    A point ``p`` with distances ``(l, r)`` to start and end stands for
    ``[p - l, p + r]``; two such segments around the same point overlap by
    ``min(l1, l2) + min(r1, r2)``. DIoU (Zheng et al., 2020) subtracts the
    squared centre distance over the squared length of the enclosing
    segment, so non-overlapping predictions still get a gradient towards
    the target.

    Args:
        pred (Tensor): ``(N, 2)`` non-negative ``(l, r)``.
        target (Tensor): ``(N, 2)`` non-negative ``(l, r)``.
        mode (str): ``'iou'`` or ``'diou'``.

    Returns:
        Tensor: ``(N,)`` in ``[-1, 1]`` (``[0, 1]`` for IoU).
    """
    if mode not in IOU_MODES:
        raise ValueError(f'mode {mode!r} not in {IOU_MODES}')
    pl, pr = pred[:, 0], pred[:, 1]
    tl, tr = target[:, 0], target[:, 1]
    inter = torch.minimum(pl, tl) + torch.minimum(pr, tr)
    union = (pl + pr) + (tl + tr) - inter
    iou = inter / union.clamp(min=1e-8)
    if mode == 'iou':
        return iou
    enclosing = torch.maximum(pl, tl) + torch.maximum(pr, tr)
    centre_dist = ((pr - pl) - (tr - tl)) / 2
    return iou - centre_dist**2 / enclosing.clamp(min=1e-8)**2


@MODELS.register_module()
class PointDIoULoss(nn.Module):
    """``1 - (D)IoU`` at positive points, weighted by the assigned
    segment's weight, normalized by the number of positive points.

    Reads ``outputs['distances']`` ``(B, 2, P)`` and the assigner's
    ``targets['reg_targets']`` ``(B, P, 2)``, ``targets['cls_targets']``
    (positives: any class 1) and ``targets['pos_weights']`` ``(B, P)``.

    Args:
        mode (str): ``'diou'`` (default) or ``'iou'``.
        loss_weight (float): Defaults to 1.
    """

    def __init__(self, mode: str = 'diou', loss_weight: float = 1.0) -> None:
        super().__init__()
        if mode not in IOU_MODES:
            raise ValueError(f'PointDIoULoss: mode {mode!r} not in '
                             f'{IOU_MODES}')
        check_range('loss_weight', loss_weight, owner=type(self).__name__)
        self.mode, self.loss_weight = mode, loss_weight

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        dist = get_required(outputs, 'distances', name).transpose(1, 2)
        reg_t = get_required(targets, 'reg_targets', name)
        pos = get_required(targets, 'cls_targets', name).amax(dim=2) > 0
        weights = get_required(targets, 'pos_weights', name)
        num_pos = global_count(pos.float().sum()).clamp(min=1.0)
        if not pos.any():
            return dist.sum() * 0
        iou = segment_iou_from_offsets(dist[pos], reg_t[pos], self.mode)
        return self.loss_weight * ((1 - iou) * weights[pos]).sum() / num_pos
