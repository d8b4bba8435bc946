"""The checkpoints a Runner loads (``load_from`` / ``--resume`` / test, and
``Pretrained`` ``init_cfg`` entries): loaded safely, and refused unless they
fit the model; fine-tuning may leave named parts out of them."""
import contextlib
import copy
import difflib
import inspect
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch

from mmaction.registry import HOOKS, WEIGHT_INITIALIZERS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ...utils import check_flags
from .atomic_checkpoint_hook import resolve_last_checkpoint
from ..checkpoint.loading import (allow_checkpoint_globals,
                                  check_checkpoint_file, load_checkpoint_file)
from ..checkpoint.compat import (CheckpointMismatchError,
                                 check_checkpoint_compatible, in_modules,
                                 without_ddp_prefix)
from ..mmengine_private import (has_loaded, init_weights_quietly,
                                is_resuming, load_from, starts_training)

__all__ = ['CheckpointCompatibilityHook']

# The open allow-list, shared by every instance: a Runner that failed
# mid-load leaves it open, and the next Runner's before_run closes it.
_ALLOW_LIST = contextlib.ExitStack()


def _close_allow_list() -> None:
    _ALLOW_LIST.close()


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


def _init_cfg_entries(module) -> list:
    """``module``'s ``init_cfg`` as a list of entries (MMEngine takes a
    dict or a list of dicts)."""
    cfgs = getattr(module, 'init_cfg', None) or []
    return list(cfgs) if isinstance(cfgs, (list, tuple)) else [cfgs]


def _is_pretrained(cfg) -> bool:
    return isinstance(cfg, dict) and cfg.get('type') == 'Pretrained'


def pretrained_inits(model) -> Iterator[Tuple[str, str, Optional[str]]]:
    """``(module name, checkpoint, prefix)`` of every ``Pretrained`` entry
    of an ``init_cfg`` in ``model`` that ``init_weights`` has yet to run
    (``''`` names the model itself)."""
    for name, module in model.named_modules():
        if getattr(module, '_is_init', False):
            continue
        for cfg in filter(_is_pretrained, _init_cfg_entries(module)):
            yield name, str(cfg.get('checkpoint')), cfg.get('prefix')


def _relative(names: Sequence[str], module_name: str) -> List[str]:
    """``names`` (of the model's modules) inside ``module_name``, relative
    to it."""
    if not module_name:
        return list(names)
    return [n[len(module_name) + 1:] for n in names
            if n.startswith(module_name + '.')]


def _drop_modules(state: dict, modules: Sequence[str]) -> None:
    """Delete the parameters of ``modules`` from a checkpoint's state dict
    (keys with or without DDP's ``module.`` prefix)."""
    for key in [k for k in state
                if in_modules(without_ddp_prefix(k), modules)]:
        del state[key]


def _check_module_names(names: Sequence[str], model) -> None:
    """Each name must be a module of ``model`` that holds weights."""
    modules = dict(model.named_modules())
    tensors = set(model.state_dict())
    owner = type(model).__name__
    for name in names:
        if name in tensors:
            raise ValueError(
                f'CheckpointCompatibilityHook: `reinitialize` names {name!r}, '
                f'a parameter of {owner}; name its module: '
                f'{name.rsplit(".", 1)[0]!r}')
        if name not in modules or not name:
            top = sorted(n for n in modules if n and '.' not in n)
            # the example: the classifier (the usual one to re-initialize)
            dotted = [k.rsplit('.', 1)[0] for k in tensors
                      if k.count('.') >= 2 and 'cls' in k]
            dotted = max(dotted) if dotted else 'head.conv'
            raise ValueError(
                f'CheckpointCompatibilityHook: `reinitialize` names {name!r}, '
                f'which is not a module of {owner}; its modules are {top} '
                f'and their children (dotted names, e.g. {dotted!r})')
        if not any(k == name or k.startswith(name + '.') for k in tensors):
            raise ValueError(
                f'CheckpointCompatibilityHook: `reinitialize` names {name!r}, '
                f'a module of {owner} without weights: nothing of it is '
                'loaded from a checkpoint')


def _own_inits(module) -> list:
    """The non-``Pretrained`` entries of ``module``'s own ``init_cfg``."""
    return [c for c in _init_cfg_entries(module) if not _is_pretrained(c)]


def _strip_pretrained(module) -> None:
    """Drop the ``Pretrained`` entries of every ``init_cfg`` in ``module``."""
    for sub in module.modules():
        if getattr(sub, 'init_cfg', None):
            sub.init_cfg = _own_inits(sub) or None


