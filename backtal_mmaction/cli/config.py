"""Fail fast on mistyped ``--cfg-options`` keys.

MMEngine's ``Config.merge_from_dict`` silently creates any key it is given,
so ``--cfg-options model.backbone.afinity=official`` or
``train_cfg.max_epoch=3`` train the *default* model for the *default*
number of epochs. :func:`check_cfg_options` refuses such overrides before
anything is built.

A key path is accepted when

- every component exists in the loaded config (digits index lists, as
  ``merge_from_dict(allow_list_keys=True)`` does), or
- only its last component is new and it is a keyword argument of the class
  the parent dict builds (looked up by the parent's ``type`` in MMAction2's
  registries, e.g. ``model.post_processor.max_detections``; classes that
  take ``**kwargs`` all the way down accept anything), or of the object a
  well-known top-level field builds (``Runner``, ``DataLoader``,
  ``OptimWrapper``, ...).

Anything else needs the explicit escape hatch ``allow_new=True``
(``--cfg-options-allow-new`` in the tools).
"""
import copy
import difflib
import inspect
import sys
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmaction import registry as reg
from mmengine.config import Config
from mmengine.runner import Runner
from torch.distributed import init_process_group
from torch.utils.data import DataLoader

__all__ = ['UnknownConfigKeyError', 'check_cfg_options', 'accepted_kwargs']


class UnknownConfigKeyError(ValueError):
    """A ``cfg_options`` key does not exist in the config."""


# Objects built from a top-level config field without a ``type`` key.
_DEFAULT_TYPES = {
    'optim_wrapper': 'OptimWrapper',
    'val_cfg': 'ValLoop',
    'test_cfg': 'TestLoop',
}
# Fields the Runner reads besides its __init__ arguments.
_EXTRA_TOP_LEVEL = (
    'launcher', 'resume', 'load_from', 'work_dir', 'experiment_name',
    'custom_imports', 'default_scope', 'auto_scale_lr', 'model_wrapper_cfg',
    'find_unused_parameters', 'compile', 'sync_bn', 'runner_type',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'gpu_ids')
_ENV_CFG_KEYS = ('cudnn_benchmark', 'mp_cfg', 'dist_cfg', 'resource_limit')
_RANDOMNESS_KEYS = ('seed', 'deterministic', 'diff_rank_seed')
_DATALOADER_EXTRA = ('num_batch_per_epoch', )


def _registries() -> list:
    names = ('MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'EVALUATOR',
             'HOOKS', 'LOOPS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
             'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
             'DATA_SAMPLERS', 'VISUALIZERS', 'VISBACKENDS', 'LOG_PROCESSORS',
             'RUNNERS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'FUNCTIONS')
    return [getattr(reg, n) for n in names if hasattr(reg, n)]


def _lookup_type(type_name) -> Optional[object]:
    """The class / function a config ``type`` refers to, or None."""
    if not isinstance(type_name, str):
        return type_name if callable(type_name) else None
    for registry in _registries():
        try:
            obj = registry.get(type_name)
        except Exception:  # noqa: BLE001  (a registry may fail to import)
            obj = None
        if obj is not None:
            return obj
    return None


def accepted_kwargs(obj) -> Tuple[List[str], bool]:
    """Keyword arguments accepted by a class (its ``__init__`` chain) or
    function.

    Returns:
        tuple[list[str], bool]: the named parameters, and whether the list
        is closed (False when ``**kwargs`` reaches a base class whose
        arguments cannot be listed, so any name may be valid).
    """
    names: List[str] = []
    funcs = []
    if inspect.isclass(obj):
        funcs = [
            k.__dict__['__init__'] for k in obj.__mro__
            if '__init__' in k.__dict__ and k is not object
        ]
    elif callable(obj):
        funcs = [obj]
    for func in funcs:
        try:
            params = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):
            return names, False
        var_kw = False
        for p in params:
            if p.kind == p.VAR_KEYWORD:
                var_kw = True
            elif p.kind != p.VAR_POSITIONAL and p.name != 'self':
                names.append(p.name)
        if not var_kw:
            return list(dict.fromkeys(names)), True
    # **kwargs all the way down (or nothing introspectable).
    return list(dict.fromkeys(names)), not funcs


