"""Adversarial whole-video-as-background learning (Li et al., ACM MM 2022).

Reconstructed from the paper's description (no public code exists): with
video-level labels only, a background-classification loss forces the whole
video to be regarded as background, while a foreground loss asks the model
to find the action snippets anyway; their competition leaves action scores
high only where the evidence is strong. A background gradient reinforcement
strengthens the background loss's gradient during back-propagation.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS

from backtal_mmaction.utils import check_range

from ..heads.topk_mil_head import topk_mean
from .gradient_reinforce import scale_gradient
from .utils import get_required

MODES = ('video', 'snippet')
REINFORCE = ('background', 'all')


def reinforce_background_row(scores: torch.Tensor, factor: float,
                             rows: str = 'background') -> torch.Tensor:
    """Scale the backward of the background row (index -1 of dim 1), or of
    all rows, by ``factor``; forward values unchanged."""
    if rows == 'all':
        return scale_gradient(scores, factor)
    return torch.cat([scores[:, :-1], scale_gradient(scores[:, -1:], factor)],
                     dim=1)


def whole_video_background_loss(cas: torch.Tensor, mode: str = 'video',
                                topk_ratio: float = 0.125,
                                factor: float = 1.0,
                                rows: str = 'background') -> torch.Tensor:
    """Cross-entropy of the video (or of every snippet) against background.

    ``mode='video'``:   ``L = -1/B sum_b log softmax(g(s_b))_bg`` with the
    top-k video scores ``s_b = topk_mean(CAS_b)`` ``(C+1,)``.
    ``mode='snippet'``: ``L = -1/(BT) sum_{b,t} log softmax(g(CAS_b[:, t]))_bg``.
    ``g`` is the identity whose backward is scaled by ``factor`` on the
    background row (``rows='background'``) or on every row (``'all'``).

    Args:
        cas (Tensor): ``(B, C+1, T)`` logits, background last.

    Returns:
        Tensor: scalar.
    """
    scores = cas if mode == 'snippet' else topk_mean(cas, topk_ratio)
    scores = reinforce_background_row(scores, factor, rows)
    return -F.log_softmax(scores, dim=1)[:, -1].mean()


@MODELS.register_module()
class WholeVideoBackgroundLoss(nn.Module):
    """Force the whole video to be background, with gradient reinforcement.

    Args:
        mode (str): ``'video'`` (aggregated top-k video scores, default) or
            ``'snippet'`` (every snippet).
        topk_ratio (float): r of the video aggregation, in ``(0, 1]``.
        reinforce_factor (float): Backward scale ``>= 1`` of the background
            gradient (the paper's gradient reinforcement). Defaults to 2.
        reinforce_rows (str): ``'background'`` (only the background logit's
            gradient, default) or ``'all'``.
        loss_weight (float): Defaults to 1.0.
        cas_key (str): Defaults to ``'cas_base'``.
    """

    def __init__(self, mode: str = 'video', topk_ratio: float = 0.125,
                 reinforce_factor: float = 2.0,
                 reinforce_rows: str = 'background', loss_weight: float = 1.0,
                 cas_key: str = 'cas_base') -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'WholeVideoBackgroundLoss: mode {mode!r} not in '
                             f'{MODES}')
        if reinforce_rows not in REINFORCE:
            raise ValueError(f'WholeVideoBackgroundLoss: reinforce_rows '
                             f'{reinforce_rows!r} not in {REINFORCE}')
        owner = type(self).__name__
        check_range('topk_ratio', topk_ratio, 0, 1, low_open=True,
                    owner=owner)
        check_range('reinforce_factor', reinforce_factor, 1, owner=owner)
        check_range('loss_weight', loss_weight, owner=owner)
        self.mode = mode
        self.topk_ratio = topk_ratio
        self.reinforce_factor = reinforce_factor
        self.reinforce_rows = reinforce_rows
        self.loss_weight = loss_weight
        self.cas_key = cas_key

    def forward(self, outputs: dict, targets: dict) -> torch.Tensor:
        cas = get_required(outputs, self.cas_key, type(self).__name__)
        return self.loss_weight * whole_video_background_loss(
            cas, self.mode, self.topk_ratio, self.reinforce_factor,
            self.reinforce_rows)
