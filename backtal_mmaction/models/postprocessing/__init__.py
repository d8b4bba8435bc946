from .anchor_free_postprocessor import AnchorFreePostProcessor
from .backtal_postprocessor import BackTALPostProcessor
from .base import BasePostProcessor
from .nms import segment_iou, soft_nms, temporal_nms
from .proposals import (Proposals, contrast_scores, find_runs,
                        magnitude_proposals, minmax_normalize,
                        threshold_proposals, upsample_linear,
                        video_class_probs)

__all__ = [
    'AnchorFreePostProcessor', 'BackTALPostProcessor', 'BasePostProcessor',
    'Proposals',
    'contrast_scores', 'find_runs', 'magnitude_proposals',
    'minmax_normalize', 'segment_iou', 'soft_nms', 'temporal_nms',
    'threshold_proposals', 'upsample_linear', 'video_class_probs'
]
