"""Command-line wrappers in tools/data, run as scripts in subprocesses (the
tool files are never imported: what they call is tested in the package)."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backtal_mmaction.datasets.clicks import load_click_file
from backtal_mmaction.datasets.synthetic import MIN_VIDEO_SECONDS

# Not imported from conftest: another test folder's conftest may own that name.
from tests.helpers import REPO, SHARED_DATA, subprocess_env

TOOLS = REPO / 'tools' / 'data'
THUMOS_GT = SHARED_DATA / 'gt_thumos14.json'
THUMOS_A1 = SHARED_DATA / 'THUMOS14_Background-Click-Annotation_A1.txt'


def _interpreter(driver, calls):
    """Run ``driver`` (Python source) in ONE fresh interpreter, with the
    tool calls ``[[script path, *argv], ...]`` as JSON in ``sys.argv[1]``."""
    calls = [[str(TOOLS / c[0])] + [str(a) for a in c[1:]] for c in calls]
    return calls, subprocess.run(
        [sys.executable, '-c', driver, json.dumps(calls)],
        capture_output=True, text=True, env=subprocess_env(), cwd=REPO,
        timeout=300)


def _run_tools(calls):
    """Run tool scripts as ``__main__`` in ONE fresh interpreter.

    Each script runs exactly as from the shell (argparse, ``__main__``
    guard), but the package import (torch, mmaction) is paid once.

    Args:
        calls (list[list[str]]): ``[script name, *argv]`` per run.

    Returns:
        subprocess.CompletedProcess: stdout holds each run's output after a
        ``### <script>`` marker line.
    """
    driver = ('import runpy, sys, json\n'
              'for call in json.loads(sys.argv[1]):\n'
              '    print("###", call[0], flush=True)\n'
              '    sys.argv = call\n'
              '    runpy.run_path(call[0], run_name="__main__")\n')
    return _interpreter(driver, calls)[1]


def _outputs(stdout):
    """script file name -> its stdout, from the ``###`` markers."""
    parts = stdout.split('### ')[1:]
    return {Path(p.split('\n', 1)[0]).name: p.split('\n', 1)[1] for p in parts}


def _run_each(calls):
    """Like :func:`_run_tools`, but every run may end the script: each
    ``SystemExit`` is caught and its code printed (``EXIT <code>``; a run
    that returns prints ``EXIT 0``), so one interpreter checks several error
    paths. stdout and stderr of run ``i`` follow a ``### <i>`` line in each.

    Returns:
        tuple[list[str], list[str]]: per run, its stdout and its stderr.
    """
    driver = ('import runpy, sys, json\n'
              'for i, call in enumerate(json.loads(sys.argv[1])):\n'
              '    print("###", i, flush=True)\n'
              '    print("###", i, file=sys.stderr, flush=True)\n'
              '    sys.argv = call\n'
              '    try:\n'
              '        runpy.run_path(call[0], run_name="__main__")\n'
              '    except SystemExit as e:\n'
              '        print("EXIT", e.code, flush=True)\n'
              '    else:\n'
              '        print("EXIT 0", flush=True)\n')
    calls, res = _interpreter(driver, calls)
    assert res.returncode == 0, res.stderr[-3000:]

    def split(text):
        parts = text.split('### ')[1:]
        return [p.split('\n', 1)[1] for p in parts]

    out, err = split(res.stdout), split(res.stderr)
    assert len(out) == len(calls) == len(err), res.stderr[-3000:]
    return out, err


def test_tools_run_as_scripts(tmp_path):
    out = tmp_path / 'synth'
    clicks_path = tmp_path / 'sim.json'
    calls = [
        [
            'generate_synthetic.py', '--out', out, '--num-videos', 3, 1, 2,
            '--feat-dim', 8, '--num-classes', 2, '--layout', 'official'
        ],
        [
            'simulate_clicks.py', out / 'gt.json', '--out', clicks_path,
            '--subset', 'train', '--no-action', '--num-background', 2,
            '--seed', 1
        ],
    ]
    real = THUMOS_A1.is_file() and THUMOS_GT.is_file()
    if real:
        calls.append([
            'convert_thumos_clicks.py', THUMOS_A1, '--gt', THUMOS_GT, '--out',
            tmp_path / 'a1.json'
        ])
    res = _run_tools(calls)
    assert res.returncode == 0, res.stderr
    outputs = _outputs(res.stdout)

    assert f'wrote {out}/gt.json' in outputs['generate_synthetic.py']
    assert 'clicks per annotator: A1:' in outputs['generate_synthetic.py']
    assert len(list((out / 'features').glob('*.npz'))) == 6

    clicks = load_click_file(clicks_path)
    assert {
        v: len(c)
        for v, c in clicks.items()
    } == {
        f'video_train_{i:07d}': 2
        for i in range(3)
    }
    assert '6 clicks (6 background, 0 action)' in outputs['simulate_clicks.py']

    if not real:
        pytest.skip('real THUMOS14 files not available for the converter')
    text = outputs['convert_thumos_clicks.py']
    assert '2264 clicks' in text and 'on 200 videos' in text
    assert 'mean 11.32, median 7' in text and '7.7%' in text
    assert sum(len(c)
               for c in load_click_file(tmp_path / 'a1.json').values()) == 2264


