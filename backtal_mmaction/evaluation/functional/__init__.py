from .detection_map import (DEFAULT_TIOU_THRESHOLDS, TIOU_RANGES,
                            ambiguous_prediction_mask,
                            average_precision_curve, check_tiou_thresholds,
                            detection_ap, dump_activitynet_results,
                            evaluate_detections, format_detection_table,
                            format_tiou, load_activitynet_gt,
                            load_activitynet_results, load_ambiguous_segments,
                            temporal_iou, tiou_ranges)
from .subsets import check_videos_in_subset, infer_subset

__all__ = [
    'DEFAULT_TIOU_THRESHOLDS', 'temporal_iou', 'average_precision_curve',
    'check_tiou_thresholds', 'detection_ap', 'evaluate_detections',
    'format_detection_table', 'format_tiou', 'load_activitynet_results',
    'dump_activitynet_results', 'load_activitynet_gt', 'TIOU_RANGES',
    'tiou_ranges', 'load_ambiguous_segments', 'ambiguous_prediction_mask',
    'check_videos_in_subset', 'infer_subset'
]
