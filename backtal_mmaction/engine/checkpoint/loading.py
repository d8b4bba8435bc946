"""Loading MMEngine checkpoints with ``torch.load(weights_only=True)``.

torch >= 2.6 unpickles checkpoints with ``weights_only=True``: only tensors,
containers and allow-listed globals. MMEngine 0.10.7 checkpoints also hold
the ``MessageHub`` state (``HistoryBuffer`` objects wrapping NumPy arrays,
whose pickled state references their statistics methods through
``getattr``), so plain ``load_checkpoint``/``--resume`` fail.

The fix here is an allow-list, never ``weights_only=False``:

- ``HistoryBuffer``, ``numpy.ndarray``, ``numpy.dtype`` (+ the concrete dtype
  classes), the NumPy array/scalar reconstructors;
- ``builtins.getattr`` is NOT allowed: the name is bound to
  :func:`history_buffer_getattr`, which only returns the registered
  statistics methods of ``HistoryBuffer`` and refuses anything else.

It is never installed process-wide: :func:`allow_checkpoint_globals` adds
it to torch's safe globals for a block and takes exactly those entries out
again. :func:`load_checkpoint_file` loads inside it; the Runner's own loads
(``load_from``, ``--resume``, test) run inside it through
:class:`CheckpointCompatibilityHook`, which first checks the file with
:func:`check_checkpoint_file`. A checkpoint carrying any other pickled
callable (e.g. ``os.system``) is refused with :class:`UnsafeCheckpointError`
naming the offending globals.
"""
import contextlib
import os.path as osp
import pickle
import zipfile
from typing import Any, Iterator, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

from ..mmengine_private import history_buffer_statistics

__all__ = [
    'CheckpointReadError', 'UnsafeCheckpointError', 'allow_checkpoint_globals',
    'check_checkpoint_file', 'history_buffer_getattr', 'load_checkpoint_file',
    'safe_checkpoint_globals'
]

