"""Runner-side parts of the plugin: safe checkpoint loading, the workflow
hooks (registered in ``HOOKS``), checkpoint conversion and tool helpers.

Importing it changes no MMEngine or torch global: checkpoint loading goes
through :func:`load_checkpoint_file` and, inside a Runner, through
:class:`~backtal_mmaction.engine.hooks.CheckpointCompatibilityHook`.
"""
from .checkpoint import (CheckpointReadError, UnsafeCheckpointError,
                         allow_checkpoint_globals, check_checkpoint_file,
                         load_checkpoint_file, safe_checkpoint_globals)
from .official_checkpoint import convert_official_state_dict
from . import hooks  # noqa: F401  (registers the workflow hooks)
# registers CPUAutocastOptimWrapper, so a config that names it builds
# without --amp's custom_imports
from . import amp  # noqa: F401,E402

__all__ = [
    'CheckpointReadError', 'UnsafeCheckpointError',
    'allow_checkpoint_globals', 'check_checkpoint_file',
    'convert_official_state_dict', 'load_checkpoint_file',
    'safe_checkpoint_globals'
]
