"""One error style for every command-line tool.

Bad input (a missing or unreadable file, a malformed annotation, a
mistyped ``--cfg-options`` key, an unusable checkpoint) ends a tool with
exit status 1 and a single ``error: ...`` line on stderr, written after
everything the tool logged before (stdout is flushed first), so the error
is the last line a user sees. ``BACKTAL_DEBUG=1`` in the environment shows
the Python traceback instead.

- :func:`run_cli` wraps a tool's ``main(argv)``;
- :class:`CfgOptionsAction` is MMEngine's ``DictAction`` with an argparse
  error (exit status 2, usage) for an item without ``=`` instead of
  "not enough values to unpack";
- :func:`parse_cfg_options` does the same after parsing, for tools whose
  parser must not import MMEngine (``--help`` without torch): they store
  ``--cfg-options`` as plain strings (``nargs='+'``) and convert them once
  the arguments are parsed.
"""
import os
import sys
from typing import Callable, Optional, Sequence, Tuple, Type

from mmengine.config import DictAction

__all__ = [
    'INPUT_ERRORS', 'CfgOptionsAction', 'error_message', 'parse_cfg_options',
    'run_cli'
]


def _input_errors() -> Tuple[Type[BaseException], ...]:
    from ..engine.checkpoint import UnsafeCheckpointError
    from ..engine.checkpoint.compat import CheckpointMismatchError
    return (ValueError, FileNotFoundError, FileExistsError,
            IsADirectoryError, NotADirectoryError, PermissionError,
            UnsafeCheckpointError, CheckpointMismatchError)


INPUT_ERRORS = _input_errors()


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


def run_cli(main: Callable, argv: Optional[Sequence[str]] = None,
            errors: Optional[Tuple[Type[BaseException], ...]] = None):
    """Run ``main(argv)``; an input error exits with status 1 and one
    ``error: <message>`` line (see module docstring).

    Returns:
        whatever ``main`` returns.
    """
    try:
        return main(argv)
    except (errors or INPUT_ERRORS) as err:
        if os.environ.get('BACKTAL_DEBUG', '') not in ('', '0'):
            raise
        message = error_message(err)
    sys.stdout.flush()
    raise SystemExit(f'error: {message}')


def _check_key_values(parser, values, option_string) -> None:
    for kv in values or ():
        if '=' not in kv or not kv.split('=', 1)[0]:
            parser.error(f'{option_string or "--cfg-options"}: {kv!r} '
                         'is not KEY=VALUE (e.g. '
                         'model.post_processor.nms_thr=0.6)')


class CfgOptionsAction(DictAction):
    """``--cfg-options KEY=VALUE ...`` (MMEngine's ``DictAction``) that
    rejects an item without ``=`` with a usage error naming it."""

    def __call__(self, parser, namespace, values, option_string=None):
        _check_key_values(parser, values, option_string)
        super().__call__(parser, namespace, values, option_string)


def parse_cfg_options(parser, values: Optional[Sequence[str]],
                      option_string: str = '--cfg-options'):
    """``KEY=VALUE`` strings -> the dict :class:`CfgOptionsAction` builds.

    Args:
        parser (argparse.ArgumentParser): For the usage error (exit 2) on
            an item without ``=``.
        values: The strings argparse stored (``None``: option not given).

    Returns:
        dict | None: MMEngine's ``DictAction`` value parsing (ints, floats,
        bools, lists, tuples), or None.
    """
    if values is None:
        return None
    import argparse
    namespace = argparse.Namespace()
    CfgOptionsAction([option_string], 'cfg_options')(parser, namespace,
                                                     list(values),
                                                     option_string)
    return namespace.cfg_options
