"""Analytic FLOP count of the convolutions a forward pass runs."""
from typing import Callable

import torch
import torch.nn as nn

from ..models.backbones.affinity_conv import AffinityConv1d


class ConvFlopCounter:
    """Forward FLOPs of every ``nn.Conv1d`` / :class:`AffinityConv1d` call
    (``2 * B * T_out * C_out * C_in / groups * k``), via forward hooks.

    An :class:`AffinityConv1d` counts as a plain ``k = 3`` conv (its
    element-wise affinity work is not counted).
    """

    def __init__(self, model: nn.Module) -> None:
        self.flops = 0
        self.handles = []
        for m in model.modules():
            if isinstance(m, (nn.Conv1d, AffinityConv1d)):
                self.handles.append(m.register_forward_hook(self._hook))

    def _hook(self, module, inputs, output):
        x = inputs[0]
        if isinstance(module, nn.Conv1d):
            k = module.kernel_size[0]
            cin = module.in_channels // module.groups
        else:
            k, cin = 3, module.in_channels
        self.flops += 2 * x.shape[0] * output.shape[-1] * output.shape[1] \
            * cin * k

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def count_forward_flops(fn: Callable[[], object], model: nn.Module) -> int:
    """Conv FLOPs of one ``fn()`` (run once, without gradients)."""
    counter = ConvFlopCounter(model)
    try:
        with torch.no_grad():
            fn()
    finally:
        counter.remove()
    return counter.flops
