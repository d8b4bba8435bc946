"""One error style for every command-line tool.

Bad input (a missing or unreadable file, a malformed annotation, a
mistyped ``--cfg-options`` key, an unusable checkpoint) ends a tool with
exit status 1 and a single ``error: ...`` line on stderr, written after
everything the tool logged before (stdout is flushed first), so the error
is the last line a user sees. ``BACKTAL_DEBUG=1`` in the environment shows
the Python traceback instead.

- :func:`run_cli` wraps a tool's ``main(argv)``. Library code names its
  keyword arguments in backquotes (```topk` must be >= 1``); given the
  tool's parser, :func:`run_cli` writes them as the tool's flags
  (``--topk must be >= 1``), so a library user reads keywords and a tool
  user reads flags (:func:`flag_message`; warnings shown during the run
  too);
- :func:`parse_cfg_options` turns the ``--cfg-options KEY=VALUE`` strings a
  parser stored into MMEngine's ``DictAction`` values, with an argparse
  error (exit status 2, usage) for an item without ``=`` instead of "not
  enough values to unpack"; :func:`parse_grid_options` does the same for
  ``--grid KEY=V1,V2`` and refuses what reads two ways.

Importing this module imports neither torch nor MMEngine, so a tool can
import it at the top and still answer ``--help`` at once.
"""
import argparse
import ast
import contextlib
import os
import re
import sys
import warnings
from typing import Callable, Dict, Optional, Sequence, Tuple, Type

__all__ = [
    'add_cfg_options_arguments', 'custom_imports_message', 'error_message',
    'flag_message', 'input_errors', 'parse_cfg_options',
    'parse_grid_options', 'run_cli'
]

_KEYWORD = re.compile(r'`([A-Za-z_][A-Za-z0-9_]*)`')


_BASE_ERRORS = (ValueError, FileNotFoundError, FileExistsError,
                IsADirectoryError, NotADirectoryError, PermissionError)
_CHECKPOINT_ERRORS = 'backtal_mmaction.engine.checkpoint'
# How MMEngine's ``Config.fromfile`` starts the ImportError of a config's
# ``custom_imports`` (its message then lists every sys.path entry)
_CUSTOM_IMPORTS_FAILED = 'Failed to import custom modules from '


def input_errors() -> Tuple[Type[BaseException], ...]:
    """The exceptions that mean bad input (one ``error:`` line, exit 1):
    the built-in ones, and the checkpoint errors once their module is
    loaded.

    Only code of that module raises the checkpoint errors, so a process
    that has not loaded it cannot have raised one; importing it here would
    load torch into tools that never touch a checkpoint.
    """
    checkpoint = sys.modules.get(_CHECKPOINT_ERRORS)
    if checkpoint is None:
        return _BASE_ERRORS
    return _BASE_ERRORS + (checkpoint.UnsafeCheckpointError,
                           checkpoint.CheckpointMismatchError)


def error_message(err: BaseException) -> str:
    """The one-line message of ``err``.

    Errors re-raised by a DataLoader worker carry the worker's traceback in
    their message ("Caught ValueError in DataLoader worker process 0.
    Original Traceback ..."); only its last line, the original message, is
    kept. ``KeyError`` messages lose their quotes.
    """
    text = err.args[0] if (isinstance(err, KeyError) and len(err.args) == 1
                           and isinstance(err.args[0], str)) else str(err)
    if 'Original Traceback (most recent call last)' in text:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        last = lines[-1] if lines else text
        # "ValueError: video 'x': ..." -> "video 'x': ..."
        head, sep, rest = last.partition(': ')
        text = rest if sep and head.replace('.', '').isidentifier() else last
    text = ' '.join(text.split('\n')) if '\n' in text.strip() else text
    return text.strip() or type(err).__name__


