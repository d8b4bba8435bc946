"""backtal_mmaction: click-supervised temporal action localization for MMAction2.

Importing this package registers every component (datasets, transforms,
models, losses, metrics, hooks) into MMAction2's registries, so a config only
needs::

    custom_imports = dict(imports=['backtal_mmaction'], allow_failed_imports=False)
    default_scope = 'mmaction'
"""
from .version import __version__
from . import datasets, engine, evaluation, models  # noqa: F401  (registration)

__all__ = ['__version__']
