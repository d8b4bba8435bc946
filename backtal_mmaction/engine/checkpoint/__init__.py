"""Checkpoints: safe loading (:mod:`.loading`), the model-match check
(:mod:`.compat`), the official BackTAL weights (:mod:`.official`) and the
published form of a trained model (:mod:`.publish`).

Saving is the Runner's, made crash-safe by
:class:`~backtal_mmaction.engine.hooks.AtomicCheckpointHook`.
"""
from .compat import (CheckpointMismatchError, check_checkpoint_compatible,
                     compare_state_dicts, without_ddp_prefix)
from .loading import (CheckpointReadError, UnsafeCheckpointError,
                      allow_checkpoint_globals, check_checkpoint_file,
                      load_checkpoint_file, safe_checkpoint_globals)
from .official import convert_official_state_dict
from .publish import publish_checkpoint

__all__ = [
    'CheckpointMismatchError', 'CheckpointReadError', 'UnsafeCheckpointError',
    'allow_checkpoint_globals', 'check_checkpoint_compatible',
    'check_checkpoint_file', 'compare_state_dicts',
    'convert_official_state_dict', 'load_checkpoint_file',
    'publish_checkpoint', 'safe_checkpoint_globals', 'without_ddp_prefix'
]
