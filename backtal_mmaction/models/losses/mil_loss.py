"""Video-level multiple-instance losses of the two BaS-Net style branches."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from ..heads.topk_mil_head import topk_mean
from .base import TopKCASLoss
from .utils import get_required


def video_mil_loss(video_scores: torch.Tensor, video_labels: torch.Tensor,
                   background: bool) -> torch.Tensor:
    """Cross-entropy of softmax(video scores) against the normalized labels.

    Args:
        video_scores (Tensor): ``(B, C+1)`` logits (background last).
        video_labels (Tensor): ``(B, C)`` multi-hot.
        background (bool): Target background label: 1 for the base branch
            (every untrimmed video contains background), 0 for the
            suppressed branch (the filter should have removed it).

    Returns:
        Tensor: scalar, mean over the batch of
        ``-sum_c t_c log softmax(s)_c`` with ``t = [y, bg] / sum([y, bg])``.
    """
    bg = torch.full_like(video_labels[:, :1], float(background))
    target = torch.cat([video_labels.to(video_scores.dtype), bg], dim=1)
    # A video without any label (possible only for the suppressed branch)
    # gets an all-zero target, i.e. no loss, rather than 0/0.
    target = target / target.sum(1, keepdim=True).clamp(min=1e-12)
    return -(target * F.log_softmax(video_scores, dim=1)).sum(1).mean()


@MODELS.register_module()
class VideoMILLoss(nn.Module):
    """MIL loss on one branch's video scores.

    Args:
        branch (str): ``'base'`` (target ``[y, 1]``) or ``'supp'``
            (target ``[y, 0]``).
        loss_weight (float): Defaults to 1.0.
        scores_key (str, optional): Output key of the video scores;
            defaults to ``f'video_scores_{branch}'``.
    """

    def __init__(self, branch: str = 'base', loss_weight: float = 1.0,
                 scores_key: str = None) -> None:
        super().__init__()
        if branch not in ('base', 'supp'):
            raise ValueError(f"VideoMILLoss: branch must be 'base' or 'supp', "
                             f'got {branch!r}')
        check_range('loss_weight', loss_weight, owner=type(self).__name__)
        self.branch = branch
        self.loss_weight = loss_weight
        self.scores_key = scores_key or f'video_scores_{branch}'

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        scores = get_required(outputs, self.scores_key, type(self).__name__)
        labels = get_required(targets, 'video_labels', type(self).__name__)
        return self.loss_weight * video_mil_loss(scores, labels,
                                                 self.branch == 'base')


@MODELS.register_module()
class FilterL1Loss(nn.Module):
    """Sparsity of the foreground weights: mean over videos of ``||w||_1``.

    Args:
        loss_weight (float): Defaults to 1e-4.
        weights_key (str): Defaults to ``'fg_weights'`` ``(B, 1, T)``.
    """

    def __init__(self, loss_weight: float = 1e-4,
                 weights_key: str = 'fg_weights') -> None:
        super().__init__()
        check_range('loss_weight', loss_weight, owner=type(self).__name__)
        self.loss_weight = loss_weight
        self.weights_key = weights_key

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        w = get_required(outputs, self.weights_key, type(self).__name__)
        return self.loss_weight * w.abs().flatten(1).sum(1).mean()


def foreground_mil_loss(cas: torch.Tensor, video_labels: torch.Tensor,
                        topk_ratio: float = 0.125) -> torch.Tensor:
    """Top-k MIL on the action classes only (background excluded).

    ``L = -1/B sum_b sum_c y~_bc log softmax(topk_mean(CAS_b[:C]))_c`` with
    ``y~ = y / sum(y)``; videos without labels contribute 0.
    """
    num_classes = video_labels.shape[1]
    scores = topk_mean(cas[:, :num_classes], topk_ratio)
    y = video_labels.to(scores.dtype)
    target = y / y.sum(1, keepdim=True).clamp(min=1e-12)
    return -(target * F.log_softmax(scores, dim=1)).sum(1).mean()


@MODELS.register_module()
class ForegroundMILLoss(TopKCASLoss):
    """The adversarial model's foreground (action) loss.

    Args:
        topk_ratio (float): Defaults to 0.125.
        loss_weight (float): Defaults to 1.0.
        cas_key (str): Defaults to ``'cas_base'``.
    """

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        return self.loss_weight * foreground_mil_loss(
            get_required(outputs, self.cas_key, name),
            get_required(targets, 'video_labels', name), self.topk_ratio)