def custom_imports_message(err: ImportError) -> Optional[str]:
    """The one-line message of MMEngine's ImportError for a config whose
    ``custom_imports`` cannot be imported (None for any other ImportError,
    which stays a traceback: a bug, not bad input).

    MMEngine's own message is the whole ``sys.path``, one entry a line; this
    one names the modules, the cause and the usual fix.
    """
    text = str(err)
    if not text.startswith(_CUSTOM_IMPORTS_FAILED):
        return None
    found = re.match(re.escape(_CUSTOM_IMPORTS_FAILED) + r"(.*?), the "
                     r'current sys\.path', text, re.S)
    what = found.group(1) if found else '?'
    try:  # MMEngine writes the config's dict: name only its modules
        what = str(ast.literal_eval(what)['imports'])
    except (ValueError, SyntaxError, TypeError, KeyError):
        pass
    # the errors behind it: "Failed to import my_tal.losses" (MMEngine),
    # raised while handling "No module named 'my_tal'"
    chain, cause = [], err.__cause__ or err.__context__
    while cause is not None and len(chain) < 5:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    why = ': '.join(chain)
    return (f"the config's custom_imports {what} could not be imported"
            + (f' ({why})' if why else '') + '; '
            'Python imports them from sys.path: add the folder '
            'that holds the module to PYTHONPATH (e.g. PYTHONPATH=$PWD when '
            'it is in the current folder) or pip install it')


def _flags(parser: argparse.ArgumentParser) -> Dict[str, str]:
    """``{keyword: flag}`` of a parser's optional arguments (its longest
    option string: ``out_json`` -> ``--out-json``)."""
    return {a.dest: max(a.option_strings, key=len)
            for a in parser._actions if a.option_strings}


def flag_message(message: str,
                 parser: Optional[argparse.ArgumentParser]) -> str:
    """``message`` with each backquoted keyword the tool has a flag for
    written as that flag (```overwrite``` -> ``--overwrite``); other
    backquoted names, and every name without a parser, stay as written."""
    if parser is None:
        return message
    flags = _flags(parser)
    return _KEYWORD.sub(lambda m: flags.get(m.group(1), m.group(0)), message)


@contextlib.contextmanager
def _flag_warnings(parser: Optional[argparse.ArgumentParser]):
    """Warnings shown while the tool runs name its flags too (the
    previous ``warnings.showwarning`` is restored afterwards)."""
    if parser is None:
        yield
        return
    show = warnings.showwarning

    def show_with_flags(message, category, *args, **kwargs):
        text = flag_message(str(message), parser)
        show(category(text) if text != str(message) else message, category,
             *args, **kwargs)

    warnings.showwarning = show_with_flags
    try:
        yield
    finally:
        warnings.showwarning = show


def run_cli(main: Callable, argv: Optional[Sequence[str]] = None,
            errors: Optional[Tuple[Type[BaseException], ...]] = None,
            parser: Optional[argparse.ArgumentParser] = None):
    """Run ``main(argv)``; an input error exits with status 1 and one
    ``error: <message>`` line (see module docstring).

    Args:
        errors: The exceptions that count as bad input (default:
            :func:`input_errors`).
        parser: The tool's parser: keywords named in messages are written
            as its flags (:func:`flag_message`).

    Returns:
        whatever ``main`` returns.
    """
    try:
        with _flag_warnings(parser):
            return main(argv)
    # evaluated when an error arrives: input_errors() then knows every
    # module main loaded
    except (errors or input_errors()) as err:
        if os.environ.get('BACKTAL_DEBUG', '') not in ('', '0'):
            raise
        message = flag_message(error_message(err), parser)
    except ImportError as err:
        message = custom_imports_message(err)
        if message is None or os.environ.get('BACKTAL_DEBUG', '') not in (
                '', '0'):
            raise
    sys.stdout.flush()
    raise SystemExit(f'error: {message}')


def add_cfg_options_arguments(parser: argparse.ArgumentParser,
                              example: str,
                              what: str = 'the config',
                              flag: str = '--cfg-options',
                              allow_new: bool = True) -> None:
    """Add ``--cfg-options KEY=VALUE ...`` (and, with ``allow_new``,
    ``--cfg-options-allow-new``) with the same help in every tool; the
    values are parsed by :func:`parse_cfg_options`.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        example (str): A ``KEY=VALUE`` the tool's users would write.
        what (str): Whose settings the option overrides.
        flag (str): The option's name (``--stage1-cfg-options``).
        allow_new (bool): Also add ``--cfg-options-allow-new``.
    """
    parser.add_argument(
        flag, nargs='+', metavar='KEY=VALUE',
        help=f'override settings of {what}, e.g. {example}; every key must '
        'already exist in it' + (f' (unless {flag}-allow-new)'
                                 if allow_new else '') +
        '; KEY._delete_=True replaces a dict whole')
    if allow_new:
        parser.add_argument(
            f'{flag}-allow-new', action='store_true',
            help=f'accept {flag} keys that do not exist in the config '
            '(adding new settings on purpose)')