def test_cli_help_and_errors(tmp_path):
    gt = tmp_path / 'gt.json'
    gt.write_text(
        json.dumps({
            'database': {
                'v': {
                    'duration': 5.0,
                    'annotations': []
                }
            },
            'activity_list': ['A']
        }))
    bad_csv = tmp_path / 'bad.csv'
    bad_csv.write_text('URLID,Tag,Start\nv,background_background,9\n')
    existing = tmp_path / 'exists.json'
    existing.write_text('{}')
    helps = ('convert_thumos_clicks.py', 'simulate_clicks.py',
             'generate_synthetic.py')
    out, err = _run_each([[name, '--help'] for name in helps] + [
        ['convert_thumos_clicks.py', bad_csv, '--gt', gt, '--out',
         tmp_path / 'o.json'],
        ['simulate_clicks.py', tmp_path / 'missing.json', '--out',
         tmp_path / 'o'],
        ['simulate_clicks.py', gt, '--out', existing],
        ['simulate_clicks.py', gt, '--out', 'o', '--num-background', 'lots'],
        ['generate_synthetic.py', '--out', tmp_path / 'p',
         '--duration-range', '0.1', '0.2'],
    ])
    for i, name in enumerate(helps):
        assert f'usage: {name}' in out[i] and '--out' in out[i]
        assert out[i].endswith('EXIT 0\n')
    # The tool repeats the package's shortest duration (its --help imports
    # nothing heavy): the two agree.
    assert f'{MIN_VIDEO_SECONDS:g} <= MIN <= MAX' in ' '.join(out[2].split())
    # Bad input: SystemExit('error: <one line>') (exit status 1).
    assert re.fullmatch(
        r"EXIT error: .*bad\.csv: video 'v', click #0: time 9 s is "
        r'outside[^\n]*\n', out[3]), out[3]
    assert re.fullmatch(
        r'EXIT error: Ground-truth file not found: .*missing\.json\n',
        out[4]), out[4]
    assert re.fullmatch(
        r'EXIT error: --out .*exists\.json already exists; pass '
        r'--overwrite to replace it\n', out[5]), out[5]
    assert existing.read_text() == '{}'
    # A bad option value: argparse's usage error, exit status 2.
    assert out[6] == 'EXIT 2\n'
    assert "expected 'auto' or an integer" in err[6]
    assert out[7] == ('EXIT error: --duration-range MIN MAX must satisfy 2 '
                      '<= MIN <= MAX (seconds), got 0.1 0.2\n')
    assert not (tmp_path / 'o').exists() and not (tmp_path / 'o.json').exists()
    assert not (tmp_path / 'p').exists()


def test_cli_error_exit_status_and_last_line(tmp_path):
    """A real process: exit status 1, the one error line last on stderr."""
    res = subprocess.run(
        [sys.executable, str(TOOLS / 'simulate_clicks.py'),
         str(tmp_path / 'missing.json'), '--out', str(tmp_path / 'o')],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r'error: Ground-truth file not found: .*missing\.json',
                        last), res.stderr[-2000:]


def test_generate_exist_ok_reuses_and_guards(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / 'bench'
    cmd = [sys.executable, str(repo / 'tools/data/generate_synthetic.py'),
           '--out', str(out), '--num-videos', '2', '1', '1', '--feat-dim',
           '8', '--duration-range', '10', '20', '--exist-ok']
    env = subprocess_env()
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    gt_before = (out / 'gt.json').read_text()
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert again.returncode == 0 and 'reusing' in again.stdout
    assert (out / 'gt.json').read_text() == gt_before
    other = subprocess.run(cmd + ['--seed', '5'], capture_output=True,
                           text=True, env=env)
    assert other.returncode != 0 and 'seed' in other.stderr
