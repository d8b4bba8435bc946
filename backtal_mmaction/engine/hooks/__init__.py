"""Hooks of the plugin's workflow tools (registered in ``HOOKS``)."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .cas_visualization_hook import CASVisualizationHook
from .checkpoint_compat_hook import CheckpointCompatibilityHook
from .raw_outputs import (SaveRawOutputsHook, attach_raw_consumer,
                          detach_raw_consumer)
from .rng_state_hook import RNGStateHook
from .test_speed_hook import TestSpeedHook

__all__ = [
    'AtomicCheckpointHook', 'CASVisualizationHook',
    'CheckpointCompatibilityHook', 'RNGStateHook', 'SaveRawOutputsHook',
    'TestSpeedHook', 'attach_raw_consumer', 'detach_raw_consumer'
]
