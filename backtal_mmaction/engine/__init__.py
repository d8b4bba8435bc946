"""Runner-side parts of the plugin: checkpoints (:mod:`.checkpoint`), the
workflow hooks (:mod:`.hooks`, registered in ``HOOKS``) and the CPU
mixed-precision optimizer wrapper (:mod:`.amp`).

Importing it changes no MMEngine or torch global: checkpoint loading goes
through :func:`load_checkpoint_file` and, inside a Runner, through
:class:`~backtal_mmaction.engine.hooks.CheckpointCompatibilityHook`.
"""
from . import amp, hooks  # noqa: F401  (registration)
from .checkpoint import (CheckpointReadError, UnsafeCheckpointError,
                         allow_checkpoint_globals, check_checkpoint_file,
                         convert_official_state_dict, load_checkpoint_file,
                         safe_checkpoint_globals)

__all__ = [
    'CheckpointReadError', 'UnsafeCheckpointError',
    'allow_checkpoint_globals', 'check_checkpoint_file',
    'convert_official_state_dict', 'load_checkpoint_file',
    'safe_checkpoint_globals'
]
