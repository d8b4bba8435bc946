"""The public names of each package are its entry points, importable from
the package top level as the same objects as in their modules; ``apis``
keeps to MMAction2's ``mmaction.apis`` shape (init / inference / dataset
prediction, train / test, feature extraction), the multi-step jobs are in
``workflows``."""
import importlib

import backtal_mmaction.apis as apis
import backtal_mmaction.datasets as datasets
import backtal_mmaction.datasets.point_label_formats as point_label_formats
import backtal_mmaction.datasets.synthetic as synthetic
import backtal_mmaction.pseudo_labels as pseudo_labels
import backtal_mmaction.workflows as workflows

POINT_LABELS = ('POINT_LABEL_FORMATS', 'convert_aapl_csv', 'convert_lacp_csv',
                'convert_point_label_files', 'convert_point_labels',
                'convert_sfnet_txt')
# package: {name: module it is defined in}
ENTRY_POINTS = {
    apis: dict(init_localizer='inference', inference_localizer='inference',
               predict_dataset='inference',
               localize_feature_files='inference', train_localizer='train',
               test_localizer='test', postprocess_raw_outputs='test',
               extract_features_to_dir='feature_extraction'),
    workflows: dict(run_two_stage='two_stage',
                    run_two_stage_config='two_stage',
                    generate_pseudo_gt='pseudo_gt',
                    write_pseudo_gt='pseudo_gt', run_ablation='ablation',
                    run_two_stage_ablation='ablation',
                    rerender_ablation='ablation',
                    draw_cas_figures='cas_figures'),
}


def test_apis_and_workflows_export_their_entry_points_only():
    for package, names in ENTRY_POINTS.items():
        assert sorted(package.__all__) == sorted(names), package.__name__
        for name, module in names.items():
            defined = importlib.import_module(f'{package.__name__}.{module}')
            assert getattr(package, name) is getattr(defined, name), name


def test_pseudo_label_rules_have_their_own_package():
    from backtal_mmaction.pseudo_labels import click_seeded, rules
    for name in pseudo_labels.__all__:
        obj = getattr(pseudo_labels, name)
        assert obj is getattr(rules, name, None) or \
            obj is getattr(click_seeded, name, None), name


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
    for module in (apis, datasets, pseudo_labels, workflows):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
