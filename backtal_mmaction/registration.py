"""Import this module to register every component of the plugin (datasets,
transforms, models, losses, post-processors, metrics, hooks, the CPU
autocast optimizer wrapper) in MMAction2's registries. A config names it::

    custom_imports = dict(imports=['backtal_mmaction.registration'],
                          allow_failed_imports=False)
    default_scope = 'mmaction'

and Python code calls :func:`backtal_mmaction.register_all_modules`, which
imports it (MMAction2's ``register_all_modules`` idiom). The package
itself (``import backtal_mmaction``) registers nothing and imports no
torch, so the data tools and ``--help`` stay light.
"""
import sys
import warnings


def _import_mmcv_transformer_quietly() -> None:
    """Import ``mmcv.cnn.bricks.transformer`` without its mmcv-lite warning.

    mmcv-lite (what MMAction2 1.1 runs on here: mmcv < 2.1 without compiled
    ops) warns "Fail to import ``MultiScaleDeformableAttention``" on every
    run, from a module that MMAction2's model imports pull in. The plugin
    never uses that op, so exactly that warning is silenced, once, before
    the first model import; every other warning (and the filters of the
    process) stay as they are. Under full mmcv the module imports without
    the warning.
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

# Each import registers its classes by their decorators.
from .datasets import click_tal_dataset, transforms  # noqa: F401,E402
from .evaluation import metrics  # noqa: F401,E402
from . import engine, models  # noqa: F401,E402
