"""Every access of the plugin to private MMEngine 0.10 state, in one place.

MMEngine 0.10 has no public API for these; each function says why it is
needed. ``tests/engine/test_mmengine_private.py`` checks each of them
against the pinned MMEngine (``requirements/reference.txt``), so an upgrade
that renames or changes one fails there, not in a user's run.

The other private dependency is :meth:`AtomicCheckpointHook.
_save_checkpoint_with_step` (an override of ``CheckpointHook``'s, see its
comment), tested by the same module.
"""
from typing import FrozenSet, Optional

from mmengine.logging import HistoryBuffer
from mmengine.runner import BaseLoop

__all__ = [
    'has_loaded', 'history_buffer_statistics', 'init_weights_quietly',
    'is_resuming', 'load_from', 'set_load_from', 'starts_training'
]


def is_resuming(runner) -> bool:
    """Whether ``runner`` was built with ``resume=True``.

    ``Runner`` keeps its ``resume`` argument only as ``_resume`` (there is
    no public property); the RNG-state hook must know whether the weights it
    sees come from a resumed run.
    """
    return bool(getattr(runner, '_resume', False))


def starts_training(runner) -> bool:
    """Whether ``runner`` is about to train (inside ``Runner.train()``,
    before its first iteration), not to validate or test.

    ``Runner.train()`` builds its train loop (kept as ``_train_loop``: a
    config dict until then) before it calls ``before_run``; ``val()`` and
    ``test()`` never build it, and after a finished ``train()`` its
    iteration count is past 0. ``Runner.train_loop`` itself would build the
    loop, and with it the training data. The checkpoint hook must know
    whether a checkpoint starts a training run: only then may fine-tuning
    leave parts of the model out of it.
    """
    loop = getattr(runner, '_train_loop', None)
    return isinstance(loop, BaseLoop) and getattr(loop, 'iter', 0) == 0


def has_loaded(runner) -> bool:
    """Whether ``runner`` has loaded a checkpoint already (then its
    ``load_or_resume`` loads nothing).

    ``Runner`` keeps it only as ``_has_loaded``; the checkpoint hooks check
    it in ``before_run`` so that a second ``runner.test()`` after
    ``runner.train()`` does not check a file that is not loaded again.
    """
    return bool(getattr(runner, '_has_loaded', False))


def load_from(runner) -> Optional[str]:
    """The ``load_from`` argument of ``runner`` (None: not given).

    ``Runner`` keeps it only as ``_load_from`` and calls no hook before its
    load; the checkpoint hooks read it in ``before_run`` (which the Runner
    calls right before ``load_or_resume``) to check the file first.
    """
    return getattr(runner, '_load_from', None)


def set_load_from(runner, path: str) -> None:
    """Make ``runner.load_or_resume()`` resume ``path``.

    MMEngine's auto-resume (``resume=True``, no ``load_from``: MMAction2's
    own ``tools/train.py --resume``) opens the text of
    ``work_dir/last_checkpoint`` as a path relative to the *current*
    directory; the plugin's pointer is relative to the work dir. The only
    way to hand ``load_or_resume`` another file is its ``_load_from``
    (set in ``before_run``, before ``load_or_resume`` reads it).
    """
    runner._load_from = path  # pylint: disable=protected-access


def history_buffer_statistics() -> FrozenSet[str]:
    """Names of the registered ``HistoryBuffer`` statistics methods.

    A pickled ``HistoryBuffer`` refers to its statistics through
    ``getattr(HistoryBuffer, name)``; the restricted ``getattr`` of the
    checkpoint allow-list only returns these. MMEngine keeps the registry
    as the class attribute ``_statistics_methods`` (filled by
    ``HistoryBuffer.register_statistics``).
    """
    # pylint: disable=protected-access
    return frozenset(HistoryBuffer._statistics_methods)


def init_weights_quietly(module) -> None:
    """``module.init_weights()`` without MMEngine's table of every
    parameter's initialization, which a top-level ``BaseModule`` writes to
    the log (``BaseModule._dump_init_info``, no public switch).

    The fine-tuning hook initializes a *copy* of a module to learn its
    fresh weights; that copy's table, with names relative to it, would
    stand in the log beside the model's own.
    """
    module._dump_init_info = lambda: None  # an instance attribute: the copy
    try:
        module.init_weights()
    finally:
        del module._dump_init_info
