"""``--help`` of the thin tools answers without importing torch, MMEngine
or MMAction2 (it took 5-6 s when the tools imported them before parsing)
and in under 0.5 s; the light package (``backtal_mmaction`` and its
numpy-only modules) may be imported. Every tool in tools/ and tools/*/ is
listed: a new tool joins."""
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO

THIN_TOOLS = [
    'train.py', 'test.py', 'infer.py', 'two_stage.py', 'pseudo_labels.py',
    'convert_official_checkpoint.py', 'publish_model.py',
    'analysis/run_ablation.py',
    'analysis/plot_curves.py', 'analysis/benchmark_postprocessing.py',
    'data/convert_point_labels.py', 'data/convert_thumos_clicks.py',
    'data/simulate_clicks.py', 'data/extract_features.py',
    'data/generate_synthetic.py', 'visualize_cas.py', 'analysis/benchmark.py',
    'analysis/benchmark_metric.py', 'analysis/diagnose_errors.py',
    'analysis/eval_detections.py', 'analysis/postprocess_raw.py'
]

PROBE = '''
import runpy, sys, time
sys.argv = [{path!r}, '--help']
start = time.perf_counter()
try:
    runpy.run_path({path!r}, run_name='__main__')
except SystemExit as e:
    print('EXIT', e.code)
print('SECONDS', time.perf_counter() - start)
print('HEAVY', sorted(m for m in ('torch', 'mmengine', 'mmaction')
                     if m in sys.modules))
'''


@pytest.mark.parametrize('tool', THIN_TOOLS)
def test_help_imports_no_heavy_module(tool):
    path = str(REPO / 'tools' / tool)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, '-c', PROBE.format(path=path)],
                         capture_output=True, text=True, timeout=120,
                         cwd=REPO)
    assert time.perf_counter() - start < 5  # interpreter start included
    assert f'usage: {Path(tool).name}' in out.stdout, out.stderr[-2000:]
    assert 'EXIT 0' in out.stdout
    assert 'HEAVY []' in out.stdout
    # The script itself (interpreter start-up excluded).
    assert float(out.stdout.split('SECONDS ')[1].split()[0]) < 0.5


def test_every_tool_is_listed():
    tools = sorted(str(p.relative_to(REPO / 'tools'))
                   for p in (REPO / 'tools').glob('**/*.py'))
    assert tools == sorted(THIN_TOOLS)
