"""``tests.helpers.run_tool`` reports what ``python tools/X.py ARGV``
would: exit status, stdout, stderr (with the ``error:`` line last)."""
import pytest

from tests.helpers import run_tool

TOOL = 'analysis/plot_curves.py'  # a light tool: no model, no data


def test_help_is_exit_0_on_stdout():
    run = run_tool(TOOL, ['--help'])
    assert run.exit_code == 0 and run.exception is None
    assert run.stdout.startswith('usage: plot_curves.py')
    assert run.stderr == ''


def test_usage_error_is_exit_2_on_stderr():
    run = run_tool(TOOL, ['some_run'])  # --out is required
    assert run.exit_code == 2
    assert run.stdout == ''
    assert run.stderr.splitlines()[-1] == (
        'plot_curves.py: error: the following arguments are required: --out')


def test_input_error_is_exit_1_with_the_error_line_last(tmp_path):
    missing = tmp_path / 'no_run'
    run = run_tool(TOOL, [missing, '--out', tmp_path / 'c.png'])
    assert run.exit_code == 1 and run.exception is None
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and str(missing) in last
    assert not (tmp_path / 'c.png').exists()


def test_unknown_tool():
    with pytest.raises(FileNotFoundError, match='no_such.py'):
        run_tool('no_such.py')
