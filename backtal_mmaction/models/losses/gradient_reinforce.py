"""Gradient reinforcement: identity forward, scaled backward."""
import torch
from mmaction.registry import MODELS
from torch import nn

from backtal_mmaction.utils import check_range


class _ScaleGradient(torch.autograd.Function):
    """``y = x``; ``dL/dx = factor * dL/dy``."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None


def scale_gradient(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Identity whose backward multiplies the incoming gradient by
    ``factor`` (``factor = 1`` is a no-op; ``factor = 0`` blocks it)."""
    if factor == 1:
        return x
    return _ScaleGradient.apply(x, float(factor))


@MODELS.register_module()
class GradientReinforce(nn.Module):
    """Module form of :func:`scale_gradient`, usable anywhere in a model.

    Args:
        factor (float): Backward scale, ``>= 1`` to reinforce.
    """

    def __init__(self, factor: float = 2.0) -> None:
        super().__init__()
        # >= 1: a reinforcement
        check_range('factor', factor, 1, owner=type(self).__name__)
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return scale_gradient(x, self.factor)