def _known_new_keys(path: Sequence[str], parent) -> Tuple[List[str], bool]:
    """Names that may be added under ``parent`` (at key path ``path``)."""
    if not path:  # top level: Runner arguments
        names, _ = accepted_kwargs(Runner)
        return names + list(_EXTRA_TOP_LEVEL), True
    if isinstance(parent, dict) and 'type' in parent:
        obj = _lookup_type(parent['type'])
        if obj is None:
            return [], True
        return accepted_kwargs(obj)
    last = path[-1]
    if len(path) == 1 and last in _DEFAULT_TYPES:
        obj = _lookup_type(_DEFAULT_TYPES[last])
        return accepted_kwargs(obj) if obj is not None else ([], True)
    if len(path) == 1 and last.endswith('_dataloader'):
        names, _ = accepted_kwargs(DataLoader)
        return names + list(_DATALOADER_EXTRA), True
    if path == ['env_cfg']:
        return list(_ENV_CFG_KEYS), True
    if path == ['randomness']:
        return list(_RANDOMNESS_KEYS), True
    if path == ['env_cfg', 'dist_cfg']:
        return accepted_kwargs(init_process_group)
    return [], True


def _suggest(word: str, candidates: Iterable[str]) -> List[str]:
    return difflib.get_close_matches(
        word, sorted(set(map(str, candidates))), n=3, cutoff=0.6)


def _suggest_strict(word: str, candidates: Sequence[str]) -> List[str]:
    return difflib.get_close_matches(word, list(candidates), n=1,
                                     cutoff=0.85)


def _check_one(cfg_dict: dict, key: str, allow_new: bool) -> Optional[str]:
    """None if ``key`` may be set, else a message naming the problem."""
    parts = key.split('.')
    node = cfg_dict
    for i, part in enumerate(parts):
        here = '.'.join(parts[:i]) or '<top level>'
        is_last = i == len(parts) - 1
        if isinstance(node, (list, tuple)):
            if part.isdigit() and int(part) < len(node):
                node = node[int(part)]
                continue
            return (f'{key!r}: {here} is a list of {len(node)} items; '
                    f'{part!r} is not a valid index')
        if not isinstance(node, dict):
            return (f'{key!r}: {here} holds the value {node!r} '
                    f'({type(node).__name__}), not a dict, so it has no key '
                    f'{part!r}')
        if part in node:
            node = node[part]
            continue
        if allow_new:
            return None
        known, closed = _known_new_keys(parts[:i], node)
        matches = _suggest(part, list(node) + known)
        if part in known:
            # An argument of the class the config leaves at its default;
            # under it (``model.backbone.init_cfg.type``) a new dict
            # value, whose keys are checked by what reads it.
            return None
        # A class taking **kwargs may accept any name, but one within a
        # typo of a known name (max_keep_ckpt vs max_keep_ckpts) is still
        # refused: it would only fail (or be ignored) much later.
        if is_last and not closed and not _suggest_strict(part, matches):
            return None
        prefix = '.'.join(parts[:i])
        hint = ''
        if matches:
            full = [f'{prefix}.{m}' if prefix else m for m in matches]
            hint = f'; did you mean {" or ".join(repr(m) for m in full)}?'
        where = (f'{here} (type={node["type"]!r})'
                 if isinstance(node, dict) and 'type' in node else here)
        return f'{key!r}: {where} has no key {part!r}{hint}'
    return None


DELETE_SUFFIX = '._delete_'