def parse_cfg_options(parser: argparse.ArgumentParser,
                      values: Optional[Sequence[str]],
                      option_string: str = '--cfg-options'):
    """``KEY=VALUE`` strings -> MMEngine's ``DictAction`` value.

    ``DictAction`` asserts its brackets are balanced and recurses without
    end on ``KEY=[0,1],[2,3]`` (it strips the outer pair); both become the
    usage error below, naming the item, instead of a traceback.

    Args:
        parser (argparse.ArgumentParser): For the usage error (exit 2) on
            an item without ``=`` or whose value cannot be parsed.
        values: The strings argparse stored (``None``: option not given).

    Returns:
        dict | None: MMEngine's ``DictAction`` value parsing (ints, floats,
        bools, lists, tuples), or None.
    """
    if values is None:
        return None
    for kv in values:
        if '=' not in kv or not kv.split('=', 1)[0]:
            parser.error(f'{option_string}: {kv!r} is not KEY=VALUE (e.g. '
                         'model.post_processor.nms_thr=0.6)')
        key, value = kv.split('=', 1)
        if value.lstrip().startswith('dict('):
            # DictAction keeps ``dict(a=1)`` as a string and recurses on
            # ``dict(a=1,b=2)``: neither is a dict.
            parser.error(
                f'{option_string}: cannot read the value of {kv!r}: '
                'dict(...) is not a value --cfg-options reads; give each '
                f'key of the dict instead ({key}.type=... {key}.OTHER=...)')
    # after parsing: --help and usage errors need no MMEngine
    from mmengine.config import DictAction
    action = DictAction([option_string], 'cfg_options')
    namespace = argparse.Namespace()
    for kv in values:
        try:
            action(parser, namespace, [kv], option_string)
        except (AssertionError, RecursionError):
            parser.error(
                f'{option_string}: cannot read the value of {kv!r}: '
                'brackets must balance, and a list of lists needs its own '
                'outer brackets (KEY=[[0,1],[2,3]], not KEY=[0,1],[2,3])')
    return namespace.cfg_options


def _is_sequence(value) -> bool:
    return isinstance(value, (list, tuple))


def parse_grid_options(parser: argparse.ArgumentParser,
                       values: Optional[Sequence[str]]):
    """``--grid KEY=V1,V2 ...`` strings -> ``{key: alternatives}``, parsed
    as :func:`parse_cfg_options` parses ``--cfg-options``.

    MMEngine reads ``KEY=[0,0.1]`` exactly as ``KEY=0,0.1``: the list
    ``[0, 0.1]``, which a grid takes as two alternatives. A bracketed flat
    list could as well mean one list-valued setting, so it is refused with
    both spellings (``KEY=0,0.1`` for the alternatives, ``KEY=[[0,0.1]]``
    for the one list). A key given twice is refused too: MMEngine would
    keep only its last alternatives.

    Args:
        parser (argparse.ArgumentParser): For the usage error (exit 2).
        values: The strings argparse stored (``None``: option not given).

    Returns:
        dict | None: ``{key: value}`` as ``DictAction`` parses it, or None.
    """
    grid = parse_cfg_options(parser, values, '--grid')
    if grid is None:
        return None
    keys = [kv.split('=', 1)[0] for kv in values]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        parser.error(f'--grid: {", ".join(twice)} given more than once; '
                     'list all its values in one KEY=V1,V2,...')
    for kv in values:
        key, text = kv.split('=', 1)
        value = grid[key]
        if (text.strip()[:1] in '[(' and _is_sequence(value)
                and not any(_is_sequence(v) for v in value)):
            items = ','.join(str(v) for v in value)
            what = ('alternatives ' + ', '.join(str(v) for v in value)
                    if len(value) > 1 else f'one value {value[0]}')
            parser.error(
                f'--grid: {kv} reads two ways: write {key}={items} for the '
                f'{what}, or {key}=[[{items}]] for the one list value '
                f'{list(value)}')
    return grid
