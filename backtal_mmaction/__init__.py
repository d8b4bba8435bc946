"""backtal_mmaction: click-supervised temporal action localization for MMAction2.

Importing the package is light (no torch, no MMEngine) and registers
nothing. A config registers the plugin's components with::

    custom_imports = dict(imports=['backtal_mmaction.registration'],
                          allow_failed_imports=False)
    default_scope = 'mmaction'

and Python code with :func:`register_all_modules` (MMAction2's idiom).
"""
from .utils.setup_env import register_all_modules
from .version import __version__

__all__ = ['__version__', 'register_all_modules']
