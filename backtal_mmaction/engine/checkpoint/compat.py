"""Refuse checkpoints that do not fit the model built from the config.

``Runner.load_checkpoint`` loads with ``strict=False``: a checkpoint of
another model, or one trained with another class count, only produces a
warning about skipped parameters and the run goes on with randomly
initialized layers (e.g. a test that reports the mAP of a random
classifier). :func:`check_checkpoint_compatible` compares the checkpoint's
``state_dict`` with the model's, before loading, and raises
:class:`CheckpointMismatchError` naming the mismatched keys and shapes.
"""
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch

__all__ = [
    'CheckpointMismatchError', 'check_checkpoint_compatible',
    'compare_state_dicts', 'in_modules', 'without_ddp_prefix'
]

_MAX_LISTED = 10


class CheckpointMismatchError(ValueError):
    """A checkpoint's parameters do not match the model's."""


def _shape(value) -> Tuple[int, ...]:
    return tuple(value.shape) if hasattr(value, 'shape') else ()


def without_ddp_prefix(key: str) -> str:
    """A state-dict key without DDP's ``module.`` prefix (the default
    ``revise_keys`` below, as ``Runner.load_checkpoint`` applies it)."""
    return key[len('module.'):] if key.startswith('module.') else key


def in_modules(key: str, modules: Sequence[str]) -> bool:
    """Whether parameter ``key`` belongs to one of ``modules`` (module
    names: ``'cls_head'`` holds ``cls_head.conv.weight``, not
    ``cls_headx.weight``)."""
    return any(key == m or key.startswith(m + '.') for m in modules)


def compare_state_dicts(
        model_state: Mapping[str, torch.Tensor],
        ckpt_state: Mapping[str, torch.Tensor],
        ignore: Sequence[str] = ()) -> Dict[str, list]:
    """Keys / shapes that differ between a model and a checkpoint.

    Args:
        model_state, ckpt_state (Mapping[str, Tensor]): The two state dicts.
        ignore (Sequence[str]): Module names whose parameters are not
            compared (:func:`in_modules`).

    Returns:
        dict: ``missing`` (in the model, not in the checkpoint),
        ``unexpected`` (in the checkpoint only), both sorted key lists, and
        ``shape`` (list of ``(key, ckpt_shape, model_shape)``).
    """
    model_keys = {k for k in model_state if not in_modules(k, ignore)}
    ckpt_keys = {k for k in ckpt_state if not in_modules(k, ignore)}
    shape = [(k, _shape(ckpt_state[k]), _shape(model_state[k]))
             for k in sorted(model_keys & ckpt_keys)
             if _shape(ckpt_state[k]) != _shape(model_state[k])]
    return dict(
        missing=sorted(model_keys - ckpt_keys),
        unexpected=sorted(ckpt_keys - model_keys),
        shape=shape)


def _listing(items: List[str]) -> str:
    shown = items[:_MAX_LISTED]
    more = (f'\n    ... and {len(items) - _MAX_LISTED} more'
            if len(items) > _MAX_LISTED else '')
    return ''.join(f'\n    {x}' for x in shown) + more


def _outermost_module(key: str, mismatched: set, model_keys: list,
                      module_prefix: str) -> str:
    """The outermost module holding ``key`` whose tensors all mismatch
    (BackTAL's ``cls_head``, not ``cls_head.conv``: the name that also
    applies the head's own ``init_cfg``), named in the whole model."""
    owner = key.rsplit('.', 1)[0] if '.' in key else ''
    while owner:
        parent = owner.rsplit('.', 1)[0] if '.' in owner else ''
        if not parent and not module_prefix:
            break  # not the whole model
        under = [k for k in model_keys
                 if not parent or k.startswith(parent + '.')]
        if not set(under) <= mismatched:
            break
        owner = parent
    return (module_prefix + owner) if owner else module_prefix.rstrip('.')


