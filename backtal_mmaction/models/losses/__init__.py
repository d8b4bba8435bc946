from .affinity_loss import (AffinityEmbeddingLoss, affinity_hinge_loss,
                            topk_foreground_mask)
from .click_loss import (BackgroundClickLoss, ClickLoss, SigmoidClickLoss,
                         click_cross_entropy)
from .focal_loss import PointFocalLoss, sigmoid_focal_loss
from .iou_loss import PointDIoULoss, segment_iou_from_offsets
from .gradient_reinforce import GradientReinforce, scale_gradient
from .mil_loss import (FilterL1Loss, ForegroundMILLoss, VideoMILLoss,
                       foreground_mil_loss, video_mil_loss)
from .score_separation_loss import ScoreSeparationLoss, score_separation
from .utils import IGNORE_INDEX
from .whole_video_background_loss import (WholeVideoBackgroundLoss,
                                          whole_video_background_loss)

__all__ = [
    'AffinityEmbeddingLoss', 'BackgroundClickLoss', 'ClickLoss', 'FilterL1Loss',
    'ScoreSeparationLoss', 'VideoMILLoss', 'affinity_hinge_loss',
    'click_cross_entropy', 'score_separation', 'topk_foreground_mask',
    'video_mil_loss', 'IGNORE_INDEX', 'GradientReinforce', 'scale_gradient',
    'ForegroundMILLoss', 'WholeVideoBackgroundLoss', 'foreground_mil_loss',
    'whole_video_background_loss', 'SigmoidClickLoss', 'PointFocalLoss',
    'sigmoid_focal_loss', 'PointDIoULoss', 'segment_iou_from_offsets'
]
