"""Error analysis of temporal detections (DETAD: false positives and
sensitivity to the characteristics of the GT)."""
from .false_positives import (ERROR_NAMES, ERROR_TYPES, classify_detections,
                              diagnose_false_positives, format_error_table,
                              map_from_flags)
from .sensitivity import (CHARACTERISTIC_BINS, CHARACTERISTICS,
                          format_sensitivity_table, sensitivity_analysis)

__all__ = [
    'ERROR_NAMES', 'ERROR_TYPES', 'classify_detections',
    'diagnose_false_positives', 'format_error_table', 'map_from_flags',
    'CHARACTERISTIC_BINS', 'CHARACTERISTICS', 'sensitivity_analysis',
    'format_sensitivity_table'
]
