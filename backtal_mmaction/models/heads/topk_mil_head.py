"""Snippet classifier with a background class and top-k MIL pooling."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmengine.model import BaseModule

from backtal_mmaction.utils import check_counts, check_range


def topk_ratio_to_k(num_snippets: int, ratio: float) -> int:
    """``k = floor(ratio * T)``, at least 1 (short videos still get a score)."""
    return max(1, int(ratio * num_snippets))


def topk_mean(cas: torch.Tensor, ratio: float) -> torch.Tensor:
    """Mean of the ``floor(ratio * T)`` largest values along time.

    Args:
        cas (Tensor): ``(B, K, T)``.
        ratio (float): Top-k ratio r.

    Returns:
        Tensor: ``(B, K)``.
    """
    k = topk_ratio_to_k(cas.shape[-1], ratio)
    return cas.topk(k, dim=-1).values.mean(-1)


@MODELS.register_module()
class TopKMILHead(BaseModule):
    """``1x1 conv H -> C+1`` (no bias) giving the CAS; top-k video scores.

    Background is class index ``num_classes`` (the last row of the CAS).

    Args:
        in_channels (int): H.
        num_classes (int): Number of action classes C (without background).
        topk_ratio (float): r of the video score ``k = floor(r * T)``
            (0.125 THUMOS14, 0.6 ActivityNet1.2 / HACS).
        init_cfg (dict or list[dict], optional): MMEngine's weight
            initialization, e.g. ``dict(type='Pretrained',
            checkpoint=CKPT, prefix='cls_head.')`` to start from
            a trained model's part. Defaults to None (the
            layers' own initialization).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 topk_ratio: float = 0.125,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        check_counts(owner, in_channels=in_channels, num_classes=num_classes)
        check_range('topk_ratio', topk_ratio, 0, 1, low_open=True,
                    owner=owner)
        self.num_classes = num_classes
        self.topk_ratio = topk_ratio
        self.conv = nn.Conv1d(in_channels, num_classes + 1, 1, bias=False)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        """``(B, H, T)`` -> CAS ``(B, C+1, T)``, float32 (or wider) also
        under autocast: the CAS is small, and the top-k, the softmax of
        the video scores, every loss and the post-processing read it, so
        they all run in float32 (the matmul itself runs in the autocast
        dtype)."""
        # A 1x1 conv is a matmul. The backbone's features are channels-last
        # (strides (T*H, 1, H)); matmul reads them as a transposed operand,
        # where nn.Conv1d would first copy them to contiguous (forward and
        # backward, ~2.5% of a THUMOS14-size training step). The weight
        # stays in ``self.conv`` so checkpoints keep ``conv.weight``.
        cas = torch.matmul(self.conv.weight.squeeze(-1), feat)
        if cas.dtype in (torch.float16, torch.bfloat16):
            cas = cas.float()
        return cas

    def video_scores(self, cas: torch.Tensor) -> torch.Tensor:
        """CAS ``(B, C+1, T)`` -> video-level scores ``(B, C+1)``."""
        return topk_mean(cas, self.topk_ratio)