def initialized_weights(model, name: str) -> Dict[str, torch.Tensor]:
    """The weights module ``name`` of ``model`` starts from without a
    checkpoint: its construction's, then every non-``Pretrained``
    ``init_cfg`` that reaches it in ``model.init_weights()`` (its own, its
    children's, and an ancestor's, e.g. ``model.init_cfg=dict(type=
    'Normal', layer='Conv1d')``), keyed as in ``model.state_dict()``.

    Computed on a copy of the outermost module whose initialization
    reaches it, with the random generators forked, so the run's random
    stream (and every other module's initialization) is what it would be
    without the copy.
    """
    parts = name.split('.')
    root = next((anc for anc in ('.'.join(parts[:i])
                                 for i in range(len(parts)))
                 if _own_inits(model.get_submodule(anc) if anc else model)),
                name)
    clone = copy.deepcopy(model.get_submodule(root) if root else model)
    _strip_pretrained(clone)
    if hasattr(clone, 'init_weights'):
        cuda = sorted({t.device.index or 0 for t in clone.state_dict().values()
                       if t.is_cuda})
        with torch.random.fork_rng(devices=cuda):
            init_weights_quietly(clone)
    inner = name[len(root) + 1:] if root else name
    sub = clone.get_submodule(inner) if inner else clone
    return {f'{name}.{k}': v.detach().clone()
            for k, v in sub.state_dict().items()}


# What ``Runner.resume`` reads besides the weights (MMEngine 0.10).
_RESUME_KEYS = ('meta.epoch', 'meta.iter', 'message_hub', 'optimizer')


def _check_resumable(checkpoint, path: str) -> None:
    """A resumed checkpoint must hold the training state, not only weights
    (a published, converted or bare one): else one error saying to start
    from it instead, not a ``KeyError`` from ``Runner.resume``."""
    checkpoint = checkpoint if isinstance(checkpoint, dict) else {}
    meta = checkpoint.get('meta')
    meta = meta if isinstance(meta, dict) else {}
    lacking = [k for k in _RESUME_KEYS
               if (k[len('meta.'):] not in meta if k.startswith('meta.')
                   else k not in checkpoint)]
    if lacking:
        raise CheckpointMismatchError(
            f'checkpoint {path} cannot be resumed: it holds no {lacking} '
            '(the weights only: a published, converted or bare '
            'checkpoint); start a run from it with `load_from` instead '
            '(e.g. --cfg-options load_from=...)')


def _check_init_cfgs(model) -> None:
    """Every ``init_cfg`` entry must name a registered initializer and only
    its arguments (MMEngine would fail on them mid-run, or, for a
    ``Pretrained`` without ``checkpoint``, read the file ``None``)."""
    for name, module in model.named_modules():
        if getattr(module, '_is_init', False):
            continue
        owner = f'model.{name}.init_cfg' if name else 'model.init_cfg'
        for cfg in _init_cfg_entries(module):
            if not isinstance(cfg, dict) or 'type' not in cfg:
                raise ValueError(f'{owner}: {cfg!r} is not an initializer '
                                 "dict with a 'type'")
            kind = cfg['type']
            cls = kind if isinstance(kind, type) else \
                WEIGHT_INITIALIZERS.get(kind)
            if cls is None:
                names = set(WEIGHT_INITIALIZERS.module_dict) | set(
                    WEIGHT_INITIALIZERS.parent.module_dict
                    if WEIGHT_INITIALIZERS.parent else ())
                close = difflib.get_close_matches(str(kind), sorted(names), 1)
                raise ValueError(
                    f'{owner}: no weight initializer {kind!r}'
                    + (f'; did you mean {close[0]!r}?' if close else ''))
            known = _init_arguments(cls)
            for key in cfg:
                # `override` is MMEngine's initialize()'s own key
                if key not in ('type', 'override') and known is not None \
                        and key not in known:
                    close = difflib.get_close_matches(key, sorted(known), 1)
                    raise ValueError(
                        f'{owner}: {cls.__name__} takes no {key!r}'
                        + (f'; did you mean {close[0]!r}?' if close else
                           f' (it takes {sorted(known)})'))
            if cls.__name__ == 'PretrainedInit' and 'checkpoint' not in cfg:
                raise ValueError(f"{owner}: a Pretrained init needs its "
                                 "'checkpoint'")


