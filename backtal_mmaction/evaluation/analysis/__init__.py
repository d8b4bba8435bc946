"""Error analysis of temporal detections (DETAD-style false positives)."""
from .false_positives import (ERROR_NAMES, ERROR_TYPES, classify_detections,
                              diagnose_false_positives, format_error_table,
                              map_from_flags)

__all__ = [
    'ERROR_NAMES', 'ERROR_TYPES', 'classify_detections',
    'diagnose_false_positives', 'format_error_table', 'map_from_flags'
]
