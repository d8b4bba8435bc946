from .inference import (build_dataset, init_localizer, predict_dataset,
                        training_videos_dataset_cfg)
from .localize import (collect_feature_files, filter_detections,
                       inference_localizer, resolve_class_names,
                       video_timing)
from .pseudo_labels import (PseudoLabelRules, build_pseudo_gt,
                            cover_action_clicks, cut_at_background_clicks,
                            generate_pseudo_gt, pseudo_label_video,
                            sample_record, select_detections)
from .two_stage import load_stage1_config, run_two_stage, stage2_config

__all__ = [
    'build_dataset', 'init_localizer', 'predict_dataset',
    'training_videos_dataset_cfg', 'inference_localizer',
    'collect_feature_files', 'filter_detections', 'resolve_class_names',
    'video_timing', 'generate_pseudo_gt', 'sample_record',
    'PseudoLabelRules', 'build_pseudo_gt', 'cover_action_clicks',
    'cut_at_background_clicks', 'pseudo_label_video', 'select_detections',
    'load_stage1_config', 'run_two_stage', 'stage2_config'
]
