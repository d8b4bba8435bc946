"""MMAction2's ``mmaction.apis`` for localizers: build and run a model
(:mod:`.inference`), the train and test entry points (:mod:`.train`,
:mod:`.test`) and snippet features from videos with a recognizer
(:mod:`.feature_extraction`). Multi-step jobs (the two-stage pipeline,
pseudo-GT files, ablations, CAS figures) are in
:mod:`backtal_mmaction.workflows`."""
from .feature_extraction import extract_features_to_dir
from .inference import (inference_localizer, init_localizer,
                        localize_feature_files, predict_dataset)
from .test import postprocess_raw_outputs, test_localizer
from .train import train_localizer

__all__ = [
    'extract_features_to_dir', 'inference_localizer', 'init_localizer',
    'localize_feature_files', 'postprocess_raw_outputs', 'predict_dataset',
    'test_localizer', 'train_localizer'
]
