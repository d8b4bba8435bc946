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


def _usage_error(parse, capsys):
    """The argparse usage error ``parse()`` ends with: exit 2 and the
    ``error:`` line, never a traceback."""
    with pytest.raises(SystemExit) as e:
        parse()
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize('item', [
    'model.a=[0,1],[2,3]',  # MMEngine recursed without end on this
    'model.a=[0,1',  # and asserted on these
    'model.a=0,1]',
    'model.a=[0,1)',
])
def test_cfg_options_unreadable_value_is_a_usage_error(item, capsys):
    from backtal_mmaction.cli.errors import parse_cfg_options
    parser = argparse.ArgumentParser(prog='tool')
    line = _usage_error(lambda: parse_cfg_options(parser, ['x=1', item]),
                        capsys)
    assert line == (
        f"tool: error: --cfg-options: cannot read the value of {item!r}: "
        'brackets must balance, and a list of lists needs its own outer '
        'brackets (KEY=[[0,1],[2,3]], not KEY=[0,1],[2,3])')


@pytest.mark.parametrize('item', [
    "model.backbone.init_cfg=dict(type='Pretrained')",  # kept as a string
    "model.backbone.init_cfg=dict(type='Pretrained',checkpoint=c.pth)",
])
def test_cfg_options_dict_value_names_the_dotted_keys(item, capsys):
    from backtal_mmaction.cli.errors import parse_cfg_options
    parser = argparse.ArgumentParser(prog='tool')
    line = _usage_error(lambda: parse_cfg_options(parser, [item]), capsys)
    assert line == (
        f'tool: error: --cfg-options: cannot read the value of {item!r}: '
        'dict(...) is not a value --cfg-options reads; give each key of the '
        'dict instead (model.backbone.init_cfg.type=... '
        'model.backbone.init_cfg.OTHER=...)')


def test_cfg_options_items_merge_as_mmengine_parses_them():
    """Parsed one item at a time, the result is MMEngine's for the whole
    list: types, lists, tuples, and the last of a repeated key."""
    from mmengine.config import DictAction

    from backtal_mmaction.cli.errors import parse_cfg_options
    items = ['a=1', 'b=0.5,x', 'c=[[0,1],[2,3]]', 'd=(1,2)', 'e=False',
             'a=2', 'f=None']
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction)
    assert parse_cfg_options(argparse.ArgumentParser(), items) == \
        parser.parse_args(['--o', *items]).o == dict(
            a=2, b=[0.5, 'x'], c=[[0, 1], [2, 3]], d=(1, 2), e=False,
            f=None)


@pytest.mark.parametrize('items,grid', [
    (['k=0.3,0.5'], {'k': [0.3, 0.5]}),
    (['k=0.3'], {'k': 0.3}),
    (['k=[[0,0.1]]'], {'k': [[0, 0.1]]}),
    (['k=[[0,0.1],[0,0.2]]', 'm=a,b'], {'k': [[0, 0.1], [0, 0.2]],
                                        'm': ['a', 'b']}),
])
def test_grid_options_parse(items, grid):
    from backtal_mmaction.cli.errors import parse_grid_options
    assert parse_grid_options(argparse.ArgumentParser(), items) == grid


@pytest.mark.parametrize('items,message', [
    # a bracketed flat list: two alternatives, or one list-valued setting?
    (['k=[0,0.1]'], '--grid: k=[0,0.1] reads two ways: write k=0,0.1 for '
     'the alternatives 0, 0.1, or k=[[0,0.1]] for the one list value '
     '[0, 0.1]'),
    (['k=(0.5)'], '--grid: k=(0.5) reads two ways: write k=0.5 for the one '
     'value 0.5, or k=[[0.5]] for the one list value [0.5]'),
    # MMEngine keeps the last: the first alternatives would be dropped
    (['k=1,2', 'm=3', 'k=4'], '--grid: k given more than once; list all '
     'its values in one KEY=V1,V2,...'),
    (['k'], "--grid: 'k' is not KEY=VALUE (e.g. "
     'model.post_processor.nms_thr=0.6)'),
])
def test_grid_options_refused(items, message, capsys):
    from backtal_mmaction.cli.errors import parse_grid_options
    parser = argparse.ArgumentParser(prog='tool')
    assert _usage_error(lambda: parse_grid_options(parser, items),
                        capsys) == f'tool: error: {message}'


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_config_whose_custom_imports_fail_is_one_error_line(tool, tmp_path):
    """A config naming a module Python cannot find (customize.md's
    ``my_tal`` without PYTHONPATH) ends with one ``error:`` line naming
    the modules, the cause and the fix; MMEngine's own message was a
    traceback listing every sys.path entry."""
    from tests.helpers.paths import REPO
    from tests.helpers.tool_runner import run_tool
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        f"_base_ = {str(REPO / 'configs/backtal/backtal_synthetic.py')!r}\n"
        "custom_imports = dict(imports=['backtal_mmaction.registration', "
        "'my_tal_nowhere.losses'], allow_failed_imports=False)\n")
    argv = [cfg, '--work-dir', tmp_path / 'wd']
    if tool == 'test.py':
        ckpt = tmp_path / 'model.pth'
        ckpt.write_bytes(b'')  # the config is read before the checkpoint
        argv = [cfg, ckpt]
    run = run_tool(tool, argv)
    assert run.exit_code == 1 and run.exception is None, run.stderr
    assert 'Traceback' not in run.stderr
    assert run.stderr.strip().splitlines()[-1] == (
        "error: the config's custom_imports ['backtal_mmaction.registration'"
        ", 'my_tal_nowhere.losses'] could not be imported (Failed to import "
        "my_tal_nowhere.losses: No module named 'my_tal_nowhere'); Python "
        'imports them from sys.path: add the folder that holds the module '
        'to PYTHONPATH (e.g. PYTHONPATH=$PWD when it is in the current '
        'folder) or pip install it')
    assert not (tmp_path / 'wd').exists()


def test_other_import_errors_stay_tracebacks():
    """Only MMEngine's custom_imports failure is bad input: any other
    ImportError is a bug and keeps its traceback."""
    from backtal_mmaction.cli.errors import custom_imports_message

    def broken(_):
        raise ImportError('cannot import name x from y')

    assert custom_imports_message(ImportError('cannot import name x')) is None
    with pytest.raises(ImportError, match='cannot import name x from y'):
        run_cli(broken, [])
