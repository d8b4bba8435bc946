"""Click annotations: file schema and I/O (:mod:`.schema`, :mod:`.io`),
checks against the GT (:mod:`.ground_truth`), the THUMOS14 CSV
(:mod:`.thumos_csv`), simulation (:mod:`.simulation`) and statistics
(:mod:`.statistics`). Segment geometry lives in :mod:`..segments`.

A *click* is a single time stamp (in seconds) that an annotator marked in a
video, either on background (BackTAL's background click) or on an action
(SF-Net's action click, which also carries the class). In memory, a click
file is a ``dict[str, list[dict]]`` mapping video name to clicks
``{'time': float, 'type': str, 'label': str | None, 'annotator': str}``.
"""
from ...utils import CLICK_TYPES
from ..segments import background_gaps, merge_segments, points_in_segments
from .ground_truth import load_ground_truth, validate_clicks, video_gt_segments
from .heldout import HELDOUT_KEEP, heldout_videos
from .io import dump_click_file, load_click_file, merge_click_files, sort_clicks
from .schema import (CLICK_FILE_VERSION, Click, Clicks, PathLike,
                     normalize_click, normalize_clicks, parse_clicks)
from .simulation import is_count, simulate_clicks
from .statistics import click_statistics, format_click_summary
from .thumos_csv import (THUMOS14_CLASSES, THUMOS_BACKGROUND_TAGS,
                         THUMOS_CSV_REQUIRED_COLUMNS, convert_thumos_csv)

__all__ = [
    'CLICK_FILE_VERSION', 'CLICK_TYPES', 'THUMOS14_CLASSES', 'load_click_file',
    'parse_clicks', 'validate_clicks', 'dump_click_file', 'merge_click_files',
    'convert_thumos_csv', 'simulate_clicks', 'background_gaps',
    'merge_segments', 'points_in_segments', 'click_statistics',
    'video_gt_segments', 'load_ground_truth', 'THUMOS_BACKGROUND_TAGS',
    'THUMOS_CSV_REQUIRED_COLUMNS', 'Click', 'Clicks', 'PathLike',
    'normalize_click', 'normalize_clicks', 'sort_clicks', 'is_count',
    'format_click_summary', 'HELDOUT_KEEP', 'heldout_videos'
]
