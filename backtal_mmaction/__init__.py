"""backtal_mmaction: click-supervised temporal action localization for MMAction2.

Importing this package registers every component (datasets, transforms,
models, losses, metrics, hooks) into MMAction2's registries, so a config only
needs::

    custom_imports = dict(imports=['backtal_mmaction'], allow_failed_imports=False)
    default_scope = 'mmaction'
"""
import sys
import warnings

from .version import __version__


def _import_mmcv_transformer_quietly() -> None:
    """Import ``mmcv.cnn.bricks.transformer`` without its mmcv-lite warning.

    mmcv-lite (what MMAction2 1.1 runs on here: mmcv < 2.1 without compiled
    ops) warns "Fail to import ``MultiScaleDeformableAttention``" on every
    run, from a module that MMAction2's model imports pull in. The plugin
    never uses that op, so exactly that warning is silenced, once, at the
    first import; every other warning (and the filters of the process) stay
    as they are. Under full mmcv the module imports without the warning.
    """
    name = 'mmcv.cnn.bricks.transformer'
    if name in sys.modules:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings(
            'ignore',
            message='Fail to import ``MultiScaleDeformableAttention``',
            category=UserWarning)
        try:
            __import__(name)
        except ImportError:  # no mmcv at all: the real imports will say so
            pass


_import_mmcv_transformer_quietly()

from . import datasets, engine, evaluation, models  # noqa: F401,E402 (registration)

__all__ = ['__version__']