def _class_count_hint(shape: list, module_prefix: str,
                      starts_training: bool, model_keys: list) -> str:
    """Explain a classifier shape mismatch in terms of classes, and how to
    fine-tune on the new class list instead (the modules named as in the
    whole model: ``module_prefix`` is the checked part's name + '.')."""
    mismatched = {k for k, _, _ in shape}
    for key, ckpt, model in shape:
        if 'cls' in key and ckpt and model and ckpt[0] != model[0]:
            full = module_prefix + key
            background = (' (num_classes + background)'
                          if full.startswith('cls_head.') else '')
            owners = sorted({
                _outermost_module(k, mismatched, model_keys, module_prefix)
                for k, _, _ in shape})
            names = ','.join(owners)
            hint = (f'\n  The classifier ({full}) has {ckpt[0]} outputs in '
                    f'the checkpoint but {model[0]} in the model'
                    f'{background}: the checkpoint was trained on another '
                    'class list; set the model\'s num_classes to match, or '
                    'use the dataset it was trained on.')
            if starts_training:
                return hint + (
                    ' To fine-tune it on this class list instead (every '
                    'other weight from the checkpoint, the classifier '
                    f'afresh), add reinitialize={owners!r} to the '
                    'CheckpointCompatibilityHook entry of custom_hooks (with '
                    'a shipped config: --cfg-options "custom_hooks.1.'
                    f'reinitialize=[{names}]").')
            return hint + (
                ' (Fine-tuning, CheckpointCompatibilityHook(reinitialize='
                f'{owners!r}), acts only when a training run starts from a '
                'checkpoint; this run needs the checkpoint trained on this '
                'class list.)')
    return ''


def check_checkpoint_compatible(
        model: torch.nn.Module,
        checkpoint,
        source: str = 'checkpoint',
        revise_keys: Sequence[Tuple[str, str]] = ((r'^module\.', ''), ),
        allow_missing: bool = False,
        allow_unexpected: bool = False,
        ignore: Sequence[str] = (),
        target: Optional[str] = None,
        module_prefix: str = '',
        starts_training: bool = False) -> None:
    """Raise if ``checkpoint`` cannot be loaded into ``model`` as is.

    Args:
        model (nn.Module): The model built from the config (unwrapped).
        checkpoint (dict): A loaded checkpoint (``{'state_dict': ...}``) or a
            bare state dict.
        source (str): How to name the checkpoint in the message (its path).
        revise_keys (Sequence[tuple[str, str]]): ``(pattern, replacement)``
            applied to checkpoint keys, as ``Runner.load_checkpoint`` does
            (strips the ``module.`` prefix of DDP checkpoints).
        allow_missing (bool): Accept model parameters absent from the
            checkpoint (partial initialization on purpose).
        allow_unexpected (bool): Accept extra checkpoint parameters.
        ignore (Sequence[str]): Module names left out of the comparison
            (parts that are not taken from the checkpoint).
        target (str, optional): How to name ``model`` in the message when
            it is loaded by an ``init_cfg`` (default: the model built from
            the config).
        module_prefix (str): ``model``'s name in the whole model plus
            ``'.'`` when it is a part (``'head.'``), so that the message
            names modules as ``reinitialize`` takes them.
        starts_training (bool): Whether the checkpoint starts a training
            run (where fine-tuning's ``reinitialize`` applies): the message
            says how to fine-tune, else that this run needs a checkpoint
            of this class list.

    Raises:
        CheckpointMismatchError: listing shape mismatches (key, checkpoint
            shape, model shape), missing and unexpected keys.
    """
    if not isinstance(checkpoint, Mapping):
        raise CheckpointMismatchError(
            f'{source}: expected a dict checkpoint, got '
            f'{type(checkpoint).__name__}')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise CheckpointMismatchError(
            f"{source}: 'state_dict' is a {type(state).__name__}, not a dict")
    for pattern, repl in revise_keys:
        state = {re.sub(pattern, repl, k): v for k, v in state.items()}
    model_state = model.state_dict()
    diff = compare_state_dicts(model_state, state, ignore)
    parts = []
    if diff['shape']:
        rows = [f'{k}: checkpoint {list(c)} vs model {list(m)}'
                for k, c, m in diff['shape']]
        parts.append(f"{len(rows)} parameter(s) with another shape:"
                     f'{_listing(rows)}')
    if diff['missing'] and not allow_missing:
        parts.append(f"{len(diff['missing'])} model parameter(s) missing "
                     f"from the checkpoint:{_listing(diff['missing'])}")
    if diff['unexpected'] and not allow_unexpected:
        parts.append(f"{len(diff['unexpected'])} checkpoint parameter(s) "
                     f"the model does not have:{_listing(diff['unexpected'])}")
    if parts:
        question = ('Are the checkpoint and the prefix those of this part?'
                    if module_prefix else
                    'Is it the checkpoint of this config?')
        target = target or (f'the model built from the config '
                            f'({type(model).__name__})')
        raise CheckpointMismatchError(
            f'{source} does not match {target}:\n  ' + '\n  '.join(parts)
            + _class_count_hint(diff['shape'], module_prefix, starts_training,
                                list(model_state))
            + '\n  ' + question)
