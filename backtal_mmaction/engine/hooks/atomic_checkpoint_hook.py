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
import os
import os.path as osp
from typing import Optional

from mmaction.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook

from ...utils import atomic_replace, atomic_write, check_flags, check_range
from ..mmengine_private import has_loaded, is_resuming, load_from, \
    set_load_from

__all__ = [
    'AtomicCheckpointHook', 'atomic_runner_save', 'atomic_write',
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
            f'`resume`: {pointer} names {stored!r}, but {path} does not '
            f'exist (checkpoints in {work_dir}: {present or "none"}); pass '
            '`resume` CHECKPOINT to choose one')
    return path


def atomic_runner_save(runner, out_dir: str, filename: str, *args,
                       **kwargs) -> None:
    """``runner.save_checkpoint(out_dir, filename, ...)``, atomically.

    The Runner writes a hidden temporary file in ``out_dir`` (its public
    ``save_checkpoint`` with another file name), which is flushed to disk
    and moved onto ``out_dir/filename`` (:func:`~backtal_mmaction.utils.
    atomic_replace`). Object stores, and ranks other than the main one
    (where ``Runner.save_checkpoint`` writes nothing), save as MMEngine
    does.
    """
    if not is_main_process() or not isinstance(
            get_file_backend(out_dir), LocalBackend):
        return runner.save_checkpoint(out_dir, filename, *args, **kwargs)
    atomic_replace(
        osp.join(out_dir, filename),
        lambda tmp: runner.save_checkpoint(
            out_dir, osp.relpath(tmp, osp.abspath(out_dir)), *args, **kwargs),
        fsync=True)
    return None


class _AtomicSaves:
    """``runner`` as ``CheckpointHook``'s best-checkpoint code sees it:
    every attribute is the runner's, but ``save_checkpoint`` goes through
    :func:`atomic_runner_save`. Only that call gets it; the runner itself
    is never changed."""

    def __init__(self, runner) -> None:
        self.runner = runner

    def __getattr__(self, name: str):
        return getattr(self.runner, name)

    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        return atomic_runner_save(self.runner, out_dir, filename, *args,
                                  **kwargs)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose saves survive a kill at any instant.

    Same arguments as :class:`mmengine.hooks.CheckpointHook`. See the module
    docstring for the write order. Its switches must be True or False and
    its counts integers (``-1`` keeps MMEngine's meaning): MMEngine takes
    ``save_last='no'`` as true and ``interval='5'`` fails only at the end
    of the first epoch.
    """

    _SWITCHES = ('by_epoch', 'save_optimizer', 'save_param_scheduler',
                 'save_last')
    _COUNTS = ('interval', 'max_keep_ckpts', 'save_begin')

    def __init__(self, *args, **kwargs) -> None:
        owner = type(self).__name__
        # by keyword only: the configs (and MMEngine) pass them so
        check_flags(owner, **{k: kwargs[k] for k in self._SWITCHES
                              if k in kwargs})
        for key in self._COUNTS:
            if key in kwargs:
                check_range(key, kwargs[key], integer=True, owner=owner)
        super().__init__(*args, **kwargs)

    def _local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

    def before_run(self, runner) -> None:
        # MMEngine's auto-resume (``resume=True``, no ``load_from``) opens
        # the pointer's text as a path relative to the current directory;
        # hand it the resolved file instead (runs before load_or_resume).
        if (is_resuming(runner) and load_from(runner) is None
                and not has_loaded(runner)):
            path = resolve_last_checkpoint(runner.work_dir)
            if path is not None:
                set_load_from(runner, path)
                runner.logger.info(f'Resuming from {path} (named by '
                                   f'{runner.work_dir}/last_checkpoint)')
        super().before_run(runner)

    def after_val_epoch(self, runner, metrics) -> None:
        # The best checkpoint: MMEngine's logic, with atomic writes.
        super().after_val_epoch(
            _AtomicSaves(runner) if self._local() else runner, metrics)

    # Private in MMEngine 0.10: the one method of CheckpointHook that
    # orders the checkpoint write, the `last_checkpoint` pointer and the
    # eviction of old checkpoints (the public after_train_epoch /
    # after_train_iter / after_val_epoch all end here), and there is no
    # public point to change that order; tested against the pinned MMEngine
    # in tests/engine/test_mmengine_private.py.
    def _save_checkpoint_with_step(self, runner, step, meta):
        if isinstance(runner, _AtomicSaves):  # called by the best-ckpt code
            runner = runner.runner
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

        atomic_runner_save(
            runner,
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
        atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), pointer,
                     fsync=True)
        if evicted is not None:
            old = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(evicted))
            if self.file_backend.isfile(old):
                self.file_backend.remove(old)
        return None
