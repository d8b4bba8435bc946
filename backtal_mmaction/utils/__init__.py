"""Conventions shared by every layer of the plugin (one home each).

This package is the bottom of the import graph: it imports nothing from
``datasets``, ``models``, ``evaluation`` or ``engine`` and never imports
torch at module level, so the metric and the data tools stay torch-free.
"""
from .arrays import to_numpy
from .checks import (check_count, check_counts, check_flag, check_flags,
                     check_number, check_range, check_seed, is_finite_number)
from .constants import CLICK_TYPES, IGNORE_INDEX
from .file_io import atomic_replace, atomic_write, check_output_path
from .snippets import snippet_times

__all__ = [
    'CLICK_TYPES', 'IGNORE_INDEX', 'atomic_replace', 'atomic_write',
    'check_count', 'check_counts', 'check_flag', 'check_flags',
    'check_number', 'check_output_path',
    'check_range', 'check_seed', 'is_finite_number', 'snippet_times',
    'to_numpy'
]
