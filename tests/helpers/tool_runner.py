"""Run a command-line tool of ``tools/`` in this process, as the shell would.

:func:`run_tool` is the in-process equivalent of
``python tools/<relpath> <argv>``: the script file is *run* (its
``if __name__ == '__main__':`` block included) through :mod:`runpy`, never
imported for its internals, and the outcome is what the shell would see:
the exit status and what went to stdout and stderr. Tests that check a
tool's own behaviour call the package functions behind it
(``backtal_mmaction.apis``); this helper is for the command line itself
(argument parsing, exit codes, ``error:`` lines) where a subprocess per
case would cost ~5 s of interpreter and torch start-up each (the bad-input
sweep runs ~80 of them).

Differences from a real ``python tools/<relpath>``, so checks that depend on
them must use a subprocess instead (with :func:`subprocess_env`):

- the interpreter is shared: modules are imported once per session, and
  what a tool sets at import time (``THP_MEM_ALLOC_ENABLE``, ``LOCAL_RANK``
  in ``os.environ``) stays set;
- ``sys.path[0]`` is not the script's folder;
- logging handlers created before the run keep writing where they were
  bound, so only output produced through ``sys.stdout`` / ``sys.stderr``
  during the run is captured.
"""
import io
import os
import runpy
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from typing import NamedTuple, Optional, Sequence

from tests.helpers.paths import REPO

__all__ = ['ToolRun', 'run_tool', 'subprocess_env']


def subprocess_env() -> dict:
    """Environment for a test's subprocess running a tool or a probe:
    this checkout first on ``PYTHONPATH``, this interpreter as ``PYTHON``
    (the shell launchers run ``${PYTHON:-python}``; CI runs
    ``.venv/bin/python`` without activating the venv), and one thread per
    process (tiny models: fastest, no oversubscription)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(REPO)] + [p for p in [env.get('PYTHONPATH')] if p])
    env['PYTHON'] = sys.executable
    env['OMP_NUM_THREADS'] = '1'
    env['MKL_NUM_THREADS'] = '1'
    return env


class ToolRun(NamedTuple):
    """The outcome of one :func:`run_tool` call."""
    #: The exit status ``python`` would return: 0, the ``SystemExit`` code,
    #: 1 for a ``SystemExit`` message (``error: ...``) or an uncaught
    #: exception.
    exit_code: int
    #: Everything written to ``sys.stdout`` during the run.
    stdout: str
    #: Everything written to ``sys.stderr`` during the run, ending with the
    #: ``SystemExit`` message or the traceback, as the interpreter prints
    #: them.
    stderr: str
    #: The uncaught exception (a traceback, not a handled error), if any.
    exception: Optional[BaseException] = None


def run_tool(relpath: str, argv: Sequence[object] = ()) -> ToolRun:
    """``python tools/<relpath> <argv>`` in this process.

    Args:
        relpath (str): The script under ``tools/``, e.g. ``'test.py'`` or
            ``'analysis/postprocess_raw.py'``.
        argv (sequence): The command-line arguments (``str()`` of each;
            paths may be ``pathlib.Path``).

    Returns:
        ToolRun: ``(exit_code, stdout, stderr, exception)``.
    """
    path = REPO / 'tools' / relpath
    if not path.is_file():
        raise FileNotFoundError(f'no tool {path}')
    saved_argv = sys.argv
    sys.argv = [str(path)] + [str(a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    code, exception = 0, None
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                runpy.run_path(str(path), run_name='__main__')
            except SystemExit as e:
                # The interpreter's rule: None -> 0, an int -> itself,
                # anything else is printed to stderr and exits with 1.
                if e.code is None or isinstance(e.code, int):
                    code = e.code or 0
                else:
                    print(e.code, file=sys.stderr)
                    code = 1
            except Exception as e:  # noqa: BLE001 (reported as python would)
                traceback.print_exc()
                code, exception = 1, e
    finally:
        sys.argv = saved_argv
    return ToolRun(code, out.getvalue(), err.getvalue(), exception)
