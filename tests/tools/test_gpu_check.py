"""``tools/gpu_check.sh``, the prepared device run, checked here without a
GPU: a stand-in interpreter records every command the script would run,
and each command line is parsed by the real tool's parser, so a flag that
does not exist (or a step that is missing) fails here, not in the few
minutes of a lent GPU machine."""
import importlib.util
import os
import shlex
import stat
import subprocess

import pytest

from tests.helpers import REPO

STEPS = ('machine', 'pytest_cuda', 'data', 'train_fp32', 'train_amp',
         'train_amp_bf16', 'benchmark', 'epoch', 'torchrun_1gpu',
         'two_stage', 'compile', 'seed1_fp32', 'seed1_amp', 'seed2_fp32',
         'seed2_amp')


def _tool(relpath):
    """A tool's module, loaded from its file (its parser, not its main)."""
    spec = importlib.util.spec_from_file_location(
        relpath.replace('/', '_')[:-3], REPO / 'tools' / relpath)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(tmp_path, budget):
    calls = tmp_path / 'calls.txt'
    fake = tmp_path / 'python'
    # records its arguments, one command per line, shell-quoted
    fake.write_text('#!/bin/bash\nprintf "%q " "$@" >> "$CALLS"\n'
                    'echo >> "$CALLS"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PYTHON=str(fake), CALLS=str(calls),
               GPU_CHECK_BUDGET=str(budget),
               DEVICE_KIT=str(tmp_path / 'no_kit'))
    out = tmp_path / 'out'
    proc = subprocess.run(['bash', str(REPO / 'tools/gpu_check.sh'),
                           str(out)], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = calls.read_text().splitlines() if calls.exists() else []
    return [shlex.split(c) for c in lines], (out / 'summary.txt').read_text()


def test_every_step_runs_a_command_the_tools_accept(tmp_path):
    calls, summary = _run(tmp_path, budget=560)
    names = [line.split()[0] for line in summary.splitlines()]
    assert names[:len(STEPS)] == list(STEPS)
    train, bench = _tool('train.py'), _tool('analysis/benchmark.py')
    two_stage = _tool('two_stage.py')
    parsed = {'train': [], 'benchmark': [], 'two_stage': 0, 'torchrun': 0}
    for argv in calls:
        if argv[:2] == ['-m', 'torch.distributed.run']:
            parsed['torchrun'] += 1
            script = next(i for i, a in enumerate(argv)
                          if a.endswith('tools/train.py'))
            args = train.parse_args(argv[script + 1:])
            assert args.launcher == 'pytorch'
        elif argv[:1] == ['tools/train.py']:
            parsed['train'].append(train.parse_args(argv[1:]))
        elif argv[:1] == ['tools/analysis/benchmark.py']:
            parsed['benchmark'].append(bench.parse_args(argv[1:]))
        elif argv[:1] == ['tools/two_stage.py']:
            two_stage.parse_args(argv[1:])
            parsed['two_stage'] += 1
        elif argv[:2] == ['-m', 'pytest']:
            assert argv[argv.index('-m', 1) + 1] == 'cuda'
    assert parsed['torchrun'] == 1 and parsed['two_stage'] == 1
    runs = parsed['train']
    assert len(runs) == 8 and all(a.test and a.overwrite for a in runs)
    assert sorted(str(a.amp) for a in runs).count('False') == 4
    assert any(a.compile for a in runs)
    assert {a.seed for a in runs} == {None, 1, 2}
    # the benchmark on CUDA at THUMOS14 size with the training batch of 16,
    # its epoch part apart, with its big data outside the returned folder
    assert [b.device for b in parsed['benchmark']] == ['cuda', 'cuda']
    assert parsed['benchmark'][0].batch == 16
    epoch = parsed['benchmark'][1]
    assert epoch.parts == ['epoch']
    assert not epoch.epoch_data.startswith(str(tmp_path / 'out'))


def test_a_spent_budget_skips_steps_and_still_writes_the_summary(tmp_path):
    calls, summary = _run(tmp_path, budget=0)
    assert calls == []
    lines = summary.splitlines()
    assert [line.split()[0] for line in lines] == list(STEPS)
    assert all(line.endswith('skipped (budget)') for line in lines)


@pytest.mark.parametrize('script', ['gpu_check.sh', 'gpu_kit.sh'])
def test_scripts_parse(script):
    subprocess.run(['bash', '-n', str(REPO / 'tools' / script)], check=True)
