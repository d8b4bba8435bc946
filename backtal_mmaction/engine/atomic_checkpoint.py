"""Crash-safe checkpoint saving.

MMEngine's ``CheckpointHook`` writes ``epoch_N.pth`` in place and, with
``max_keep_ckpts``, deletes the oldest checkpoint *before* writing the new
one; the ``last_checkpoint`` pointer is also rewritten in place. A job
killed (pre-emption, OOM killer, wall-time limit) while saving can thus
leave a truncated latest checkpoint -- which ``--resume`` then picks -- and
no intact one.

:class:`AtomicCheckpointHook` keeps every behaviour and argument of
``CheckpointHook`` but, for local work dirs:

1. writes each checkpoint to a hidden temporary file in the same directory,
   flushes it to disk, then ``os.replace``-s it onto the final name (atomic
   on POSIX: readers see the old file or the complete new one);
2. updates the ``last_checkpoint`` pointer the same way, only after the
   checkpoint it names is complete;
3. deletes checkpoints beyond ``max_keep_ckpts`` only after that.

The pointer names the checkpoint *relative to the work dir* (MMEngine
stores an absolute path), so a work dir that is copied or moved resumes its
own checkpoints: :func:`resolve_last_checkpoint` reads it (and old absolute
pointers: by base name when the named file is not inside the work dir), and
the hook resolves it before MMEngine's auto-resume reads the pointer
verbatim.

Use it in place of ``CheckpointHook``::

    default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook',
                                         interval=5, max_keep_ckpts=3))
"""
import contextlib
import functools
import os
import os.path as osp
from typing import Callable, Optional, Union

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook

__all__ = [
    'AtomicCheckpointHook', 'atomic_write', 'atomic_runner_save',
    'resolve_last_checkpoint'
]


def _inside(path: str, directory: str) -> bool:
    path, directory = osp.realpath(path), osp.realpath(directory)
    return osp.commonpath([path, directory]) == directory


def resolve_last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` points to.

    A relative pointer is relative to ``work_dir``. An absolute pointer
    (MMEngine's format, and this hook's before) is used as it is only when
    it lies inside ``work_dir``; otherwise the work dir was copied or
    moved, and the file of that base name in ``work_dir`` is meant.

    Returns:
        str | None: the checkpoint path, None without a pointer (a fresh
        run: ``--resume`` starts from scratch).

    Raises:
        FileNotFoundError: the pointer names a checkpoint that is not in
            ``work_dir`` (naming it and the checkpoints that are there).
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer, encoding='utf-8') as f:
        stored = f.read().strip()
    if not stored:
        return None
    if '://' in stored:  # object storage: as MMEngine does
        return stored
    if not osp.isabs(stored):
        path = osp.join(work_dir, stored)
    elif _inside(stored, work_dir):
        path = stored
    else:
        path = osp.join(work_dir, osp.basename(stored))
    if not osp.isfile(path):
        present = sorted(f for f in os.listdir(work_dir)
                         if f.endswith('.pth'))
        raise FileNotFoundError(
            f'--resume: {pointer} names {stored!r}, but {path} does not '
            f'exist (checkpoints in {work_dir}: {present or "none"}); pass '
            '--resume CHECKPOINT to choose one')
    return path


def _fsync_dir(path: str) -> None:
    """Persist a rename (best effort: not every OS/filesystem allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _tmp_name(filename: str) -> str:
    # Hidden and not ending in .pth: never mistaken for a checkpoint.
    return f'.{filename}.tmp-{os.getpid()}'


def _replace_from_tmp(tmp: str, final: str) -> None:
    with open(tmp, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(tmp, final)
    _fsync_dir(osp.dirname(osp.abspath(final)))


def atomic_write(path: str, data: Union[bytes, str]) -> None:
    """Write ``data`` to ``path`` through a temporary file + ``os.replace``.

    A crash at any point leaves either the previous content of ``path`` or
    the complete new one (plus, at worst, a hidden ``.*.tmp-PID`` file).
    """
    path = osp.abspath(path)
    tmp = osp.join(osp.dirname(path), _tmp_name(osp.basename(path)))
    try:
        with open(tmp, 'wb') as f:
            f.write(data.encode('utf-8') if isinstance(data, str) else data)
        _replace_from_tmp(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def atomic_runner_save(save_fn: Callable, out_dir: str, filename: str, *args,
                       **kwargs) -> None:
    """Call ``Runner.save_checkpoint``-like ``save_fn`` atomically.

    ``save_fn(out_dir, tmp_name, ...)`` writes the temporary file, which is
    then moved onto ``out_dir/filename``. Non-local ``out_dir`` (object
    stores) are passed through unchanged.
    """
    if not is_main_process() or not isinstance(
            get_file_backend(out_dir), LocalBackend):
        return save_fn(out_dir, filename, *args, **kwargs)
    tmp_name = _tmp_name(filename)
    tmp = osp.join(out_dir, tmp_name)
    try:
        save_fn(out_dir, tmp_name, *args, **kwargs)
        _replace_from_tmp(tmp, osp.join(out_dir, filename))
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return None


@contextlib.contextmanager
def _atomic_saves(runner):
    """Route ``runner.save_checkpoint`` through :func:`atomic_runner_save`
    for the duration of the block (covers the best-checkpoint saves of the
    parent class too)."""
    had_own = 'save_checkpoint' in vars(runner)
    previous = runner.save_checkpoint
    if (isinstance(previous, functools.partial)
            and previous.func is atomic_runner_save):  # already routed
        yield
        return
    runner.save_checkpoint = functools.partial(atomic_runner_save, previous)
    try:
        yield
    finally:
        if had_own:
            runner.save_checkpoint = previous
        else:
            del runner.save_checkpoint


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose saves survive a kill at any instant.

    Same arguments as :class:`mmengine.hooks.CheckpointHook`. See the module
    docstring for the write order.
    """

    def _local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

    def before_run(self, runner) -> None:
        # MMEngine's auto-resume (``resume=True``, no ``load_from``) opens
        # the pointer's text as a path relative to the current directory;
        # hand it the resolved file instead (runs before load_or_resume).
        if (getattr(runner, '_resume', False)
                and getattr(runner, '_load_from', None) is None
                and not getattr(runner, '_has_loaded', False)):
            path = resolve_last_checkpoint(runner.work_dir)
            if path is not None:
                runner._load_from = path  # pylint: disable=protected-access
                runner.logger.info(f'Resuming from {path} (named by '
                                   f'{runner.work_dir}/last_checkpoint)')
        parent = getattr(super(), 'before_run', None)
        if parent is not None:
            parent(runner)

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not self._local():
            return super()._save_checkpoint_with_step(runner, step, meta)
        evicted = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                evicted = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            # Stored in the checkpoint, so a resumed run rotates the same
            # files.
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        with _atomic_saves(runner):
            runner.save_checkpoint(
                self.out_dir,
                filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return None
        # The pointer moves only once the checkpoint it names is complete,
        # and the old checkpoint goes only after that. Relative to the work
        # dir when inside it: a copied / moved work dir resumes its own.
        pointer = self.last_ckpt
        if _inside(pointer, runner.work_dir):
            pointer = osp.relpath(osp.realpath(pointer),
                                  osp.realpath(runner.work_dir))
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), pointer)
        if evicted is not None:
            old = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(evicted))
            if self.file_backend.isfile(old):
                self.file_backend.remove(old)
        return None

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self._local():
            return super()._save_best_checkpoint(runner, metrics)
        with _atomic_saves(runner):
            return super()._save_best_checkpoint(runner, metrics)