def _init_arguments(cls) -> Optional[set]:
    """The keyword arguments ``cls`` takes, through ``**kwargs`` passed to
    its bases (None: any)."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.name != 'self' and p.kind in (
            p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
    return None


def _covers(source: str, name: str) -> bool:
    """Whether a checkpoint loaded into module ``source`` ('' : the whole
    model) reaches weights of module ``name``."""
    return (not source or in_modules(name, [source])
            or in_modules(source, [name]))


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

    ``Pretrained`` entries of the model's ``init_cfg`` (MMEngine's way to
    start a model or one of its parts, e.g. ``model.backbone.init_cfg =
    dict(type='Pretrained', checkpoint=CKPT, prefix='backbone.')``) run in
    ``Runner.train()`` between ``before_run`` and the load. They are
    checked in ``before_run`` as ``load_from`` is: the file, then the
    parameters of the part against the checkpoint's (with the prefix
    taken off, as MMEngine's ``PretrainedInit`` takes it); MMEngine itself
    would load them non-strictly and only warn.

    **Fine-tuning** (``reinitialize``): when a training run starts from a
    checkpoint (``load_from``, not ``resume``; or a ``Pretrained``
    ``init_cfg``), the parameters of the named modules are not taken from
    it: they start from the initialization a run from scratch gives them
    (their construction's, then every non-``Pretrained`` ``init_cfg``
    that reaches them, theirs or an ancestor's:
    :func:`initialized_weights`), also when their shape would fit, and
    are left out of the comparison, so a classifier trained on another
    class list may differ in shape. Every other parameter must fit as
    before. Validation and test runs, and resumed runs, load every
    parameter (a fine-tuned checkpoint then fits the model in full).

    Args:
        allow_missing (bool): Accept model parameters the checkpoint lacks
            (partial initialization on purpose). Defaults to False.
        allow_unexpected (bool): Accept extra checkpoint parameters.
            Defaults to False.
        reinitialize (str or Sequence[str]): Names of the model's modules
            to start afresh when fine-tuning (dotted, as in its
            ``state_dict``: ``'cls_head'`` for BackTAL's classifier,
            ``'head.cls_out'`` for AnchorFreeTAD's). Defaults to none.
    """
    priority = 'VERY_HIGH'

    def __init__(self, allow_missing: bool = False,
                 allow_unexpected: bool = False,
                 reinitialize: Union[str, Sequence[str]] = ()) -> None:
        check_flags(type(self).__name__, allow_missing=allow_missing,
                    allow_unexpected=allow_unexpected)
        names = [reinitialize] if isinstance(reinitialize,
                                             str) else reinitialize
        if not isinstance(names, (list, tuple)) or not all(
                isinstance(n, str) and n for n in names):
            raise ValueError(
                'CheckpointCompatibilityHook: `reinitialize` must be module '
                'names (a string or a list of strings), got '
                f'{reinitialize!r}')
        self.allow_missing = allow_missing
        self.allow_unexpected = allow_unexpected
        self.reinitialize: List[str] = list(names)
        self._pending: Optional[str] = None
        # Fine-tuning: the initial weights of the re-initialized modules a
        # checkpoint reaches, put back after the loads (None: nothing to
        # put back), and whether this run starts training from a
        # checkpoint (then the mismatch message says how to fine-tune).
        self._fresh: Optional[Dict[str, torch.Tensor]] = None
        self._fresh_modules: List[str] = []
        self._starts_from_checkpoint = False

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

    def _check_pretrained(self, model, module_name: str, path: str,
                          prefix: Optional[str]) -> None:
        """Check one ``Pretrained`` entry as ``PretrainedInit`` reads it."""
        if '://' in path:  # remote: MMEngine downloads it; not checked
            return
        # Shapes only: mapped, not read (MMEngine reads it next).
        ckpt = load_checkpoint_file(path, map_location='cpu', mmap=True)
        source = f'checkpoint {path}'
        if not isinstance(ckpt, dict):
            raise CheckpointMismatchError(
                f'{source} (the init_cfg of '
                f'{module_name or type(model).__name__}) is not a checkpoint '
                f'or a state dict: it holds a {type(ckpt).__name__}')
        if in_modules(module_name, self.reinitialize):
            return  # all of it starts afresh: nothing of it must fit
        module = model.get_submodule(module_name) if module_name else model
        state = ckpt.get('state_dict', ckpt)
        revise = ((r'^module\.', ''), )
        if prefix is not None:
            prefix = prefix if prefix.endswith('.') else prefix + '.'
            ckpt = {k[len(prefix):]: v for k, v in state.items()
                    if k.startswith(prefix)}
            if not ckpt:
                ddp = any(k.startswith('module.' + prefix) for k in state)
                raise CheckpointMismatchError(
                    f'{source} has no parameter under the prefix '
                    f'{prefix!r} (the init_cfg of '
                    f'{module_name or type(model).__name__}); it holds '
                    f'{sorted({k.split(".")[0] for k in state})}'
                    + (f"; a DDP checkpoint: prefix='module.{prefix}'"
                       if ddp else ''))
            source += f' (prefix {prefix!r})'
            revise = ()
        name = module_name or type(model).__name__
        try:
            check_checkpoint_compatible(
                module, ckpt, source=source, revise_keys=revise,
                allow_missing=self.allow_missing,
                allow_unexpected=self.allow_unexpected,
                ignore=_relative(self.reinitialize, module_name),
                target=f'model.{name} ({type(module).__name__}), whose '
                'init_cfg loads it' if module_name else
                f'the model ({name}), whose init_cfg loads it',
                module_prefix=module_name + '.' if module_name else '',
                starts_training=True)
        except CheckpointMismatchError as err:
            if prefix is None and module_name and any(
                    k.startswith(module_name + '.') for k in state):
                # instead of the closing question: the answer
                listing = str(err).rsplit('\n', 1)[0]
                raise CheckpointMismatchError(
                    f"{listing}\n  The checkpoint's keys of this part start "
                    f"with '{module_name}.': set prefix='{module_name}.' in "
                    'its init_cfg.') from None
            raise

    def before_run(self, runner) -> None:
        self._nothing_loaded()  # also closes what a failed run left open
        self._fresh = None
        model = _unwrap(runner.model)
        _check_module_names(self.reinitialize, model)
        # init_cfg runs in train() only (Runner._init_model_weights).
        training = starts_training(runner)
        if training:
            _check_init_cfgs(model)
        pretrained = list(pretrained_inits(model)) if training else []
        for module_name, path, prefix in pretrained:
            self._check_pretrained(model, module_name, path, prefix)
        path = self.checkpoint_to_load(runner)
        fine_tuning = training and not is_resuming(runner)
        self._starts_from_checkpoint = fine_tuning and path is not None
        sources = [m for m, _, _ in pretrained] + ([''] if path else [])
        self._fresh_modules = [
            n for n in self.reinitialize
            if fine_tuning and any(_covers(s, n) for s in sources)]
        if self._fresh_modules:
            self._fresh = {}
            for name in self._fresh_modules:
                self._fresh.update(initialized_weights(model, name))
        if path is None and not pretrained:
            return
        if path is not None and '://' not in str(path):
            check_checkpoint_file(path)
        _ALLOW_LIST.enter_context(allow_checkpoint_globals())
        self._pending = None if path is None else str(path)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        path = self._pending
        self._nothing_loaded()
        if path is None:  # a load of the user's own, not load_or_resume's
            return
        if is_resuming(runner):
            _check_resumable(checkpoint, path)
        model = _unwrap(runner.model)
        ignore = self.reinitialize if self._fresh is not None else ()
        check_checkpoint_compatible(
            model, checkpoint, source=f'checkpoint {path}',
            allow_missing=self.allow_missing,
            allow_unexpected=self.allow_unexpected, ignore=ignore,
            starts_training=self._starts_from_checkpoint)
        if ignore:
            # Leave them out of what MMEngine copies (it would report a
            # classifier of another class count as a size mismatch).
            _drop_modules(checkpoint.get('state_dict', checkpoint), ignore)

    def _restore_fresh(self, runner) -> None:
        """Put the initial weights of the re-initialized modules back (a
        ``Pretrained`` init may have loaded them) and say so."""
        if self._fresh is None:
            return
        fresh, self._fresh = self._fresh, None
        model = _unwrap(runner.model)
        with torch.no_grad():
            state = model.state_dict()
            for key, value in fresh.items():
                state[key].copy_(value)
        print_log(
            f'Fine-tuning: {", ".join(self._fresh_modules)} start(s) from '
            f'its own initialization ({len(fresh)} tensor(s)), not from the '
            'checkpoint (CheckpointCompatibilityHook.reinitialize).',
            logger='current')

    # Nothing was loaded (no checkpoint, or the Runner had loaded already).
    def before_train(self, runner) -> None:
        self._nothing_loaded()
        self._restore_fresh(runner)

    def before_val(self, runner) -> None:
        self._nothing_loaded()

    def before_test(self, runner) -> None:
        self._nothing_loaded()
