"""The checkpoint a Runner loads (``load_from`` / ``--resume`` / test):
loaded safely, and refused unless it fits the model."""
import contextlib
from typing import Optional

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...utils import check_flags
from .atomic_checkpoint_hook import resolve_last_checkpoint
from ..checkpoint.loading import allow_checkpoint_globals, check_checkpoint_file
from ..checkpoint.compat import check_checkpoint_compatible
from ..mmengine_private import has_loaded, is_resuming, load_from

__all__ = ['CheckpointCompatibilityHook']

# The open allow-list, shared by every instance: a Runner that failed
# mid-load leaves it open, and the next Runner's before_run closes it.
_ALLOW_LIST = contextlib.ExitStack()


def _close_allow_list() -> None:
    _ALLOW_LIST.close()


@HOOKS.register_module()
class CheckpointCompatibilityHook(Hook):
    """Guard the checkpoint the Runner loads, through the public hook API.

    The Runner calls ``before_run``, then ``load_or_resume`` (which calls
    ``after_load_checkpoint`` with the loaded dict before it copies the
    weights), then ``before_train`` / ``before_val`` / ``before_test``.

    - ``before_run``: the checkpoint about to be loaded (``load_from``, or
      the one ``resume`` picks) must exist, be a readable PyTorch file and
      reference only allow-listed globals (:func:`check_checkpoint_file`:
      one-line errors naming the file, before MMEngine reads it); then the
      allow-list (:func:`allow_checkpoint_globals`) is opened, so MMEngine's
      own ``torch.load`` (``weights_only=True`` in torch >= 2.6) can read
      its ``MessageHub`` state;
    - ``after_load_checkpoint``: the allow-list is closed again and the
      loaded ``state_dict`` is compared with the model: missing, unexpected
      or differently shaped parameters raise
      :class:`CheckpointMismatchError` (MMEngine's ``Runner.load_checkpoint``
      is non-strict: it would only warn and go on with randomly initialized
      layers). The file is read once.

    The allow-list is open only between these two points (or until
    ``before_train`` / ``before_val`` / ``before_test`` when nothing was
    loaded); if the Runner fails in between, it stays open until the next
    Runner's ``before_run`` closes it (the exact entries of
    :func:`safe_checkpoint_globals`, nothing else).

    Args:
        allow_missing (bool): Accept model parameters the checkpoint lacks
            (partial initialization on purpose). Defaults to False.
        allow_unexpected (bool): Accept extra checkpoint parameters.
            Defaults to False.
    """
    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: bool = False,
                 allow_unexpected: bool = False) -> None:
        check_flags(type(self).__name__, allow_missing=allow_missing,
                    allow_unexpected=allow_unexpected)
        self.allow_missing = allow_missing
        self.allow_unexpected = allow_unexpected
        self._pending: Optional[str] = None

    @staticmethod
    def checkpoint_to_load(runner) -> Optional[str]:
        """``load_from``, or with ``resume`` and no ``load_from`` the
        checkpoint ``work_dir/last_checkpoint`` names (None: nothing, also
        when the Runner has loaded already)."""
        if has_loaded(runner):
            return None
        path = load_from(runner)
        if path is None and is_resuming(runner):
            return resolve_last_checkpoint(runner.work_dir)
        return path

    def _nothing_loaded(self) -> None:
        _close_allow_list()
        self._pending = None

    def before_run(self, runner) -> None:
        self._nothing_loaded()  # also closes what a failed run left open
        path = self.checkpoint_to_load(runner)
        if path is None:
            return
        if '://' not in str(path):
            check_checkpoint_file(path)
        _ALLOW_LIST.enter_context(allow_checkpoint_globals())
        self._pending = str(path)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        path = self._pending
        self._nothing_loaded()
        if path is None:  # a load of the user's own, not load_or_resume's
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        check_checkpoint_compatible(
            model, checkpoint, source=f'checkpoint {path}',
            allow_missing=self.allow_missing,
            allow_unexpected=self.allow_unexpected)

    # Nothing was loaded (no checkpoint, or the Runner had loaded already).
    def before_train(self, runner) -> None:
        self._nothing_loaded()

    def before_val(self, runner) -> None:
        self._nothing_loaded()

    def before_test(self, runner) -> None:
        self._nothing_loaded()
