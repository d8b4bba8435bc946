"""Position modeling: score separation between actions and clicked background."""
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS

from ..heads.topk_mil_head import topk_mean
from .base import TopKCASLoss
from .utils import get_required, masked_mean


def score_separation(cas: torch.Tensor, click_labels: torch.Tensor,
                     video_labels: torch.Tensor,
                     topk_ratio: float = 0.125) -> torch.Tensor:
    """``softplus(s_bg - s_fg)`` averaged over GT classes, then videos.

    For video b and GT class c: ``s_bg`` is the mean of ``cas[b, c]`` at the
    background clicks, ``s_fg`` the mean of its top-k values
    (``k = floor(topk_ratio * T)``). Videos without background clicks or
    without labels do not contribute.

    Args:
        cas (Tensor): ``(B, C+1, T)`` base-branch CAS.
        click_labels (Tensor): ``(B, T)``; background clicks hold C.
        video_labels (Tensor): ``(B, C)`` multi-hot.
        topk_ratio (float): r of ``s_fg``.

    Returns:
        Tensor: scalar (0 with grad if no video qualifies).
    """
    num_classes = cas.shape[1] - 1
    act_cas = cas[:, :num_classes]
    bg_mask = (click_labels == num_classes).to(cas.dtype)  # (B, T)
    n_bg = bg_mask.sum(1)  # (B,)
    s_bg = (act_cas * bg_mask[:, None]).sum(-1) / n_bg.clamp(min=1)[:, None]
    s_fg = topk_mean(act_cas, topk_ratio)
    y = video_labels.to(cas.dtype)
    per_video = masked_mean(F.softplus(s_bg - s_fg), y, dim=1)  # (B,)
    valid = (n_bg > 0) & (y.sum(1) > 0)
    return masked_mean(per_video, valid)


@MODELS.register_module()
class ScoreSeparationLoss(TopKCASLoss):
    """BackTAL's score separation module as a loss.

    Args:
        topk_ratio (float): 0.125 (THUMOS14) / 0.2 (ActivityNet1.2, HACS).
        loss_weight (float): 1 (THUMOS14) / 0.1 (ActivityNet1.2, HACS).
        cas_key (str): Defaults to ``'cas_base'``.
    """

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        name = type(self).__name__
        return self.loss_weight * score_separation(
            get_required(outputs, self.cas_key, name),
            get_required(targets, 'click_labels', name),
            get_required(targets, 'video_labels', name), self.topk_ratio)
