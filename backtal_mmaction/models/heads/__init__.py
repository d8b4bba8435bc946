from .foreground_filter import ForegroundFilter
from .topk_mil_head import TopKMILHead, topk_mean, topk_ratio_to_k

__all__ = ['ForegroundFilter', 'TopKMILHead', 'topk_mean', 'topk_ratio_to_k']
