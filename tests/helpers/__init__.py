"""The tests' shared helpers (fixtures live in the ``conftest.py`` files):

- :mod:`~tests.helpers.paths`: ``REPO``, ``SHARED_DATA``;
- :mod:`~tests.helpers.configs`: ``shrink_cfg`` (the one config-shrinking
  function), ``retargeted_cfg``, ``synthetic_cfg``, ``build_runner``;
- :mod:`~tests.helpers.tool_runner`: ``run_tool`` (``python tools/X.py``
  in-process), ``subprocess_env``;
- :mod:`~tests.helpers.detections`: ``det`` (a detection dict from lists);
- :mod:`~tests.helpers.models`: tiny BackTAL / AnchorFreeTAD models and
  samples for the model tests (imported as a module, it loads the models);
- :mod:`~tests.helpers.real_layout`: tiny datasets in the shipped configs'
  real file layouts (imported as a module: ``from tests.helpers import
  real_layout``).
"""
from tests.helpers.configs import (SPLITS, build_runner, retargeted_cfg,
                                   shrink_cfg, synthetic_cfg)
from tests.helpers.paths import REPO, SHARED_DATA
from tests.helpers.tool_runner import ToolRun, run_tool, subprocess_env

__all__ = [
    'REPO', 'SHARED_DATA', 'SPLITS', 'shrink_cfg', 'retargeted_cfg',
    'synthetic_cfg', 'build_runner', 'ToolRun', 'run_tool', 'subprocess_env'
]
