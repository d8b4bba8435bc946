"""Check ``load_from`` / ``--resume`` checkpoints before MMEngine loads them
(non-strictly)."""
import os.path as osp

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint

from ..atomic_checkpoint import resolve_last_checkpoint
from ..checkpoint_compat import check_checkpoint_compatible

__all__ = ['CheckpointCompatibilityHook']


@HOOKS.register_module()
class CheckpointCompatibilityHook(Hook):
    """Raise :class:`CheckpointMismatchError` before a run starts if the
    checkpoint to load (``load_from``, or the one ``resume`` picks) has
    missing, unexpected or differently shaped parameters.

    MMEngine's ``Runner.load_checkpoint`` is non-strict: it would only warn
    and go on with randomly initialized layers.

    Args:
        allow_missing (bool): Accept model parameters the checkpoint lacks
            (partial initialization on purpose). Defaults to False.
        allow_unexpected (bool): Accept extra checkpoint parameters.
            Defaults to False.
    """
    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: bool = False,
                 allow_unexpected: bool = False) -> None:
        self.allow_missing = allow_missing
        self.allow_unexpected = allow_unexpected

    @staticmethod
    def checkpoint_to_load(runner):
        load_from = getattr(runner, '_load_from', None)
        if getattr(runner, '_resume', False) and load_from is None:
            return resolve_last_checkpoint(runner.work_dir)
        return load_from

    def before_run(self, runner) -> None:
        if getattr(runner, '_has_loaded', False):
            return
        path = self.checkpoint_to_load(runner)
        if path is None:
            return
        if '://' not in str(path) and not osp.isfile(path):
            raise FileNotFoundError(f'checkpoint not found: {path}')
        checkpoint = _load_checkpoint(path, map_location='cpu')
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        check_checkpoint_compatible(
            model, checkpoint, source=f'checkpoint {path}',
            allow_missing=self.allow_missing,
            allow_unexpected=self.allow_unexpected)
