"""Framework-free detection evaluation (ActivityNet protocol), by concept:

- :mod:`.tiou`: tIoU, thresholds and threshold ranges;
- :mod:`.detections`: the detection-dict layout (validation, flattening);
- :mod:`.matching`: greedy matching and the reference's tie rules;
- :mod:`.detection_map`: AP / mAP;
- :mod:`.ambiguous`: ambiguous-segment files and removal;
- :mod:`.tables`: text tables;
- :mod:`.activitynet_io`: result / GT JSON files;
- :mod:`.subsets`: which GT subset a result file belongs to;
- :mod:`.pseudo_label_quality`: pseudo-segments against the real GT;
- :mod:`.click_score`: a label-free check on held-out clicks.
"""
from .activitynet_io import (dump_activitynet_results, load_activitynet_gt,
                             load_activitynet_results)
from .ambiguous import ambiguous_prediction_mask, load_ambiguous_segments
from .click_score import click_score, compare_click_scores
from .detection_map import (average_precision_curve, detection_ap,
                            evaluate_detections)
from .pseudo_label_quality import (format_pseudo_label_quality,
                                   pseudo_label_quality)
from .subsets import check_videos_in_subset, infer_subset
from .tables import format_detection_table, format_tiou
from .tiou import (DEFAULT_TIOU_THRESHOLDS, TIOU_RANGES,
                   check_tiou_thresholds, temporal_iou, tiou_ranges)

__all__ = [
    'DEFAULT_TIOU_THRESHOLDS', 'temporal_iou', 'average_precision_curve',
    'check_tiou_thresholds', 'detection_ap', 'evaluate_detections',
    'format_detection_table', 'format_tiou', 'load_activitynet_results',
    'dump_activitynet_results', 'load_activitynet_gt', 'TIOU_RANGES',
    'tiou_ranges', 'load_ambiguous_segments', 'ambiguous_prediction_mask',
    'check_videos_in_subset', 'infer_subset', 'pseudo_label_quality',
    'format_pseudo_label_quality', 'click_score', 'compare_click_scores'
]
