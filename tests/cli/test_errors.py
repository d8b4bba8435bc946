"""The tools' error style: library messages name keywords in backquotes,
``run_cli`` with the tool's parser writes them as that tool's flags."""
import argparse
import warnings

import pytest

from backtal_mmaction.cli.errors import flag_message, run_cli


def _parser():
    p = argparse.ArgumentParser()
    p.add_argument('config')
    p.add_argument('--out-json')
    p.add_argument('--topk', type=int)
    p.add_argument('-o', '--overwrite', action='store_true')
    return p


def test_flag_message_writes_known_keywords_as_flags():
    p = _parser()
    assert flag_message('`topk` must be >= 1; pass `overwrite` or a new '
                        '`out_json`', p) == (
        '--topk must be >= 1; pass --overwrite or a new --out-json')
    # a positional and a name the tool has no flag for stay as written
    assert flag_message('`config` and `subset`', p) == '`config` and `subset`'
    # without a parser (library use) nothing changes
    assert flag_message('`topk` must be >= 1', None) == '`topk` must be >= 1'


def test_run_cli_error_line_names_the_flag(capsys):
    def main(_):
        raise ValueError('`topk` must be >= 1, got 0')

    with pytest.raises(SystemExit) as exit_:
        run_cli(main, parser=_parser(), errors=(ValueError, ))
    assert str(exit_.value.code) == 'error: --topk must be >= 1, got 0'
    with pytest.raises(SystemExit) as exit_:
        run_cli(main, errors=(ValueError, ))
    assert str(exit_.value.code) == 'error: `topk` must be >= 1, got 0'


def test_run_cli_warnings_name_the_flag_and_showwarning_is_restored():
    shown = []
    before = warnings.showwarning

    def record(message, category, *args, **kwargs):
        shown.append((str(message), category))

    warnings.showwarning = record
    try:
        def main(_):
            warnings.warn('pass `overwrite` to replace it', UserWarning)
            return 7

        with warnings.catch_warnings():
            warnings.simplefilter('always')
            assert run_cli(main, parser=_parser()) == 7
        assert shown == [('pass --overwrite to replace it', UserWarning)]
        assert warnings.showwarning is record
    finally:
        warnings.showwarning = before


def test_checkpoint_errors_are_input_errors_once_loaded():
    from backtal_mmaction.engine.checkpoint import (CheckpointMismatchError,
                                                    UnsafeCheckpointError)

    for err in (UnsafeCheckpointError('unsafe'),
                CheckpointMismatchError('mismatch')):
        def main(_, err=err):
            raise err

        with pytest.raises(SystemExit) as exit_:
            run_cli(main)
        assert str(exit_.value.code) == f'error: {err}'


def test_run_cli_loads_no_torch_for_a_light_tool():
    """A tool that never touched a checkpoint: its input error is reported
    without importing the checkpoint code (and torch with it)."""
    import subprocess
    import sys

    from tests.helpers import REPO
    code = ('import sys\n'
            'from backtal_mmaction.cli.errors import run_cli\n'
            'def main(_):\n'
            "    raise FileNotFoundError('x.json not found')\n"
            'try:\n'
            '    run_cli(main)\n'
            'except SystemExit as e:\n'
            '    print(e.code)\n'
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split('\n')[:2] == ['error: x.json not found', 'False']
