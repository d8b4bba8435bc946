from . import transforms  # noqa: F401
from .click_tal_dataset import ClickTALDataset
from .clicks import (convert_thumos_csv, dump_click_file, load_click_file,
                     merge_click_files, simulate_clicks, validate_clicks)
from .point_label_formats import (POINT_LABEL_FORMATS, convert_aapl_csv,
                                  convert_lacp_csv, convert_point_label_files,
                                  convert_point_labels, convert_sfnet_txt)
from .synthetic import SyntheticBenchmarkConfig, generate_synthetic_benchmark

__all__ = [
    'ClickTALDataset', 'convert_thumos_csv', 'dump_click_file',
    'generate_synthetic_benchmark', 'load_click_file', 'merge_click_files',
    'simulate_clicks', 'validate_clicks', 'POINT_LABEL_FORMATS',
    'convert_aapl_csv', 'convert_lacp_csv', 'convert_point_label_files',
    'convert_point_labels', 'convert_sfnet_txt', 'SyntheticBenchmarkConfig'
]
