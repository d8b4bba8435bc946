"""Registering the plugin (``backtal_mmaction.registration``) silences exactly mmcv-lite's
MultiScaleDeformableAttention warning, nothing else."""
import subprocess
import sys

from tests.helpers import REPO

PROBE = r'''
import warnings, sys
before = list(warnings.filters)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    {imports}
    warnings.warn('a warning of the user', UserWarning)
print('FILTERS_UNCHANGED', list(warnings.filters) == before)
for w in caught:
    print('WARNING', str(w.message)[:60].replace('\n', ' '))
'''


def _warnings_of(imports: str) -> str:
    out = subprocess.run([sys.executable, '-c', PROBE.format(imports=imports)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_plugin_import_hides_only_the_mmcv_lite_warning():
    # The control: MMAction2's models alone do print it under mmcv-lite
    # (if a full mmcv is installed there is nothing to hide).
    plain = _warnings_of('import mmaction.models')
    ours = _warnings_of('import backtal_mmaction.registration; '
                        'import mmaction.models')
    assert 'MultiScaleDeformableAttention' not in ours
    assert 'WARNING a warning of the user' in ours
    assert 'FILTERS_UNCHANGED True' in ours
    import importlib.util
    if importlib.util.find_spec('mmcv._ext') is None:  # mmcv-lite
        assert 'MultiScaleDeformableAttention' in plain
