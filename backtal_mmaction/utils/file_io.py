"""Safe file writing: nothing a user wrote is replaced by mistake, and a
reader never sees a partial file.

:func:`check_output_path` is the one rule every tool applies to an output
path before anything runs: a file name, not a folder; an existing file only
with ``--overwrite``; and never one of the files the run reads, even with
``--overwrite`` (``--out gt.json`` next to a config that reads
``gt.json`` would replace the annotations the numbers are computed on).

Every writer of the plugin (checkpoints, click files, result JSON, raw
outputs) goes through :func:`atomic_replace`: the content is written to a
hidden temporary file in the destination folder and renamed onto the final
name with ``os.replace``, which is atomic on POSIX and Windows when both
names are on one file system (hence the same folder).
"""
import contextlib
import os
import os.path as osp
from typing import Callable, Iterable, Optional, Union

PathLike = Union[str, os.PathLike]


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (symbolic and hard links too)."""
    try:
        return osp.samefile(a, b)
    except OSError:  # one of them does not exist
        return osp.realpath(a) == osp.realpath(b)


def check_output_path(path: PathLike, option: str, overwrite: bool,
                      inputs: Iterable[Optional[PathLike]] = ()) -> None:
    """Refuse an output file before anything is computed.

    Args:
        path (str | PathLike): The file the run will write.
        option (str): How the user named it (``'--out'``, or a keyword in
            backquotes, ``'`out`'``, which the tools print as the flag).
        overwrite (bool): Whether an existing file may be replaced.
        inputs (Iterable): The files the run reads (None entries are
            skipped); ``path`` may be none of them.

    Raises:
        IsADirectoryError: ``path`` is a folder.
        ValueError: ``path`` is one of ``inputs``.
        FileExistsError: ``path`` exists and not ``overwrite``.
    """
    path = os.fspath(path)
    if osp.isdir(path):
        raise IsADirectoryError(f'{option} {path} is a directory; give a '
                                'file name')
    for source in inputs:
        if source is not None and _same_file(path, os.fspath(source)):
            raise ValueError(f'{option} {path} is also an input of this run '
                             f'({os.fspath(source)}); writing it would '
                             'replace what is being read: choose another '
                             'file name')
    if osp.exists(path) and not overwrite:
        raise FileExistsError(f'{option} {path} already exists; pass '
                              '`overwrite` to replace it')


def _tmp_path(path: str, suffix: str = '') -> str:
    folder, name = osp.split(path)
    # Hidden (leading dot) and PID-tagged: globbing readers skip it and two
    # processes writing the same file never share a temporary. ``suffix``
    # lets writers that append an extension (np.savez adds ``.npz``) name
    # the temporary themselves.
    return osp.join(folder, f'.{name}.tmp-{os.getpid()}{suffix}')


def _fsync_dir(folder: str) -> None:
    # The rename itself is durable only once the folder entry is flushed;
    # not every platform can open a folder, which is harmless.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_replace(path: Union[str, os.PathLike],
                   write: Callable[[str], None],
                   suffix: str = '',
                   fsync: bool = False) -> str:
    """Create ``path`` by ``write(tmp)`` + ``os.replace(tmp, path)``.

    A crash at any point leaves either the previous content of ``path`` or
    the complete new one (and at worst a hidden ``.<name>.tmp-PID`` file).

    Args:
        path: Destination file; its folder is created.
        write: Called with the temporary path; must create that file.
        suffix: Extension of the temporary file (for writers that insist on
            one, e.g. ``np.savez`` -> ``'.npz'``).
        fsync: Flush the file and the folder entry to disk (checkpoints:
            survive a power loss, not only a killed process).

    Returns:
        str: The absolute destination path.
    """
    path = osp.abspath(os.fspath(path))
    if osp.isdir(path):
        raise IsADirectoryError(f'{path} is a directory, not a file path')
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = _tmp_path(path, suffix)
    try:
        write(tmp)
        if fsync:
            with open(tmp, 'rb+') as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    if fsync:
        _fsync_dir(osp.dirname(path))
    return path


def atomic_write(path: Union[str, os.PathLike],
                 data: Union[bytes, str],
                 fsync: bool = False) -> str:
    """Write ``data`` (``str`` as UTF-8, or ``bytes``) atomically to ``path``.

    See :func:`atomic_replace`.
    """
    payload = data.encode('utf-8') if isinstance(data, str) else data

    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            f.write(payload)

    return atomic_replace(path, write, fsync=fsync)
