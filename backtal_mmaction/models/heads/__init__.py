from .anchor_free_head import AnchorFreeHead
from .foreground_filter import ForegroundFilter
from .topk_mil_head import TopKMILHead, topk_mean, topk_ratio_to_k

__all__ = ['AnchorFreeHead', 'ForegroundFilter', 'TopKMILHead', 'topk_mean', 'topk_ratio_to_k']
