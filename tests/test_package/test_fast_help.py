"""``--help`` of the thin tools answers without importing torch (it took
5-6 s when the tools imported the package before parsing)."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

THIN_TOOLS = [
    'train.py', 'test.py', 'infer.py', 'two_stage.py', 'pseudo_labels.py',
    'convert_official_checkpoint.py', 'analysis/run_ablation.py',
    'analysis/plot_curves.py', 'analysis/benchmark_postprocessing.py',
    'data/convert_point_labels.py', 'data/convert_thumos_clicks.py',
    'data/simulate_clicks.py', 'data/extract_features.py',
    'data/generate_synthetic.py'
]

PROBE = '''
import runpy, sys
sys.argv = [{path!r}, '--help']
try:
    runpy.run_path({path!r}, run_name='__main__')
except SystemExit as e:
    print('EXIT', e.code)
print('HEAVY', sorted(m for m in ('torch', 'mmengine', 'backtal_mmaction')
                      if m in sys.modules))
'''


@pytest.mark.parametrize('tool', THIN_TOOLS)
def test_help_imports_no_heavy_module(tool):
    path = str(REPO / 'tools' / tool)
    out = subprocess.run([sys.executable, '-c', PROBE.format(path=path)],
                         capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    assert f'usage: {Path(tool).name}' in out.stdout, out.stderr[-2000:]
    assert 'EXIT 0' in out.stdout
    assert 'HEAVY []' in out.stdout
