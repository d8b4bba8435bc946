"""The CLI tools turn on PyTorch's transparent-huge-page CPU allocations
before anything is allocated (the variable is read once, at the first
allocation), and leave a user's own setting alone."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MB100 = 25_000_000  # float32 elements: 100 MB = 24,414 pages of 4 KiB

# Load a tool as `python tools/X.py` would (module body runs first), then
# count the minor page faults of touching one fresh 100 MB tensor.
PROBE = textwrap.dedent(f'''
    import importlib.util, os, resource, sys
    spec = importlib.util.spec_from_file_location('tool', sys.argv[1])
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    import torch
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones({MB100})
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    print(os.environ['THP_MEM_ALLOC_ENABLE'], after - before)
''')


def _thp_on_request() -> bool:
    """Huge pages only where a program asks (``madvise``): the mode in
    which the setting decides. With ``always`` every large mapping gets
    them anyway, with ``never`` none does."""
    try:
        mode = Path('/sys/kernel/mm/transparent_hugepage/enabled').read_text()
    except OSError:
        return False
    return '[madvise]' in mode


def _probe(tool: str, sub_env: dict, value=None):
    env = {k: v for k, v in sub_env.items() if k != 'THP_MEM_ALLOC_ENABLE'}
    if value is not None:
        env['THP_MEM_ALLOC_ENABLE'] = value
    res = subprocess.run([sys.executable, '-c', PROBE,
                          str(REPO / 'tools' / tool)],
                         cwd=REPO, capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    setting, faults = res.stdout.split()[-2:]
    return setting, int(faults)


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='transparent huge pages are a Linux feature')
@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'infer.py'])
def test_tools_enable_huge_pages_before_the_first_allocation(tool, sub_env):
    setting, faults = _probe(tool, sub_env)
    assert setting == '1'
    off_setting, off_faults = _probe(tool, sub_env, value='0')
    assert off_setting == '0'  # the user's choice wins
    if _thp_on_request():
        # 4 KiB pages: one fault per page; 2 MiB pages: ~50.
        assert off_faults > 20_000
        assert faults < off_faults / 10, (faults, off_faults)
