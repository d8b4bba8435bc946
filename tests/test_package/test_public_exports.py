"""The point-label converters and the feature-extraction API are importable
from their subpackages' top level, as the same objects as in their modules."""
import backtal_mmaction.apis as apis
import backtal_mmaction.apis.feature_extraction as feature_extraction
import backtal_mmaction.datasets as datasets
import backtal_mmaction.datasets.point_label_formats as point_label_formats
import backtal_mmaction.datasets.synthetic as synthetic

FEATURE_EXTRACTION = ('FEATURE_LAYOUTS', 'collect_videos',
                      'extract_features_to_dir',
                      'extract_features_with_recognizers',
                      'extract_video_features', 'rawframes_input',
                      'save_video_features', 'snippet_frame_indices',
                      'split_test_pipeline')
POINT_LABELS = ('POINT_LABEL_FORMATS', 'convert_aapl_csv', 'convert_lacp_csv',
                'convert_point_label_files', 'convert_point_labels',
                'convert_sfnet_txt')


def test_apis_exports_feature_extraction():
    from backtal_mmaction.apis import (  # noqa: F401
        FEATURE_LAYOUTS, collect_videos, extract_features_to_dir,
        extract_features_with_recognizers, extract_video_features,
        rawframes_input, save_video_features, snippet_frame_indices,
        split_test_pipeline)
    for name in FEATURE_EXTRACTION:
        assert name in apis.__all__, name
        assert getattr(apis, name) is getattr(feature_extraction, name)
    assert FEATURE_LAYOUTS == ('npy', 'official')


def test_datasets_exports_point_label_converters():
    from backtal_mmaction.datasets import (  # noqa: F401
        POINT_LABEL_FORMATS, SyntheticBenchmarkConfig, convert_aapl_csv,
        convert_lacp_csv, convert_point_label_files, convert_point_labels,
        convert_sfnet_txt)
    for name in POINT_LABELS:
        assert name in datasets.__all__, name
        assert getattr(datasets, name) is getattr(point_label_formats, name)
    assert POINT_LABEL_FORMATS == ('lacp', 'sfnet', 'aapl', 'backtal')
    assert SyntheticBenchmarkConfig is synthetic.SyntheticBenchmarkConfig
    assert 'SyntheticBenchmarkConfig' in datasets.__all__
    # Every name in __all__ exists (no stale entry).
    for module in (apis, datasets):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
