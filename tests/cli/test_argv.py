"""``cli.argv``: optional-value flags right before a positional."""
import argparse

import pytest

from backtal_mmaction.cli.argv import hoist_positionals, parse_with_bare_flags


def _parser():
    p = argparse.ArgumentParser()
    p.add_argument('config')
    p.add_argument('extra', nargs='?')
    p.add_argument('--amp', nargs='?', const=True, default=False,
                   choices=('bf16', 'fp16'))
    p.add_argument('--resume', nargs='?', const='auto')
    p.add_argument('--opts', nargs='+')
    p.add_argument('--test', action='store_true')
    return p


def _is_config(token):
    return token.endswith('.py')


@pytest.mark.parametrize('argv,expected', [
    # nothing to move
    ([], []),
    (['c.py', '--amp'], ['c.py', '--amp']),
    (['--amp', 'bf16', 'c.py'], ['--amp', 'bf16', 'c.py']),
    (['--resume', 'k.pth', 'c.py'], ['--resume', 'k.pth', 'c.py']),
    (['--amp', '--test', 'c.py'], ['--amp', '--test', 'c.py']),
    # a config after an optional-value flag goes to the front
    (['--amp', 'c.py'], ['c.py', '--amp']),
    (['--test', '--amp', 'c.py', '--opts', 'a=1'],
     ['c.py', '--test', '--amp', '--opts', 'a=1']),
    (['--resume', '--amp', 'c.py'], ['c.py', '--resume', '--amp']),
    # two configs after one flag keep their order
    (['--amp', 'c.py', 'd.py'], ['c.py', 'd.py', '--amp']),
    # a non-config token is argparse's to judge (a value, or an error)
    (['--amp', 'bogus', 'c.py'], ['--amp', 'bogus', 'c.py']),
    # a flag of another nargs does not move what follows it
    (['--opts', 'c.py'], ['--opts', 'c.py']),
    # after ``--`` everything stays
    (['--amp', '--', 'c.py'], ['--amp', '--', 'c.py']),
])
def test_hoist_positionals(argv, expected):
    assert hoist_positionals(_parser(), argv, _is_config) == expected


def test_a_choice_is_always_the_flags_value():
    """A token among the choices stays the value, even if the test would
    call it a positional."""
    assert hoist_positionals(_parser(), ['--amp', 'bf16', 'c.py'],
                             lambda t: True) == ['--amp', 'bf16', 'c.py']


@pytest.mark.parametrize('argv,config,extra,amp,resume,opts', [
    (['--amp', 'c.py'], 'c.py', None, True, None, None),
    (['--resume', '--amp', 'c.py'], 'c.py', None, True, 'auto', None),
    # only the config moves: the flag then takes what follows it
    (['--resume', 'c.py', 'k'], 'c.py', None, False, 'k', None),
    (['--opts', 'a=1', '--amp', 'c.py'], 'c.py', None, True, None, ['a=1']),
    (['c.py', '--amp', 'fp16', '--resume', 'k.pth'], 'c.py', None, 'fp16',
     'k.pth', None),
])
def test_parse_with_bare_flags(argv, config, extra, amp, resume, opts):
    args = parse_with_bare_flags(_parser(), argv, _is_config)
    assert (args.config, args.extra, args.amp, args.resume, args.opts) == (
        config, extra, amp, resume, opts)


def test_a_wrong_value_keeps_argparses_error(capsys):
    with pytest.raises(SystemExit) as exc:
        parse_with_bare_flags(_parser(), ['--amp', 'bf61', 'c.py'],
                              _is_config)
    assert exc.value.code == 2
    assert "invalid choice: 'bf61'" in capsys.readouterr().err
