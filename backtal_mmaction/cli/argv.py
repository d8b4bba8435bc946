"""Flags whose value is optional, right before the config.

argparse gives an option with ``nargs='?'`` the next token whenever that
token does not look like a flag, so ``tools/train.py --amp CONFIG`` reads
the config path as the dtype and fails with "invalid choice", and
``--resume CONFIG`` would resume from the config file. A token that can
only be a positional (a tool's test, e.g. "names a config file": no dtype,
compile mode or checkpoint does) is no such option's value:
:func:`hoist_positionals` moves it to the front of the line, where
argparse reads it as the first positional and the flag stays bare, and
:func:`parse_with_bare_flags` parses the result. Any other token is left
to argparse (a mistyped ``--amp bf61`` still gets "invalid choice").

Importing this module imports neither torch nor MMEngine.
"""
import argparse
import sys
from typing import Callable, List, Optional, Sequence

__all__ = ['hoist_positionals', 'parse_with_bare_flags']


def hoist_positionals(parser: argparse.ArgumentParser, argv: Sequence[str],
                      positional_only: Callable[[str], bool]) -> List[str]:
    """``argv`` with every token that follows an optional-value flag
    (``nargs='?'``) but can only be a positional moved to the front.

    Meant for tools whose first positional is that token (the config):
    moved tokens keep their order and precede all others, so a flag
    before them is bare, and nothing else is reordered (a token moved
    from after ``--cfg-options k=v --amp`` does not join the options).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        argv (Sequence[str]): The command line (without the program).
        positional_only (Callable[[str], bool]): Whether a token can only
            be a positional argument. A token among an option's
            ``choices`` is always its value; a token after ``--`` is left
            where it is.

    Returns:
        list[str]: The reordered tokens.
    """
    actions = {flag: action for action in parser._actions
               for flag in action.option_strings if action.nargs == '?'}
    tokens, front, rest = list(argv), [], []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == '--':  # everything after it is positional already
            rest.extend(tokens[i:])
            break
        rest.append(token)
        action = actions.get(token)
        while action is not None and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.startswith(tuple(parser.prefix_chars)) or \
                    nxt in (action.choices or ()) or \
                    not positional_only(nxt):
                break
            front.append(nxt)
            i += 1
        i += 1
    return front + rest


def parse_with_bare_flags(parser: argparse.ArgumentParser,
                          argv: Optional[Sequence[str]],
                          positional_only: Callable[[str], bool]
                          ) -> argparse.Namespace:
    """``parser.parse_args`` of ``argv`` (None: ``sys.argv[1:]``) after
    :func:`hoist_positionals`."""
    argv = sys.argv[1:] if argv is None else argv
    return parser.parse_args(hoist_positionals(parser, argv,
                                               positional_only))