# The first bytes of torch.save's zip format (since torch 1.6).
_ZIP_MAGIC = b'PK\x03\x04'
_BUILTIN_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})
# torch's messages for a truncated / foreign file name no file ("Pytorch
# StreamReader failed reading zip archive", an empty EOFError, a KeyError of
# a pickle opcode, an IndexError of the unpickler's stack on a cut-off
# legacy pickle).
_READ_ERRORS = (EOFError, RuntimeError, KeyError, ValueError, OSError,
                IndexError, zipfile.BadZipFile)


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint references globals outside the allow-list."""


class CheckpointReadError(ValueError):
    """A checkpoint file is empty, truncated or not a PyTorch checkpoint."""


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """Restricted ``getattr`` for unpickling ``HistoryBuffer`` states."""
    is_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    # The built-in statistics are registered lazily (in the first
    # HistoryBuffer.__init__), so they are listed explicitly.
    allowed = _BUILTIN_STATISTICS | history_buffer_statistics()
    if is_buffer and name in allowed:
        return getattr(obj, name)
    raise UnsafeCheckpointError(
        f'checkpoint asks for getattr({type(obj).__name__}, {name!r}); only '
        'HistoryBuffer statistics methods are allowed')


def _numpy_globals() -> List:
    core = getattr(np, '_core', None) or np.core
    multiarray = core.multiarray
    items = [np.ndarray, np.dtype]
    # The reconstructors under both the NumPy 2 (_core) and 1 (core) names,
    # so checkpoints written with either NumPy load with the other.
    for fn in ('_reconstruct', 'scalar'):
        obj = getattr(multiarray, fn)
        items += [(obj, f'numpy._core.multiarray.{fn}'),
                  (obj, f'numpy.core.multiarray.{fn}')]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [
            getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')
        ]
    return items


def safe_checkpoint_globals() -> List:
    """Everything MMEngine checkpoints of this plugin need, nothing more."""
    return [HistoryBuffer, (history_buffer_getattr, 'builtins.getattr'),
            (history_buffer_getattr, '__builtin__.getattr')
            ] + _numpy_globals()


@contextlib.contextmanager
def allow_checkpoint_globals() -> Iterator[None]:
    """Add :func:`safe_checkpoint_globals` to torch's weights-only allow-list
    for the block, through torch's public API.

    Unlike ``torch.serialization.safe_globals`` (which removes its entries
    on exit even when they were allowed before), only the entries this
    block added are taken out again, so blocks nest and a user's own
    ``add_safe_globals`` survive.
    """
    serialization = torch.serialization
    before = serialization.get_safe_globals()
    added = [g for g in safe_checkpoint_globals() if g not in before]
    serialization.add_safe_globals(added)
    try:
        yield
    finally:
        keep = [g for g in serialization.get_safe_globals()
                if g not in added]
        serialization.clear_safe_globals()
        serialization.add_safe_globals(keep)


def _unsafe_error(filename: str, unsafe: List[str],
                  reason: str = '') -> UnsafeCheckpointError:
    return UnsafeCheckpointError(
        f'Refusing to load {filename}: it references pickled '
        f'globals outside the allow-list {unsafe or ""} (loaded with '
        'weights_only=True; a checkpoint that runs arbitrary code '
        'is never loaded). If you trust the file, convert it to a '
        'plain state_dict first.'
        + (f' Details: {reason}' if reason else ''))


def _read_error(filename: str, err: BaseException) -> CheckpointReadError:
    detail = (str(err).splitlines() or [''])[0].split('. ')[0]
    return CheckpointReadError(
        f'cannot read checkpoint {filename}: truncated, corrupt or '
        f'not a PyTorch checkpoint ({type(err).__name__}: '
        f'{detail[:160]})')


def _unsafe_globals(filename: str) -> List[str]:
    try:
        return list(
            torch.serialization.get_unsafe_globals_in_checkpoint(filename))
    except Exception:  # noqa: BLE001  (best effort diagnostics)
        return []


def _weights_only_reason(err: BaseException) -> str:
    """The line of torch's weights-only message that says what was refused
    (without its advice to re-run with ``weights_only=False``)."""
    for line in str(err).splitlines():
        line = line.strip()
        # "Unsupported global: ..." (zip files), "... unsupported GLOBAL
        # posix.system ..." (legacy pickles), "WeightsUnpickler error: ...".
        if 'unsupported global' in line.lower() or \
                'WeightsUnpickler error' in line:
            return line
    return ''


def _existing_file(filename: str) -> str:
    filename = osp.expanduser(filename)
    if osp.isdir(filename):
        raise FileNotFoundError(
            f'checkpoint {filename} is a folder; name a checkpoint file '
            '(e.g. FOLDER/epoch_N.pth)')
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if osp.getsize(filename) == 0:
        raise CheckpointReadError(
            f'cannot read checkpoint {filename}: the file is empty')
    return filename


def load_checkpoint_file(filename: str, map_location=None,
                         mmap: bool = False) -> Any:
    """``torch.load(weights_only=True)`` with the allow-list above.

    Args:
        filename (str): The checkpoint.
        map_location: ``torch.load``'s.
        mmap (bool): Map the tensors' storage instead of reading it, for
            a caller that only reads shapes (``torch.save``'s zip format;
            a legacy pickle is read whole).

    Raises:
        FileNotFoundError: missing file.
        CheckpointReadError: an empty, truncated or foreign file.
        UnsafeCheckpointError: the file references other globals.
    """
    filename = _existing_file(filename)
    if mmap:
        with open(filename, 'rb') as f:
            mmap = f.read(4) == _ZIP_MAGIC
    with allow_checkpoint_globals():
        try:
            return torch.load(filename, map_location=map_location,
                              weights_only=True, mmap=mmap or None)
        except pickle.UnpicklingError as e:
            unsafe = _unsafe_globals(filename)
            reason = _weights_only_reason(e)
            if not unsafe and not reason:
                raise CheckpointReadError(
                    f'cannot read checkpoint {filename}: not a PyTorch '
                    f'checkpoint ({str(e).splitlines()[0]})') from None
            raise _unsafe_error(filename, unsafe, reason) from None
        except UnsafeCheckpointError:
            raise
        except _READ_ERRORS as e:
            raise _read_error(filename, e) from None


def check_checkpoint_file(filename: str) -> None:
    """Raise what :func:`load_checkpoint_file` would for ``filename``,
    without loading its tensors.

    A ``torch.save`` zip file is checked statically: it must open and its
    pickle may reference only allow-listed globals (torch's
    ``get_unsafe_globals_in_checkpoint``: the pickle stream is read, no
    storage). A legacy (non-zip) pickle cannot be scanned; it is loaded
    with :func:`load_checkpoint_file` instead.

    Raises:
        FileNotFoundError, CheckpointReadError, UnsafeCheckpointError.
    """
    filename = _existing_file(filename)
    with open(filename, 'rb') as f:
        # torch.save's format since 1.6 (a truncated one still starts so).
        is_zip = f.read(4) == _ZIP_MAGIC
    if not is_zip:
        load_checkpoint_file(filename, map_location='cpu')
        return
    with allow_checkpoint_globals():
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                filename)
        except _READ_ERRORS as e:
            raise _read_error(filename, e) from None
    if unsafe:
        raise _unsafe_error(filename, sorted(unsafe))
