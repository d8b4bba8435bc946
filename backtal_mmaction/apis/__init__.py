from .feature_extraction import (FEATURE_LAYOUTS, collect_videos,
                                 extract_features_to_dir,
                                 extract_features_with_recognizers,
                                 extract_video_features, rawframes_input,
                                 save_video_features, snippet_frame_indices,
                                 split_test_pipeline)
from .infer import localize_feature_files
from .inference import (build_dataset, init_localizer, predict_dataset,
                        split_as_test_dataset_cfg,
                        training_videos_dataset_cfg)
from .localize import (collect_feature_files, filter_detections,
                       inference_localizer, resolve_class_names,
                       video_timing)
from .postprocess_raw import (load_raw_dir, postprocess_raw_outputs,
                              postprocess_records)
from .pseudo_gt_file import write_pseudo_gt
from .pseudo_labels import (PseudoLabelRules, build_pseudo_gt,
                            cover_action_clicks, cut_at_background_clicks,
                            generate_pseudo_gt, pseudo_label_video,
                            sample_record, select_detections)
from .test import build_test_cfg, test_localizer
from .train import build_train_cfg, train_localizer
from .two_stage import load_stage1_config, run_two_stage, stage2_config
from .two_stage_report import format_stage_metrics, run_two_stage_config
from .visualize_cas import (build_split_dataset, draw_cas_figures,
                            select_indices)

__all__ = [
    'FEATURE_LAYOUTS', 'collect_videos', 'extract_features_to_dir',
    'extract_features_with_recognizers', 'extract_video_features',
    'rawframes_input', 'save_video_features', 'snippet_frame_indices',
    'split_test_pipeline',
    'build_dataset', 'init_localizer', 'predict_dataset',
    'split_as_test_dataset_cfg', 'training_videos_dataset_cfg',
    'inference_localizer',
    'collect_feature_files', 'filter_detections', 'resolve_class_names',
    'video_timing', 'generate_pseudo_gt', 'sample_record',
    'PseudoLabelRules', 'build_pseudo_gt', 'cover_action_clicks',
    'cut_at_background_clicks', 'pseudo_label_video', 'select_detections',
    'load_stage1_config', 'run_two_stage', 'stage2_config',
    'build_train_cfg', 'train_localizer', 'build_test_cfg', 'test_localizer',
    'load_raw_dir', 'postprocess_records', 'postprocess_raw_outputs',
    'localize_feature_files', 'build_split_dataset', 'draw_cas_figures',
    'select_indices', 'write_pseudo_gt', 'format_stage_metrics',
    'run_two_stage_config'
]
