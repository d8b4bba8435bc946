"""Shared constructor of the losses that pool the top-k snippets of one CAS."""
import torch.nn as nn

from backtal_mmaction.utils import check_range


class TopKCASLoss(nn.Module):
    """Base of a loss on one class activation sequence ``(B, C + 1, T)`` of
    the model outputs (``outputs[cas_key]``), pooled over its top
    ``max(1, floor(T * topk_ratio))`` snippets (``topk_mean``). Subclasses
    define ``forward(outputs, targets)`` and document their defaults.

    Args:
        topk_ratio (float): Share of the snippets pooled, in ``(0, 1]``.
            Defaults to 0.125.
        loss_weight (float): Multiplies the loss (a finite number).
            Defaults to 1.0.
        cas_key (str): Output key of the CAS. Defaults to ``'cas_base'``.
    """

    def __init__(self, topk_ratio: float = 0.125, loss_weight: float = 1.0,
                 cas_key: str = 'cas_base') -> None:
        super().__init__()
        owner = type(self).__name__
        check_range('topk_ratio', topk_ratio, 0, 1, low_open=True,
                    owner=owner)
        check_range('loss_weight', loss_weight, owner=owner)
        self.topk_ratio = topk_ratio
        self.loss_weight = loss_weight
        self.cas_key = cas_key
