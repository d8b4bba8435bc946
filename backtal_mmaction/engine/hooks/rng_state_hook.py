"""Exact resumption: random-number-generator state in checkpoints.

MMEngine restores weights, optimizer, schedulers and the epoch counter on
``--resume`` but re-seeds the random generators from the config seed, so
everything random after the resume point (dropout masks, random snippet
resampling, annotator draws, DataLoader worker seeds) differs from the
uninterrupted run. :class:`RNGStateHook`

- stores the Python, NumPy, torch CPU (and CUDA) generator states in every
  checkpoint (``checkpoint['rng_state']``; one state per rank, gathered at
  the end of each training epoch in distributed runs);
- restores them when a run resumes (``before_train``, i.e. after MMEngine's
  own re-seeding);
- makes validation RNG-neutral: the states are saved before and restored
  after each validation, so ``val_interval`` never changes training and a
  checkpoint saved at epoch k resumes exactly the random stream epoch k+1
  of the uninterrupted run sees.

With it, a run resumed from an epoch checkpoint ends with the same weights
as the uninterrupted run (bit-identical on CPU; on GPU up to the usual
non-determinism of CUDA kernels unless ``randomness.deterministic=True``).
Iteration-based checkpoints in distributed runs store rank 0's state only
(other ranks then restart from it; not bit-exact).
"""
import random
from typing import List, Optional

import numpy as np
import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_gather_object, get_dist_info, is_distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log

from ..mmengine_private import is_resuming

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state']


def get_rng_state() -> dict:
    """This process's generator states, as tensors / plain Python values
    (loadable with ``torch.load(weights_only=True)``)."""
    _, key, pos, has_gauss, gauss = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(key=torch.from_numpy(key.astype(np.int64)), pos=int(pos),
                   has_gauss=int(has_gauss), gauss=float(gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Inverse of :func:`get_rng_state`."""
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    npy = state['numpy']
    key = np.asarray(torch.as_tensor(npy['key']).cpu().numpy(), np.uint32)
    np.random.set_state(('MT19937', key, int(npy['pos']),
                         int(npy['has_gauss']), float(npy['gauss'])))
    torch.set_rng_state(torch.as_tensor(state['torch']).cpu())
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available() and \
            len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([t.cpu() for t in cuda])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save / restore generator states for exact ``--resume``.

    Register it in ``custom_hooks`` (``tools/train.py`` adds it when the
    config does not)::

        custom_hooks = [dict(type='RNGStateHook')]
    """
    # Before CheckpointHook (VERY_LOW) in after_train_epoch, so the states
    # are gathered before the checkpoint is written.
    priority = 'NORMAL'

    def __init__(self) -> None:
        self._gathered: Optional[tuple] = None  # ((epoch, iter), states)
        self._val_snapshot: Optional[dict] = None
        self._loaded: Optional[dict] = None
        self._loaded_any = False

    # -- saving ---------------------------------------------------------- #
    def after_train_epoch(self, runner) -> None:
        if is_distributed():
            states = all_gather_object(get_rng_state())
            self._gathered = ((runner.epoch, runner.iter), states)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._val_snapshot is not None:
            # A save during validation (best checkpoint): training resumes
            # from the state before validation, which after_val restores.
            states: List[dict] = [self._val_snapshot]
        elif (self._gathered is not None
              and self._gathered[0] == (runner.epoch, runner.iter)):
            states = self._gathered[1]
        else:
            states = [get_rng_state()]
        _, world_size = get_dist_info()
        checkpoint['rng_state'] = dict(world_size=world_size, states=states)

    # -- validation is RNG-neutral -------------------------------------- #
    def before_val(self, runner) -> None:
        self._val_snapshot = get_rng_state()

    def after_val(self, runner) -> None:
        if self._val_snapshot is not None:
            set_rng_state(self._val_snapshot)
            self._val_snapshot = None

    # -- resuming -------------------------------------------------------- #
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('rng_state')
        self._loaded_any = True

    def before_train(self, runner) -> None:
        if not is_resuming(runner):
            return
        saved, self._loaded = self._loaded, None
        if saved is None:
            if self._loaded_any:
                print_log(
                    'RNGStateHook: the resumed checkpoint has no RNG state '
                    '(saved without this hook); training continues but is '
                    'not bit-identical to an uninterrupted run.',
                    logger='current', level=30)
            return
        rank, world_size = get_dist_info()
        states = saved['states']
        if len(states) == world_size:
            set_rng_state(states[rank])
        else:
            set_rng_state(states[0])
            print_log(
                f"RNGStateHook: checkpoint holds {len(states)} RNG state(s) "
                f'for world size {saved.get("world_size")}, now {world_size} '
                "processes: all ranks restart from rank 0's state (not "
                'bit-identical to the uninterrupted run).',
                logger='current', level=30)
        print_log('RNGStateHook: restored the random generator states of '
                  'the resumed checkpoint.', logger='current')