def _replace_deleted(cfg_dict: dict,
                     options: Dict[str, object]) -> Tuple[List[str], tuple]:
    """Apply MMEngine's ``KEY._delete_=True`` (replace the dict ``KEY``
    whole, e.g. ``model.post_processor.nms._delete_=True
    model.post_processor.nms.type=hard``) to ``cfg_dict``, so the other
    keys are checked against the new dict: one holding only its ``type``
    (the new one, else the old), whose registered class names the keys it
    takes.

    Returns:
        tuple: a message per ``_delete_`` key whose ``KEY`` is not a dict
        of the config, and the ``KEY.`` prefixes under which any key is
        new by intent (the new dict has no registered ``type``: whatever
        reads it checks its keys).
    """
    problems, free = [], []
    for key in sorted((k for k in options if k.endswith(DELETE_SUFFIX)),
                      key=len):
        prefix = key[:-len(DELETE_SUFFIX)]
        msg = _check_one(cfg_dict, prefix, allow_new=False)
        if msg is not None:
            problems.append(msg.replace(repr(prefix), repr(key), 1))
            continue
        *parents, last = prefix.split('.')
        node = cfg_dict
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        # a key the class takes but the config does not set passes
        # _check_one; there is nothing to replace either
        old = (node[int(last)] if isinstance(node, list) else
               node.get(last))
        if not isinstance(old, dict):
            problems.append(f'{key!r}: {prefix} holds {old!r}, not a dict, '
                            'so there is nothing to replace')
            continue
        if not options[key]:
            continue
        new = {}
        if 'type' in old or f'{prefix}.type' in options:
            new['type'] = options.get(f'{prefix}.type', old.get('type'))
        if isinstance(node, list):
            node[int(last)] = new
        else:
            node[last] = new
        if _lookup_type(new.get('type')) is None:
            free.append(prefix + '.')
    return problems, tuple(free)


def check_cfg_options(cfg, options: Optional[Dict[str, object]],
                      allow_new: bool = False) -> None:
    """Check every ``--cfg-options`` key path against the loaded config.

    Args:
        cfg (mmengine.Config | dict): The loaded config (custom imports
            done, so the plugin's classes are registered).
        options (dict, optional): ``{dotted.key: value}`` as produced by
            ``mmengine.config.DictAction``.
        allow_new (bool): Accept keys that do not exist yet (the escape
            hatch for intentionally adding new settings).

    Raises:
        UnknownConfigKeyError: naming every bad key and close matches.
    """
    if not options:
        return
    cfg_dict = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    problems, free = _replace_deleted(cfg_dict, options)
    problems += [
        msg for msg in (_check_one(cfg_dict, k, allow_new) for k in options
                        if not k.endswith(DELETE_SUFFIX)
                        and not k.startswith(free))
        if msg is not None
    ]
    if problems:
        raise UnknownConfigKeyError(
            'Unknown `cfg_options` key(s), nothing was run:\n  ' +
            '\n  '.join(problems) +
            '\nFix the key, or pass `cfg_options_allow_new` to add new '
            'settings on purpose; to replace a dict whole (e.g. with '
            'another `type`), set `KEY._delete_=True` too.')


REGISTRATION = 'backtal_mmaction.registration'


def _check_plugin_registered(path: str, cfg) -> None:
    """Refuse a config whose ``custom_imports`` (imported by
    ``Config.fromfile``) left the plugin unregistered: the Runner would
    stop later with a registry ``KeyError`` ("LoadSnippetFeature is not in
    the mmaction::transform registry") that does not say why. The usual
    cause is a child config's ``imports`` list, which replaces the
    base's."""
    if REGISTRATION in sys.modules:
        return
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    raise ValueError(
        f"{path}: custom_imports {list(imports)!r} do not load "
        f"'{REGISTRATION}', so the plugin's datasets, transforms and "
        "models are not registered; add it to the list (a child config's "
        "custom_imports.imports replaces its base's)")


def load_config(config,
                options: Optional[Dict[str, object]] = None,
                allow_new: bool = False):
    """``Config.fromfile`` + :func:`check_cfg_options` + merge: the one
    sequence every tool (and package function behind one) runs on
    ``CONFIG [--cfg-options ...]``.

    Args:
        config (str | mmengine.Config): Config file (its
            ``custom_imports`` are imported, so the option check sees the
            plugin's classes), or a loaded config: deep-copied, so the
            caller's object is never modified.
        options (dict, optional): Parsed ``--cfg-options``.
        allow_new (bool): ``--cfg-options-allow-new``.

    Returns:
        mmengine.Config: The merged config.
    """
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        cfg = Config.fromfile(config)
        _check_plugin_registered(config, cfg)
    if options:
        check_cfg_options(cfg, options, allow_new=allow_new)
        cfg.merge_from_dict(options)
    return cfg
