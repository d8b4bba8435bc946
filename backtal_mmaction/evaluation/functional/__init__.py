from .detection_map import (DEFAULT_TIOU_THRESHOLDS, average_precision_curve,
                            check_tiou_thresholds, detection_ap,
                            dump_activitynet_results, evaluate_detections,
                            format_detection_table, format_tiou,
                            load_activitynet_gt, load_activitynet_results,
                            temporal_iou)

__all__ = [
    'DEFAULT_TIOU_THRESHOLDS', 'temporal_iou', 'average_precision_curve',
    'check_tiou_thresholds', 'detection_ap', 'evaluate_detections',
    'format_detection_table', 'format_tiou', 'load_activitynet_results',
    'dump_activitynet_results', 'load_activitynet_gt'
]
