# Copyright (c) OpenMMLab. All rights reserved.
"""Command-line wrappers in tools/data (one subprocess run + in-process)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backtal_mmaction.datasets.clicks import load_click_file

# Not imported from conftest: another test folder's conftest may own that name.
REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / 'tools' / 'data'
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'
THUMOS_GT = SHARED_DATA / 'gt_thumos14.json'
THUMOS_A1 = SHARED_DATA / 'THUMOS14_Background-Click-Annotation_A1.txt'


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
    calls = [[str(TOOLS / c[0])] + [str(a) for a in c[1:]] for c in calls]
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(REPO_ROOT)] + [p for p in [env.get('PYTHONPATH')] if p])
    return subprocess.run([sys.executable, '-c', driver,
                           json.dumps(calls)],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=REPO_ROOT,
                          timeout=300)


def _outputs(stdout):
    """script file name -> its stdout, from the ``###`` markers."""
    parts = stdout.split('### ')[1:]
    return {Path(p.split('\n', 1)[0]).name: p.split('\n', 1)[1] for p in parts}


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'_tool_{name}',
                                                  TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_cli_help_and_errors_in_process(tmp_path, capsys):
    for name in ('convert_thumos_clicks', 'simulate_clicks',
                 'generate_synthetic'):
        tool = _load_tool(name)
        with pytest.raises(SystemExit) as exit_info:
            tool.parse_args(['--help'])
        assert exit_info.value.code == 0
        assert '--out' in capsys.readouterr().out

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
    with pytest.raises(
            SystemExit,
            match=r"error: .*bad\.csv: video 'v', "
            r'click #0: time 9 s is outside'):
        _load_tool('convert_thumos_clicks').main(
            [str(bad_csv), '--gt',
             str(gt), '--out',
             str(tmp_path / 'o.json')])
    with pytest.raises(
            SystemExit,
            match=r'error: Ground-truth file not '
            r'found: .*missing\.json'):
        _load_tool('simulate_clicks').main(
            [str(tmp_path / 'missing.json'), '--out',
             str(tmp_path / 'o')])
    existing = tmp_path / 'exists.json'
    existing.write_text('{}')
    with pytest.raises(
            SystemExit,
            match=r'error: .*exists\.json already '
            r'exists; refusing to overwrite'):
        _load_tool('simulate_clicks').main([str(gt), '--out', str(existing)])
    assert existing.read_text() == '{}'
    with pytest.raises(SystemExit) as exit_info:
        _load_tool('simulate_clicks').parse_args(
            [str(gt), '--out', 'o', '--num-background', 'lots'])
    assert exit_info.value.code == 2
    assert "expected 'auto' or an integer" in capsys.readouterr().err


def test_generate_exist_ok_reuses_and_guards(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / 'bench'
    cmd = [sys.executable, str(repo / 'tools/data/generate_synthetic.py'),
           '--out', str(out), '--num-videos', '2', '1', '1', '--feat-dim',
           '8', '--duration-range', '10', '20', '--exist-ok']
    env = dict(__import__('os').environ, PYTHONPATH=str(repo))
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    gt_before = (out / 'gt.json').read_text()
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert again.returncode == 0 and 'reusing' in again.stdout
    assert (out / 'gt.json').read_text() == gt_before
    other = subprocess.run(cmd + ['--seed', '5'], capture_output=True,
                           text=True, env=env)
    assert other.returncode != 0 and 'seed' in other.stderr
