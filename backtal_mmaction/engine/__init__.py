from .checkpoint import (CheckpointReadError, UnsafeCheckpointError, load_checkpoint_file,
                         register_safe_checkpoint_loader,
                         safe_checkpoint_globals)
from .official_checkpoint import convert_official_state_dict
from . import hooks  # noqa: F401  (registers the workflow hooks)

# Importing the plugin (custom_imports) makes load_from / --resume / test
# work under torch >= 2.6's weights_only=True loading.
register_safe_checkpoint_loader()

__all__ = [
    'CheckpointReadError', 'UnsafeCheckpointError', 'convert_official_state_dict', 'load_checkpoint_file',
    'register_safe_checkpoint_loader', 'safe_checkpoint_globals'
]
