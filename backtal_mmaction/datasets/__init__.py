from . import transforms  # noqa: F401
from .click_tal_dataset import ClickTALDataset
from .clicks import (convert_thumos_csv, dump_click_file, load_click_file,
                     merge_click_files, simulate_clicks, validate_clicks)
from .synthetic import generate_synthetic_benchmark

__all__ = [
    'ClickTALDataset', 'convert_thumos_csv', 'dump_click_file',
    'generate_synthetic_benchmark', 'load_click_file', 'merge_click_files',
    'simulate_clicks', 'validate_clicks'
]
