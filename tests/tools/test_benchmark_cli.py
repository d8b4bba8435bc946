"""``tools/analysis/benchmark.py --quick``: every part runs, the original
formulation is a row of each table it belongs to, and the yardstick checks
(same loss, same detections, same mAP) hold in the printed report."""
import re
import subprocess
import sys


from tests.helpers import REPO, subprocess_env


def test_quick_benchmark_report():
    proc = subprocess.run(
        [sys.executable, 'tools/analysis/benchmark.py', '--quick',
         '--repeats', '1', '--no-profile'], cwd=REPO, env=subprocess_env(),
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert re.search(r'^Machine: .+', out, re.M)  # lscpu model + flags
    for title in ('Machine limits', 'One affinity conv layer',
                  'Training step', 'Test pass', 'Data: load',
                  'Runner: training epochs and a test pass (12 training '
                  'videos, batch 4, 12 test videos, T=64, D=128'):
        assert f'#### {title}' in out, title
    rows = [line for line in out.splitlines() if line.startswith('| ')]
    assert any(r.startswith('| original formulation | fp32 |') and
               '**1.00x**' in r for r in rows)
    assert any(r.startswith('| ours | fp32 |') for r in rows)
    # each step against its own precision's limit and the run's best one
    assert ('| GFLOP/s | limit alongside | % of limit | % of best limit |'
            in out)
    assert any('original: unfold + tile + matmul' in r for r in rows)
    assert any(r.startswith('| **total** |') for r in rows)
    loss = re.search(r'Same loss \(eval mode, fp32\): ours (\S+), original '
                     r'(\S+) \(relative difference (\S+)\)', out)
    assert loss and float(loss.group(3).rstrip(').')) < 1e-5
    res = re.search(r'Same result: (\d+) detections ours, (\d+) original; '
                    r'avg mAP ours (\S+), original (\S+) ', out)
    assert res, out[-2000:]
    assert res.group(1) == res.group(2) and int(res.group(1)) > 0
    assert res.group(3) == res.group(4)
    assert 0 < float(res.group(3)) < 100  # the GT makes the check non-trivial
    # the Runner part: loading in the main process and with the config's
    # workers, both in fp32, every test video tested
    epoch_rows = [r for r in rows if re.match(r'\| (0|config) \| ', r)]
    assert [r.split(' | ')[:2] for r in epoch_rows][:2] == [
        ['| 0', 'fp32'], ['| config', 'fp32']]
    for r in epoch_rows:
        cells = [c.strip(' *') for c in r.strip('| ').split(' | ')]
        assert float(cells[3]) > 0 and float(cells[7].replace(',', '')) > 0


def test_bad_parts_and_repeats_end_with_one_error_line():
    """The checks live in run_benchmark (keywords); the tool names its
    flags."""
    from tests.helpers import run_tool
    run = run_tool('analysis/benchmark.py', ['--quick', '--parts', 'nope'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "error: --parts ['nope'] are not parts of the benchmark "
        "(['limit', 'conv', 'train', 'testpass', 'data', 'epoch'])")
    run = run_tool('analysis/benchmark.py', ['--quick', '--repeats', '0'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        'error: --repeats must be >= 1, got 0')
    run = run_tool('analysis/benchmark.py', ['--quick', '--epochs', '0'])
    assert run.exit_code == 1
    assert run.stderr.strip().splitlines()[-1] == (
        'error: --epochs must be >= 1, got 0')
    run = run_tool('analysis/benchmark.py', ['--quick', '--batch', '0'])
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines()[-1].endswith(
        'error: --batch must be >= 1, got 0')
