"""Data structures shared by every layer (like MMAction2's ``structures``).

Sits on the ``utils`` floor of the import graph: imports only NumPy and
:mod:`..utils`, so datasets, models and evaluation can all use it.
"""
from .segments import (TIOU_MODES, check_segments, check_tiou_mode,
                       pairwise_tiou, segment_iou, temporal_iou)

__all__ = [
    'TIOU_MODES', 'check_segments', 'check_tiou_mode', 'pairwise_tiou',
    'segment_iou', 'temporal_iou'
]
