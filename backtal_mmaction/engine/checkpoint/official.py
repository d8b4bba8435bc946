"""Mapping checkpoints of the official BackTAL code to :class:`BackTAL`.

The official checkpoint is ``{'epoch': int, 'state_dict': OrderedDict}`` with

====================================  =======================================
official key                          this plugin
====================================  =======================================
``filter_module.conv_{1,2}[.0].*``    ``fg_filter.conv_{1,2}.*``
``embedding_module.conv_{1,2}[.0].*`` ``embedding.conv_{1,2}.*``
``base_module.conv_{1,2}[.0].weight`` ``backbone.conv_{1,2}.weight``
``classifier_module.conv[.0].weight`` ``cls_head.conv.weight``
====================================  =======================================

(``[.0]``: an ``nn.Sequential`` wrapper, accepted with or without.) The
affinity-conv weights may be stored as ``(H, D, 3)`` or as the flattened
``(H, 3D)`` matrix the official code multiplies with its channel-major
unfold (flat index ``c * 3 + j``); both become ``(H, D, 3)``. Use the result
with ``model.backbone.affinity='official'`` to reproduce the official CAS.
"""
import re
from collections import OrderedDict
from typing import Dict

import torch

_PREFIXES = {
    'filter_module': 'fg_filter',
    'embedding_module': 'embedding',
    'base_module': 'backbone',
    'classifier_module': 'cls_head',
}
_KEY = re.compile(r'^(?:module\.)?(filter_module|embedding_module|base_module|'
                  r'classifier_module)\.(conv(?:_\d)?)(?:\.0)?\.(weight|bias)$')


# The plugin's parameter names of a converted checkpoint, all required: an
# official BackTAL model has every one of them.
REQUIRED_KEYS = (
    'fg_filter.conv_1.weight', 'fg_filter.conv_1.bias',
    'fg_filter.conv_2.weight', 'fg_filter.conv_2.bias',
    'embedding.conv_1.weight', 'embedding.conv_1.bias',
    'embedding.conv_2.weight', 'embedding.conv_2.bias',
    'backbone.conv_1.weight', 'backbone.conv_2.weight',
    'cls_head.conv.weight')
_PLUGIN_KEY = re.compile(r'^(?:module\.)?(?:' + '|'.join(
    sorted(set(_PREFIXES.values()))) + r')\.')


def _listed(keys, limit: int = 6) -> str:
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(repr(k) for k in keys[:limit]) + more


def convert_official_state_dict(state_dict: Dict[str, torch.Tensor]
                                ) -> 'OrderedDict[str, torch.Tensor]':
    """Rename and reshape an official BackTAL ``state_dict``.

    Raises:
        ValueError: an empty state dict; one already in this plugin's
            layout (nothing to convert); keys that match no known official
            parameter, or official parameters missing (the first few of
            each listed); an affinity-conv weight of the wrong shape.
    """
    if not state_dict:
        raise ValueError('the state_dict is empty: no tensors to convert')
    if all(_PLUGIN_KEY.match(k) for k in state_dict):
        raise ValueError('the state_dict is already in backtal_mmaction\'s '
                         f'layout ({_listed(list(state_dict), 3)}): no '
                         'conversion needed, use the checkpoint directly')
    out, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        m = _KEY.match(key)
        if m is None:
            unknown.append(key)
            continue
        module, conv, kind = m.groups()
        new_key = f'{_PREFIXES[module]}.{conv}.{kind}'
        if module == 'base_module':
            if kind != 'weight':
                raise ValueError(f'{key}: the affinity convolutions have no '
                                 'bias in BackTAL')
            if value.dim() == 4:  # (H, D, 3, 1) from a Conv2d/unfold layout
                value = value.squeeze(-1)
            if value.dim() == 2:  # (H, 3D), flat index c * 3 + j
                if value.shape[1] % 3:
                    raise ValueError(f'{key}: shape {tuple(value.shape)} is '
                                     'not (H, 3D)')
                value = value.reshape(value.shape[0], -1, 3)
        elif module == 'classifier_module' and value.dim() == 2:
            value = value.unsqueeze(-1)  # Linear (C+1, H) -> Conv1d k=1
        elif value.dim() == 4:
            value = value.squeeze(-1)
        out[new_key] = value.clone()
    if unknown:
        raise ValueError('keys not from the official BackTAL layout: '
                         f'{_listed(unknown)}')
    missing = [k for k in REQUIRED_KEYS if k not in out]
    if missing:
        raise ValueError('official BackTAL parameters missing (named as '
                         f'they convert to): {_listed(missing)}')
    return out
