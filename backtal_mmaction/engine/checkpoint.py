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

A checkpoint carrying any other pickled callable (e.g. ``os.system``) is
refused with :class:`UnsafeCheckpointError` naming the offending globals.
"""
import os.path as osp
import pickle
import zipfile
from typing import Any, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


_BUILTIN_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint references globals outside the allow-list."""


class CheckpointReadError(ValueError):
    """A checkpoint file is empty, truncated or not a PyTorch checkpoint."""


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
        if 'Unsupported global' in line or 'WeightsUnpickler error' in line:
            return line
    return ''


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """Restricted ``getattr`` for unpickling ``HistoryBuffer`` states."""
    is_buffer = obj is HistoryBuffer or isinstance(obj, HistoryBuffer)
    # The built-in statistics are registered lazily (in the first
    # HistoryBuffer.__init__), so they are listed explicitly.
    # pylint: disable=protected-access
    allowed = _BUILTIN_STATISTICS | set(HistoryBuffer._statistics_methods)
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


def load_checkpoint_file(filename: str, map_location=None) -> Any:
    """``torch.load(weights_only=True)`` with the allow-list above.

    Raises:
        FileNotFoundError: missing file.
        CheckpointReadError: an empty, truncated or foreign file.
        UnsafeCheckpointError: the file references other globals.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    if osp.getsize(filename) == 0:
        raise CheckpointReadError(
            f'cannot read checkpoint {filename}: the file is empty')
    with torch.serialization.safe_globals(safe_checkpoint_globals()):
        try:
            return torch.load(filename, map_location=map_location,
                              weights_only=True)
        except pickle.UnpicklingError as e:
            unsafe = _unsafe_globals(filename)
            reason = _weights_only_reason(e)
            if not unsafe and not reason:
                raise CheckpointReadError(
                    f'cannot read checkpoint {filename}: not a PyTorch '
                    f'checkpoint ({str(e).splitlines()[0]})') from None
            raise UnsafeCheckpointError(
                f'Refusing to load {filename}: it references pickled '
                f'globals outside the allow-list {unsafe or ""} (loaded with '
                'weights_only=True; a checkpoint that runs arbitrary code '
                'is never loaded). If you trust the file, convert it to a '
                'plain state_dict first.'
                + (f' Details: {reason}' if reason else '')) from None
        except UnsafeCheckpointError:
            raise
        except (EOFError, RuntimeError, KeyError, ValueError, OSError,
                IndexError, zipfile.BadZipFile) as e:
            # torch's own messages for a truncated / foreign file name no
            # file ("PytorchStreamReader failed reading zip archive", an
            # empty EOFError, a KeyError of a pickle opcode, an IndexError
            # of the unpickler's stack on a cut-off legacy pickle).
            detail = (str(e).splitlines() or [''])[0].split('. ')[0]
            raise CheckpointReadError(
                f'cannot read checkpoint {filename}: truncated, corrupt or '
                f'not a PyTorch checkpoint ({type(e).__name__}: '
                f'{detail[:160]})') from None


def register_safe_checkpoint_loader() -> None:
    """Route MMEngine's local-file checkpoint loading through
    :func:`load_checkpoint_file` (``load_from``, ``--resume``, test)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file,
                                     force=True)
