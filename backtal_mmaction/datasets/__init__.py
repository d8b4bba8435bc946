"""Data of the plugin: the GT and click formats, the synthetic benchmark
and the point-label converters (numpy only, imported here), and the
registered dataset and transforms (:class:`ClickTALDataset`,
:mod:`.transforms`; MMEngine and torch, imported on first use or by
:mod:`backtal_mmaction.registration`), so the data tools load no torch.
"""
import importlib

from .clicks import (convert_thumos_csv, dump_click_file, load_click_file,
                     merge_click_files, simulate_clicks, validate_clicks)
from .point_label_formats import (POINT_LABEL_FORMATS, convert_aapl_csv,
                                  convert_lacp_csv, convert_point_label_files,
                                  convert_point_labels, convert_sfnet_txt)
from .synthetic import SyntheticBenchmarkConfig, generate_synthetic_benchmark

# Registered (MMEngine / torch) parts, resolved on first access (PEP 562).
_LAZY = {'ClickTALDataset': '.click_tal_dataset', 'transforms': '.transforms'}

__all__ = [
    'ClickTALDataset', 'convert_thumos_csv', 'dump_click_file',
    'generate_synthetic_benchmark', 'load_click_file', 'merge_click_files',
    'simulate_clicks', 'validate_clicks', 'POINT_LABEL_FORMATS',
    'convert_aapl_csv', 'convert_lacp_csv', 'convert_point_label_files',
    'convert_point_labels', 'convert_sfnet_txt', 'SyntheticBenchmarkConfig'
]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    module = importlib.import_module(_LAZY[name], __name__)
    return module if name == 'transforms' else getattr(module, name)
