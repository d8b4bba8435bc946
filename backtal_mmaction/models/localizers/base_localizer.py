"""What every snippet-feature localizer of the plugin shares."""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from torch import nn

ForwardResults = Union[Dict[str, torch.Tensor], List]


class BaseSnippetLocalizer(BaseModel):
    """``BaseModel`` over ``(B, D, T)`` snippet features.

    Shared by :class:`BackTAL` and :class:`AnchorFreeTAD`: the default
    ``SnippetFeaturePreprocessor``, the losses as a ``name -> cfg`` dict
    (``None`` entries skipped, so a child config can switch one off) and
    MMEngine's ``loss`` / ``predict`` / ``tensor`` dispatch. Subclasses
    implement ``forward_features(x)``, ``loss`` and ``predict``; ``tensor``
    mode runs a list of variable-length ``(D, T_i)`` inputs one by one.
    """

    def __init__(self,
                 losses: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='SnippetFeaturePreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.losses = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (losses or {}).items() if cfg is not None
        })

    def forward_features(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        raise NotImplementedError

    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[Sequence] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            if isinstance(inputs, (list, tuple)):
                return [self.forward_features(x[None]) for x in inputs]
            return self.forward_features(inputs)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')
