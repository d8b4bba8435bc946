"""The CLI tools turn on PyTorch's transparent-huge-page CPU allocations
before anything is allocated (the variable is read once, at the first
allocation), and leave a user's own setting alone."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import REPO

MB100 = 25_000_000  # float32 elements: 100 MB = 24,414 pages of 4 KiB

# Run a tool as `python tools/X.py ARGV` would (tests.helpers.run_tool,
# up to its one-line error on a missing input: past argument parsing, so
# the tool has imported torch), recording THP_MEM_ALLOC_ENABLE at the
# moment torch is first imported; then count the minor page faults of
# touching one fresh 100 MB tensor.
PROBE = textwrap.dedent(f'''
    import json, os, resource, sys
    seen = []

    class FirstTorchImport:
        """A meta-path finder that only looks: the setting when the first
        `import torch` starts."""

        def find_spec(self, name, path=None, target=None):
            if name == 'torch' and not seen:
                seen.append(os.environ.get('THP_MEM_ALLOC_ENABLE', '-'))
            return None

    sys.meta_path.insert(0, FirstTorchImport())
    from tests.helpers import run_tool
    run = run_tool(sys.argv[1], json.loads(sys.argv[2]))
    assert run.exit_code == 1 and 'torch' in sys.modules, run
    assert run.stderr.strip().splitlines()[-1].startswith('error: '), run
    import torch
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones({MB100})
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    print(seen[0], after - before)
''')

# Inputs that pass argument parsing and fail on the first missing file.
MISSING = {
    'train.py': ['missing_config.py'],
    'test.py': ['missing_config.py', 'missing.pth'],
    'infer.py': ['missing_config.py', 'missing.pth', 'missing.npy', '--out',
                 'missing_out.json'],
}


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
    res = subprocess.run([sys.executable, '-c', PROBE, tool,
                          json.dumps(MISSING[tool])],
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
